"""RGPD across the features: /mes_donnees has each feature's part (named answers, public votes,
proxies, RSVPs, charter signatures); /oublier deletes what is personal, keeps anonymous
answers, ballots and counts, keeps a charter signature as the organisation's, and nothing comes
back after a restart. The retention purge runs once a day as due work."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.conversation import ENDED_KEPT
from bot.sandbox.core import SandboxUser
from bot.sandbox.harness import Harness
from bot.services import privacy
from storage.models import (
    AnonymousResponse,
    CharterSignature,
    DueWork,
    EndedConversation,
    MeetingParticipant,
    Person,
    SurveyParticipant,
    SurveyResponse,
    VoteBallot,
    VoteProxy,
)
from tests.bot.survey_helpers import SIMPLE, answer_needs, launched, rows
from tests.bot.test_charter import adopt, load
from tests.bot.test_colleges_proxies import said
from tests.bot.test_meetings import START, schedule
from tests.bot.votes_helpers import collective_with, last_vote, open_vote, plain, tallies
from tests.helpers import actor, scene, wool_collective


def my_file(h: Harness) -> dict[str, Any]:
    """The last mes-donnees.json the bot sent."""
    content = [data for name, data, _ in h.sandbox.files.values() if name == "mes-donnees.json"][-1]
    return dict(json.loads(content))


async def forget(h: Harness, user: SandboxUser) -> None:
    await h.say(user, None, "/oublier")
    await h.press(user, None, "Effacer mes données")
    assert "vos données sont effacées" in h.last(user).plain


async def erased(h: Harness) -> Person:
    found = [p for p in await rows(h, Person) if p.erased_at is not None]
    assert len(found) == 1
    return found[0]


async def test_named_answers_and_public_votes_are_given_then_forgotten(
    harness: Harness, settings: Settings
) -> None:
    h = harness
    group, claire, users = await launched(h, 2)
    paul, ines = users
    await answer_needs(h, paul, group, SIMPLE)
    await answer_needs(h, ines, group, SIMPLE)
    ines_id = (await rows(h, EndedConversation))[-1].person_id
    await open_vote(h, claire, live=True)
    await h.press(paul, group, "Pour")
    await h.press(ines, group, "Contre")
    vote = await last_vote(h)
    before = await tallies(h, vote.id)

    await h.say(paul, None, "/mes_donnees")
    summary = next(m for m in reversed(h.sandbox.bot_messages(paul)) if "Vos données" in m.plain)
    assert "Et aussi\u202f: enquêtes, votes." in summary.plain
    data = my_file(h)
    assert data["enquêtes"][0]["réponses"]  # the named answers, as stored
    assert data["votes"]["votes_publics"][0]["choix"] == "pour"
    assert data["votes"]["votes_publics"][0]["vote"].startswith("Adhérer au réseau")
    # How his answering ended (its buttons say it): ids only, listed, then forgotten.
    ended = data["profil_et_collectifs"]["questions_terminées"]
    assert [(e["conversation"], e["fin"]) for e in ended] == [("survey_answer", "done")]

    await forget(h, paul)
    gone = await erased(h)
    assert [e.person_id for e in await rows(h, EndedConversation)] == [ines_id]
    assert len(await rows(h, SurveyResponse)) == 1  # Inès's answers stay
    assert len(await rows(h, SurveyParticipant)) == 2  # how many answered stays
    assert len(await rows(h, VoteBallot)) == 2  # the decision stands…
    assert await tallies(h, vote.id) == before  # …and so do its counts
    await h.say(claire, group, "/vote")
    assert "Acteur0" not in plain(h.last(group).plain)

    # A restart brings nothing back.
    await h.stop()
    again = Harness(settings, migrate=False, sandbox=h.sandbox, clock=h.clock)
    again._offset = h._offset
    await again.start()
    try:
        await again.say(paul, None, "/mes_donnees")
        document = my_file(again)
        assert "enquêtes" in document and document["enquêtes"] == []
        # He is a stranger now: a new person, in no collective, with none of his past.
        assert document["profil_et_collectifs"]["collectifs"] == []
        assert document["profil_et_collectifs"]["journal"] == []
        person = await erased(again)
        assert person.id == gone.id and person.display_name == "membre supprimé"
        assert len(await rows(again, SurveyResponse)) == 1
    finally:
        await again.stop()
        h.app = again.app  # the fixture stops it once more: harmless
        h._live = False


async def test_anonymous_answers_and_secret_ballots_stay_counted(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 2, anonymous=True)
    paul, ines = users
    await answer_needs(h, paul, group, SIMPLE, anonymous=True)
    await answer_needs(h, ines, group, SIMPLE, anonymous=True)
    await open_vote(h, claire, secret=True)
    await h.press(paul, group, "Pour")
    vote = await last_vote(h)
    before = await tallies(h, vote.id)
    assert before == {"pour": 1}

    await h.say(paul, None, "/mes_donnees")
    data = my_file(h)
    assert data["enquêtes"] == [] and data["votes"] == {}  # nothing links him to a choice

    await forget(h, paul)
    assert len(await rows(h, AnonymousResponse)) == 2
    assert len(await rows(h, SurveyParticipant)) == 2
    assert await tallies(h, vote.id) == before


async def test_rsvps_proxies_and_the_charter_signature(harness: Harness) -> None:
    h = harness
    h.clock.set(START)
    group, claire, users = await collective_with(h, 2)
    paul, ines = users
    await load(h, claire)
    await adopt(h, claire, group, [claire, *users])
    await h.say(paul, None, "/signer")
    await h.say(paul, None, "GAEC des Estives")
    await h.press(paul, None, "Je signe la version 1")
    await schedule(h, claire, when="10/12/2026 14h")
    await h.tick()
    announcement = h.last(group)
    await h.press(paul, group, "Je viens", message_id=announcement.message_id)
    await open_vote(h, claire, "Acheter une cardeuse ?")
    ines_said = await said(h, ines, group)
    await h.say(paul, group, "/procuration", reply_to=ines_said)
    assert "Acteur1 Test votera pour Acteur0 Test" in plain(h.last(group).plain)

    await h.say(paul, None, "/mes_donnees")
    data = my_file(h)
    assert data["charte"] == [
        {
            "version": 1,
            "organisation": "GAEC des Estives",
            "signée_le": data["charte"][0]["signée_le"],
        }
    ]
    assert data["réunions"]["réunions"][0]["réponse"] == "yes"
    proxy = data["votes"]["procurations"][0]
    assert (proxy["sens"], proxy["à_ou_de"]) == ("donnée", "Acteur1 Test")
    await h.say(ines, None, "/mes_donnees")
    received = my_file(h)["votes"]["procurations"][0]
    assert (received["sens"], received["à_ou_de"]) == ("reçue", "Acteur0 Test")

    await forget(h, paul)
    gone = await erased(h)
    assert [p for p in await rows(h, MeetingParticipant) if p.person_id == gone.id] == []
    signatures = await rows(h, CharterSignature)
    assert [(s.person_id, s.organisation) for s in signatures] == [(gone.id, "GAEC des Estives")]
    assert len(await rows(h, VoteProxy)) == 1
    await h.say(ines, None, "/charte")
    text = plain("\n".join(h.bot_texts(ines)[-2:]))
    assert "membre supprimé — GAEC des Estives" in text and "Acteur0" not in text


async def test_the_retention_purge_runs_once_a_day_as_due_work(harness: Harness) -> None:
    h = harness
    group, _, users = await wool_collective(h)
    await scene(h).onboard(users[0], actor(), via_group=group)
    await h.leave(users[0], group)

    def purges(work: list[DueWork]) -> list[tuple[str, str]]:
        return sorted((w.key, w.status) for w in work if w.kind == privacy.PURGE)

    start = h.clock.now()
    first = purges(await rows(h, DueWork))
    assert len(first) == 1 and first[0][1] == "pending"  # scheduled at start
    # A second process starting (or this one again) schedules nothing more.
    async with h.app.deps.uow() as uow:
        assert not await privacy.schedule_purge(uow, start, privacy_zone(h))
        assert not await privacy.schedule_purge(uow, start + timedelta(minutes=30), privacy_zone(h))
    # Thirteen months later, day by day: one purge a day, each scheduling the next.
    h.clock.advance(timedelta(days=396))
    await h.tick()
    await h.tick()
    done = purges(await rows(h, DueWork))
    assert [status for _, status in done] == ["done", "pending"]
    assert (await erased(h)).display_name == "membre supprimé"
    # Run again by hand the same day: nothing more happens.
    async with h.app.deps.uow() as uow:
        again = await privacy.run_purge(
            uow,
            h.clock.now(),
            privacy_zone(h),
            12,
            h.app.deps.registry.personal_data,  # type: ignore[union-attr]
        )
    assert again == 0 and purges(await rows(h, DueWork)) == done
    h.clock.advance(timedelta(days=1))
    await h.tick()
    assert [s for _, s in purges(await rows(h, DueWork))] == ["done", "done", "pending"]


async def test_how_conversations_ended_is_forgotten_after_a_month(harness: Harness) -> None:
    h = harness
    group, _, users = await launched(h, 1)
    await answer_needs(h, users[0], group, SIMPLE)
    [ended] = await rows(h, EndedConversation)
    # The day only, never the moment of sending (an anonymous survey's would link).
    assert (ended.ended_at.hour, ended.ended_at.minute, ended.ended_at.second) == (0, 0, 0)
    h.clock.advance(ENDED_KEPT - timedelta(days=1))
    async with h.app.deps.uow() as uow:
        await privacy.run_purge(uow, h.clock.now(), privacy_zone(h), 12, [])
    assert len(await rows(h, EndedConversation)) == 1
    h.clock.advance(timedelta(days=2))
    async with h.app.deps.uow() as uow:
        await privacy.run_purge(uow, h.clock.now(), privacy_zone(h), 12, [])
    assert await rows(h, EndedConversation) == []


def privacy_zone(h: Harness) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(h.settings.timezone)


def test_the_next_purge_is_at_half_past_three_in_paris() -> None:
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    before = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 2 h in Paris
    after = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert privacy.next_purge(before, paris) == datetime(2026, 11, 26, 2, 30, tzinfo=UTC)
    assert privacy.next_purge(after, paris) == datetime(2026, 11, 27, 2, 30, tzinfo=UTC)
