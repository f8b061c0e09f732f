"""One process at a time sends in bulk (reminders, results, digests), so Telegram's overall
limit of about 30 messages a second holds however many processes serve the bot.

On PostgreSQL the process that holds a session-level advisory lock, on a connection of its own
kept for that, is the one: the server releases the lock when the process dies or its
connection drops, and another process takes it at its next pass. On SQLite there is one
process (its write lock would serialise several anyway): it always holds the lease.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# The advisory locks' first key, « Tiss » in ASCII; the second tells the lock apart.
NAMESPACE = 0x54697373
MASS_SENDING = 1


class Lease:
    """A PostgreSQL session-level advisory lock held on a dedicated connection."""

    def __init__(self, engine: AsyncEngine, key: int = MASS_SENDING) -> None:
        self.engine = engine
        self.key = key
        self._connection: AsyncConnection | None = None

    @property
    def shared(self) -> bool:
        """Several processes may share this database."""
        return self.engine.dialect.name == "postgresql"

    async def held(self) -> bool:
        """Whether this process holds the lease now; takes it if it is free."""
        if not self.shared:
            return True
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT 1"))
                await self._connection.commit()
                return True
            except Exception as exc:  # the connection dropped: so did the lock
                log.warning("bulk-sending lease lost: %s", type(exc).__name__)
                await self._drop()
        connection = await self.engine.connect()
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:ns, :key)"), {"ns": NAMESPACE, "key": self.key}
            )
            # The lock outlives the transaction: no transaction stays open on it.
            await connection.commit()
        except BaseException:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        log.info("this process now sends in bulk (lease %d)", self.key)
        self._connection = connection
        return True

    async def release(self) -> None:
        if self._connection is None:
            return
        with contextlib.suppress(Exception):
            await self._connection.execute(
                text("SELECT pg_advisory_unlock(:ns, :key)"), {"ns": NAMESPACE, "key": self.key}
            )
            await self._connection.commit()
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()
