"""A request to Telegram waits, all but its last byte written, for the sender's « sending »
mark (`bot/last_byte.py`): Telegram never has a message before it is marked, and a process
killed after the mark has only that last byte left to send."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from sqlalchemy import select
from telegram import Bot
from telegram.error import NetworkError

from bot.last_byte import TelegramRequest, marked_before_last_byte
from bot.sandbox.harness import Harness
from bot.sandbox.server import serve
from bot.sender import Sender
from storage.models import Delivery

TOKEN = "123456:" + "L" * 35
MESSAGE = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "Bonjour"}


@dataclass
class Telegram:
    """A bare HTTP server standing in for Telegram: it reads each request byte by byte as
    it comes, and answers only a whole one."""

    port: int = 0
    body: bytearray = field(default_factory=bytearray)  # what came of the last request's body
    length: int = -1  # its Content-Length
    answered: int = 0
    hung_up: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        found = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
        self.length, self.body = int(found[1]) if found else 0, bytearray()
        while len(self.body) < self.length:
            byte = await reader.read(1)
            if not byte:  # the client went away before the end: nothing to do
                self.hung_up.set()
                writer.close()
                return
            self.body += byte
        answer = json.dumps({"ok": True, "result": MESSAGE}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(answer)}\r\nConnection: close\r\n\r\n".encode()
            + answer
        )
        self.answered += 1
        await writer.drain()
        writer.close()

    def missing(self) -> int:
        """Bytes of the request's body not received yet."""
        return self.length - len(self.body)


@pytest_asyncio.fixture
async def telegram() -> AsyncIterator[Telegram]:
    fake = Telegram()
    server = await asyncio.start_server(fake.serve, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    async with server:
        yield fake


def http_bot(port: int) -> Bot:
    return Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=TelegramRequest())


async def test_the_last_byte_waits_for_the_mark(telegram: Telegram) -> None:
    seen: list[tuple[int, int]] = []  # at each mark: (bytes missing, answers given)

    async def mark() -> None:
        await asyncio.sleep(0.2)  # time enough for whatever was written to arrive
        seen.append((telegram.missing(), telegram.answered))

    bot = http_bot(telegram.port)
    async with marked_before_last_byte(bot, mark):
        sent = await bot.send_message(42, "Bonjour « tout le monde »")
    assert sent.message_id == 7
    assert seen == [(1, 0)]  # all but the last byte was there, and nothing was answered
    assert telegram.missing() == 0 and telegram.answered == 1


async def test_a_mark_that_fails_leaves_telegram_an_unfinished_request(
    telegram: Telegram,
) -> None:
    async def mark() -> None:
        raise RuntimeError("the database went away")

    bot = http_bot(telegram.port)
    with pytest.raises(NetworkError) as raised:
        async with marked_before_last_byte(bot, mark):
            await bot.send_message(42, "Bonjour")
    assert isinstance(raised.value.__cause__, RuntimeError)
    await asyncio.wait_for(telegram.hung_up.wait(), 5)
    assert telegram.missing() == 1 and telegram.answered == 0


async def delivery(harness: Harness, key: str) -> Delivery | None:
    async with harness.app.deps.uow() as uow:
        return await uow.session.scalar(select(Delivery).where(Delivery.key == key))


async def test_the_sender_over_http_marks_then_sends_once(harness: Harness) -> None:
    user = harness.sandbox.add_user("Inès")
    await harness.say(user, None, "/start")
    now = harness.clock.now()
    server = await serve(harness.sandbox, port=0)
    try:
        # Telegram cannot be reached: nothing went whole, so nothing is marked, to send later.
        async with harness.app.deps.uow() as uow:
            outcome = await Sender(http_bot(1), uow, now).send("hello", user.id, "Bonjour")
        assert outcome.status == "later"
        assert await delivery(harness, "hello") is None

        bot = http_bot(server.port)
        async with harness.app.deps.uow() as uow:
            outcome = await Sender(bot, uow, now).send("hello", user.id, "Bonjour")
        assert outcome.status == "sent"
        async with harness.app.deps.uow() as uow:
            outcome = await Sender(bot, uow, now).send("hello", user.id, "Bonjour")
        assert outcome.status == "already"
    finally:
        await server.stop()
    sent = await delivery(harness, "hello")
    assert sent is not None and sent.status == "sent" and sent.attempts == 1
    assert [m.text for m in harness.sandbox.bot_messages(user)].count("Bonjour") == 1
