"""Several processes on one PostgreSQL database: due rows claimed `FOR UPDATE SKIP LOCKED`,
bulk sending by the one process holding the advisory-lock lease (another takes over when it
goes), one chat's updates handled one at a time across processes. SQLite has one process."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import Deps
from bot.config import Settings
from bot.due import DueContext
from bot.lease import Lease
from bot.sandbox.harness import Harness
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL only")

NOON = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


async def test_one_lease_holder_and_another_takes_over(database_url: str) -> None:
    first_engine, second_engine = create_engine(database_url), create_engine(database_url)
    first, second = Lease(first_engine), Lease(second_engine)
    try:
        assert await first.held()
        assert not await second.held()
        assert await first.held()  # still (its connection is alive)
        # The holder dies: the server drops its connection, and with it the lock.
        assert first._connection is not None
        await first._drop()  # its connection closed, as when the process dies
        await asyncio.sleep(0.1)
        assert await second.held()
        assert not await Lease(first_engine).held()
    finally:
        await second.release()
        await first_engine.dispose()
        await second_engine.dispose()


async def test_claims_at_once_take_different_rows_without_waiting(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with UnitOfWork(sessions) as uow:
            for i in range(10):
                await uow.due.schedule(key=f"k{i}", kind="test", due_at=NOON, now=NOON)
        stale = NOON - timedelta(minutes=10)
        holding = UnitOfWork(sessions)
        async with holding:
            # A claims five rows and has not committed: their rows stay locked.
            mine = await holding.due.claim_batch(NOON, stale, "A", 5)
            assert len(mine) == 5

            async def other() -> list[str]:
                async with UnitOfWork(sessions) as uow:
                    return [r["key"] for r in await uow.due.claim_batch(NOON, stale, "B", 10)]

            # B neither waits for A's commit nor takes A's rows.
            theirs = await asyncio.wait_for(other(), timeout=5)
        assert sorted(theirs) == sorted(set(f"k{i}" for i in range(10)) - {r["key"] for r in mine})
    finally:
        await engine.dispose()


async def test_bulk_kinds_run_only_in_the_lease_holder(settings: Settings) -> None:
    elsewhere_engine = create_engine(settings.database_url)
    elsewhere = Lease(elsewhere_engine)
    assert await elsewhere.held()  # another process sends in bulk
    runs: list[str] = []

    async def run(deps: Deps, ctx: DueContext) -> None:
        runs.append(ctx.work.key)

    try:
        async with Harness(settings, migrate=False) as h:
            h.clock.set(NOON)
            h.app.deps.due_kinds.update(bulk=run, single=run)
            h.app.deps.mass_kinds.add("bulk")
            async with h.app.deps.uow() as uow:
                await uow.due.schedule(key="b", kind="bulk", due_at=NOON, now=NOON)
                await uow.due.schedule(key="s", kind="single", due_at=NOON, now=NOON)
            await h.tick()
            assert runs == ["s"]
            await elsewhere.release()  # that process stopped
            await h.tick()
            assert runs == ["s", "b"]
    finally:
        await elsewhere.release()
        await elsewhere_engine.dispose()


async def test_one_chats_updates_wait_for_each_other_across_processes(
    settings: Settings,
) -> None:
    """Process A handles an update of a chat; process B's update of the same chat waits for
    A's transaction, then finds it done; another chat does not wait."""
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    try:
        async with UnitOfWork(sessions) as uow:
            await uow.inbox.store(1, [(10, 500, {"update_id": 10})], NOON)
        a = UnitOfWork(sessions)
        async with a:
            await a.inbox.lock_chat(500)

            async def b(chat: int) -> bool:
                async with UnitOfWork(sessions) as uow:
                    await uow.inbox.lock_chat(chat)
                    return await uow.inbox.handled_elsewhere(1, 10)

            assert await asyncio.wait_for(b(501), timeout=5) is False
            waiting = asyncio.create_task(b(500))
            await asyncio.sleep(0.3)
            assert not waiting.done()  # same chat: B waits for A
            await a.inbox.finish(1, 10, NOON)
        assert await asyncio.wait_for(waiting, timeout=5) is True
    finally:
        await engine.dispose()


async def test_an_update_left_by_a_dead_process_is_handled_by_another(
    harness: Harness,
) -> None:
    """Process A stored an update (Telegram had its 200), then died: process B's periodic pass
    handles it once it has waited a minute, not before (A may only be slow)."""
    h = harness
    h.app.deps.shared_inbox = True  # as `tisserand webhook` on PostgreSQL
    paul = h.sandbox.add_user("Paul")
    h.sandbox.send_text(paul, None, "/aide")
    assert len(await h.fetch()) == 1  # in the shared inbox; nobody handles it
    assert await h.app.handle_orphans() == 0
    assert not h.sandbox.bot_messages(paul)
    h.clock.advance(timedelta(minutes=2))
    assert await h.app.handle_orphans() == 1
    assert "Ce que je peux faire" in h.last(paul).plain
    assert await h.app.handle_orphans() == 0


async def test_an_older_update_of_the_chat_stored_elsewhere_is_handled_first(
    harness: Harness,
) -> None:
    """Telegram sent a chat's two updates to two processes at once: the one that gets the
    later one handles the earlier one first; the other then finds it done."""
    h = harness
    h.app.deps.shared_inbox = True
    paul = h.sandbox.add_user("Paul")
    h.sandbox.send_text(paul, None, "/aide")
    h.sandbox.send_text(paul, None, "/mes_donnees")
    first, second = await h.fetch()  # both stored; the first is « in the other process »
    await h.app.process_update(second)
    texts = h.bot_texts(paul)
    assert len(texts) >= 2 and "Ce que je peux faire" in texts[0]
    assert any("Vos données" in t for t in texts[1:])
    await h.app.process_update(first)  # the other process, late: nothing more
    assert h.bot_texts(paul) == texts
