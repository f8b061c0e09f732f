"""Requests to Telegram whose last byte waits for the sender's « sending » mark.

Telegram handles a request only once it has received all of it, and offers no way to send a
message idempotently. So the sender (`bot/sender.py`) marks a message « sending », durably,
before Telegram can have it: a process that takes over after a crash finds the mark and never
sends the message again. But a process killed between that mark and its request reaching
Telegram loses the message (the mark says « maybe sent »; nobody may send it again).

To make that moment as short as it can be, the request is written first, all but its last
byte; then the mark is committed; then the last byte goes, with nothing in between but the
database's answer and a turn of the event loop. A process killed before its mark is committed
leaves an unfinished request, which Telegram drops, and an unmarked message, which the next
process sends.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
from telegram import Bot
from telegram.request import HTTPXRequest

Mark = Callable[[], Awaitable[None]]

# What to do once this task's next request is written but for its last byte.
_MARK: contextvars.ContextVar[Mark | None] = contextvars.ContextVar(
    "tisserand_before_last_byte", default=None
)


@contextlib.asynccontextmanager
async def marked_before_last_byte(bot: Bot, mark: Mark) -> AsyncIterator[None]:
    """Inside, each of the bot's requests runs `mark` once it is written but for its last byte
    (`mark` must be idempotent: a request retried after a 429 runs it again). With a request
    layer that cannot hold the last byte back (the in-process sandbox), `mark` runs first."""
    if not isinstance(bot.request, TelegramRequest):
        await mark()
        yield
        return
    token = _MARK.set(mark)
    try:
        yield
    finally:
        _MARK.reset(token)


class _HeldBody(httpx.AsyncByteStream):
    def __init__(self, body: bytes, mark: Mark) -> None:
        self.body, self.mark = body, mark

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if len(self.body) > 1:
            yield self.body[:-1]
        await self.mark()
        yield self.body[-1:]


async def _hold_last_byte(request: httpx.Request) -> None:
    """httpx's request hook: while this task has a mark pending, the request's body is sent
    all but its last byte, then the mark runs, then the last byte."""
    mark = _MARK.get()
    if mark is None:
        return
    body = await request.aread()
    if not body:  # the headers end the request: nothing to hold back
        await mark()
        return
    # A known length, so that the request ends with its last byte.
    request.headers.pop("Transfer-Encoding", None)
    request.headers["Content-Length"] = str(len(body))
    request.stream = _HeldBody(body, mark)


class TelegramRequest(HTTPXRequest):
    """PTB's HTTP layer, able to hold a request's last byte back for a mark."""

    def __init__(self, connection_pool_size: int = 64) -> None:
        super().__init__(
            connection_pool_size, httpx_kwargs={"event_hooks": {"request": [_hold_last_byte]}}
        )
