"""Anonymous surveys: what the database keeps, read as someone with the database file would."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from bot.sandbox.harness import Harness
from storage.models import AnonymousResponse, SurveyParticipant
from tests.bot.survey_helpers import (
    CLOSING,
    NeedsAnswers,
    answer_needs,
    draft_of,
    latest_survey,
    launched,
    rows,
    until,
)
from tests.helpers import every_row, nb


async def dump(h: Harness) -> dict[str, list[dict[str, Any]]]:
    return await every_row(h, xmin=True)


async def test_no_submitted_anonymous_response_can_be_tied_to_a_member(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    group, claire, users = await launched(h, 3, anonymous=True)
    # Random ids, made here to decrease: the first sent has the largest.
    ids = iter(["c" * 32, "b" * 32, "a" * 32])
    monkeypatch.setattr("storage.repos.surveys.secrets.token_hex", lambda n: next(ids))
    markers = []
    for i, user in enumerate(users):
        marker = f"marqueur-{i}"
        markers.append(marker)
        await answer_needs(
            h,
            user,
            group,
            NeedsAnswers(marker, maillons=("Élevage",), famille="Association"),
            anonymous=True,
        )
        h.clock.advance(timedelta(minutes=7))
    tables = await dump(h)

    # The answers are in one table only: no draft, no update, no journal line keeps them.
    for name, table in tables.items():
        cells = " ".join(str(v) for row in table for v in row.values())
        for marker in markers:
            assert (marker in cells) == (name == "survey_anonymous_responses"), (name, marker)

    # By key: a random id, the survey and the answers; nothing about who or when.
    answers = tables["survey_anonymous_responses"]
    keys = {k for row in answers for k in row if not k.startswith("_")}
    assert keys == {"id", "survey_id", "answers"}
    assert all(k in ("_ctid", "_xmin") for row in answers for k in row if k.startswith("_"))
    # Who has answered: the survey and the membership, no time.
    participants = tables["survey_participants"]
    assert {k for row in participants for k in row if not k.startswith("_")} == {
        "survey_id",
        "membership_id",
    }
    assert len(participants) == 3
    # No time: neither table has a date column.
    for model in (AnonymousResponse, SurveyParticipant):
        assert {c.name for c in model.__table__.columns} <= {
            "id",
            "survey_id",
            "answers",
            "membership_id",
        }

    # Nothing but the answers in them: the questions' ids, as each member answered.
    for row in answers:
        stored = row["answers"] if isinstance(row["answers"], dict) else json.loads(row["answers"])
        assert set(stored) == {"perimetre", "maillons", "famille", "besoins", "priorite"} | {
            "groupe_travail"
        }
        assert stored["famille"] == "association" and stored["besoins"] == ["debouches"]

    # By order: nothing follows the order in which they were sent.
    if h.app.deps.engine.dialect.name == "sqlite":
        # No rowid: the table keeps its rows in the order of their random ids.
        assert "_rowid" not in answers[0] and "_rowid" not in participants[0]
        assert [row["id"] for row in answers] == ["a" * 32, "b" * 32, "c" * 32]
        assert "marqueur-2" in str(answers[0]["answers"])  # the last one sent comes first
    else:
        # The rows were written again together: one transaction id for all of them.
        assert len({row["_xmin"] for row in answers}) == 1

    # The journal says the survey got answers, never whose.
    lines = [r for r in tables["journal"] if r["kind"] == "survey_answered"]
    assert len(lines) == 3 and all(r["actor_id"] is None and r["subject_id"] is None for r in lines)
    for user in users:
        assert await draft_of(h, user) is None
    await h.say(claire, None, "/journal")
    journal = h.last(claire).plain
    assert journal.count(nb("a reçu une réponse anonyme")) == 3
    assert "Acteur0" not in journal.split("reçu")[0].splitlines()[-1]


async def test_anonymous_answers_cannot_be_changed_and_the_summary_says_so(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await launched(h, 1, anonymous=True)
    paul = users[0]
    await answer_needs(
        h,
        paul,
        group,
        NeedsAnswers("Tonte", maillons=("Tonte",), famille="Association"),
        anonymous=True,
        send=False,
    )
    summary = h.last(paul).plain
    assert "Cette enquête est anonyme" in summary
    assert "vous ne pourrez plus les modifier" in summary
    await h.press(paul, None, "Envoyer")
    assert "sans lien avec vous" in h.last(paul).plain
    await h.press(paul, group, "Répondre")
    assert "ne peuvent donc plus être modifiées" in h.last(paul).plain
    await h.say(paul, None, "/enquete")
    assert h.last(paul).buttons == []  # no « Répondre » any more
    assert len(await rows(h, AnonymousResponse)) == 1


async def test_an_anonymous_breakdown_comes_from_the_survey_and_hides_small_groups(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await launched(h, 6, anonymous=True)
    # Five say « Élevage » and an ESS famille in the survey, whatever their profile says.
    for user in users[:5]:
        await answer_needs(
            h,
            user,
            group,
            NeedsAnswers("x", maillons=("Élevage",), famille="Association", priorite=5),
            anonymous=True,
        )
    await answer_needs(
        h,
        users[5],
        group,
        NeedsAnswers("y", maillons=("Vente",), famille="Banque ou autre financeur", priorite=1),
        anonymous=True,
    )
    await until(h, CLOSING)
    breakdown = next(t for t in h.bot_texts(claire) if "par maillon et par famille" in t)
    assert "jamais d'après les profils" in breakdown
    assert "Élevage (5 réponses)" in breakdown and "Tonte" not in breakdown  # not the profiles
    assert "• Vente (1 réponse) — moins de 5 réponses, non détaillé" in breakdown
    assert "• Hors ESS (1 réponse) — moins de 5 réponses, non détaillé" in breakdown
    # « Ces besoins sont-ils urgents ? », graded 5 five times.
    assert "• ESS (5 réponses) — note 5 (5)\n" in breakdown, breakdown
    texts = next(t for t in h.bot_texts(claire) if "les réponses écrites" in t)
    assert "ni nom, ni ordre d'arrivée" in texts and "Acteur" not in texts
    files = {m.document[0]: m.document[1] for m in h.sandbox.bot_messages(claire) if m.document}
    header = files["enquete-recensement-des-besoins-des-acteurs.csv"].decode("utf-8-sig")
    assert not header.startswith("Nom;")  # no name, no time in the export
    assert (await latest_survey(h)).status == "closed"
