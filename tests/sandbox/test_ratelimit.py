"""Telegram's flood limits, opt-in: 429 with retry_after, on the sandbox's clock."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from bot.sandbox.core import Sandbox, SandboxUser
from bot.sandbox.transport import SandboxRequest
from tests.sandbox.conftest import TOKEN, Clock, api, ok


@pytest.fixture
def sb(clock: Clock) -> Sandbox:
    """This module's sandbox enforces the rate limits (the conftest's `alice` starts it)."""
    return Sandbox(now=clock.now, rate_limits=True)


def _started(sb: Sandbox, count: int) -> list[SandboxUser]:
    users = [sb.add_user(f"U{i}") for i in range(count)]
    for user in users:
        sb.send_text(user, None, "/start")
    return users


async def _too_many(sb: Sandbox, method: str, **params: Any) -> int:
    """Call, expect Telegram's 429; returns retry_after."""
    status, body = await api(sb, method, **params)
    assert (status, body["error_code"]) == (429, 429), body
    retry_after = body["parameters"]["retry_after"]
    assert isinstance(retry_after, int)
    assert body["description"] == f"Too Many Requests: retry after {retry_after}"
    return retry_after


@pytest.mark.asyncio
async def test_one_message_per_second_in_a_private_chat(
    sb: Sandbox, alice: SandboxUser, clock: Clock
) -> None:
    await ok(sb, "sendMessage", chat_id=alice.id, text="un")
    assert await _too_many(sb, "sendMessage", chat_id=alice.id, text="deux") == 1
    clock.advance(timedelta(milliseconds=400))
    assert await _too_many(sb, "sendMessage", chat_id=alice.id, text="deux") == 1  # 0.6 s, up
    status, body = await sb.call(
        "sendDocument", {"chat_id": str(alice.id)}, {"document": ("a.txt", b"a", "text/plain")}
    )
    assert status == 429
    assert [m.plain for m in sb.bot_messages(alice)] == ["un"]  # refused ones are not delivered
    assert sb.rate_limited == 3
    clock.advance(timedelta(milliseconds=600))  # exactly one second after "un": the window moved
    await ok(sb, "sendMessage", chat_id=alice.id, text="deux")
    assert len(sb.files) == 0  # the refused document was never stored
    # Another private chat has its own window.
    bob = _started(sb, 1)[0]
    await ok(sb, "sendMessage", chat_id=bob.id, text="salut")


@pytest.mark.asyncio
async def test_twenty_per_minute_in_a_group(sb: Sandbox, alice: SandboxUser, clock: Clock) -> None:
    group = sb.create_group("G", owner=alice)
    other = sb.create_group("H", owner=alice)
    for second in range(20):
        await ok(sb, "sendMessage", chat_id=group.id, text=f"n°{second}")
        clock.advance(timedelta(seconds=1))
    clock.advance(timedelta(milliseconds=500))
    # Now t=20.5 s; the first message (t=0) leaves the window at t=60 s: 39.5 s, rounded up.
    assert await _too_many(sb, "sendMessage", chat_id=group.id, text="de trop") == 40
    await ok(sb, "sendMessage", chat_id=other.id, text="ailleurs")  # its own window
    clock.advance(timedelta(seconds=39))
    assert await _too_many(sb, "sendMessage", chat_id=group.id, text="de trop") == 1
    clock.advance(timedelta(milliseconds=500))
    await ok(sb, "sendMessage", chat_id=group.id, text="enfin")
    # The second message (t=1 s) leaves at t=61 s.
    assert await _too_many(sb, "sendMessage", chat_id=group.id, text="encore") == 1


@pytest.mark.asyncio
async def test_thirty_per_second_over_all_chats(sb: Sandbox, clock: Clock) -> None:
    users = _started(sb, 31)
    for user in users[:30]:
        await ok(sb, "sendMessage", chat_id=user.id, text="Rappel : atelier demain")
    assert await _too_many(sb, "sendMessage", chat_id=users[30].id, text="Rappel") == 1
    group = sb.create_group("G", owner=users[0])
    assert await _too_many(sb, "sendMessage", chat_id=group.id, text="Rappel") == 1
    clock.advance(timedelta(seconds=1))
    await ok(sb, "sendMessage", chat_id=users[30].id, text="Rappel : atelier demain")


@pytest.mark.asyncio
async def test_edits_count_in_their_chat_only(sb: Sandbox, clock: Clock) -> None:
    users = _started(sb, 31)
    group = sb.create_group("G", owner=users[0])
    question = (await ok(sb, "sendMessage", chat_id=users[0].id, text="v1"))["message_id"]
    clock.advance(timedelta(seconds=1))
    poll = (await ok(sb, "sendMessage", chat_id=group.id, text="v1"))["message_id"]
    for user in users[1:30]:
        await ok(sb, "sendMessage", chat_id=user.id, text="x")
    # 30 messages this second, yet an edit is no new notification: the global limit ignores it.
    await ok(sb, "editMessageText", chat_id=group.id, message_id=poll, text="v2")
    # In a private chat, an edit right after a message is one too many.
    await ok(sb, "editMessageText", chat_id=users[0].id, message_id=question, text="v2")
    assert (
        await _too_many(sb, "editMessageText", chat_id=users[0].id, message_id=question, text="v3")
        == 1
    )
    assert sb.last_bot_message(users[0]).plain == "v2"
    assert len(sb.rate_limiter.sent[users[0].id]) == 2  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_refused_calls_do_not_count(sb: Sandbox, alice: SandboxUser) -> None:
    status, _ = await api(sb, "sendMessage", chat_id=alice.id, text="<p>", parse_mode="HTML")
    assert status == 400
    sb.fail_next("sendMessage", "server_error")
    assert (await api(sb, "sendMessage", chat_id=alice.id, text="x"))[0] == 502
    await ok(sb, "sendMessage", chat_id=alice.id, text="le premier qui compte")
    assert sb.rate_limited == 0


@pytest.mark.asyncio
async def test_ptb_gets_retry_after(sb: Sandbox, alice: SandboxUser) -> None:
    bot = Bot(TOKEN, request=SandboxRequest(sb), get_updates_request=SandboxRequest(sb))
    async with bot:
        await bot.send_message(alice.id, "un")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PTB 22 warns that retry_after will be a timedelta
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(alice.id, "deux")
            assert caught.value.retry_after in (1, timedelta(seconds=1))


@pytest.mark.asyncio
async def test_off_by_default_and_kept_by_save(
    alice: SandboxUser, clock: Clock, tmp_path: Path
) -> None:
    relaxed = Sandbox(now=clock.now)
    user = relaxed.add_user("Zoé")
    relaxed.send_text(user, None, "/start")
    for number in range(50):
        await ok(relaxed, "sendMessage", chat_id=user.id, text=str(number))
    assert relaxed.rate_limited == 0 and relaxed.rate_limiter is None
    strict = Sandbox(now=clock.now, rate_limits=True)
    strict.save_state(tmp_path / "s.json")
    assert Sandbox.load_state(tmp_path / "s.json", now=clock.now).rate_limiter is not None
