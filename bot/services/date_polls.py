"""Sondages de date: the animator proposes 2 to 6 slots; members answer Oui, Si besoin or Non
for each, in private; the group sees the table live; the animator picks a slot, which creates
the meeting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import ANIMATORS, READERS
from bot.live import open_live, touch
from bot.services import journal
from bot.services import meetings as meetings_svc
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.texts import format_when
from storage.models import Collective, DatePoll, DatePollAnswer, DatePollSlot, Meeting, Person
from storage.repos.meetings import DatePollRepo
from storage.uow import UnitOfWork

MIN_SLOTS, MAX_SLOTS = 2, 6
POLL_ANSWERS = ("yes", "maybe", "no")
LIVE_KIND = "date_poll"


def repo(uow: UnitOfWork) -> DatePollRepo:
    return uow.repo(DatePollRepo)


def live_key(poll_id: int) -> str:
    return f"datepoll:{poll_id}"


async def find(
    uow: UnitOfWork, poll_id: int, *, missing: str = "stale_button"
) -> tuple[DatePoll, Collective]:
    poll = await repo(uow).get(poll_id)
    collective = await uow.collectives.get(poll.collective_id) if poll is not None else None
    if poll is None or collective is None:
        raise Refusal(missing)
    return poll, collective


async def open_poll(
    uow: UnitOfWork,
    collective: Collective,
    actor: Person,
    draft: meetings_svc.Draft,
    slots: Sequence[datetime],
    now: datetime,
) -> DatePoll:
    """Open the poll and post its live table in the group."""
    await require_role(uow, collective, actor, ANIMATORS)
    starts = sorted(set(slots))
    if not MIN_SLOTS <= len(starts) <= MAX_SLOTS:
        raise Refusal("stale_button")
    if starts[0] <= now:
        raise Refusal(
            "date_past",
            when=format_when(starts[0], collective.timezone, collective.language, now=now),
        )
    poll = DatePoll(
        collective_id=collective.id,
        kind=draft.kind,
        title=draft.title,
        duration_minutes=draft.duration_minutes,
        place=draft.place,
        visio_url=draft.visio_url,
        agenda=list(draft.agenda),
        status="open",
        created_by=actor.id,
        created_at=now,
    )
    r = repo(uow)
    r.add(poll)
    await r.flush()
    for position, start in enumerate(starts, start=1):
        r.add(DatePollSlot(poll_id=poll.id, position=position, starts_at=start))
    await r.flush()
    await journal.record(
        uow,
        collective.id,
        "date_poll_opened",
        now,
        actor_id=actor.id,
        data={"poll_id": poll.id, "title": poll.title, "slots": len(starts)},
    )
    await open_live(
        uow,
        key=live_key(poll.id),
        kind=LIVE_KIND,
        subject_id=poll.id,
        collective=collective,
        now=now,
    )
    return poll


def require_open(poll: DatePoll) -> None:
    if poll.status != "open":
        raise Refusal("poll_closed", title=poll.title)


async def check_can_answer(
    uow: UnitOfWork, poll: DatePoll, collective: Collective, person: Person
) -> None:
    await require_role(uow, collective, person, READERS)
    require_open(poll)


async def answer(
    uow: UnitOfWork,
    poll: DatePoll,
    collective: Collective,
    person: Person,
    slot_id: int,
    value: str,
    now: datetime,
) -> None:
    await check_can_answer(uow, poll, collective, person)
    if value not in POLL_ANSWERS:
        raise Refusal("stale_button")
    slots = {slot.id for slot in await repo(uow).slots(poll.id)}
    if slot_id not in slots:
        raise Refusal("stale_button")
    r = repo(uow)
    found = await r.answer(slot_id, person.id)
    if found is None:
        r.add(DatePollAnswer(slot_id=slot_id, person_id=person.id, answer=value, answered_at=now))
    elif found.answer != value:
        found.answer, found.answered_at = value, now
    await r.flush()
    await touch(uow, live_key(poll.id), now)


async def answered(
    uow: UnitOfWork, poll: DatePoll, collective: Collective, person: Person, now: datetime
) -> None:
    """The person went through every slot: one line in the journal."""
    await journal.record(
        uow,
        collective.id,
        "date_poll_answered",
        now,
        actor_id=person.id,
        data={"poll_id": poll.id, "title": poll.title},
    )


@dataclass(frozen=True)
class SlotLine:
    slot: DatePollSlot
    yes: list[str]  # names
    maybe: list[str]
    no: int

    @property
    def score(self) -> tuple[int, int]:
        return len(self.yes), len(self.maybe)


@dataclass(frozen=True)
class Table:
    poll: DatePoll
    collective: Collective
    lines: list[SlotLine]
    people: int  # how many answered

    @property
    def best(self) -> int | None:
        """The slot with the most Oui (then Si besoin); None before any answer."""
        if not self.people:
            return None
        return max(self.lines, key=lambda line: line.score).slot.id


async def table(uow: UnitOfWork, poll: DatePoll, collective: Collective) -> Table:
    r = repo(uow)
    slots = await r.slots(poll.id)
    answers = await r.answers(poll.id)
    people = await uow.people.many([a.person_id for a in answers])
    lines = []
    for slot in slots:
        mine = [a for a in answers if a.slot_id == slot.id]

        def names(value: str, mine: list[DatePollAnswer] = mine) -> list[str]:
            return [
                people[a.person_id].display_name
                for a in mine
                if a.answer == value and a.person_id in people
            ]

        lines.append(
            SlotLine(slot, names("yes"), names("maybe"), len([a for a in mine if a.answer == "no"]))
        )
    return Table(poll, collective, lines, len({a.person_id for a in answers}))


async def answers_of(uow: UnitOfWork, poll: DatePoll, person: Person) -> dict[int, str]:
    r = repo(uow)
    found: dict[int, str] = {}
    for slot in await r.slots(poll.id):
        mine = await r.answer(slot.id, person.id)
        if mine is not None:
            found[slot.id] = mine.answer
    return found


async def results(uow: UnitOfWork, poll_id: int, actor: Person) -> Table:
    """The table with names, for the animation team."""
    poll, collective = await find(uow, poll_id)
    await require_role(uow, collective, actor, ANIMATORS)
    return await table(uow, poll, collective)


async def choose(
    uow: UnitOfWork, poll_id: int, slot_id: int, actor: Person, now: datetime
) -> tuple[DatePoll, Meeting, Collective]:
    """The animator picks a slot: the poll closes and the meeting is scheduled."""
    poll, collective = await find(uow, poll_id)
    await require_role(uow, collective, actor, ANIMATORS)
    require_open(poll)
    slot = next((s for s in await repo(uow).slots(poll.id) if s.id == slot_id), None)
    if slot is None:
        raise Refusal("stale_button")
    draft = meetings_svc.Draft(
        poll.kind,
        poll.title,
        slot.starts_at,
        poll.duration_minutes,
        poll.place,
        poll.visio_url,
        list(poll.agenda),
    )
    meeting = await meetings_svc.schedule(uow, collective, actor, draft, now, poll_id=poll.id)
    poll.status, poll.chosen_slot_id, poll.closed_at = "closed", slot.id, now
    await journal.record(
        uow,
        collective.id,
        "date_poll_closed",
        now,
        actor_id=actor.id,
        data={
            "poll_id": poll.id,
            "title": poll.title,
            "when": format_when(slot.starts_at, collective.timezone, collective.language, now=now),
        },
    )
    await touch(uow, live_key(poll.id), now, final=True)
    return poll, meeting, collective


async def open_polls(uow: UnitOfWork, collective: Collective, reader: Person) -> list[DatePoll]:
    await require_role(uow, collective, reader, READERS)
    return await repo(uow).open_of(collective.id)
