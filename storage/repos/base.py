"""What every repository shares: its session, and an INSERT that can skip conflicts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


class Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        bind = self.session.bind
        return bind.dialect.name if bind is not None else "sqlite"

    def _insert(self, table: Any) -> Any:
        """An INSERT that can say ON CONFLICT DO NOTHING on both databases."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)
