"""What every repository shares: its session, an INSERT that can skip conflicts, and
statements built once for each kind of database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

# Statements built once per (database kind, name): building an INSERT … ON CONFLICT costs
# more than running it on SQLite; SQLAlchemy then finds its compiled form in its cache.
_BUILT: dict[tuple[str, str], Any] = {}


class Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        bind = self.session.bind
        return bind.dialect.name if bind is not None else "sqlite"

    def _insert(self, table: Any) -> Any:
        """An INSERT that can say ON CONFLICT DO NOTHING on both databases."""
        # Each dialect's module is imported when first used: a bot on SQLite never loads
        # PostgreSQL's (a few MiB, a few dozen milliseconds at start).
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(table)
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)

    def _once(self, name: str, build: Callable[[Callable[[Any], Any]], Any]) -> Any:
        """The statement `build(insert)` makes, built the first time for this database kind
        (`insert` is `_insert`: its ON CONFLICT is the dialect's). Values come as parameters."""
        key = (self.dialect, name)
        stmt = _BUILT.get(key)
        if stmt is None:
            stmt = _BUILT[key] = build(self._insert)
        return stmt
