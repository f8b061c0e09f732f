"""SQLite on the event loop's own thread: no thread hand-off, and waits for other processes'
locks that never block the loop.

SQLAlchemy's aiosqlite adapter crosses to the driver's thread four times per statement (make a
cursor, execute, fetch, close) and once more to begin and to commit. Profiled, the bot spent
about half its time waiting for those wake-ups, and under concurrent updates the driver's
thread queued for the GIL behind the loop (up to the 5 ms switch interval per statement).
A statement on a local SQLite file takes microseconds: it runs here, in place.

The one thing SQLite may wait for is another process's write lock. This connection never
waits inside SQLite (its busy timeout is 0); `BEGIN IMMEDIATE`, sent with the first statement
of a transaction, is retried with `asyncio.sleep` until the configured busy timeout, so the
loop keeps serving other chats meanwhile. Inside the process, transactions queue on the
engine's single pooled connection (see `storage.db.create_engine`), in order.

The URL stays `sqlite+aiosqlite://`: SQLAlchemy's aiosqlite dialect (its SQL, its types) with
this adapter as its DBAPI module.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.engine.interfaces import AdaptedConnection
from sqlalchemy.util import await_

_FIRST_WAIT = 0.001
_LONGEST_WAIT = 0.05


async def _nothing() -> None:
    """Awaited once per statement: SQLAlchemy's async connections check that the driver
    awaited something (a greenlet switch, microseconds; no loop iteration)."""


def _busy(error: sqlite3.OperationalError) -> bool:
    message = str(error).lower()
    return "locked" in message or "busy" in message


class Cursor:
    """A DBAPI cursor whose rows are fetched as the statement runs."""

    server_side = False

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: collections.deque[Any] = collections.deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def execute(self, operation: Any, parameters: Any = None) -> Cursor:
        raw = self._connection.prepare()
        cursor = raw.cursor()
        try:
            if parameters is None:
                cursor.execute(operation)
            else:
                cursor.execute(operation, parameters)
            self.description = cursor.description
            self._rows = collections.deque(cursor.fetchall() if self.description else ())
            self.rowcount, self.lastrowid = cursor.rowcount, cursor.lastrowid
        finally:
            cursor.close()
        await_(_nothing())
        return self

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Cursor:
        raw = self._connection.prepare()
        cursor = raw.cursor()
        try:
            cursor.executemany(operation, seq_of_parameters)
            self.description = None
            self._rows = collections.deque()
            self.rowcount, self.lastrowid = cursor.rowcount, cursor.lastrowid
        finally:
            cursor.close()
        await_(_nothing())
        return self

    def setinputsizes(self, *sizes: Any) -> None:
        """Not used by SQLite."""

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """SQLAlchemy's async results call it; the rows are here already."""

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> list[Any]:
        found = list(self._rows)
        self._rows.clear()
        return found

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()


class Connection(AdaptedConnection):
    """A sqlite3 connection used from the event loop. Transactions begin lazily: the
    "begin" event marks one pending and the next statement sends `BEGIN IMMEDIATE` first."""

    __slots__ = ("_begin_pending", "_in_transaction", "_raw", "busy_timeout", "dbapi")

    def __init__(self, dbapi: Any, connection: sqlite3.Connection, busy_timeout: float) -> None:
        self.dbapi = dbapi
        self._raw = connection
        # What SQLAlchemy hands out as the "driver connection".
        self._connection = connection  # type: ignore[assignment]
        self._begin_pending = False
        self._in_transaction = False
        self.busy_timeout = busy_timeout

    # --- transactions

    def begin_immediate(self) -> None:
        """Called by the engine's "begin" event."""
        self._begin_pending = True

    def prepare(self) -> sqlite3.Connection:
        """The raw connection, with the pending transaction begun."""
        if self._begin_pending:
            self._begin_pending = False
            self._begin()
        return self._raw

    def _begin(self) -> None:
        deadline = time.monotonic() + self.busy_timeout
        wait = _FIRST_WAIT
        while True:
            try:
                self._raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                if not _busy(error) or time.monotonic() + wait > deadline:
                    raise
                # Another process writes: wait for it without holding up the loop.
                await_(asyncio.sleep(wait))
                wait = min(wait * 2, _LONGEST_WAIT)
            else:
                self._in_transaction = True
                return

    def commit(self) -> None:
        self._begin_pending = False
        if self._in_transaction:
            self._in_transaction = False
            self._raw.commit()

    def rollback(self) -> None:
        self._begin_pending = False
        if self._in_transaction:
            self._in_transaction = False
            self._raw.rollback()

    # --- the rest of a DBAPI connection

    def cursor(self, server_side: bool = False) -> Cursor:
        return Cursor(self)

    def execute(self, operation: Any, parameters: Any = None) -> Cursor:
        return self.cursor().execute(operation, parameters)

    @property
    def isolation_level(self) -> str | None:
        return self._raw.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._raw.isolation_level = value

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._raw.create_function(*args, **kwargs)

    def close(self) -> None:
        self._raw.close()

    def terminate(self) -> None:
        self._raw.close()


class DBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite dialect's DBAPI module (sqlite3's errors and types), connecting here."""

    def connect(self, *args: Any, **kwargs: Any) -> Connection:  # type: ignore[override]
        kwargs.pop("async_creator_fn", None)
        timeout = float(kwargs.pop("timeout", 5.0))
        kwargs.setdefault("isolation_level", None)
        # Used from one thread at a time, but the pool may close it from another.
        kwargs["check_same_thread"] = False
        connect: Any = sqlite3.connect
        raw = connect(*args, timeout=timeout, **kwargs)
        return Connection(self, raw, timeout)


def dbapi() -> DBAPI:
    import aiosqlite

    return DBAPI(aiosqlite, sqlite3)
