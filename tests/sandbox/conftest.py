"""Fixtures for the sandbox tests: a sandbox on a controllable clock, users, a PTB Bot on it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from telegram import Bot

from bot.sandbox.core import Sandbox, SandboxUser
from bot.sandbox.transport import SandboxRequest

TOKEN = "123456:" + "A" * 35


class Clock:
    """A settable clock standing in for the project's injected one."""

    def __init__(self) -> None:
        self.current = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


def encode(params: dict[str, Any]) -> dict[str, str]:
    """Parameters as PTB's RequestData.json_parameters gives them."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}


async def api(sb: Sandbox, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """Call the sandbox's Bot API with PTB-style encoded parameters."""
    return await sb.call(method, encode(params))


async def ok(sb: Sandbox, method: str, **params: Any) -> Any:
    """Call and assert success; returns the result."""
    status, body = await api(sb, method, **params)
    assert status == 200, body
    assert body["ok"] is True
    return body["result"]


async def error(sb: Sandbox, method: str, **params: Any) -> tuple[int, str]:
    """Call and assert failure; returns (status, description)."""
    status, body = await api(sb, method, **params)
    assert body["ok"] is False, body
    assert body["error_code"] == status
    return status, body["description"]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sb(clock: Clock) -> Sandbox:
    return Sandbox(now=clock.now)


@pytest.fixture
def alice(sb: Sandbox) -> SandboxUser:
    """A user who has started the bot."""
    user = sb.add_user("Alice", username="alice")
    sb.send_text(user, None, "/start")
    sb.pop_updates()
    return user


@pytest_asyncio.fixture
async def bot(sb: Sandbox) -> AsyncIterator[Bot]:
    ptb_bot = Bot(TOKEN, request=SandboxRequest(sb), get_updates_request=SandboxRequest(sb))
    await ptb_bot.initialize()
    yield ptb_bot
    await ptb_bot.shutdown()
