"""The journal read a page at a time with a filter: some kinds (exact or by prefix), since a
moment. Ids only, like the journal itself: names are resolved on display."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from storage.models import JournalEntry
from storage.repos.base import Repo


class JournalFilterRepo(Repo):
    def _where(
        self,
        collective_id: int,
        kinds: Sequence[str] | None,
        prefixes: Sequence[str],
        since: datetime | None,
    ) -> list[Any]:
        conditions: list[Any] = [JournalEntry.collective_id == collective_id]
        if kinds is not None:
            matches: list[Any] = [JournalEntry.kind.in_(list(kinds))]
            matches += [JournalEntry.kind.startswith(p, autoescape=True) for p in prefixes]
            conditions.append(or_(*matches))
        if since is not None:
            conditions.append(JournalEntry.at >= since)
        return conditions

    async def page(
        self,
        collective_id: int,
        kinds: Sequence[str] | None,
        prefixes: Sequence[str],
        since: datetime | None,
        *,
        offset: int,
        limit: int,
    ) -> list[JournalEntry]:
        rows = await self.session.scalars(
            select(JournalEntry)
            .where(*self._where(collective_id, kinds, prefixes, since))
            .order_by(JournalEntry.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(rows)

    async def count(
        self,
        collective_id: int,
        kinds: Sequence[str] | None,
        prefixes: Sequence[str],
        since: datetime | None,
    ) -> int:
        found = await self.session.scalar(
            select(func.count(JournalEntry.id)).where(
                *self._where(collective_id, kinds, prefixes, since)
            )
        )
        return int(found or 0)
