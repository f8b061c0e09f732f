"""The failures issue 14 lists, each on SQLite and PostgreSQL: a crash after the commit but
before Telegram's acknowledgement, 20 presses at once on one vote, 50 writes at once, every
kind of sender message meeting 429, 5xx, timeouts and 403, a group that became a supergroup
under a message, and hostile texts wherever people type."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import Deps
from bot.config import Settings
from bot.due import DueContext, Later
from bot.sandbox.core import SandboxUser
from bot.sandbox.harness import Harness
from bot.sandbox.media import png
from bot.sender import Outcome, Sender
from storage.models import Delivery, InboxUpdate, SurveyResponse, Vote
from tests.bot.survey_helpers import SIMPLE, answer_needs, launched, named_answers
from tests.bot.votes_helpers import collective_with, last_vote, open_vote, tallies
from tests.helpers import WOOL, collective_of, scene

NOON = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # 12 h in Paris: no quiet hours


async def _last_update_id(h: Harness) -> int:
    async with h.app.deps.uow() as uow:
        found = await uow.session.scalar(
            select(InboxUpdate.update_id).order_by(InboxUpdate.update_id.desc()).limit(1)
        )
    assert found is not None
    return int(found)


# --- a crash after the commit, before the acknowledgement ---------------------------------


async def test_a_crash_after_commit_before_ack_doubles_nothing(settings: Settings) -> None:
    """Each update is handled and committed; the process dies before Telegram hears of it, so
    Telegram sends it again to the next process: no second ballot, answer or message."""
    first = Harness(settings, migrate=False)
    await first.start()
    group, claire, users = await launched(first, 1)
    jeanne = users[0]
    await open_vote(first, claire, live=True)
    handled: list[int] = []
    await first.press(jeanne, group, "Pour")
    handled.append(await _last_update_id(first))
    await answer_needs(first, jeanne, group, SIMPLE)  # ends with « Envoyer »
    handled.append(await _last_update_id(first))
    await first.say(jeanne, None, "/aide")
    handled.append(await _last_update_id(first))
    messages_before = len(first.sandbox.bot_messages(jeanne))
    toasts_before = len(first.sandbox.toasts)
    await first.stop()

    second = Harness(settings, migrate=False, sandbox=first.sandbox, clock=first.clock)
    second._offset = first._offset
    await second.start()
    try:
        for update_id in handled:
            second.sandbox.redeliver(update_id)
        await second.flush()
        vote = await last_vote(second)
        assert await tallies(second, vote.id) == {"pour": 1}
        async with second.app.deps.uow() as uow:
            responses = list(await uow.session.scalars(select(SurveyResponse)))
        assert len(responses) == 1 and await named_answers(second, jeanne) is not None
        assert len(second.sandbox.bot_messages(jeanne)) == messages_before
        assert len(second.sandbox.toasts) == toasts_before
    finally:
        await second.stop()


# --- killed mid-survey ----------------------------------------------------------------------


async def test_killed_mid_survey_the_answers_are_kept_and_the_member_resumes(
    settings: Settings,
) -> None:
    """The process dies with an answer stored in the inbox (Telegram has its acknowledgement)
    but not handled: the next process handles it first, keeps the earlier answers, and the
    member goes on from the next question."""
    from bot.demo.scenes.surveys import needs_moves, play_moves

    first = Harness(settings, migrate=False)
    await first.start()
    group, _claire, users = await launched(first, 1)
    jeanne = users[0]
    moves = needs_moves(SIMPLE)
    await first.press(jeanne, group, "Répondre")
    await play_moves(first, jeanne, moves[:2])
    kind, value = moves[2]
    if kind == "say":
        first.sandbox.send_text(jeanne, None, value)
    else:
        first.sandbox.press(jeanne, None, value)
    assert len(await first.fetch()) == 1  # stored and acknowledged; then the process dies
    await first.stop()

    second = Harness(settings, migrate=False, sandbox=first.sandbox, clock=first.clock)
    second._offset = first._offset
    await second.start()  # handles the left-over answer first
    try:
        await play_moves(second, jeanne, moves[3:])
        await second.press(jeanne, None, "Envoyer")
        stored = await named_answers(second, jeanne)
        assert stored is not None and stored["perimetre"] == SIMPLE.perimetre
        assert stored["maillons"]  # the answer in flight when it died
    finally:
        await second.stop()


# --- 20 presses at once on one vote -------------------------------------------------------


async def _feed_all(h: Harness, expected_toasts: int) -> None:
    """Hand every queued update to the running Application at once, then wait for answers."""
    before = len(h.sandbox.toasts)
    await h.feed()
    started = time.monotonic()
    while len(h.sandbox.toasts) < before + expected_toasts:
        assert time.monotonic() - started < 20, h.sandbox.toasts[before:]
        await asyncio.sleep(0.01)


async def test_twenty_people_pressing_at_once_are_all_counted(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 20)
    await open_vote(h, claire, secret=True)
    await h.live()
    for user in users:
        h.sandbox.press(user, group, "Pour")
    await _feed_all(h, 20)
    toasts = [text for _, text in h.sandbox.toasts[-20:]]
    assert all(t.startswith("C'est enregistré") for t in toasts), toasts
    vote = await last_vote(h)
    assert await tallies(h, vote.id) == {"pour": 20}


async def test_one_person_pressing_twenty_times_at_once_votes_once(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire, secret=True)
    await h.live()
    for i in range(20):
        h.sandbox.press(users[0], group, "Pour" if i % 2 else "Contre")
    await _feed_all(h, 20)
    toasts = [text for _, text in h.sandbox.toasts[-20:]]
    assert sum(t.startswith("C'est enregistré") for t in toasts) == 1
    vote = await last_vote(h)
    assert sum((await tallies(h, vote.id)).values()) == 1


# --- 50 writes at once --------------------------------------------------------------------


async def test_fifty_people_writing_at_once_never_meet_a_locked_database(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Fifty private chats at once: each one's first message creates its person, its
    conversation… in fifty transactions that all want to write."""
    h = harness
    await h.live()
    people = [h.sandbox.add_user(f"Personne{i}") for i in range(50)]
    caplog.set_level(logging.INFO)
    for person in people:
        h.sandbox.send_text(person, None, "/start")
    await h.feed()
    started = time.monotonic()
    while not all(h.sandbox.bot_messages(p) for p in people):
        assert time.monotonic() - started < 30
        await asyncio.sleep(0.02)
    assert "database is locked" not in caplog.text.lower()
    assert "database error" not in caplog.text.lower()
    assert all("Quelque chose" not in h.last(p).plain for p in people)  # no error message
    async with h.app.deps.uow() as uow:
        states = list(await uow.session.scalars(select(InboxUpdate.state)))
    assert states.count("done") == 50


