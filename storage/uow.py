"""The unit of work: one session, one transaction at a time, the repositories on top of it.

The transaction begins with the first statement (SQLAlchemy's autobegin), not when the unit
is entered, and `checkpoint()` ends it early. The bot never talks to Telegram while a
transaction is open (on SQLite that would hold the write lock): `network_ok()` says whether
the current task has one open, and the bot's HTTP layer checks it.
"""

from __future__ import annotations

import contextvars
from types import TracebackType
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repos import (
    CollectiveRepo,
    ConversationRepo,
    DeliveryRepo,
    DueRepo,
    InboxRepo,
    JournalRepo,
    LiveRepo,
    MembershipRepo,
    PersonRepo,
    Repo,
)

R = TypeVar("R", bound=Repo)

# The units of work entered in the current task (innermost last).
_open: contextvars.ContextVar[tuple[UnitOfWork, ...]] = contextvars.ContextVar(
    "tisserand_open_units", default=()
)


def network_ok() -> bool:
    """False while a unit of work of this task holds an open transaction."""
    return not any(unit.in_transaction() for unit in _open.get())


class UnitOfWork:
    """Commits on a clean exit, rolls back on an exception or when marked failed."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.failed = False
        self._repos: dict[type[Repo], Repo] = {}
        self._token: contextvars.Token[tuple[UnitOfWork, ...]] | None = None

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        s = self.session
        self.inbox = InboxRepo(s)
        self.due = DueRepo(s)
        self.deliveries = DeliveryRepo(s)
        self.people = PersonRepo(s)
        self.collectives = CollectiveRepo(s)
        self.memberships = MembershipRepo(s)
        self.conversations = ConversationRepo(s)
        self.journal = JournalRepo(s)
        self.live = LiveRepo(s)
        self._token = _open.set((*_open.get(), self))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and not self.failed:
                await self.session.commit()
            else:
                await self.session.rollback()
                self._forget()
        finally:
            try:
                await self.session.close()
            finally:
                if self._token is not None:
                    _open.reset(self._token)
                    self._token = None

    def repo(self, cls: type[R]) -> R:
        """A feature's repository on this unit's session."""
        found = self._repos.get(cls)
        if found is None:
            found = self._repos[cls] = cls(self.session)
        return found  # type: ignore[return-value]

    def in_transaction(self) -> bool:
        return self.session.in_transaction()

    async def commit(self) -> None:
        """Commit what is done so far; the next statement opens a new transaction."""
        await self.session.commit()

    async def checkpoint(self) -> None:
        """End the open transaction, if any, keeping its work: before a network call."""
        if self.session.in_transaction():
            await self.session.commit()

    async def rollback(self) -> None:
        """Undo the open transaction. Loaded objects are expired: do not read them after."""
        await self.session.rollback()
        self._forget()

    def _forget(self) -> None:
        """What the repositories remember of this transaction is void after a rollback."""
        for repo in (self.people, self.memberships, self.conversations):
            repo.forget()

    def fail(self) -> None:
        self.failed = True
