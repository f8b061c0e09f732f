"""The sandbox over HTTP on loopback (tornado), for a real bot process and for tools.

- ``/bot<token>/<method>``: the Bot API, like api.telegram.org (form, multipart or JSON bodies;
  any well-formed token is accepted, a malformed one gets 401). getUpdates long-polls without
  blocking other requests.
- ``/file/bot<token>/<file_path>``: file downloads after getFile.
- ``/sandbox/...``: a small JSON API to act as users (POST) and look at users, chats, messages
  and events (GET with query-string filters); see `SandboxClient`.

Point the bot at it with base_url ``http://HOST:PORT/bot`` and base_file_url
``http://HOST:PORT/file/bot``. Tokens never reach the logs: request paths are redacted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web
from tornado.http1connection import HTTP1Connection

from bot.sandbox.core import (
    Sandbox,
    SandboxChat,
    SandboxError,
    SandboxMessage,
    SandboxTimeout,
    SandboxUser,
)
from bot.sandbox.events import Event
from bot.sandbox.webhooks import WebhookPusher

__all__ = [
    "SandboxServer",
    "chat_to_json",
    "event_to_json",
    "message_to_json",
    "serve",
    "user_to_json",
]

_LOGGER = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")
_TOKEN_IN_PATH_RE = re.compile(r"/(file/)?bot[^/]*")
_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}


def _redact(path: str) -> str:
    return _TOKEN_IN_PATH_RE.sub(lambda m: f"/{m.group(1) or ''}bot<token>", path, count=1)


def _log_request(handler: tornado.web.RequestHandler) -> None:
    # Replaces tornado's access log, whose request summary would include the token.
    request = handler.request
    _LOGGER.debug(
        "%s %s -> %s (%.1f ms)",
        request.method,
        _redact(request.path),
        handler.get_status(),
        1000.0 * request.request_time(),
    )


def message_to_json(sandbox: Sandbox, message: SandboxMessage) -> dict[str, Any]:
    """The client API's view of a message."""
    return {
        "message_id": message.message_id,
        "chat_id": message.chat_id,
        "from_id": message.from_id,
        "from_bot": message.from_id == sandbox.bot.id,
        "text": message.text if message.text is not None else message.caption,
        "plain": message.plain,
        "buttons": message.buttons,
        "document_name": message.document[0] if message.document else None,
        "media": sorted(message.media),  # document, photo, sticker, voice, location
        "date": message.date,
        "thread_id": message.thread_id,
        "edited": message.edited,
        "deleted": message.deleted,
        "pinned": message.pinned,
        "service": message.service,
    }


def user_to_json(user: SandboxUser) -> dict[str, Any]:
    """The client API's view of a user: the User object, plus whether they use the bot."""
    return {**user.to_api(), "started": user.started, "blocked": user.blocked}


def chat_to_json(chat: SandboxChat) -> dict[str, Any]:
    """The client API's view of a chat: the Chat object, plus members and the bot's place."""
    return {
        **chat.to_api(),
        "members": {str(user_id): status for user_id, status in chat.members.items()},
        "bot_status": chat.bot_status,
        "topics": {str(thread_id): name for thread_id, name in chat.topics.items()},
        "pinned": list(chat.pinned),
        "migrated_to": chat.migrated_to,
    }


def event_to_json(sandbox: Sandbox, index: int, event: Event) -> dict[str, Any]:
    """The client API's view of an event: its position, kind and fields."""
    data: dict[str, Any] = {"index": index}
    for item in dataclasses.fields(event):
        value = getattr(event, item.name)
        data[item.name] = (
            message_to_json(sandbox, value) if isinstance(value, SandboxMessage) else value
        )
    return data


class _Base(tornado.web.RequestHandler):
    """Shared plumbing: JSON answers and token-free log lines."""

    def initialize(self, server: SandboxServer) -> None:
        self.server = server
        self.sandbox = server.sandbox

    def _request_summary(self) -> str:
        # tornado puts this in its error logs; keep the token out.
        return f"{self.request.method} {_redact(self.request.path)} ({self.request.remote_ip})"

    def check_xsrf_cookie(self) -> None:
        """A loopback API for programs: no cookies, no XSRF."""

    def reply(self, status: int, body: Any) -> None:
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection) and connection.stream.closed():
            return  # the client went away (e.g. a long poll it abandoned)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": False, "error_code": status_code, "description": "Error"}))


