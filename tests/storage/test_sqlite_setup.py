"""SQLite is set up for a bot: WAL, foreign keys, BEGIN IMMEDIATE, and another process's lock
waited for (up to the busy timeout) without holding up the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite settings")


async def test_pragmas(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        # SQLite itself never waits: it runs on the event loop (see the next tests).
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 0
    await engine.dispose()


NOW = datetime(2026, 11, 26, tzinfo=UTC)


async def _schedule(engine: object, key: str) -> None:
    async with UnitOfWork(session_factory(engine)) as uow:  # type: ignore[arg-type]
        await uow.due.schedule(key=key, kind="test", due_at=NOW, now=NOW)


async def test_another_process_lock_is_waited_for_while_the_loop_goes_on(
    database_url: str,
) -> None:
    engine = create_engine(database_url, sqlite_busy_timeout=10)
    other = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beating = asyncio.create_task(ticker())
    writing = asyncio.create_task(_schedule(engine, "waits"))
    try:
        await asyncio.sleep(0.5)
        assert not writing.done()  # it waits for the other process's lock…
        assert ticks >= 10  # …and the event loop goes on meanwhile
        other.execute("ROLLBACK")
        await asyncio.wait_for(writing, 5)
    finally:
        beating.cancel()
        other.close()
        await engine.dispose()
    async with UnitOfWork(session_factory(create_engine(database_url))) as uow:
        assert await uow.due.by_key("waits") is not None


async def test_a_lock_held_past_the_busy_timeout_is_a_database_error(database_url: str) -> None:
    engine = create_engine(database_url, sqlite_busy_timeout=0.3)
    other = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="locked"):
            await _schedule(engine, "late")
    finally:
        other.execute("ROLLBACK")
        other.close()
        await engine.dispose()


async def test_concurrent_read_then_write_transactions_never_fail(database_url: str) -> None:
    """Two processes' worth of engines read, then write: with BEGIN IMMEDIATE they queue up
    instead of failing with 'database is locked' on the read-to-write upgrade."""
    engines = [create_engine(database_url) for _ in range(2)]
    now = datetime(2026, 11, 26, tzinfo=UTC)

    async def worker(engine_index: int, n: int) -> None:
        async with UnitOfWork(session_factory(engines[engine_index])) as uow:
            await uow.due.candidates(now, now, 10)  # a read first
            await asyncio.sleep(0.01)  # let the other transaction start meanwhile
            await uow.due.schedule(key=f"k{n}", kind="test", due_at=now, now=now)

    await asyncio.gather(*(worker(n % 2, n) for n in range(20)))
    async with UnitOfWork(session_factory(engines[0])) as uow:
        assert len(await uow.due.candidates(now, now, 100)) == 20
    for engine in engines:
        await engine.dispose()
