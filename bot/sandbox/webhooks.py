"""Webhook delivery as Telegram does it: once a webhook is set, each update is POSTed to it as
JSON, with the secret token header, over several connections at once; anything but a 2xx (or
a connection error) is retried later, and the update stays queued until the bot took it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from bot.sandbox.core import Sandbox

_LOGGER = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookPusher:
    """Pushes the sandbox's queued updates to the bot's webhook, `connections` at a time."""

    def __init__(self, sandbox: Sandbox, *, connections: int = 4, retry: float = 0.5) -> None:
        self.sandbox = sandbox
        self.connections = connections
        self.retry = retry
        self.delivered = 0
        self.failed = 0
        self._in_flight: set[int] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=30.0)
        self._tasks = [
            asyncio.create_task(self._worker(), name=f"webhook-push-{i}")
            for i in range(self.connections)
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()

    async def _worker(self) -> None:
        updates = self.sandbox.world.updates
        while True:
            webhook = self.sandbox.api.webhook
            update = updates.next_push(self._in_flight) if webhook else None
            if webhook is None or update is None:
                await updates.wait(0.5)
                continue
            update_id = int(update["update_id"])
            self._in_flight.add(update_id)
            try:
                if await self._post(webhook, update):
                    updates.acknowledge(update_id)
                    self.delivered += 1
                    continue
                self.failed += 1
            finally:
                self._in_flight.discard(update_id)
            await asyncio.sleep(self.retry)

    async def _post(self, webhook: dict[str, Any], update: dict[str, Any]) -> bool:
        assert self._client is not None
        headers = {}
        if webhook.get("secret_token"):
            headers[SECRET_HEADER] = str(webhook["secret_token"])
        try:
            response = await self._client.post(str(webhook["url"]), json=update, headers=headers)
        except httpx.HTTPError as exc:
            _LOGGER.info("webhook push of update %s failed: %s", update["update_id"], exc)
            return False
        return 200 <= response.status_code < 300
