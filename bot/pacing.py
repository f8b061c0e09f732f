"""Sending at Telegram's pace, chat by chat.

Telegram allows a bot about 30 messages a second overall, 20 a minute in one group and one a
second in one private chat, and answers 429 (`retry_after`) beyond. PTB's `AIORateLimiter`
is a leaky bucket that lets bursts through that those windows refuse, and on a 429 it pauses
every request of the bot. This limiter keeps strict sliding windows instead, and a 429 pauses
only the chat it came from: a throttled group delays itself and nobody else.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# Methods that put a message in a chat (edits spend a group's budget too).
PACED = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendMediaGroup",
        "sendAudio",
        "sendVoice",
        "sendVideo",
        "sendAnimation",
        "sendSticker",
        "sendLocation",
        "sendPoll",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
    }
)


@dataclass(frozen=True)
class Limits:
    overall: tuple[int, float] = (30, 1.0)  # messages, seconds
    group: tuple[int, float] = (20, 60.0)
    private: tuple[int, float] = (1, 1.0)


class Window:
    """At most `count` events in any `seconds`-long window.

    An event is counted from the moment its request is answered, not sent: Telegram counts a
    message when it receives it, somewhere between the two, so counting from the answer never
    lets the next message in early. Requests on their way take their place meanwhile.
    """

    # While every place is taken by requests on their way: look again after this long.
    IN_FLIGHT_WAIT = 0.005

    def __init__(self, count: int, seconds: float) -> None:
        self.count, self.seconds = count, seconds
        self.times: deque[float] = deque()
        self.in_flight = 0
        self.lock = asyncio.Lock()

    def wait(self, now: float) -> float:
        """Seconds to wait before one more event fits (0: now)."""
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) + self.in_flight < self.count:
            return 0.0
        if len(self.times) < self.count:
            return self.IN_FLIGHT_WAIT  # an answer on its way frees or fills a place
        return self.times[len(self.times) - self.count] + self.seconds - now

    def answered(self, now: float) -> None:
        """A request that took a place here was answered (or failed) at `now`."""
        self.in_flight -= 1
        self.times.append(now)


# Places taken ahead for the next request to a chat, by this task (`Pacing.reserve`).
_RESERVED: contextvars.ContextVar[tuple[Hashable, list[Window]] | None] = contextvars.ContextVar(
    "tisserand_pacing_reserved", default=None
)


class Pacing(BaseRateLimiter[int]):
    def __init__(
        self,
        limits: Limits | None = None,
        *,
        max_retries: int = 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits or Limits()
        self.max_retries = max_retries
        self.clock = clock
        self._overall = Window(*self.limits.overall)
        # The sender's messages leave one every 1/30 s at most (`reserve`), when the last left.
        self._spacing = asyncio.Lock()
        self._spaced_until = 0.0
        self._chats: dict[Hashable, Window] = {}
        self._paused_until: dict[Hashable, float] = {}
        self.retries = 0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def _window(self, chat: Hashable) -> Window:
        window = self._chats.get(chat)
        if window is None:
            is_private = isinstance(chat, int) and chat > 0
            limit = self.limits.private if is_private else self.limits.group
            window = self._chats[chat] = Window(*limit)
        return window

    async def _take(self, window: Window, chat: Hashable | None) -> None:
        async with window.lock:  # FIFO: a chat's messages leave in the order they were queued
            while True:
                now = self.clock()
                pause = self._paused_until.get(chat, 0.0) - now if chat is not None else 0.0
                delay = max(window.wait(now), pause)
                if delay <= 0:
                    window.in_flight += 1
                    return
                await asyncio.sleep(delay)

    async def reserve(self, chat: Hashable) -> None:
        """Wait for, and take, the places the next request to `chat` needs, before it is sent:
        the sender then marks the message « sending » and sends it at once, so a process that
        dies while waiting for Telegram's limits has marked nothing (`release` gives them back
        if that request is not made).

        The sender's messages also leave evenly, one every 1/30 s at most, rather than in
        bursts of 30 when the overall window frees: a burst would commit 30 « sending » marks
        at once, and a process killed then would take with it more messages marked but not
        yet sent (their fate unknown, so never sent again)."""
        self.release()
        window = self._window(chat)
        await self._take(window, chat)
        taken = [window]
        try:
            await self._take(self._overall, None)
            taken.append(self._overall)
            await self._space()
        except BaseException:
            now = self.clock()
            for place in taken:
                place.answered(now)
            raise
        _RESERVED.set((chat, taken))

    async def _space(self) -> None:
        count, seconds = self.limits.overall
        async with self._spacing:
            delay = self._spaced_until - self.clock()
            if delay > 0:
                await asyncio.sleep(delay)
            self._spaced_until = self.clock() + seconds / count

    def release(self) -> None:
        """Give back places reserved and not used."""
        reserved = _RESERVED.get()
        if reserved is not None:
            _RESERVED.set(None)
            now = self.clock()
            for window in reserved[1]:
                window.answered(now)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id") if endpoint in PACED else None
        attempt = 0
        while True:
            taken: list[Window] = []
            reserved = _RESERVED.get() if chat is not None and attempt == 0 else None
            try:
                if reserved is not None and reserved[0] == chat:
                    _RESERVED.set(None)
                    taken.extend(reserved[1])
                elif chat is not None:
                    window = self._window(chat)
                    await self._take(window, chat)
                    taken.append(window)
                    await self._take(self._overall, None)
                    taken.append(self._overall)
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                key = chat if chat is not None else endpoint
                # Only this chat waits; the others go on.
                self._paused_until[key] = self.clock() + seconds + 0.1
                self.retries += 1
                if attempt >= self.max_retries:
                    raise
                attempt += 1
                log.info("429 on %s: this chat waits %.1f s", endpoint, seconds)
                if chat is None:
                    await asyncio.sleep(seconds + 0.1)
            finally:
                answered = self.clock()
                for window in taken:
                    window.answered(answered)
