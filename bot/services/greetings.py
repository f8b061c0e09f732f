"""Greeting the people who arrive in a collective's Telegram group: once each, never a bot nor
someone who was a member before, at most one greeting a minute (the others who arrive in
that minute are greeted together, a little later, through due work)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import due
from bot.domain import CollectiveStatus
from storage.models import Collective
from storage.repos.greetings import GreetingRepo
from storage.uow import UnitOfWork

GREET = "greet"
GAP = timedelta(minutes=1)


@dataclass(frozen=True)
class Arrival:
    telegram_id: int
    first_name: str
    is_bot: bool = False


def greets(collective: Collective) -> bool:
    return collective.status == CollectiveStatus.ACTIVE and bool(collective.greet_newcomers)


async def arrived(
    uow: UnitOfWork, collective: Collective, people: Sequence[Arrival], now: datetime
) -> list[str]:
    """Note who arrived. The first names to greet now (several arrivals, one greeting), or
    an empty list: nobody new, or a greeting went out less than a minute ago (then the
    newcomers wait for the next one, scheduled)."""
    if not greets(collective):
        return []
    repo = uow.repo(GreetingRepo)
    for arrival in people:
        if arrival.is_bot or await _was_member(uow, collective, arrival.telegram_id):
            continue
        await repo.arrive(collective.id, arrival.telegram_id, arrival.first_name, now)
    pending = await repo.pending(collective.id)
    if not pending:
        return []
    last = await repo.last_greeted(collective.id)
    if last is not None and now - last < GAP:
        await due.schedule(
            uow,
            key=f"{GREET}:{collective.id}:{int(last.timestamp())}",
            kind=GREET,
            due_at=last + GAP,
            now=now,
            collective_id=collective.id,
        )
        return []
    return await _take(uow, collective, now)


@dataclass(frozen=True)
class Waiting:
    ids: list[int]  # the rows to mark greeted once the greeting is out
    names: list[str]  # first names to greet (someone who joined the collective meanwhile: none)


async def waiting(uow: UnitOfWork, collective: Collective) -> Waiting:
    """Who a scheduled greeting names; mark them with `greeted` once it is sent."""
    if not greets(collective):
        # Switched off (or closed) meanwhile: nobody is left waiting.
        pending = await uow.repo(GreetingRepo).pending(collective.id)
        return Waiting([g.id for g in pending], [])
    repo = uow.repo(GreetingRepo)
    names: list[str] = []
    pending = await repo.pending(collective.id)
    for greeting in pending:
        if greeting.first_name and not await _was_member(uow, collective, greeting.telegram_id):
            names.append(greeting.first_name)
    return Waiting([g.id for g in pending], names)


async def greeted(uow: UnitOfWork, ids: Sequence[int], now: datetime) -> None:
    await uow.repo(GreetingRepo).mark_greeted(ids, now)


async def _take(uow: UnitOfWork, collective: Collective, now: datetime) -> list[str]:
    found = await waiting(uow, collective)
    await greeted(uow, found.ids, now)
    return found.names


async def _was_member(uow: UnitOfWork, collective: Collective, telegram_id: int) -> bool:
    person = await uow.people.by_telegram_id(telegram_id)
    return person is not None and await uow.memberships.get(collective.id, person.id) is not None
