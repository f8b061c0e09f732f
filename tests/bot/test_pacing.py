"""Telegram's pace, kept by the bot's own sender (`bot.pacing`) against a sandbox that enforces
the limits by sliding windows: no 429 even when requests take unequal times to arrive."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from bot.app import build_application
from bot.config import Settings
from bot.pacing import Pacing
from bot.sandbox.core import Sandbox
from bot.sandbox.transport import SandboxRequest


class SlowFirst(SandboxRequest):
    """Messages that reach "Telegram" late at first, then at once: as on a real network,
    where a request is counted when it arrives, not when it leaves."""

    def __init__(self, sandbox: Sandbox, late: int, delay: float) -> None:
        super().__init__(sandbox)
        self.late, self.delay = late, delay

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        if url.endswith("/sendMessage") and self.late > 0:
            self.late -= 1
            await asyncio.sleep(self.delay)
        return await super().do_request(url, method, *args, **kwargs)


async def test_a_burst_to_many_chats_keeps_the_overall_window_with_no_429(
    settings: Settings,
) -> None:
    sb = Sandbox(rate_limits=True)  # real time: the windows are Telegram's, in seconds
    people = [sb.add_user(f"Acteur{i}") for i in range(32)]
    for person in people:
        person.started = True
    app = build_application(settings, SlowFirst(sb, late=30, delay=0.2), rate_limiter=Pacing())
    await app.initialize()
    try:
        await asyncio.gather(*(app.bot.send_message(p.id, "Rappel") for p in people))
    finally:
        await app.shutdown()
        await app.deps.engine.dispose()
    assert sb.api.limiter is not None and sb.api.limiter.rate_limited == 0
    assert all(len(sb.world.bot_messages(p.id)) == 1 for p in people)


async def test_a_group_gets_twenty_messages_a_minute_and_no_429(settings: Settings) -> None:
    """The per-group window: 20 go at once, the next waits (it is not sent early)."""
    sb = Sandbox(rate_limits=True)
    owner = sb.add_user("Claire")
    group = sb.create_group("Filière laine", owner=owner)
    app = build_application(settings, SandboxRequest(sb), rate_limiter=Pacing())
    await app.initialize()
    try:
        sends = [asyncio.create_task(app.bot.send_message(group.id, "Bonjour")) for _ in range(21)]
        # Twenty leave, one every 1/30 s; the 21st waits for the minute (an order, not a
        # duration: a slow machine only takes longer to send the twenty).
        done: set[asyncio.Task[Any]] = set()
        waiting: set[asyncio.Task[Any]] = set(sends)
        while len(done) < 20:
            more, waiting = await asyncio.wait(waiting, timeout=10, return_when="FIRST_COMPLETED")
            assert more, "a message of the first twenty did not leave"
            done |= more
        await asyncio.sleep(0.2)
        assert len(done) == 20 and len(waiting) == 1 and not any(t.done() for t in waiting)
        for task in waiting:
            task.cancel()
    finally:
        await app.shutdown()
        await app.deps.engine.dispose()
    assert sb.api.limiter is not None and sb.api.limiter.rate_limited == 0


async def test_the_senders_messages_leave_evenly_not_in_bursts() -> None:
    # Places for all six at once, but one leaves every 1/30 s: never 30 « sending » marks at
    # once for a killed process to take with it.
    pacing = Pacing()
    left: list[float] = []

    async def one(chat: int) -> None:
        await pacing.reserve(chat)
        left.append(time.monotonic())
        pacing.release()

    await asyncio.gather(*(one(1000 + i) for i in range(6)))
    gaps = [later - earlier for earlier, later in itertools.pairwise(left)]
    assert min(gaps) >= 1 / 30 - 0.002, gaps