# --- 429, 5xx, timeouts and 403 on every kind of message the sender sends -----------------

KINDS = ("message", "document", "photo")
METHOD = {"message": "sendMessage", "document": "sendDocument", "photo": "sendPhoto"}


def _sender_kind(h: Harness, outcomes: list[Outcome]) -> None:
    async def run(deps: Deps, ctx: DueContext) -> Later | None:
        payload = ctx.work.payload
        sender = Sender(ctx.bot, ctx.uow, ctx.now)
        kind = payload["kind"]
        outcome = await sender.send(
            ctx.work.key,
            payload["chat_id"],
            "Rappel : comité demain.",
            document=("reponses.csv", b"a;b\n") if kind == "document" else None,
            photo=png(40, 30) if kind == "photo" else None,
        )
        outcomes.append(outcome)
        return Later(outcome.retry_at) if outcome.retry_at else None

    h.app.deps.due_kinds["send_any"] = run


async def _setup(h: Harness, kind: str) -> tuple[SandboxUser, list[Outcome]]:
    outcomes: list[Outcome] = []
    _sender_kind(h, outcomes)
    h.clock.set(NOON)
    paul = h.sandbox.add_user("Paul")
    await h.say(paul, None, "/start")
    async with h.app.deps.uow() as uow:
        await uow.due.schedule(
            key=f"k-{kind}",
            kind="send_any",
            due_at=NOON,
            now=NOON,
            payload={"chat_id": paul.id, "kind": kind},
        )
    return paul, outcomes


