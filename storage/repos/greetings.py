"""Queries about greeting the people who arrive in a collective's group."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult

from storage.models import Greeting
from storage.repos.base import Repo


class GreetingRepo(Repo):
    async def arrive(
        self, collective_id: int, telegram_id: int, first_name: str, now: datetime
    ) -> bool:
        """Note an arrival; False when this person arrived (and was greeted) before."""
        stmt = (
            self._insert(Greeting)
            .values(
                collective_id=collective_id,
                telegram_id=telegram_id,
                first_name=first_name[:200],
                arrived_at=now,
            )
            .on_conflict_do_nothing(index_elements=["collective_id", "telegram_id"])
        )
        result = cast(CursorResult[Any], await self.session.execute(stmt))
        return bool(result.rowcount)

    async def pending(self, collective_id: int) -> list[Greeting]:
        """Arrivals not greeted yet, in the order they came."""
        rows = await self.session.scalars(
            select(Greeting)
            .where(Greeting.collective_id == collective_id, Greeting.greeted_at.is_(None))
            .order_by(Greeting.arrived_at, Greeting.id)
        )
        return list(rows)

    async def last_greeted(self, collective_id: int) -> datetime | None:
        return await self.session.scalar(
            select(func.max(Greeting.greeted_at)).where(Greeting.collective_id == collective_id)
        )

    async def mark_greeted(self, ids: Sequence[int], now: datetime) -> None:
        """Greeted (or no longer to greet): the name is not needed any more."""
        if ids:
            await self.session.execute(
                update(Greeting)
                .where(Greeting.id.in_(list(ids)))
                .values(greeted_at=now, first_name=None)
            )
