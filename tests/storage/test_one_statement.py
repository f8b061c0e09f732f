"""A unit of work of one statement (the inbox's write of a batch): on PostgreSQL it runs
without BEGIN and COMMIT, two round trips saved on every batch of updates; on SQLite it is an
ordinary transaction, which takes the write lock up front."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, text

from bot.sandbox.harness import Harness
from storage.db import create_engine, one_statement_factory, session_factory
from storage.uow import UnitOfWork
from tests.conftest import BACKEND


async def _transaction_starts(url: str, *, one_statement: bool) -> list[object]:
    """`now()` is when the transaction began: the same for two statements of one transaction."""
    engine = create_engine(url)
    sessions = one_statement_factory(engine) if one_statement else session_factory(engine)
    try:
        async with UnitOfWork(sessions) as uow:
            first = (await uow.session.execute(text("SELECT now()"))).scalar()
            await asyncio.sleep(0.01)
            second = (await uow.session.execute(text("SELECT now()"))).scalar()
        return [first, second]
    finally:
        await engine.dispose()


@pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL's round trips")
async def test_a_one_statement_unit_opens_no_transaction_on_postgresql(database_url: str) -> None:
    first, second = await _transaction_starts(database_url, one_statement=True)
    assert first != second  # each statement was its own transaction: no BEGIN was sent
    first, second = await _transaction_starts(database_url, one_statement=False)
    assert first == second  # an ordinary unit is one transaction


async def test_the_inbox_writes_each_batch_in_a_one_statement_unit(harness: Harness) -> None:
    levels: list[object] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO INBOX"):
            levels.append(conn.get_execution_options().get("isolation_level"))

    event.listen(harness.app.deps.engine.sync_engine, "before_cursor_execute", seen)
    jeanne = harness.sandbox.add_user("Jeanne")
    await harness.say(jeanne, None, "/aide")
    # On PostgreSQL, outside any transaction; on SQLite, the usual one (BEGIN IMMEDIATE).
    assert levels == ["AUTOCOMMIT" if BACKEND == "postgresql" else None]
    assert harness.bot_texts(jeanne)  # stored, then handled and answered


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's write lock")
async def test_a_one_statement_unit_is_an_ordinary_transaction_on_sqlite(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(one_statement_factory(engine)) as uow:
            await uow.session.execute(text("SELECT 1"))
            # BEGIN IMMEDIATE: the write lock is held from the first statement.
            assert uow.in_transaction()
            assert uow.session.get_bind() is engine.sync_engine
    finally:
        await engine.dispose()
