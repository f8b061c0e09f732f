"""The webhook app: the secret on every call, bodies refused when too large or not an update,
a health check, and 200 only once the update is in the inbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.sandbox.harness import Harness
from bot.webhook import MAX_BODY, SECRET_HEADER, WebhookServer
from storage.models import InboxUpdate

SECRET = "s3cret-token_for-tests"


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[Harness, str]]:
    harness = Harness(settings, migrate=False)
    await harness.start()
    await harness.live()
    server = WebhookServer(harness.app, path="/hook", secret=SECRET, listen="127.0.0.1", port=0)
    await server.start()
    try:
        yield harness, f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()
        await harness.stop()


def _update(harness: Harness, text: str) -> dict[str, object]:
    paul = harness.sandbox.add_user("Paul")
    return harness.sandbox.send_text(paul, None, text)


async def test_a_good_update_is_stored_then_answered(served: tuple[Harness, str]) -> None:
    harness, url = served
    update = _update(harness, "/aide")
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/hook", json=update, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200
    async with harness.app.deps.uow() as uow:
        stored = await uow.session.scalar(select(InboxUpdate))
    assert stored is not None and stored.update_id == update["update_id"]
    for _ in range(100):
        if any(
            "Ce que je peux faire" in t
            for t in harness.bot_texts(
                harness.sandbox.user(
                    update["message"]["chat"]["id"]  # type: ignore[index]
                )
            )
        ):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the update was never answered")


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, None, 403),
        ({SECRET_HEADER: "wrong"}, None, 403),
        ({SECRET_HEADER: SECRET[:-1]}, None, 403),
        ({SECRET_HEADER: SECRET}, b"{not json", 400),
        ({SECRET_HEADER: SECRET}, b'{"no": "update_id"}', 400),
        ({SECRET_HEADER: SECRET}, b"[1, 2]", 400),
        ({SECRET_HEADER: SECRET}, b"x" * (MAX_BODY + 10), 413),
    ],
)
async def test_bad_calls_are_refused_and_store_nothing(
    served: tuple[Harness, str], headers: dict[str, str], body: bytes | None, status: int
) -> None:
    harness, url = served
    content = body if body is not None else json.dumps(_update(harness, "/aide")).encode()
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/hook", content=content, headers=headers)
    assert response.status_code == status
    async with harness.app.deps.uow() as uow:
        assert await uow.session.scalar(select(InboxUpdate)) is None


async def test_the_health_check_says_whether_the_database_answers(
    served: tuple[Harness, str],
) -> None:
    _, url = served
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{url}/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}
