"""`tisserand webhook`: Telegram POSTs each update to the bot, which answers 200 only once the
update is in the inbox. Several processes can serve the same bot behind a proxy.

The small HTTP app (tornado, already the sandbox's server) checks the secret token on every
call with a constant-time comparison, refuses bodies that are too large or not a JSON update,
and answers a health check. An update it cannot store gets a 503: Telegram sends it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.web
from sqlalchemy import text
from telegram import Update

from bot.app import ALLOWED_UPDATES, TisserandApplication

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes; a document's caption included, far below this.
MAX_BODY = 1024 * 1024
HEALTH_PATH = "/healthz"


class _Base(tornado.web.RequestHandler):
    def initialize(self, server: WebhookServer) -> None:
        self.server = server

    def check_xsrf_cookie(self) -> None:
        """Telegram sends no cookie: the secret token is the check."""

    def answer(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


class _UpdateHandler(_Base):
    async def post(self) -> None:
        server = self.server
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), server.secret.encode()):
            self.answer(403, {"ok": False, "error": "wrong or missing secret token"})
            return
        if len(self.request.body) > MAX_BODY:
            self.answer(413, {"ok": False, "error": "body too large"})
            return
        try:
            data = json.loads(self.request.body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, server.app.bot)
        except (ValueError, TypeError, KeyError):
            self.answer(400, {"ok": False, "error": "not a Telegram update"})
            return
        if not await server.app.store_updates((update,), {update.update_id: data}):
            # The database cannot take it now: Telegram will send it again.
            self.answer(503, {"ok": False, "error": "try again"})
            return
        await server.app.update_queue.put(update)
        self.answer(200, {"ok": True})


class _HealthHandler(_Base):
    async def get(self) -> None:
        try:
            async with self.server.app.deps.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            self.answer(503, {"ok": False, "database": type(exc).__name__})
            return
        self.answer(200, {"ok": True})


class WebhookServer:
    def __init__(
        self, app: TisserandApplication, *, path: str, secret: str, listen: str, port: int
    ) -> None:
        self.app = app
        self.path = path if path.startswith("/") else "/" + path
        self.secret = secret
        self.listen = listen
        self.port = port
        self._http: tornado.httpserver.HTTPServer | None = None

    async def start(self) -> None:
        handler = {"server": self}
        routes: list[Any] = [(HEALTH_PATH, _HealthHandler, handler)]
        routes.append((self.path.rstrip("/") or "/", _UpdateHandler, handler))
        app = tornado.web.Application(routes)
        # Bodies far beyond an update are cut by tornado itself (the handler checks too).
        self._http = tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY * 2)
        sockets = tornado.netutil.bind_sockets(self.port, address=self.listen)
        self._http.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            await self._http.close_all_connections()
            self._http = None


async def serve_webhook(
    app: TisserandApplication,
    *,
    url: str,
    secret: str,
    listen: str,
    port: int,
    on_ready: Callable[[int], None] | None = None,
) -> None:
    """Run the bot behind a webhook until SIGTERM or SIGINT: the inbox's waiting updates and
    the due work (post_init), the HTTP app, then Telegram told where to send, with the secret
    and `ALLOWED_UPDATES`. `on_ready` gets the port bound."""
    path = urlsplit(url).path or "/"
    server = WebhookServer(app, path=path, secret=secret, listen=listen, port=port)
    # Other processes may serve the same webhook (they can share only PostgreSQL).
    app.deps.shared_inbox = app.deps.engine.dialect.name == "postgresql"
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        await server.start()
        await app.bot.set_webhook(
            url=url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES), max_connections=40
        )
        log.info("webhook set to %s; listening on %s:%d%s", url, listen, server.port, path)
        if on_ready is not None:
            on_ready(server.port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await server.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