class _NotFoundHandler(_Base):
    def prepare(self) -> None:
        self.reply(404, _NOT_FOUND)


class _BotApiHandler(_Base):
    """``/bot<token>/<method>``: the Bot API."""

    _call: asyncio.Future[tuple[int, dict[str, Any]]] | None = None

    def on_connection_close(self) -> None:
        if self._call is not None and not self._call.done():
            self._call.cancel()

    async def get(self, token: str, method: str) -> None:
        await self._answer(token, method)

    async def post(self, token: str, method: str) -> None:
        await self._answer(token, method)

    def _params(self) -> tuple[dict[str, Any], dict[str, tuple[str, bytes, str]]]:
        params: dict[str, Any] = {
            name: values[-1].decode("utf-8", "replace")
            for name, values in self.request.query_arguments.items()
        }
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            body = json.loads(self.request.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the JSON body must be an object")
            for name, value in body.items():
                if value is not None:
                    # Same shape as PTB's json_parameters: strings plain, the rest JSON text.
                    params[name] = value if isinstance(value, str) else json.dumps(value)
        else:
            for name, values in self.request.body_arguments.items():
                params[name] = values[-1].decode("utf-8", "replace")
        files = {
            name: (parts[0].filename, parts[0].body, parts[0].content_type)
            for name, parts in self.request.files.items()
        }
        return params, files

    async def _answer(self, token: str, method: str) -> None:
        if not _TOKEN_RE.fullmatch(token):
            self.reply(401, _UNAUTHORIZED)
            return
        try:
            params, files = self._params()
        except ValueError:
            self.reply(
                400,
                {"ok": False, "error_code": 400, "description": "Bad Request: can't parse JSON"},
            )
            return
        # A task, so that a client hanging up (or the server stopping) ends a long poll.
        self._call = asyncio.ensure_future(self.sandbox.call(method, params, files))
        try:
            status, body = await self._call
        except asyncio.CancelledError:
            return
        except SandboxTimeout:
            # Say nothing until the client gives up, so it sees a real read timeout.
            await self.server.hold()
            if isinstance(self.request.connection, HTTP1Connection):
                self.request.connection.close()
            return
        self.reply(status, body)


class _FileHandler(_Base):
    """``/file/bot<token>/<file_path>``: what Telegram's file server returns."""

    def get(self, token: str, file_path: str) -> None:
        if not _TOKEN_RE.fullmatch(token):
            self.reply(401, _UNAUTHORIZED)
            return
        content = self.sandbox.file_content(file_path)
        if content is None:
            self.reply(404, _NOT_FOUND)
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(content)


class _ClientHandler(_Base):
    """``/sandbox/<action>``: act as users and look at chats."""

    def _body(self) -> dict[str, Any]:
        if not self.request.body:
            return {}
        body = json.loads(self.request.body)
        if not isinstance(body, dict):
            raise ValueError("the JSON body must be an object")
        return body

    def _run(self, action: Callable[[], Any]) -> None:
        try:
            result = action()
        except (SandboxError, KeyError, ValueError, TypeError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            self.reply(400, {"error": f"{type(exc).__name__}: {message}"})
            return
        self.reply(200, result)

    def _getters(self) -> dict[str, Callable[[], Any]]:
        """The read-only actions (GET), by name."""
        sandbox = self.sandbox
        return {
            "users": lambda: [user_to_json(user) for user in sandbox.users.values()],
            "groups": lambda: [
                chat_to_json(chat) for chat in sandbox.chats.values() if chat.type != "private"
            ],
            "chats": lambda: [chat_to_json(chat) for chat in sandbox.chats.values()],
            "messages": self._messages,
            "events": self._events,
            "calls": lambda: [[name, params] for name, params in sandbox.calls],
            "toasts": lambda: [[uid, text] for uid, text in sandbox.toasts],
            "updates": sandbox.pending_updates,
            "me": lambda: sandbox.bot.to_api(),
        }

    def _actions(self) -> dict[str, Callable[[dict[str, Any]], Any]]:
        """The actions that change the sandbox (POST with a JSON body), by name."""
        sandbox = self.sandbox
        return {
            "users": self._add_user,
            "groups": self._create_group,
            "topics": self._create_topic,
            "send": self._send,
            "press": self._press,
            "press_data": self._press_data,
            "open_link": self._open_link,
            "document": self._document,
            "join": lambda b: sandbox.join(int(b["user_id"]), int(b["chat_id"])),
            "leave": lambda b: sandbox.leave(int(b["user_id"]), int(b["chat_id"])),
            "block": lambda b: sandbox.block_bot(int(b["user_id"])),
            "unblock": lambda b: sandbox.unblock_bot(int(b["user_id"])),
            "fail": self._fail,
        }

    def _unknown(self, action: str) -> None:
        # 405 when the action exists for the other method: a client bug worth naming.
        if action in self._getters() or action in self._actions():
            allowed = "GET" if action in self._getters() else "POST"
            self.set_header("Allow", allowed)
            self.reply(405, {"error": f"sandbox action {action!r} only accepts {allowed}"})
            return
        self.reply(404, {"error": f"unknown sandbox action {action!r}"})

    def get(self, action: str) -> None:
        getters = self._getters()
        if action not in getters:
            self._unknown(action)
            return
        self._run(getters[action])

    def post(self, action: str) -> None:
        actions = self._actions()
        if action not in actions:
            self._unknown(action)
            return
        self._run(lambda: actions[action](self._body()))

    def _int_argument(self, *names: str) -> int | None:
        """The first of these query arguments given, as an int (ValueError: 400)."""
        for name in names:
            value = self.get_query_argument(name, None)
            if value is not None:
                return int(value)
        return None

    def _flag(self, name: str) -> bool | None:
        value = self.get_query_argument(name, None)
        return None if value is None else value.lower() in ("1", "true", "yes")

    def _messages(self) -> list[dict[str, Any]]:
        """Messages, filtered by ?chat_id= (or chat=), user_id=, from_bot=, after=, and
        include_deleted=; without a chat, every chat's in the order they were sent."""
        sandbox = self.sandbox
        chat_id = self._int_argument("chat_id", "chat")
        user_id = self._int_argument("user_id")
        after = self._int_argument("after")
        from_bot = self._flag("from_bot")
        deleted = bool(self._flag("include_deleted"))
        if chat_id is not None:
            messages = sandbox.messages(chat_id, include_deleted=deleted)
        else:
            messages = [m for m in sandbox.all_messages() if deleted or not m.deleted]
        return [
            message_to_json(sandbox, message)
            for message in messages
            if (user_id is None or message.from_id == user_id)
            and (from_bot is None or (message.from_id == sandbox.bot.id) == from_bot)
            and (after is None or message.message_id > after)
        ]

    def _events(self) -> list[dict[str, Any]]:
        """Events from ?since=N on (their index is their position, to ask for news later)."""
        since = self._int_argument("since") or 0
        if since < 0:
            raise ValueError("since must be 0 or more")
        events = self.sandbox.events_since(since)
        return [event_to_json(self.sandbox, since + n, event) for n, event in enumerate(events)]

    def _add_user(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self.sandbox.add_user(
            str(body["first_name"]),
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code", "fr"),
        )
        return user_to_json(user)

    def _create_group(self, body: dict[str, Any]) -> dict[str, Any]:
        sandbox = self.sandbox
        chat = sandbox.create_group(
            str(body["title"]),
            owner=sandbox.user(int(body["owner_id"])),
            members=[sandbox.user(int(uid)) for uid in body.get("member_ids", [])],
            admins=[sandbox.user(int(uid)) for uid in body.get("admin_ids", [])],
            supergroup=bool(body.get("supergroup", True)),
            forum=bool(body.get("forum", False)),
            bot_is_admin=bool(body.get("bot_is_admin", True)),
        )
        return chat_to_json(chat)

    def _create_topic(self, body: dict[str, Any]) -> dict[str, Any]:
        thread_id = self.sandbox.create_topic(int(body["chat_id"]), str(body["name"]))
        return {"message_thread_id": thread_id}

    @staticmethod
    def _chat(body: dict[str, Any]) -> int | None:
        return None if body.get("chat_id") is None else int(body["chat_id"])

    def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.sandbox.send_text(
            int(body["user_id"]),
            self._chat(body),
            str(body["text"]),
            reply_to=body.get("reply_to"),
            thread_id=body.get("thread_id"),
            anonymous=bool(body.get("anonymous", False)),
        )

    def _press(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.sandbox.press(
            int(body["user_id"]),
            self._chat(body),
            str(body["label"]),
            message_id=body.get("message_id"),
            group=body.get("group_id"),
        )

    def _press_data(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.sandbox.press_data(
            int(body["user_id"]), self._chat(body), int(body["message_id"]), str(body["data"])
        )

    def _open_link(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.sandbox.open_link(
            int(body["user_id"]), str(body["url"]), group=body.get("group_id")
        )

    def _document(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.sandbox.send_document(
            int(body["user_id"]),
            self._chat(body),
            str(body["filename"]),
            base64.b64decode(body["content_base64"]),
            caption=body.get("caption"),
            mime=str(body.get("mime", "application/octet-stream")),
        )

    def _fail(self, body: dict[str, Any]) -> dict[str, Any]:
        self.sandbox.fail_next(
            str(body["method"]),
            body["error"],
            chat_id=self._chat(body),
            retry_after=int(body.get("retry_after", 1)),
            times=int(body.get("times", 1)),
            description=body.get("description"),
        )
        return {"ok": True}


class SandboxServer:
    """A running sandbox HTTP server; `port` is the bound port (useful after port=0)."""

    def __init__(
        self,
        sandbox: Sandbox,
        host: str,
        *,
        timeout_hold: float,
    ) -> None:
        self.sandbox = sandbox
        self.host = host
        self.port = 0
        self.timeout_hold = timeout_hold
        self._stopping = asyncio.Event()
        self._http: tornado.httpserver.HTTPServer | None = None
        # Pushes updates to the bot's webhook once one is set (setWebhook).
        self.webhooks = WebhookPusher(sandbox)

    @property
    def url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:8081."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        """The bot's base_url (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        """The bot's base_file_url (PTB appends the token)."""
        return f"{self.url}/file/bot"

    async def hold(self) -> None:
        """Wait `timeout_hold` seconds, or less if the server stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.timeout_hold)

    async def start(self, port: int) -> None:
        """Bind and serve (port 0 picks a free one)."""
        handler_args = {"server": self}
        app = tornado.web.Application(
            [
                (r"/bot([^/]*)/([A-Za-z0-9_]+)/?", _BotApiHandler, handler_args),
                (r"/file/bot([^/]*)/(.+)", _FileHandler, handler_args),
                (r"/sandbox/([a-z_]+)/?", _ClientHandler, handler_args),
            ],
            default_handler_class=_NotFoundHandler,
            default_handler_args=handler_args,
            log_function=_log_request,
        )
        # Room for the 50 MB document uploads the Bot API allows.
        self._http = tornado.httpserver.HTTPServer(app, max_body_size=64 * 1024 * 1024)
        sockets = tornado.netutil.bind_sockets(port, address=self.host)
        self._http.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        self.webhooks.start()
        _LOGGER.info("Telegram sandbox listening on %s", self.url)

    async def stop(self) -> None:
        """Stop listening and drop open connections (pending long polls end)."""
        self._stopping.set()
        await self.webhooks.stop()
        if self._http is not None:
            self._http.stop()
            await self._http.close_all_connections()
            self._http = None


async def serve(
    sandbox: Sandbox,
    host: str = "127.0.0.1",
    port: int = 8081,
    *,
    timeout_hold: float = 60.0,
) -> SandboxServer:
    """Start serving `sandbox` over HTTP; returns the started server.

    timeout_hold: how long an injected "timeout" keeps the request unanswered before closing
    the connection; it should exceed the bot's read timeout so the bot sees a timeout.
    """
    server = SandboxServer(sandbox, host, timeout_hold=timeout_hold)
    await server.start(port)
    return server