def _received(h: Harness, user: SandboxUser, kind: str) -> int:
    sent = h.sandbox.bot_messages(user)
    if kind == "message":
        return sum("Rappel" in m.plain for m in sent)
    if kind == "document":
        return sum(1 for m in sent if m.document)
    return sum(1 for m in sent if "photo" in m.media)


async def _delivery(h: Harness, key: str) -> Delivery:
    async with h.app.deps.uow() as uow:
        found = await uow.deliveries.get(key)
    assert found is not None
    return found


@pytest.mark.parametrize("kind", KINDS)
async def test_a_429_is_honoured_then_sent(harness: Harness, kind: str) -> None:
    h = harness
    paul, outcomes = await _setup(h, kind)
    h.sandbox.fail_next(METHOD[kind], "retry_after", chat_id=paul.id, retry_after=30)
    await h.tick()
    assert outcomes[0].status == "later" and outcomes[0].retry_at == NOON + timedelta(seconds=30)
    await h.tick(timedelta(seconds=10))
    assert len(outcomes) == 1 and _received(h, paul, kind) == 0
    await h.tick(timedelta(seconds=20))
    assert outcomes[-1].status == "sent" and _received(h, paul, kind) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_a_5xx_is_retried_later(harness: Harness, kind: str) -> None:
    h = harness
    paul, outcomes = await _setup(h, kind)
    h.sandbox.fail_next(METHOD[kind], "server_error", chat_id=paul.id)
    await h.tick()
    await h.tick(timedelta(minutes=2))
    assert [o.status for o in outcomes] == ["later", "sent"] and _received(h, paul, kind) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_a_timeout_is_marked_uncertain_never_resent(harness: Harness, kind: str) -> None:
    h = harness
    paul, outcomes = await _setup(h, kind)
    h.sandbox.fail_next(METHOD[kind], "timeout_after_send", chat_id=paul.id)
    await h.tick()
    await h.tick(timedelta(hours=1))
    assert [o.status for o in outcomes] == ["uncertain"]
    assert (await _delivery(h, f"k-{kind}")).status == "uncertain"
    assert _received(h, paul, kind) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_a_403_marks_the_person_unreachable(harness: Harness, kind: str) -> None:
    h = harness
    paul, outcomes = await _setup(h, kind)
    h.sandbox.block_bot(paul)
    await h.tick()
    await h.tick(timedelta(hours=1))
    assert [o.status for o in outcomes] == ["unreachable"]
    assert (await _delivery(h, f"k-{kind}")).status == "unreachable"
    async with h.app.deps.uow() as uow:
        person = await uow.people.by_telegram_id(paul.id)
    assert person is not None and person.unreachable_since == NOON


# --- ChatMigrated: the group became a supergroup under a message --------------------------


async def test_a_group_post_to_a_migrated_group_moves_the_collective(harness: Harness) -> None:
    h = harness
    h.clock.set(NOON)
    sb = h.sandbox
    owner = sb.add_user("Owner")
    group = sb.create_group("Basic", owner=owner, supergroup=False)
    await h.flush()
    await scene(h).register(owner, group, WOOL)
    collective = await collective_of(h, group)
    outcomes: list[Outcome] = []

    async def post(deps: Deps, ctx: DueContext) -> Later | None:
        found = await ctx.uow.collectives.get(collective.id)
        assert found is not None
        outcome = await Sender(ctx.bot, ctx.uow, ctx.now).send(
            ctx.work.key, found.chat_id, "Le comité a lieu demain."
        )
        outcomes.append(outcome)
        return Later(outcome.retry_at) if outcome.retry_at else None

    h.app.deps.due_kinds["group_post"] = post
    # The group becomes a supergroup; the bot has not seen the service message yet.
    new = sb.migrate_to_supergroup(group)
    async with h.app.deps.uow() as uow:
        await uow.due.schedule(key="post", kind="group_post", due_at=NOON, now=NOON)
    await h.tick()
    await h.tick()
    moved = await collective_of(h, new)
    assert moved.id == collective.id
    assert [o.status for o in outcomes] == ["later", "sent"]
    assert [m.plain for m in sb.bot_messages(new)][-1] == "Le comité a lieu demain."
    await h.flush()  # the service messages arrive afterwards: nothing changes
    assert (await collective_of(h, new)).id == collective.id


