"""Reminders and closings as due work, the results at closing, the exports."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.demo.scenes.surveys import needs_moves, play_moves
from bot.sandbox.harness import Harness
from storage.models import Delivery, DueWork
from tests.bot.survey_helpers import (
    CLOSING,
    SIMPLE,
    NeedsAnswers,
    answer_needs,
    before_closing,
    draft_of,
    latest_survey,
    launched,
    live_text,
    person_of,
    rows,
    until,
)
from tests.helpers import journal_kinds, nb


def reminders(h: Harness, user: object) -> list[str]:
    return [t for t in h.bot_texts(user) if t.startswith("📋 Recensement") and "clôt" in t]


async def test_reminders_reach_those_who_have_not_finished_and_the_group_gets_a_nudge(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await launched(h, 3)
    done, halfway, silent = users
    await answer_needs(h, done, group, SIMPLE)
    await answer_needs(h, halfway, group, SIMPLE, stop_after=2)
    await until(h, before_closing(3))
    assert reminders(h, done) == []  # nobody who has finished is reminded
    (started,) = reminders(h, halfway)
    assert "il vous reste à envoyer vos réponses" in started
    (nothing,) = reminders(h, silent)
    assert "Vous n'avez pas encore répondu" in nothing
    assert h.last(silent).buttons == [["Répondre"]]
    nudge = next(t for t in h.bot_texts(group) if "attendue" in t)
    assert nudge.startswith("📋 Recensement des besoins des acteurs — encore 3 réponses attendues")
    for user in (*users, claire):  # never a name
        assert user.first_name not in nudge
    # The last reminder, a day before: still only those who have not sent.
    await play_moves(h, halfway, needs_moves(SIMPLE)[2:])
    await h.press(halfway, None, "Envoyer")
    await until(h, before_closing(1))
    assert len(reminders(h, halfway)) == 1 and len(reminders(h, silent)) == 2
    assert "encore 2 réponses attendues" in h.bot_texts(group)[-1]


async def test_a_restart_neither_loses_nor_doubles_reminders_and_closings(
    settings: Settings,
) -> None:
    first = Harness(settings, migrate=False)
    await first.start()
    group, claire, users = await launched(first, 2)
    await first.stop()  # down from before the reminder until after it was due

    second = Harness(settings, migrate=False, sandbox=first.sandbox, clock=first.clock)
    second._offset = first._offset
    await second.start()
    try:
        await until(second, before_closing(3) + timedelta(hours=2))
        await until(second, before_closing(3) + timedelta(hours=3))
        assert len(reminders(second, users[0])) == 1  # sent once, not lost, not doubled
        await until(second, CLOSING + timedelta(minutes=1))
        await until(second, CLOSING + timedelta(minutes=5))
        results = [t for t in second.bot_texts(group) if t.startswith("📋 Résultats")]
        assert len(results) == 1
        assert (await latest_survey(second)).status == "closed"
        keys = [d.key for d in await rows(second, Delivery)]
        assert len(keys) == len(set(keys))
    finally:
        await second.stop()


async def test_a_member_who_blocked_the_bot_is_marked_unreachable_with_no_retry_loop(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await launched(h, 2)
    blocker = users[0]
    h.sandbox.block_bot(blocker)
    await h.flush()
    await until(h, before_closing(3))
    assert (await person_of(h, blocker)).unreachable_since is not None
    attempts = [d for d in await rows(h, Delivery) if d.chat_id == blocker.id]
    assert [(d.status, d.attempts) for d in attempts] == [("unreachable", 1)]
    work = [w for w in await rows(h, DueWork) if ":remind:3:" in w.key]
    assert [w.status for w in work] == ["done"]
    await until(h, before_closing(1))  # the next reminder does not try again
    assert len([d for d in await rows(h, Delivery) if d.chat_id == blocker.id]) == 1
    assert len(reminders(h, users[1])) == 2


async def test_at_closing_the_group_gets_results_and_the_team_the_rest(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 3)
    await answer_needs(
        h,
        users[0],
        group,
        NeedsAnswers(
            "Élevage ovin",
            maillons=("Élevage",),
            besoins=(("Des débouchés", "2 t de laine brute"), ("Du financement", None)),
            volume="12,5",
            priorite=5,
            groupe=True,
            sujet="La collecte",
        ),
    )
    await answer_needs(
        h,
        users[1],
        group,
        NeedsAnswers("Tonte", maillons=("Tonte",), autre="Des tondeurs", volume="7,5"),
    )
    await answer_needs(h, users[2], group, SIMPLE, stop_after=3)  # never sent
    assert await draft_of(h, users[2]) is not None
    await until(h, CLOSING)
    assert await draft_of(h, users[2]) is None  # drafts never sent are discarded
    survey = await latest_survey(h)
    assert (survey.status, survey.members_at_close) == ("closed", 4)
    await h.tick(timedelta(minutes=1))  # the counter's last edit, a minute after the one before
    assert "Enquête close" in live_text(h, group)
    results = next(t for t in h.bot_texts(group) if t.startswith("📋 Résultats"))
    assert nb("Participation : 2 réponses sur 4 membres (50 %)") in results
    assert nb("• Des débouchés : vendre ma production, trouver des clients : 2 (100 %)") in results
    assert nb("• Du financement : 1 (50 %)") in results
    assert nb("• Autre : 1 (50 %)") in results
    assert (
        nb("2 réponses : moyenne 10\u00a0t, de 7,5\u00a0t à 12,5\u00a0t, total 20\u00a0t.")
        in results
    )
    assert nb("Personne n'a choisi : Du foncier ou des locaux") in results
    chart = next(m for m in h.sandbox.bot_messages(group) if m.photo)
    assert chart.photo is not None and chart.photo.startswith(b"\x89PNG")
    private = h.bot_texts(claire)
    texts = next(t for t in private if "les réponses écrites" in t)
    assert "Acteur0 Test (GAEC des Estives) : Élevage ovin".replace(" :", nb(" :")) in texts
    assert nb("Autre : Des tondeurs") in texts and "2 t de laine brute" in texts
    breakdown = next(t for t in private if "par maillon et par famille" in t)
    assert "D'après le profil des membres" in breakdown
    assert "• Élevage (1 réponse) — note 5 (1)\n" in breakdown
    assert "• Élevage (1 réponse) — Oui (1)\n" in breakdown
    assert "• Hors ESS (1 réponse) — Des débouchés" in breakdown
    assert "• ESS (1 réponse) — Non (1)" in breakdown
    files = {m.document[0]: m.document[1] for m in h.sandbox.bot_messages(claire) if m.document}
    assert set(files) == {
        "enquete-recensement-des-besoins-des-acteurs.csv",
        "enquete-recensement-des-besoins-des-acteurs.xlsx",
    }
    # Others receive nothing of it in private.
    assert not any("réponses écrites" in t for t in h.bot_texts(users[0]))
    assert "survey_closed" in await journal_kinds(h, group)
    await h.say(claire, None, "/journal")
    assert nb("L'enquête « Recensement des besoins des acteurs » est close, avec 2 réponses") in (
        h.last(claire).plain
    )


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


async def test_exports_have_a_row_per_respondent_a_column_per_option_and_keep_text_as_text(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await launched(h, 2)
    await answer_needs(
        h,
        users[0],
        group,
        NeedsAnswers(
            "=SOMME(A1:A9)",
            maillons=("Élevage",),
            besoins=(("Des débouchés", "-2 t de laine"), ("Du financement", None)),
            volume="1 500",
            priorite=5,
        ),
    )
    await answer_needs(h, users[1], group, SIMPLE)
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "📋 Recensement")
    await h.press(claire, None, "Clore maintenant")
    await h.press(claire, None, "Oui, clore")
    await h.tick()
    files = {m.document[0]: m.document[1] for m in h.sandbox.bot_messages(claire) if m.document}
    table = _csv(files["enquete-recensement-des-besoins-des-acteurs.csv"])
    header, *lines = table
    assert len(lines) == 2  # one row per respondent
    assert header[:3] == ["Nom", "Organisation", "Envoyé le"]
    need = [c for c in header if c.startswith(nb("De quoi avez-vous besoin"))]
    assert len(need) == 9 + 1 + 1 + 9  # an option each, « Autre », its précision, précisez
    first = dict(zip(header, lines[0], strict=True))
    assert first[nb("Quel est votre périmètre d'action ?")] == "'=SOMME(A1:A9)"  # neutralised
    debouches = nb(
        "De quoi avez-vous besoin pour développer votre activité dans la filière ? — "
        "Des débouchés : vendre ma production, trouver des clients"
    )
    assert first[debouches] == "1"
    assert first[debouches + " — précisez"] == "'-2 t de laine"
    assert (
        first[
            debouches.replace(
                "Des débouchés\u202f: vendre ma production, trouver des clients",
                "Du foncier ou des locaux",
            )
        ]
        == "0"
    )
    assert (
        first[nb("Quels volumes produisez-vous, transformez-vous ou achetez-vous par an ?")]
        == "1500"
    )
    # The XLSX keeps the text as a string cell, exactly as typed.
    xlsx = files["enquete-recensement-des-besoins-des-acteurs.xlsx"]
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="D2" t="inlineStr"><is><t>=SOMME(A1:A9)</t></is></c>' in sheet
    assert "<f>" not in sheet


async def test_the_team_may_ask_for_the_results_again(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    await answer_needs(h, users[0], group, SIMPLE)
    await until(h, CLOSING)
    before = len([m for m in h.sandbox.bot_messages(claire) if m.document])
    group_before = len(h.bot_texts(group))
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "📋 Recensement")
    assert "Close" in h.last(claire).plain
    await h.press(claire, None, "Recevoir à nouveau les résultats")
    assert "Je vous renvoie les résultats" in h.sandbox.toasts[-1][1]
    await h.tick()
    assert len([m for m in h.sandbox.bot_messages(claire) if m.document]) == before + 2
    assert len(h.bot_texts(group)) == group_before  # the group is not told twice


async def test_closed_at_night_the_team_has_its_copies_at_once_and_the_group_in_the_morning(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    await answer_needs(h, users[0], group, SIMPLE)
    # 23 h in Paris, the collective's quiet hours (21 h to 8 h).
    await until(h, datetime(2026, 12, 1, 22, 0, tzinfo=UTC))
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "📋 Recensement")
    await h.press(claire, None, "Clore maintenant")
    await h.press(claire, None, "Oui, clore")
    told = h.last(claire).plain
    assert nb("partent dans le groupe mercredi 2 décembre à 8 h, après les heures calmes") in told
    await h.tick()
    assert any(m.document for m in h.sandbox.bot_messages(claire))  # the files, now
    assert not any("Résultats" in t for t in h.bot_texts(group))  # the group sleeps
    await h.tick(timedelta(hours=9))
    assert any(t.startswith("📋 Résultats") for t in h.bot_texts(group))
