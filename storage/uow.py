"""The unit of work: one session, one transaction, the repositories on top of it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repos import (
    CollectiveRepo,
    DeliveryRepo,
    DueRepo,
    JournalRepo,
    MembershipRepo,
    PendingInputRepo,
    PersonRepo,
    UpdateRepo,
)


class UnitOfWork:
    """Commits on a clean exit, rolls back on an exception or when marked failed."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.failed = False

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        s = self.session
        self.updates = UpdateRepo(s)
        self.due = DueRepo(s)
        self.deliveries = DeliveryRepo(s)
        self.people = PersonRepo(s)
        self.collectives = CollectiveRepo(s)
        self.memberships = MembershipRepo(s)
        self.pending = PendingInputRepo(s)
        self.journal = JournalRepo(s)
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
        finally:
            await self.session.close()

    async def commit(self) -> None:
        """Commit what is done so far; the next statement opens a new transaction."""
        await self.session.commit()

    def fail(self) -> None:
        self.failed = True
