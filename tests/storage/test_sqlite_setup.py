"""SQLite is set up for a bot: WAL, foreign keys, busy timeout, and BEGIN IMMEDIATE."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite settings")


async def test_pragmas(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000
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
