"""The weekly synthèse: subscription codes, /abonner and /desabonner, the schedule, sending
through due work (never twice, 403 suspends), the quiet week, /resume's preview, and member
texts shown literally."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from storage.models import DigestCode, DigestSubscription, DueWork
from tests.helpers import actor, journal_kinds, nb, scene, wool_collective

# A Wednesday; the synthèse goes on Mondays at 9:00, Paris time (8:00 UTC in winter).
START = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


async def collective_with_members(h: Harness) -> tuple[SandboxChat, SandboxUser, list[SandboxUser]]:
    h.clock.set(START)
    group, claire, users = await wool_collective(h, members=2)
    await scene(h).onboard(users[0], actor(org="GAEC des Estives"), via_group=group)
    await scene(h).onboard(
        users[1],
        actor(org="Filature secrète", famille="Association", consent=False),
        via_group=group,
    )
    return group, claire, users


async def new_code(h: Harness, claire: SandboxUser) -> str:
    await h.say(claire, None, "/resume abonnes")
    text = h.last(claire).plain
    found = re.search(r"Code d'abonnement\s*:\s*([A-Z0-9]{4}-[A-Z0-9]{4})", text)
    assert found, text
    return found.group(1)


async def subscribed_town(h: Harness, claire: SandboxUser) -> tuple[SandboxChat, SandboxUser]:
    code = await new_code(h, claire)
    officer = h.sandbox.add_user("Agnès", last_name="Mairie")
    town = h.sandbox.create_group("Communauté de communes", owner=officer)
    await h.flush()
    await h.say(officer, town, f"/abonner {code}")
    return town, officer


async def subscriptions(h: Harness) -> list[DigestSubscription]:
    async with h.app.deps.uow() as uow:
        return list(await uow.session.scalars(select(DigestSubscription)))


async def test_a_code_subscribes_a_group_once_and_desabonner_stops_it(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with_members(h)
    town, officer = await subscribed_town(h, claire)
    said = h.last(town).plain
    assert nb("C'est enregistré : ce groupe recevra la synthèse hebdomadaire") in said
    assert "lundi à 9 h" in said
    assert "lundi 7 décembre à 9 h" in said
    [sub] = await subscriptions(h)
    assert (sub.chat_id, sub.status) == (town.id, "active")
    assert sub.chat_title == "Communauté de communes"
    # The animation team is told; the list shows the group.
    await h.tick()
    assert "un abonnement de plus" in h.last(claire).plain
    await h.say(claire, None, "/resume abonnes")
    assert "• Communauté de communes" in h.last(claire).plain
    # A code serves once.
    async with h.app.deps.uow() as uow:
        used = (
            await uow.session.scalars(select(DigestCode).where(DigestCode.used_at.is_not(None)))
        ).one()
        assert used.used_at is not None
    other = h.sandbox.create_group("Département", owner=officer)
    await h.flush()
    await h.say(officer, other, f"/abonner {used.code}")
    assert "ne correspond à aucun abonnement" in h.last(other).plain
    await h.say(officer, other, "/abonner")
    assert "suivi du code" in h.last(other).plain
    # /desabonner stops it in that chat only.
    await h.say(officer, town, "/desabonner")
    assert "ne sera plus envoyée ici" in h.last(town).plain
    [sub] = await subscriptions(h)
    assert sub.status == "stopped"
    await h.say(officer, town, "/desabonner")
    assert "ne reçoit aucune synthèse" in h.last(town).plain
    kinds = await journal_kinds(h, group)
    assert {"digest_code_created", "digest_subscribed", "digest_unsubscribed"} <= set(kinds)
    await h.say(claire, None, "/journal")
    journal = h.last(claire).plain
    assert nb("« Communauté de communes » s'est abonné à la synthèse") in journal


async def test_an_expired_or_wrong_code_is_refused_and_nothing_is_stored(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with_members(h)
    code = await new_code(h, claire)
    officer = h.sandbox.add_user("Agnès")
    h.clock.advance(timedelta(days=7, minutes=1))
    await h.say(officer, None, f"/abonner {code}")
    assert "n'est plus valable" in h.last(officer).plain
    await h.say(officer, None, "/abonner ZZZZ-ZZZZ")
    assert "ne correspond à aucun abonnement" in h.last(officer).plain
    assert await subscriptions(h) == []
    # A fresh code, typed in lower case and without its dash, works in a private chat.
    code = await new_code(h, claire)
    await h.say(officer, None, "/abonner " + code.lower().replace("-", ""))
    assert nb("C'est enregistré : vous recevrez") in h.last(officer).plain
    [sub] = await subscriptions(h)
    assert sub.chat_id == officer.id


async def test_only_the_animation_team_sees_the_codes(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with_members(h)
    await h.say(users[0], None, "/resume abonnes")
    assert "Seule l'équipe d'animation" in h.last(users[0]).plain
    async with h.app.deps.uow() as uow:
        assert list(await uow.session.scalars(select(DigestCode))) == []


async def test_the_synthese_goes_out_once_on_monday_with_its_chart(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with_members(h)
    town, officer = await subscribed_town(h, claire)
    before = len(h.sandbox.bot_messages(town))
    await h.tick()
    assert len(h.sandbox.bot_messages(town)) == before  # not before Monday 9:00
    h.clock.set(MONDAY)
    await h.tick()
    sent = h.sandbox.bot_messages(town)[before:]
    assert len(sent) == 2
    text = sent[0].plain
    assert text.startswith("Synthèse de la semaine — Filière laine du Cantal")
    assert nb("Nouveaux membres : 3") in text
    # Organisations only with the annuaire's consent; never a person's name.
    assert "GAEC des Estives" in text
    assert "Filature secrète" not in text
    assert "Claire" not in text and "Acteur0" not in text and "Morel" not in text
    assert "/desabonner" in text
    assert sent[1].photo is not None and sent[1].photo.startswith(b"\x89PNG")
    assert "Participation" in (sent[1].caption or "")
    # Again, and after a restart: nothing doubled; next week's row is planned.
    await h.tick()
    await h.tick(timedelta(hours=1))
    assert len(h.sandbox.bot_messages(town)) == before + 2
    async with h.app.deps.uow() as uow:
        keys = list(
            await uow.session.scalars(
                select(DueWork.key).where(
                    DueWork.kind == "digest_weekly", DueWork.status == "pending"
                )
            )
        )
    assert keys == [f"digest:{(await collective_id(h, group))}:20261214T08"]


async def collective_id(h: Harness, group: SandboxChat) -> int:
    async with h.app.deps.uow() as uow:
        found = await uow.collectives.by_chat(group.id)
        assert found is not None
        return found.id


async def test_a_group_that_removed_the_bot_is_suspended_and_the_team_told(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await collective_with_members(h)
    town, officer = await subscribed_town(h, claire)
    await h.tick()
    h.clock.set(MONDAY)
    h.sandbox.fail_next("sendMessage", "forbidden", chat_id=town.id)
    await h.tick()
    [sub] = await subscriptions(h)
    assert sub.status == "suspended"
    await h.tick()
    told = h.last(claire).plain
    assert nb("« Communauté de communes » ne la reçoit plus") in told
    await h.say(claire, None, "/resume abonnes")
    assert "suspendu" in h.last(claire).plain
    # A suspended chat gets nothing the next week; a new code brings it back.
    h.clock.set(MONDAY + timedelta(days=7))
    before = len(h.sandbox.bot_messages(town))
    await h.tick()
    assert len(h.sandbox.bot_messages(town)) == before
    code = await new_code(h, claire)
    await h.say(officer, town, f"/abonner {code}")
    [sub] = await subscriptions(h)
    assert sub.status == "active"
    await h.say(claire, None, "/journal")
    assert "est suspendu : le groupe a retiré le bot" in h.last(claire).plain.replace("\u202f", " ")


async def test_a_quiet_week_sends_a_short_version_or_nothing(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with_members(h)
    town, officer = await subscribed_town(h, claire)
    h.clock.set(MONDAY)
    await h.tick()
    # The members joined last week: this one has nothing new.
    h.clock.set(MONDAY + timedelta(days=7))
    await h.tick()
    texts = [m.plain for m in h.sandbox.bot_messages(town)]
    assert nb("Semaine calme : rien de nouveau") in texts[-1]
    assert not h.sandbox.bot_messages(town)[-1].photo
    # « Ne rien envoyer » in a quiet week.
    await h.say(claire, None, "/resume abonnes")
    await h.press(claire, None, nb("Semaine calme : ne rien envoyer"))
    assert nb("Semaine calme : aucun envoi") in h.last(claire).plain
    count = len(h.sandbox.bot_messages(town))
    h.clock.set(MONDAY + timedelta(days=14))
    await h.tick()
    assert len(h.sandbox.bot_messages(town)) == count


async def test_the_day_and_hour_can_change(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with_members(h)
    town, officer = await subscribed_town(h, claire)
    await h.say(claire, None, "/resume abonnes")
    await h.press(claire, None, "📅 Changer le jour et l'heure")
    await h.press(claire, None, "vendredi")
    await h.press(claire, None, "17 h")
    assert "Envoi chaque vendredi à 17 h" in h.last(claire).plain
    before = len(h.sandbox.bot_messages(town))
    h.clock.set(datetime(2026, 12, 4, 15, 59, tzinfo=UTC))
    await h.tick()
    assert len(h.sandbox.bot_messages(town)) == before
    h.clock.set(datetime(2026, 12, 4, 16, 0, tzinfo=UTC))  # Friday 17 h in Paris
    await h.tick()
    assert "Synthèse de la semaine" in h.sandbox.bot_messages(town)[before].plain
    assert len(h.sandbox.bot_messages(town)) == before + 2
    h.clock.set(MONDAY)
    await h.tick()
    assert len(h.sandbox.bot_messages(town)) == before + 2  # the Monday row does nothing
    await h.say(claire, None, "/journal")
    assert "a changé l'envoi de la synthèse hebdomadaire" in h.last(claire).plain
    assert "a créé un code d'abonnement" in h.last(claire).plain


async def test_resume_previews_without_sending(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with_members(h)
    town, officer = await subscribed_town(h, claire)
    before = len(h.sandbox.bot_messages(town))
    h.clock.advance(timedelta(minutes=5))
    await h.say(claire, group, "/resume")
    assert "en privé" in h.last(group).plain
    await h.say(claire, None, "/resume")
    mine = h.sandbox.bot_messages(claire)
    assert "Aperçu de la synthèse" in mine[-3].plain
    assert "Rien n'est envoyé" in mine[-3].plain
    assert "lundi 7 décembre à 9 h, à 1 destinataire" in mine[-3].plain
    assert "Synthèse de la semaine" in mine[-2].plain
    assert mine[-1].photo is not None
    assert len(h.sandbox.bot_messages(town)) == before


async def test_a_collective_with_no_activity(harness: Harness) -> None:
    h = harness
    h.clock.set(START)
    group, claire, users = await wool_collective(h, members=0)
    h.clock.set(START + timedelta(days=10))
    await h.say(claire, None, "/resume")
    mine = h.sandbox.bot_messages(claire)
    assert "Rien de nouveau cette semaine" in mine[-2].plain
    assert nb("Semaine calme : rien de nouveau") in mine[-1].plain


async def test_member_texts_are_shown_literally(harness: Harness) -> None:
    h = harness
    h.clock.set(START)
    group, claire, users = await wool_collective(h, members=1)
    hostile = "<b>Ferme</b> {{ 7*7 }} =SUM(A1)"
    await scene(h).onboard(users[0], actor(org=hostile), via_group=group)
    h.clock.advance(timedelta(minutes=5))
    await h.say(claire, None, "/resume")
    text = h.sandbox.bot_messages(claire)[-2].plain
    assert hostile in text
    assert "49" not in text


async def test_the_command_line_previews_the_synthese(
    harness: Harness,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main

    h = harness
    group, claire, users = await collective_with_members(h)
    town, officer = await subscribed_town(h, claire)
    async with h.app.deps.uow() as uow:
        found = await uow.collectives.by_chat(group.id)
        assert found is not None and found.slug
        slug = found.slug
    monkeypatch.setenv("TISSERAND_DATABASE_URL", h.app.deps.settings.database_url)
    out = tmp_path / "synthese.html"
    before = len(h.sandbox.bot_messages(town))
    status = await asyncio.to_thread(main, ["digest", slug, "--preview", "--out", str(out)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "Synthèse de la semaine — Filière laine du Cantal" in printed
    assert "Pour ne plus la recevoir" in printed  # the command uses the real clock
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    await h.tick()
    assert len(h.sandbox.bot_messages(town)) == before  # a preview sends nothing
    assert await asyncio.to_thread(main, ["digest", "nulle-part", "--preview"]) == 2
    # Without --preview, the running bot sends it at its next pass.
    assert await asyncio.to_thread(main, ["digest", slug]) == 0
    await h.tick()
    assert "Synthèse de la semaine" in h.sandbox.bot_messages(town)[before].plain


async def test_the_journal_filters_by_category_and_period(harness: Harness) -> None:
    from tests.bot.survey_helpers import SIMPLE, answer_needs, launched

    h = harness
    h.clock.set(START)
    group, claire, users = await launched(h, 2, anonymous=True)
    for user in users:
        await answer_needs(h, user, group, SIMPLE, anonymous=True)
    h.clock.advance(timedelta(days=10))
    await h.say(users[0], None, "/moi")
    await h.press(users[0], None, "Modifier la commune")
    await h.say(users[0], None, "Murat")
    await h.say(claire, None, "/journal")
    first = h.last(claire)
    assert ["✓ Tout", "Membres", "Enquêtes", "Votes"] in first.buttons
    await h.press(claire, None, "Enquêtes")
    page = h.last(claire).plain
    assert nb("a reçu une réponse anonyme") in page
    assert "a lancé l'enquête" in page or "enquête" in page
    assert "Acteur0" not in page and "Acteur1" not in page  # anonymous stays anonymous
    assert "a modifié son profil" not in page
    # Enquêtes in the last 7 days: the answers were 10 days ago.
    await h.press(claire, None, "7 jours")
    assert "vide" in h.last(claire).plain
    await h.press(claire, None, "Membres")
    page = h.last(claire).plain
    assert "Acteur0 Test a modifié son profil" in page
    assert "enquête" not in page
    assert any("0 événement" not in t and "événement" in t for _, t in h.sandbox.toasts)


async def test_a_long_synthese_goes_as_an_html_file(harness: Harness) -> None:
    from datetime import date

    from storage.models import RoadmapAction

    h = harness
    group, claire, users = await collective_with_members(h)
    town, officer = await subscribed_town(h, claire)
    cid = await collective_id(h, group)
    async with h.app.deps.uow() as uow:
        for i in range(12):
            uow.session.add(
                RoadmapAction(
                    collective_id=cid,
                    text=f"Action {i} <script>alert(1)</script> " + "x" * 440,
                    due_on=date(2026, 12, 20),
                    levier="financement",
                    status="done",
                    done_at=START + timedelta(hours=1),
                    created_at=START,
                )
            )
    before = len(h.sandbox.bot_messages(town))
    h.clock.set(MONDAY)
    await h.tick()
    sent = h.sandbox.bot_messages(town)[before:]
    assert sent[0].document is not None
    name, content, _ = sent[0].document
    assert name == "synthese.html"
    page = content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "… et 4 autres" in page
    assert "fichier joint" in sent[0].plain
    assert sent[1].photo is not None


async def test_without_an_smtp_server_the_team_is_told(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with_members(h)
    await h.say(claire, None, "/resume ajouter elus@exemple.fr")
    h.clock.set(MONDAY)
    await h.tick()
    await h.tick()
    await h.tick()
    told = "\n".join(m.plain for m in h.sandbox.bot_messages(claire)[-3:])
    assert "aucun serveur d'envoi n'est réglé" in told.lower()
    async with h.app.deps.uow() as uow:
        row = (
            await uow.session.scalars(select(DueWork).where(DueWork.kind == "digest_mail"))
        ).one()
        assert row.status == "pending" and row.payload["html"].startswith("<!doctype html>")
    await h.say(claire, None, "/journal")
    assert "a ajouté une adresse électronique" in h.last(claire).plain
