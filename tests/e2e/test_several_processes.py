"""Two `tisserand webhook` processes on one PostgreSQL database, behind a round-robin proxy,
with `tisserand sandbox` as Telegram over HTTP: updates are answered whichever process gets
them, 200 due messages are each sent once, and killing one process mid-way loses none (a
message whose fate the dead process took with it is marked « uncertain », never sent twice)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.sandbox.client import SandboxClient
from storage.db import create_engine, session_factory
from storage.models import Delivery, DueWork, Person
from storage.uow import UnitOfWork
from tests.conftest import BACKEND
from tests.e2e.processes import free_port, start_webhook_bot, stop
from tests.e2e.proxy import RoundRobinProxy

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="several processes: PostgreSQL")

PEOPLE = 200
FIRST = "Rien n'est effacé"  # privacy/kept
SECOND = "vos données sont effacées"  # privacy/forgotten


def _in_thread(coroutine: Any) -> Any:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _schedule(database_url: str, template: str, batch: str) -> None:
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            people = list(await uow.session.scalars(select(Person).order_by(Person.id)))
            now = datetime.now(UTC)
            for person in people:
                await uow.due.schedule(
                    key=f"{batch}:{person.id}",
                    kind="vote_notice",
                    due_at=now,
                    now=now,
                    payload={"person": person.id, "template": template, "params": {}},
                )
    finally:
        await engine.dispose()


async def _states(database_url: str, batch: str) -> tuple[Counter[str], Counter[str]]:
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            work = await uow.session.scalars(select(DueWork).where(DueWork.key.like(f"{batch}:%")))
            deliveries = await uow.session.scalars(
                select(Delivery).where(Delivery.key.like(f"{batch}:%"))
            )
            return Counter(w.status for w in work), Counter(d.status for d in deliveries)
    finally:
        await engine.dispose()


async def _deliveries(database_url: str, batch: str) -> dict[int, str]:
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            rows = await uow.session.scalars(
                select(Delivery).where(Delivery.key.like(f"{batch}:%"))
            )
            return {d.chat_id: d.status for d in rows}
    finally:
        await engine.dispose()


def _received(sandbox_url: str, needle: str) -> Counter[int]:
    messages = httpx.get(f"{sandbox_url}/sandbox/messages", params={"from_bot": 1}, timeout=30)
    return Counter(m["chat_id"] for m in messages.json() if needle in m["plain"])


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_two_webhook_processes_share_the_work_and_survive_a_kill(
    sandbox_url: str, database_url: str, tmp_path: Path
) -> None:
    client = SandboxClient(sandbox_url, timeout=30)
    ports = [free_port(), free_port()]
    with RoundRobinProxy([f"http://127.0.0.1:{p}" for p in ports]) as proxy:
        hook = f"http://127.0.0.1:{proxy.port}/telegram"
        ttl = {"due_claim_ttl": "20"}
        bots = [
            start_webhook_bot(sandbox_url, database_url, tmp_path, port=p, url=hook, **ttl)
            for p in ports
        ]
        try:
            users = [client.add_user(f"Personne{i}")["id"] for i in range(PEOPLE)]
            for user in users:
                client.send(user, "/start")
            _wait(
                lambda: len(_received(sandbox_url, "")) >= PEOPLE,
                90,
                "not everyone was answered",
            )
            assert all(proxy.forwarded), proxy.forwarded  # both processes took updates

            # 200 due messages, both processes running: each sent once.
            _in_thread(_schedule(database_url, "privacy/kept", "first"))
            _wait(lambda: len(_received(sandbox_url, FIRST)) >= PEOPLE, 60, "first batch not sent")
            time.sleep(2)
            got = _received(sandbox_url, FIRST)
            assert set(got) == set(users) and set(got.values()) == {1}
            work, deliveries = _in_thread(_states(database_url, "first"))
            assert work == {"done": PEOPLE} and deliveries == {"sent": PEOPLE}

            # 200 more; one process is killed once a few dozen are out.
            _in_thread(_schedule(database_url, "privacy/forgotten", "second"))
            _wait(lambda: len(_received(sandbox_url, SECOND)) >= 30, 60, "second batch stuck")
            bots[0].send_signal(signal.SIGKILL)
            bots[0].wait(timeout=10)

            def settled() -> bool:
                work, _ = _in_thread(_states(database_url, "second"))
                return work.get("done", 0) == PEOPLE

            _wait(settled, 90, "the surviving process did not finish the batch")
            got = _received(sandbox_url, SECOND)
            work, deliveries = _in_thread(_states(database_url, "second"))
            assert max(got.values()) == 1  # nobody got it twice
            # Nothing lost silently: each message is sent, or marked uncertain because the
            # dead process took its fate with it (Telegram may or may not have it; sending it
            # again could double it).
            by_chat = _in_thread(_deliveries(database_url, "second"))
            assert sorted(by_chat) == sorted(users)
            assert all(by_chat[user] in ("sent", "uncertain") for user in users)
            assert all(user in got for user in users if by_chat[user] == "sent")
            assert deliveries["sent"] + deliveries["uncertain"] == PEOPLE
            print(  # what the kill cost, for the report
                f"after the kill: {len(got)} received, {deliveries['uncertain']} uncertain, "
                f"of which {sum(1 for u in users if by_chat[u] == 'uncertain' and u in got)} "
                f"had arrived; proxy split {proxy.forwarded}"
            )
        finally:
            for bot in bots:
                if bot.poll() is None:
                    err = stop(bot)
                    assert "Traceback" not in err, err
