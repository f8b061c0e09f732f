"""Faults that need real processes: a SIGKILL while an update is handled, a database locked
from outside, two processes polling with one token, a database missing at start."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.sandbox.client import SandboxClient
from tests.e2e.processes import open_collective, start_bot, stop
from tests.e2e.test_cli import one_line, tisserand


def test_a_sigkill_while_an_update_is_handled_loses_nothing(
    sandbox_url: str, database_url: str, tmp_path: Path
) -> None:
    client = SandboxClient(sandbox_url)
    bot = start_bot(sandbox_url, database_url, tmp_path)
    try:
        group, _claire, paul = open_collective(client)
        client.send(paul, "/rejoindre", chat_id=group)
        client.wait_for(group, "pour rejoindre", timeout=30)
        # The membership check hangs: the join is stored and acknowledged, not yet handled.
        client.fail("getChatMember", "timeout", times=1)
        client.press(paul, "Rejoindre en privé", chat_id=group)
        deadline = time.monotonic() + 20
        while not any(name == "getChatMember" for name, _ in client.calls()[-5:]):
            assert time.monotonic() < deadline, "the bot never checked the group"
            time.sleep(0.05)
        time.sleep(0.3)  # the next poll has acknowledged the update to Telegram
        bot.send_signal(signal.SIGKILL)
        bot.wait(timeout=10)
        assert not [m for m in client.messages(paul) if "Quelle organisation" in m["plain"]]
        bot = start_bot(sandbox_url, database_url, tmp_path)
        client.wait_for(paul, "Quelle organisation représentez-vous", timeout=30)
        time.sleep(1)
        asked = [m for m in client.messages(paul) if "Quelle organisation" in m["plain"]]
        assert len(asked) == 1
    finally:
        stop(bot)


@contextlib.contextmanager
def _write_lock(database_url: str) -> Iterator[None]:
    """Another process's write lock on the database, held until the block ends."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database or "", isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    import asyncpg

    release = threading.Event()
    locked = threading.Event()

    async def hold() -> None:
        conn = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username, database=url.database
        )
        try:
            async with conn.transaction():
                await conn.execute("LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE")
                locked.set()
                await asyncio.to_thread(release.wait)
        finally:
            await conn.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(asyncio.run, hold())
        assert locked.wait(10)
        try:
            yield
        finally:
            release.set()
            future.result(timeout=10)


def test_a_database_locked_from_outside_never_makes_the_bot_deaf(
    sandbox_url: str, database_url: str, tmp_path: Path
) -> None:
    client = SandboxClient(sandbox_url)
    paul = client.add_user("Paul")["id"]
    bot = start_bot(sandbox_url, database_url, tmp_path, sqlite_busy_timeout="0.5")
    try:
        client.send(paul, "/aide")
        client.wait_for(paul, "Ce que je peux faire", timeout=30)
        with _write_lock(database_url):
            client.send(paul, "/moi")
            time.sleep(3)  # several attempts meet the lock
        client.wait_for(paul, "aucun collectif", timeout=30)
        client.send(paul, "/aide")
        deadline = time.monotonic() + 30
        while len([m for m in client.messages(paul) if "Ce que je peux faire" in m["plain"]]) < 2:
            assert time.monotonic() < deadline, "the bot went deaf after the lock"
            time.sleep(0.1)
    finally:
        err = stop(bot)
    assert "Traceback" not in err


def test_a_second_process_on_the_same_token_gives_way_to_the_first(
    sandbox_url: str, database_url: str, tmp_path: Path
) -> None:
    client = SandboxClient(sandbox_url)
    paul = client.add_user("Paul")["id"]
    first = start_bot(sandbox_url, database_url, tmp_path, conflict_grace="2")
    second = None
    try:
        client.send(paul, "/aide")
        client.wait_for(paul, "Ce que je peux faire", timeout=30)
        time.sleep(2.5)  # the first has been polling longer than its grace
        second = start_bot(sandbox_url, database_url, tmp_path, conflict_grace="2")
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert err.strip().splitlines()[-1].startswith("tisserand: Un autre processus")
        assert first.poll() is None  # the first keeps running, and answering
        client.send(paul, "/aide")
        deadline = time.monotonic() + 30
        while len([m for m in client.messages(paul) if "Ce que je peux faire" in m["plain"]]) < 2:
            assert time.monotonic() < deadline, "the first process stopped answering"
            time.sleep(0.1)
    finally:
        if second is not None and second.poll() is None:
            second.kill()
        stop(first)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:////nowhere/at/all/tisserand.db", "le dossier de la base SQLite"),
        ("postgresql+asyncpg://postgres:secret@127.0.0.1:1/test", "impossible de joindre la base"),
    ],
)
def test_a_database_that_cannot_be_reached_at_start_is_one_line(
    tmp_path: Path, url: str, expected: str
) -> None:
    result = tisserand(
        "run",
        env={"TISSERAND_TOKEN": "123456:" + "S" * 35, "TISSERAND_DATABASE_URL": url},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    line = one_line(result)
    assert expected in line and "secret" not in line
