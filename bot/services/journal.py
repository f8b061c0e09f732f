"""The journal: an append-only log of ids and event kinds; names are resolved when shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.paging import Page, page_of_counted
from storage.models import JournalEntry
from storage.uow import UnitOfWork

PAGE_SIZE = 10


async def record(
    uow: UnitOfWork,
    collective_id: int,
    kind: str,
    now: datetime,
    *,
    actor_id: int | None = None,
    subject_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    await uow.journal.append(
        collective_id, kind, now, actor_id=actor_id, subject_id=subject_id, data=data
    )


@dataclass(frozen=True)
class JournalLine:
    at: datetime
    kind: str
    actor: str | None
    subject: str | None
    data: dict[str, Any]


async def page(uow: UnitOfWork, collective_id: int, number: int) -> Page[JournalLine]:
    """Newest first, PAGE_SIZE lines a page; page numbers start at 0."""
    total = await uow.journal.count(collective_id)
    number = page_of_counted([], number, PAGE_SIZE, total).number
    entries = await uow.journal.page(collective_id, offset=number * PAGE_SIZE, limit=PAGE_SIZE)
    return page_of_counted(await lines_of(uow, entries), number, PAGE_SIZE, total)


async def lines_of(uow: UnitOfWork, entries: Sequence[JournalEntry]) -> list[JournalLine]:
    """Entries as lines to read: the people they concern by name (one statement)."""
    ids = [i for e in entries for i in (e.actor_id, e.subject_id) if i is not None]
    people = await uow.people.many(ids)

    def name(person_id: int | None) -> str | None:
        person = people.get(person_id) if person_id is not None else None
        return person.display_name if person is not None else None

    return [
        JournalLine(e.at, e.kind, name(e.actor_id), name(e.subject_id), dict(e.data))
        for e in entries
    ]