# --- hostile texts wherever people type -----------------------------------------------------

INTERNAL = "Un problème est survenu de mon côté"
HOSTILE = {
    "rtl": "\u202eenilèL\u202c Laine \u200f",
    "zero_width": "La\u200bi\u200cne\u200d\ufeff ovine",
    "html": "<b>Laine</b> <a href='https://evil.example'>x</a> </code> & <script>",
    "jinja": "{{ 7*7 }} {% for x in range(3) %}x{% endfor %} {# c #}",
    "long": ("Laine " * 683)[:4096],  # as long as a message can be
}


def _no_markup_from_input(h: Harness, user: SandboxUser) -> None:
    for message in h.sandbox.bot_messages(user):
        assert INTERNAL not in message.plain, message.plain
        assert "evil.example" not in str(message.entities or "")
        assert "49 " not in message.plain  # {{ 7*7 }} never evaluated


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_texts_are_kept_safe_everywhere(harness: Harness, name: str) -> None:
    """A vote's question, a survey's free answer, a collective's name and an amendment: each
    is answered in French, without an error, and never turned into markup or evaluated."""
    h = harness
    hostile = HOSTILE[name]
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    # A vote's question: taken, or refused with a sentence.
    await h.say(claire, None, f"/vote {hostile}"[:4096])
    assert h.last(claire).plain
    # A survey's free text answer, then the summary shows it back.
    await h.press(jeanne, group, "Répondre")
    await h.say(jeanne, None, hostile)
    assert h.last(jeanne).plain
    # Typed where nothing is asked.
    await h.say(jeanne, None, hostile)
    await h.say(jeanne, group, hostile)
    # A collective's name, in the setup of a new group.
    other = h.sandbox.create_group("Autre", owner=claire)
    await h.flush()
    await h.say(claire, other, "/filiere")
    await h.press(claire, other, "Continuer en privé")
    await h.say(claire, None, hostile)
    assert h.last(claire).plain
    for user in (claire, jeanne):
        _no_markup_from_input(h, user)
    for chat in (group, other):
        for message in h.sandbox.bot_messages(chat):
            assert INTERNAL not in message.plain
            assert "evil.example" not in str(message.entities or "")
    if name == "jinja":
        async with h.app.deps.uow() as uow:
            titles = [v.title for v in await uow.session.scalars(select(Vote))]
        assert all("49" not in t for t in titles)


async def test_a_text_of_ten_thousand_characters_is_refused_gently(harness: Harness) -> None:
    """Telegram's clients split long texts; an update carrying 10,000 characters anyway (a
    forged or future client) gets a sentence, not an error."""
    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await h.press(jeanne, group, "Répondre")
    before = len(h.sandbox.bot_messages(jeanne))
    h.sandbox.raw_update(
        {
            "message": {
                "message_id": 999_999,
                "date": int(NOON.timestamp()),
                "chat": {"id": jeanne.id, "type": "private", "first_name": jeanne.first_name},
                "from": {"id": jeanne.id, "is_bot": False, "first_name": jeanne.first_name},
                "text": "Laine " * 1667,
            }
        }
    )
    await h.flush()
    _no_markup_from_input(h, jeanne)
    assert len(h.sandbox.bot_messages(jeanne)) > before  # answered, with a sentence
    async with h.app.deps.uow() as uow:
        states = list(await uow.session.scalars(select(InboxUpdate.state)))
    assert "failed" not in states
