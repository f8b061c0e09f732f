"""The sandbox's state and the Telegram Bot API semantics, in memory and without any network.

`Sandbox.call` answers Bot API methods exactly as Telegram's HTTP API would (status code and
JSON body), so the real PTB `Application` can run against it through `SandboxRequest`
(in-process) or `serve()` (HTTP on loopback). The rest of the class builds the world (users,
groups, topics), acts as those users (messages, button presses, deep links, documents,
joins) and lets tests inspect what the bot did and inject Telegram failures.

Where Telegram rejects something that a bot could get wrong (invalid HTML, long texts,
callback data over 64 bytes, messaging a user who never started the bot, missing admin
rights, editing with identical content...) the sandbox rejects it too, with Telegram's status
and description, so those bugs show up in tests.

The sandbox is driven from one asyncio event loop. Only the long-poll wake-up is thread-safe,
so a helper thread may act as users while a loop polls (as `tisserand shell` may do).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import mimetypes
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast, get_args
from urllib.parse import parse_qs, urlsplit

from bot.sandbox.entities import (
    EntityParseError,
    FormattedText,
    command_entity,
    parse_html,
    strip_formatted,
)

__all__ = [
    "ANONYMOUS_ADMIN_ID",
    "FailureKind",
    "Sandbox",
    "SandboxChat",
    "SandboxError",
    "SandboxMessage",
    "SandboxTimeout",
    "SandboxUser",
]

_LOGGER = logging.getLogger(__name__)

# Telegram's "Group" user that signs messages of anonymous group admins.
ANONYMOUS_ADMIN_ID = 1087968824

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
DOCUMENT_LIMIT = 50 * 1024 * 1024  # upload limit of the cloud Bot API
PHOTO_LIMIT = 10 * 1024 * 1024
GET_FILE_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files
DELETE_WINDOW = timedelta(hours=48)

FailureKind = Literal[
    "retry_after",
    "forbidden",
    "bad_request",
    "server_error",
    "timeout",
    "timeout_after_send",
    "conflict",
]
_FAILURE_KINDS = frozenset(get_args(FailureKind))

# Update types Telegram leaves out when allowed_updates is empty (its default).
_OPT_IN_UPDATES = frozenset(("chat_member", "message_reaction", "message_reaction_count"))

_CHAT_ACTIONS = frozenset(
    (
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    )
)

_BUTTON_KINDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_COMMAND_SCOPES = frozenset(
    (
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    )
)
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_DEEP_LINK_PAYLOAD_RE = re.compile(r"[A-Za-z0-9_-]{0,64}")
_LINK_RE = re.compile(
    r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/"
    r"(?P<name>[A-Za-z0-9_]+)/?(?:\?(?P<query>[^#]*))?(?:#.*)?"
)
_BUTTON_URL_RE = re.compile(r"(?:(?:https?|tg)://\S+|[\w-]+(?:\.[\w-]+)+(?:[/?#]\S*)?)")

# Parameters whose form value is a plain string, never JSON (a text "123" must stay a string).
_STRING_FIELDS = frozenset(
    (
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "action",
        "name",
        "language_code",
        "description",
        "short_description",
        "secret_token",
        "ip_address",
        "document",
        "photo",
        "thumbnail",
        "file_id",
        "emoji",
        "custom_title",
        "icon_custom_emoji_id",
        "business_connection_id",
        "message_effect_id",
    )
)

# Telegram's default rights for a bot promoted to admin with no rights specified.
_DEFAULT_ADMIN_RIGHTS: dict[str, bool] = {
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_manage_topics": True,
}

_PRESENT = ("creator", "administrator", "member", "restricted")


class SandboxError(Exception):
    """The caller asked the sandbox for something impossible (a test or tool bug)."""


class SandboxTimeout(Exception):
    """The transport must report a timeout to the bot (telegram.error.TimedOut)."""


class _ApiError(Exception):
    """A Bot API error answer: status code, description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


def _forbidden(description: str) -> _ApiError:
    return _ApiError(403, f"Forbidden: {description}")


@dataclass
class SandboxUser:
    """A Telegram user (or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "fr"
    started: bool = False
    blocked: bool = False
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        """The Telegram User object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass
class SandboxChat:
    """A private chat, basic group or supergroup, from the bot's point of view."""

    id: int
    type: str
    title: str | None = None
    is_forum: bool = False
    members: dict[int, str] = field(default_factory=dict)
    anonymous_admins: set[int] = field(default_factory=set)
    bot_status: str = "left"
    bot_rights: dict[str, bool] = field(default_factory=dict)
    topics: dict[int, str] = field(default_factory=dict)
    pinned: list[int] = field(default_factory=list)
    username: str | None = None
    migrated_to: int | None = None
    admin_rights: dict[int, dict[str, bool]] = field(default_factory=dict)
    user: SandboxUser | None = field(default=None, repr=False)  # the user of a private chat

    def to_api(self) -> dict[str, Any]:
        """The (short) Telegram Chat object embedded in messages and updates."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user is not None:
            data.update({k: v for k, v in self.user.to_api().items() if k in _PRIVATE_CHAT_FIELDS})
        else:
            data["title"] = self.title or ""
        if self.username:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data


_PRIVATE_CHAT_FIELDS = ("first_name", "last_name", "username")


@dataclass
class SandboxMessage:
    """One message of a chat, from a user or the bot, as the sandbox keeps it.

    `text`/`caption` are raw, as sent (with HTML tags when parse_mode is HTML); `parsed_text`
    and `entities` are what Telegram made of them and what `to_api()` returns.
    """

    message_id: int
    chat_id: int
    from_id: int | None
    date: int
    text: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: tuple[str, bytes, str] | None = None
    photo: bytes | None = None
    caption: str | None = None
    thread_id: int | None = None
    pinned: bool = False
    edited: bool = False
    deleted: bool = False
    service: dict[str, Any] | None = None
    parsed_text: str = ""
    entities: list[dict[str, Any]] = field(default_factory=list)
    edit_date: int | None = None
    is_topic_message: bool = False
    media: dict[str, Any] = field(default_factory=dict)  # "document" / "photo" API objects
    chat: dict[str, Any] = field(default_factory=dict, repr=False)
    sender: dict[str, Any] | None = field(default=None, repr=False)
    sender_chat: dict[str, Any] | None = field(default=None, repr=False)
    reply_to: SandboxMessage | None = field(default=None, repr=False)

    @property
    def plain(self) -> str:
        """Text or caption as a person reads it (tags removed, entities unescaped)."""
        return self.parsed_text

    @property
    def buttons(self) -> list[list[str]]:
        """Inline keyboard labels, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[button.get("text", "") for button in row] for row in rows]

    @property
    def inline_buttons(self) -> list[dict[str, Any]]:
        """Every inline keyboard button dict, in reading order."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        """The Telegram Message object."""
        data: dict[str, Any] = {"message_id": self.message_id, "date": self.date}
        if self.sender is not None:
            data["from"] = self.sender
        if self.sender_chat is not None:
            data["sender_chat"] = self.sender_chat
        data["chat"] = self.chat
        if self.thread_id is not None:
            data["message_thread_id"] = self.thread_id
            if self.is_topic_message:
                data["is_topic_message"] = True
        if with_reply and self.reply_to is not None:
            # Telegram nests only one level of reply_to_message.
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.text is not None:
            data["text"] = self.parsed_text
            if self.entities:
                data["entities"] = self.entities
        data.update(self.media)
        if self.caption is not None:
            data["caption"] = self.parsed_text
            if self.entities:
                data["caption_entities"] = self.entities
        if self.reply_markup and self.reply_markup.get("inline_keyboard"):
            # Messages only carry inline keyboards; reply keyboards stay client-side.
            data["reply_markup"] = self.reply_markup
        if self.service:
            data.update(self.service)
        return data


@dataclass
class _Failure:
    method: str
    error: str
    chat_id: int | None
    retry_after: int
    remaining: int
    description: str | None

    def answer(self) -> tuple[int, dict[str, Any]]:
        if self.error == "retry_after":
            error = _ApiError(
                429,
                self.description or f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        elif self.error == "forbidden":
            error = _ApiError(403, self.description or "Forbidden: bot was blocked by the user")
        elif self.error == "bad_request":
            error = _ApiError(400, self.description or "Bad Request: injected by the sandbox")
        elif self.error == "conflict":
            # What Telegram answers a second poller using the same token.
            error = _ApiError(
                409,
                self.description
                or "Conflict: terminated by other getUpdates request; make sure that only one "
                "bot instance is running",
            )
        else:
            error = _ApiError(502, self.description or "Bad Gateway")
        return error.code, error.body()


@dataclass
class _Query:
    user_id: int
    chat_id: int
    message_id: int
    created: datetime
    answered: bool = False


@dataclass
class _Queued:
    update: dict[str, Any]
    delivered: bool = False  # returned by getUpdates at least once


def _update_id(update: Mapping[str, Any]) -> int:
    # raw_update() may queue malformed ids; those count as confirmed once delivered.
    value = update.get("update_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _update_type(update: Mapping[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def _decode_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Turn json_parameters-style strings back into values (chat_id "123" -> 123...)."""
    decoded: dict[str, Any] = {}
    for key, value in params.items():
        if not isinstance(value, str) or key in _STRING_FIELDS:
            decoded[key] = value
            continue
        try:
            decoded[key] = json.loads(value)
        except ValueError:
            decoded[key] = value  # "@channelusername" and other plain strings
    return decoded


def _int_param(params: Mapping[str, Any], name: str) -> int:
    value = params.get(name)
    if value is None or value == "":
        raise _bad(f"{name} is empty")
    if isinstance(value, bool):
        raise _bad(f"{name} is invalid")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"{name} is invalid") from None


def _opt_int_param(params: Mapping[str, Any], name: str) -> int | None:
    if params.get(name) in (None, ""):
        return None
    return _int_param(params, name)


def _bool_param(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name)
    return value is True or value in ("true", "True", "1", 1)


def _image_size(content: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG/JPEG/GIF/WEBP image, or None when it is not one."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        return int.from_bytes(content[6:8], "little"), int.from_bytes(content[8:10], "little")
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return 512, 512  # dimensions are not worth decoding here
    if content.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(content):
            if content[index] != 0xFF:
                index += 1
                continue
            marker = content[index + 1]
            size = int.from_bytes(content[index + 2 : index + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                height = int.from_bytes(content[index + 5 : index + 7], "big")
                width = int.from_bytes(content[index + 7 : index + 9], "big")
                return width, height
            index += 2 + size
        return 512, 512
    return None


class Sandbox:
    """An in-memory Telegram: the Bot API for one bot, plus users that can act on it."""

    def __init__(
        self,
        *,
        bot_id: int = 7000000001,
        bot_username: str = "tisserand_bot",
        bot_name: str = "Tisserand",
        now: Callable[[], datetime] | None = None,
        privacy_mode: bool = True,
        strict_html: bool = True,
    ) -> None:
        self.bot = SandboxUser(
            id=bot_id, first_name=bot_name, username=bot_username, language_code=None, is_bot=True
        )
        self.privacy_mode = privacy_mode
        self.strict_html = strict_html
        self._now = now or (lambda: datetime.now(UTC))
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, SandboxChat] = {}
        self._messages: dict[int, list[SandboxMessage]] = {}
        # Every message of every chat, in the order the sandbox received them (transcripts).
        self._log: list[SandboxMessage] = []
        self._next_message_id: dict[int, int] = {}
        self._next_user_id = 100001
        self._next_supergroup = 1
        self._next_group = 1
        # Updates: the queue getUpdates/pop_updates consume, and every update ever queued.
        self._queue: list[_Queued] = []
        self._archive: dict[int, dict[str, Any]] = {}
        self._next_update_id = 1
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._poll_generation = 0
        self._allowed_updates: list[str] = []
        # Callback queries and their answers.
        self._queries: dict[str, _Query] = {}
        self._next_query = 1
        self.callback_query_ttl = timedelta(seconds=15)
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.toasts: list[tuple[int, str]] = []
        # Files (documents and photos), by file_id and by getFile path.
        self.files: dict[str, tuple[str, bytes, str]] = {}
        self._file_paths: dict[str, str] = {}
        self._next_file = 1
        # What the bot did, for assertions.
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook: dict[str, Any] | None = None
        self._failures: list[_Failure] = []
        self._handlers: dict[str, Callable[..., Any]] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "getFile": self._get_file,
            "pinChatMessage": self._pin_chat_message,
            "unpinChatMessage": self._unpin_chat_message,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": self._get_chat_member_count,
            "sendChatAction": self._send_chat_action,
            "createForumTopic": self._create_forum_topic,
        }
        self._canonical = {name.lower(): name for name in self._handlers}

    # ------------------------------------------------------------------ the Bot API

    async def call(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call: (HTTP status, Telegram's JSON body).

        Raises SandboxTimeout for the injected "timeout"/"timeout_after_send" failures.
        """
        name = self._canonical.get(method.lower(), method)
        decoded = _decode_params(params)
        self.calls.append((name, decoded))
        handler = self._handlers.get(name)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        failure = self._take_failure(name, decoded)
        if failure is not None and failure.error == "timeout":
            raise SandboxTimeout(f"injected timeout of {name} (nothing happened)")
        if failure is not None and failure.error != "timeout_after_send":
            return failure.answer()
        try:
            result = handler(decoded, dict(files or {}))
            if asyncio.iscoroutine(result):
                result = await cast(Awaitable[Any], result)
        except _ApiError as error:
            status, body = error.code, error.body()
        except Exception as exc:  # a sandbox bug must not look like a Telegram answer
            _LOGGER.exception("sandbox failed to answer %s", name)
            status = 500
            body = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: sandbox bug: {exc!r}",
            }
        else:
            status, body = 200, {"ok": True, "result": result}
        if failure is not None:
            raise SandboxTimeout(f"injected timeout of {name} after it took effect")
        return status, body

    def _take_failure(self, name: str, params: Mapping[str, Any]) -> _Failure | None:
        for failure in self._failures:
            if failure.method != name:
                continue
            if failure.chat_id is not None and str(params.get("chat_id")) != str(failure.chat_id):
                continue
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.remove(failure)
            return failure
        return None

    def _true(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> bool:
        return True

    def _get_me(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **self.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # --- updates and webhooks

    async def _get_updates(
        self, params: Mapping[str, Any], files: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        offset = _opt_int_param(params, "offset")
        limit = _opt_int_param(params, "limit") or 100
        limit = min(max(limit, 1), 100)
        timeout = params.get("timeout") or 0
        if not isinstance(timeout, int | float) or isinstance(timeout, bool):
            raise _bad("timeout is invalid")
        allowed = params.get("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise _bad("can't parse allowed updates")
            self._allowed_updates = [str(kind) for kind in allowed]
        if self.webhook is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        # Like Telegram, a newer getUpdates ends the one still waiting (two bot instances).
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(timeout)
        while True:
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = self._deliverable(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0:
                for queued in batch:
                    queued.delivered = True
                return [copy.deepcopy(queued.update) for queued in batch]
            await self._wait(remaining)

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset < 0:
            # Negative offset: keep only the last -offset updates, forget the rest.
            self._queue = self._queue[offset:]
            return
        self._queue = [
            queued
            for queued in self._queue
            if not queued.delivered or _update_id(queued.update) >= offset
        ]

    def _allowed(self, kind: str) -> bool:
        if not self._allowed_updates:
            return kind not in _OPT_IN_UPDATES
        return kind in self._allowed_updates

    def _deliverable(self, limit: int) -> list[_Queued]:
        # Telegram never delivers (nor keeps) update types the bot did not ask for.
        self._queue = [q for q in self._queue if self._allowed(_update_type(q.update))]
        return self._queue[:limit]

    async def _wait(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (loop, future)
        self._waiters.append(entry)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(future, seconds)
        finally:
            self._waiters.remove(entry)

    def _wake(self) -> None:
        # call_soon_threadsafe: users may act from another thread than the polling loop's.
        for loop, future in list(self._waiters):
            with contextlib.suppress(RuntimeError):  # a closed loop: its waiter is gone too
                loop.call_soon_threadsafe(_resolve, future)

    def _delete_webhook(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> bool:
        self.webhook = None
        if _bool_param(params, "drop_pending_updates"):
            self._queue.clear()
        return True

    def _set_webhook(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> bool:
        url = params.get("url") or ""
        if not url:
            self.webhook = None  # Telegram: an empty url removes the webhook
            return True
        if not str(url).startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = dict(params)
        if _bool_param(params, "drop_pending_updates"):
            self._queue.clear()
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = list(params["allowed_updates"])
        return True

    def _get_webhook_info(
        self, params: Mapping[str, Any], files: Mapping[str, Any]
    ) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook is not None and self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        return info

    # --- commands and menu

    def _command_key(self, params: Mapping[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPES:
            raise _bad("wrong parameter scope")
        if scope["type"] in ("chat", "chat_administrators", "chat_member"):
            self._resolve_chat(scope.get("chat_id"))
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise _bad("invalid language code specified")
        return json.dumps(scope, sort_keys=True), str(language)

    def _set_my_commands(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands specified")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand JSON object")
            if not _BOT_COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._command_key(params)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        return True

    def _get_my_commands(
        self, params: Mapping[str, Any], files: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        return copy.deepcopy(self.commands.get(self._command_key(params), []))

    def _delete_my_commands(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> bool:
        self.commands.pop(self._command_key(params), None)
        return True

    def _set_chat_menu_button(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> bool:
        chat_id = _opt_int_param(params, "chat_id")
        if chat_id is not None:
            chat = self._resolve_chat(chat_id)
            if chat.type != "private":
                raise _bad("chat is not private")
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise _bad("can't parse menu button")
        self.menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(
        self, params: Mapping[str, Any], files: Mapping[str, Any]
    ) -> dict[str, Any]:
        chat_id = _opt_int_param(params, "chat_id")
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        if not button or button.get("type") == "default":
            return {"type": "commands"}
        return dict(button)

    # --- sending and editing

    def _resolve_chat(self, chat_id: Any) -> SandboxChat:
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        chat: SandboxChat | None = None
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            chat = next(
                (c for c in self.chats.values() if (c.username or "").lower() == wanted), None
            )
        else:
            try:
                chat = self.chats.get(int(chat_id))
            except (TypeError, ValueError):
                chat = None
        if chat is None:
            raise _bad("chat not found")
        if chat.migrated_to is not None:
            raise _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        return chat

    def _check_access(self, chat: SandboxChat) -> None:
        """Raise what Telegram answers when the bot cannot write to `chat`."""
        if chat.type == "private":
            user = chat.user
            if user is None:
                raise _bad("chat not found")
            if user.blocked:
                raise _forbidden("bot was blocked by the user")
            if not user.started:
                raise _forbidden("bot can't initiate conversation with a user")
            return
        kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
        if chat.bot_status == "kicked":
            raise _forbidden(f"bot was kicked from the {kind}")
        if chat.bot_status not in _PRESENT:
            raise _forbidden(f"bot is not a member of the {kind}")

    def _bot_can(self, chat: SandboxChat, right: str) -> bool:
        if chat.bot_status == "creator":
            return True
        if chat.bot_status != "administrator":
            return False
        if chat.type == "group":
            return True  # basic group admins have every right
        return bool(chat.bot_rights.get(right))

    def _thread(self, chat: SandboxChat, params: Mapping[str, Any]) -> int | None:
        thread_id = _opt_int_param(params, "message_thread_id")
        if thread_id is None:
            return None
        if chat.is_forum:
            if thread_id not in chat.topics:
                raise _bad("message thread not found")
            return thread_id
        if chat.type == "supergroup" and self._find(chat.id, thread_id) is not None:
            return thread_id  # a reply thread in a regular supergroup
        raise _bad("message thread not found")

    def _format(
        self,
        raw: Any,
        parse_mode: Any,
        entities: Any,
        *,
        caption: bool,
    ) -> FormattedText:
        """Parse a text or caption like Telegram, enforcing its limits."""
        if raw is None:
            raw = ""
        raw = str(raw)
        mode = str(parse_mode or "").lower()
        if isinstance(entities, list) and entities:
            formatted = FormattedText(raw, [dict(e) for e in entities if isinstance(e, dict)])
        elif mode == "html":
            try:
                formatted = parse_html(raw, strict=self.strict_html)
            except EntityParseError as error:
                raise _bad(f"can't parse entities: {error}") from None
        elif mode in ("", "markdown", "markdownv2"):
            # Markdown is not parsed: the project formats with HTML.
            formatted = FormattedText(raw)
        else:
            raise _bad("unsupported parse_mode")
        formatted = strip_formatted(formatted)
        if caption:
            if len(formatted.text) > CAPTION_LIMIT:
                raise _bad("message caption is too long")
        else:
            if not formatted.text:
                raise _bad("message text is empty")
            if len(formatted.text) > MESSAGE_LIMIT:
                raise _bad("message is too long")
        return formatted

    def _markup(self, markup: Any) -> dict[str, Any] | None:
        """Validate reply_markup like Telegram (inline keyboards in detail)."""
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad(
                    'can\'t parse inline keyboard button: Field "inline_keyboard" of the '
                    "InlineKeyboardMarkup should be an Array of Arrays"
                )
            for row in rows:
                for button in row:
                    self._check_button(button)
            return copy.deepcopy(markup)
        if {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
            return copy.deepcopy(markup)
        raise _bad("can't parse reply keyboard markup JSON object")

    def _check_button(self, button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad('can\'t parse inline keyboard button: Field "text" must be of type String')
        if not any(kind in button for kind in _BUTTON_KINDS):
            raise _bad(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                "keyboard"
            )
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                raise _bad("BUTTON_DATA_INVALID")
        if "url" in button:
            url = button["url"]
            if not isinstance(url, str) or not _BUTTON_URL_RE.fullmatch(url):
                raise _bad("BUTTON_URL_INVALID")

    def _reply_target(self, chat: SandboxChat, params: Mapping[str, Any]) -> SandboxMessage | None:
        reply = params.get("reply_parameters")
        allow_missing = _bool_param(params, "allow_sending_without_reply")
        message_id: Any = None
        target_chat = chat
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
            if reply.get("chat_id") not in (None, chat.id):
                target_chat = self._resolve_chat(reply["chat_id"])
        elif params.get("reply_to_message_id") not in (None, ""):
            message_id = params["reply_to_message_id"]
        if message_id is None:
            return None
        try:
            target = self._find(target_chat.id, int(message_id))
        except (TypeError, ValueError):
            target = None
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise _bad("message to be replied not found")
        return target

    def _send_common(
        self, params: Mapping[str, Any]
    ) -> tuple[SandboxChat, int | None, SandboxMessage | None, dict[str, Any] | None]:
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_access(chat)
        thread_id = self._thread(chat, params)
        reply_to = self._reply_target(chat, params)
        if thread_id is None and reply_to is not None and reply_to.chat_id == chat.id:
            thread_id = reply_to.thread_id  # a reply stays in the replied message's topic
        markup = self._markup(params.get("reply_markup"))
        return chat, thread_id, reply_to, markup

    def _send_message(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> dict[str, Any]:
        chat, thread_id, reply_to, markup = self._send_common(params)
        if params.get("text") in (None, ""):
            raise _bad("message text is empty")
        formatted = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
        )
        message = self._new_message(
            chat,
            self.bot,
            text=str(params["text"]),
            parse_mode=params.get("parse_mode"),
            formatted=formatted,
            reply_markup=markup,
            thread_id=thread_id,
            reply_to=reply_to,
        )
        return message.to_api()

    def _bot_message_for_edit(
        self, params: Mapping[str, Any]
    ) -> tuple[SandboxChat, SandboxMessage]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")  # inline mode is not simulated
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_access(chat)
        message = self._find(chat.id, _int_param(params, "message_id"))
        if (
            message is None
            or message.deleted
            or message.from_id != self.bot.id
            or message.service is not None
        ):
            raise _bad("message to edit not found")
        return chat, message

    @staticmethod
    def _inline_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
        if markup and markup.get("inline_keyboard"):
            return markup
        return None

    def _edit_message_text(
        self, params: Mapping[str, Any], files: Mapping[str, Any]
    ) -> dict[str, Any]:
        _, message = self._bot_message_for_edit(params)
        if message.text is None:
            raise _bad("there is no text in the message to edit")
        if params.get("text") in (None, ""):
            raise _bad("message text is empty")
        formatted = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
        )
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        markup = self._inline_markup(self._markup(params.get("reply_markup")))
        if (
            formatted.text == message.parsed_text
            and formatted.entities == message.entities
            and markup == self._inline_markup(message.reply_markup)
        ):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a previous content and reply markup of the message"
            )
        message.text = str(params["text"])
        message.parse_mode = params.get("parse_mode")
        message.parsed_text = formatted.text
        message.entities = formatted.entities
        message.reply_markup = markup
        self._mark_edited(message)
        return message.to_api()

    def _edit_message_reply_markup(
        self, params: Mapping[str, Any], files: Mapping[str, Any]
    ) -> dict[str, Any]:
        _, message = self._bot_message_for_edit(params)
        markup = self._inline_markup(self._markup(params.get("reply_markup")))
        if markup == self._inline_markup(message.reply_markup):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a previous content and reply markup of the message"
            )
        message.reply_markup = markup
        self._mark_edited(message)
        return message.to_api()

    def _mark_edited(self, message: SandboxMessage) -> None:
        message.edited = True
        message.edit_date = self._date()

    def _delete_message(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_access(chat)
        message = self._find(chat.id, _int_param(params, "message_id"))
        if message is None or message.deleted:
            raise _bad("message to delete not found")
        own = message.from_id == self.bot.id
        if chat.type != "private" and not own and not self._bot_can(chat, "can_delete_messages"):
            raise _bad("message can't be deleted")
        if message.service and (
            "forum_topic_created" in message.service or "migrate_from_chat_id" in message.service
        ):
            raise _bad("message can't be deleted")
        age = self._utcnow() - datetime.fromtimestamp(message.date, UTC)
        if age > DELETE_WINDOW:
            raise _bad("message can't be deleted for everyone")
        message.deleted = True
        if message.message_id in chat.pinned:
            chat.pinned.remove(message.message_id)
        return True

    def _answer_callback_query(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        query = self._queries.get(query_id)
        if (
            query is None
            or query.answered
            or self._utcnow() - query.created > self.callback_query_ttl
        ):
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        url = params.get("url")
        if url and not self._is_bot_deep_link(str(url)):
            raise _bad("URL_INVALID")  # only game URLs and t.me/<bot>?start= links are allowed
        query.answered = True
        self.callback_answers[query_id] = {
            "user_id": query.user_id,
            "text": text,
            "show_alert": _bool_param(params, "show_alert"),
            "url": url,
            "cache_time": params.get("cache_time"),
        }
        if text:
            self.toasts.append((query.user_id, str(text)))
        return True

    # --- files

    def _store_file(self, kind: str, filename: str, content: bytes, mime: str) -> dict[str, Any]:
        number = self._next_file
        self._next_file += 1
        prefix = "BQACAgQAAx" if kind == "documents" else "AgACAgQAAx"
        file_id = f"{prefix}-sandbox-{number}"
        self.files[file_id] = (filename, content, mime)
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        self._file_paths[f"{kind}/file_{number}.{suffix}"] = file_id
        return {
            "file_id": file_id,
            "file_unique_id": f"AgADsbx{number}",
            "file_size": len(content),
        }

    def _input_file(
        self, params: Mapping[str, Any], files: Mapping[str, Any], field_name: str
    ) -> tuple[str, bytes, str, dict[str, Any] | None]:
        """The uploaded or referenced file: (filename, content, mime, known file meta)."""
        value = params.get(field_name)
        upload: Any = None
        if field_name in files:
            upload = files[field_name]
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise _bad(f"wrong file identifier/HTTP URL specified for {field_name}")
        if upload is not None:
            filename, content, mime = upload
            if not content:
                raise _bad("file must be non-empty")
            return str(filename), bytes(content), str(mime), None
        if isinstance(value, str) and value in self.files:
            filename, content, mime = self.files[value]
            meta = {
                "file_id": value,
                "file_unique_id": f"AgADsbx{value.rsplit('-', 1)[-1]}",
                "file_size": len(content),
            }
            return filename, content, mime, meta
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            # The sandbox does not download: the file is recorded with no content.
            filename = urlsplit(value).path.rsplit("/", 1)[-1] or "file"
            mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            return filename, b"", mime, None
        if value:
            raise _bad(f"wrong file identifier/HTTP URL specified for {field_name}")
        raise _bad(f"there is no {field_name} in the request")

    def _caption(self, params: Mapping[str, Any]) -> FormattedText:
        return self._format(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            caption=True,
        )

    def _send_document(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> dict[str, Any]:
        chat, thread_id, reply_to, markup = self._send_common(params)
        filename, content, mime, meta = self._input_file(params, files, "document")
        if len(content) > DOCUMENT_LIMIT:
            raise _ApiError(413, "Request Entity Too Large")
        formatted = self._caption(params)
        meta = meta or self._store_file("documents", filename, content, mime)
        document = {**meta, "file_name": filename, "mime_type": mime}
        message = self._new_message(
            chat,
            self.bot,
            caption=params.get("caption") if params.get("caption") not in (None, "") else None,
            parse_mode=params.get("parse_mode"),
            formatted=formatted,
            reply_markup=markup,
            thread_id=thread_id,
            reply_to=reply_to,
            document=(filename, content, mime),
            media={"document": document},
        )
        return message.to_api()

    def _send_photo(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> dict[str, Any]:
        chat, thread_id, reply_to, markup = self._send_common(params)
        filename, content, mime, meta = self._input_file(params, files, "photo")
        if len(content) > PHOTO_LIMIT:
            raise _ApiError(413, "Request Entity Too Large")
        size = _image_size(content) if content else (512, 512)
        if size is None:
            raise _bad("IMAGE_PROCESS_FAILED")
        formatted = self._caption(params)
        meta = meta or self._store_file("photos", filename, content, mime)
        photo = [{**meta, "width": size[0], "height": size[1]}]
        message = self._new_message(
            chat,
            self.bot,
            caption=params.get("caption") if params.get("caption") not in (None, "") else None,
            parse_mode=params.get("parse_mode"),
            formatted=formatted,
            reply_markup=markup,
            thread_id=thread_id,
            reply_to=reply_to,
            photo=content,
            media={"photo": photo},
        )
        return message.to_api()

    def _get_file(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise _bad("invalid file_id")
        _, content, _ = self.files[file_id]
        if len(content) > GET_FILE_LIMIT:
            raise _bad("file is too big")
        path = next(p for p, fid in self._file_paths.items() if fid == file_id)
        return {
            "file_id": file_id,
            "file_unique_id": f"AgADsbx{file_id.rsplit('-', 1)[-1]}",
            "file_size": len(content),
            "file_path": path,
        }

    def file_content(self, file_path: str) -> bytes | None:
        """The bytes behind a getFile `file_path` (what Telegram's file URL serves)."""
        file_id = self._file_paths.get(file_path.lstrip("/"))
        return None if file_id is None else self.files[file_id][1]

    # --- pins and chat information

    def _pin_chat_message(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_access(chat)
        message = self._find(chat.id, _int_param(params, "message_id"))
        if chat.type != "private" and not self._bot_can(chat, "can_pin_messages"):
            raise _bad("not enough rights to manage pinned messages in the chat")
        if message is None or message.deleted:
            raise _bad("message to pin not found")
        message.pinned = True
        if message.message_id in chat.pinned:
            chat.pinned.remove(message.message_id)
        chat.pinned.append(message.message_id)
        # Telegram posts a "pinned a message" service message (the bot never gets its own).
        self._new_message(
            chat,
            self.bot,
            service={"pinned_message": message.to_api(with_reply=False)},
            thread_id=message.thread_id,
        )
        return True

    def _unpin_chat_message(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_access(chat)
        if chat.type != "private" and not self._bot_can(chat, "can_pin_messages"):
            raise _bad("not enough rights to manage pinned messages in the chat")
        message_id = _opt_int_param(params, "message_id")
        if message_id is None:
            message_id = chat.pinned[-1] if chat.pinned else None
        if message_id is not None and message_id in chat.pinned:
            chat.pinned.remove(message_id)
            message = self._find(chat.id, message_id)
            if message is not None:
                message.pinned = False
        return True

    def _get_chat(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.type != "private":
            self._check_access(chat)
        data = {
            **chat.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if chat.pinned:
            pinned = self._find(chat.id, chat.pinned[-1])
            if pinned is not None:
                data["pinned_message"] = pinned.to_api(with_reply=False)
        if chat.type != "private":
            data["permissions"] = {
                "can_send_messages": True,
                "can_send_other_messages": True,
                "can_add_web_page_previews": True,
                "can_invite_users": True,
            }
        return data

    def _member_api(self, chat: SandboxChat, user: SandboxUser, status: str) -> dict[str, Any]:
        """The ChatMember object for `user` with `status` in `chat`."""
        data: dict[str, Any] = {"status": status, "user": user.to_api()}
        if status == "creator":
            data["is_anonymous"] = user.id in chat.anonymous_admins
        elif status == "administrator":
            rights = chat.bot_rights if user.id == self.bot.id else chat.admin_rights.get(user.id)
            data.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": user.id in chat.anonymous_admins,
                    **_DEFAULT_ADMIN_RIGHTS,
                    **(rights or {}),
                }
            )
            if not chat.is_forum:
                data.pop("can_manage_topics", None)
        elif status == "kicked":
            data["until_date"] = 0
        return data

    def _member_status(self, chat: SandboxChat, user_id: int) -> str:
        if user_id == self.bot.id:
            return "member" if chat.type == "private" else chat.bot_status
        if chat.type == "private":
            return "member" if user_id == chat.id else "left"
        return chat.members.get(user_id, "left")

    def _get_chat_member(
        self, params: Mapping[str, Any], files: Mapping[str, Any]
    ) -> dict[str, Any]:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.type != "private":
            self._check_access(chat)
        user_id = _int_param(params, "user_id")
        user = self.bot if user_id == self.bot.id else self.users.get(user_id)
        if user is None:
            raise _bad("user not found")
        return self._member_api(chat, user, self._member_status(chat, user_id))

    def _get_chat_administrators(
        self, params: Mapping[str, Any], files: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.type == "private":
            raise _bad("there are no administrators in the private chat")
        self._check_access(chat)
        admins = [
            self._member_api(chat, self.users[user_id], status)
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if chat.bot_status in ("creator", "administrator"):
            admins.append(self._member_api(chat, self.bot, chat.bot_status))
        return admins

    def _get_chat_member_count(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> int:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.type == "private":
            return 2
        self._check_access(chat)
        present = sum(1 for status in chat.members.values() if status in _PRESENT)
        return present + (1 if chat.bot_status in _PRESENT else 0)

    def _send_chat_action(self, params: Mapping[str, Any], files: Mapping[str, Any]) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_access(chat)
        self._thread(chat, params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self.chat_actions.append((chat.id, str(action)))
        return True

    def _create_forum_topic(
        self, params: Mapping[str, Any], files: Mapping[str, Any]
    ) -> dict[str, Any]:
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_access(chat)
        if not chat.is_forum:
            raise _bad("the chat is not a forum")
        if not self._bot_can(chat, "can_manage_topics"):
            raise _bad("not enough rights to create a topic")
        name = str(params.get("name") or "").strip()
        if not name:
            raise _bad("TOPIC_NAME_EMPTY")
        if len(name) > 128:
            raise _bad("TOPIC_NAME_INVALID")
        icon_color = params.get("icon_color") or 7322096
        thread_id = self._open_topic(chat, name, self.bot, icon_color=int(icon_color))
        return {"message_thread_id": thread_id, "name": name, "icon_color": int(icon_color)}

    # ------------------------------------------------------------------ storage helpers

    def _utcnow(self) -> datetime:
        # The injected clock should be aware UTC; a naive one is taken as UTC, not local time.
        current = self._now()
        return current if current.tzinfo is not None else current.replace(tzinfo=UTC)

    def _date(self) -> int:
        return int(self._utcnow().timestamp())

    def _find(self, chat_id: int, message_id: int) -> SandboxMessage | None:
        for message in self._messages.get(chat_id, []):
            if message.message_id == message_id:
                return message
        return None

    def _new_message(
        self,
        chat: SandboxChat,
        sender: SandboxUser,
        *,
        text: str | None = None,
        caption: str | None = None,
        formatted: FormattedText | None = None,
        anonymous: bool = False,
        thread_id: int | None = None,
        reply_to: SandboxMessage | None = None,
        **fields: Any,
    ) -> SandboxMessage:
        number = self._next_message_id.get(chat.id, 1)
        self._next_message_id[chat.id] = number + 1
        if formatted is None:
            formatted = FormattedText(text if text is not None else caption or "")
        if anonymous:
            sender_api = _anonymous_admin_api()
            from_id: int = ANONYMOUS_ADMIN_ID
        else:
            sender_api = sender.to_api()
            from_id = sender.id
        message = SandboxMessage(
            message_id=number,
            chat_id=chat.id,
            from_id=from_id,
            date=self._date(),
            text=text,
            caption=caption,
            parsed_text=formatted.text,
            entities=formatted.entities,
            thread_id=thread_id,
            is_topic_message=chat.is_forum and thread_id is not None,
            chat=chat.to_api(),
            sender=sender_api,
            sender_chat=chat.to_api() if anonymous else None,
            reply_to=reply_to,
            **fields,
        )
        self._messages.setdefault(chat.id, []).append(message)
        self._log.append(message)
        return message

    def _queue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        return self._enqueue(update)

    def _enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        self._archive[update["update_id"]] = copy.deepcopy(update)
        self._queue.append(_Queued(copy.deepcopy(update)))
        self._wake()
        return copy.deepcopy(update)

    def _bot_present(self, chat: SandboxChat) -> bool:
        if chat.type == "private":
            return chat.user is not None and not chat.user.blocked
        return chat.bot_status in _PRESENT

    def _bot_sees(self, chat: SandboxChat, message: SandboxMessage) -> bool:
        """Would Telegram deliver this user message to the bot?"""
        if not self._bot_present(chat):
            return False
        if chat.type == "private" or message.service is not None:
            return True
        if not self.privacy_mode or chat.bot_status in ("creator", "administrator"):
            return True
        # Privacy mode: commands, replies to the bot and service messages only.
        text = message.text or message.caption or ""
        entity = command_entity(text)
        if entity is not None:
            command = text[: entity["length"]]
            target = command.partition("@")[2]
            return not target or target.lower() == (self.bot.username or "").lower()
        return message.reply_to is not None and message.reply_to.from_id == self.bot.id

    def _deliver(self, chat: SandboxChat, message: SandboxMessage) -> dict[str, Any]:
        """Queue the update for a user's message; update_id is None when not delivered."""
        if self._bot_sees(chat, message):
            return self._queue_update("message", message.to_api())
        return {"update_id": None, "message": message.to_api()}

    def _member_update(
        self,
        kind: str,
        chat: SandboxChat,
        actor: SandboxUser,
        subject: SandboxUser,
        old: str,
        new: str,
    ) -> dict[str, Any]:
        payload = {
            "chat": chat.to_api(),
            "from": actor.to_api(),
            "date": self._date(),
            "old_chat_member": self._member_api(chat, subject, old),
            "new_chat_member": self._member_api(chat, subject, new),
        }
        return self._queue_update(kind, payload)

    # ------------------------------------------------------------------ world building

    def add_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fr",
    ) -> SandboxUser:
        """A new user (ids from 100001) with their (not yet started) private chat."""
        user = SandboxUser(
            id=self._next_user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._next_user_id += 1
        self.users[user.id] = user
        self.chats[user.id] = SandboxChat(
            id=user.id, type="private", bot_status="member", user=user
        )
        self._messages[user.id] = []
        return user

    def create_group(
        self,
        title: str,
        *,
        owner: SandboxUser,
        members: Iterable[SandboxUser] = (),
        admins: Iterable[SandboxUser] = (),
        supergroup: bool = True,
        forum: bool = False,
        bot_is_admin: bool = True,
        bot_rights: Mapping[str, bool] | None = None,
        bot_member: bool = True,
    ) -> SandboxChat:
        """A group owned by `owner`; unless bot_member=False the owner adds the bot to it."""
        if forum and not supergroup:
            raise SandboxError("only supergroups can be forums")
        chat = SandboxChat(id=self._new_group_id(supergroup), type="supergroup", title=title)
        if not supergroup:
            chat.type = "group"
        chat.is_forum = forum
        chat.members[self._user(owner).id] = "creator"
        for admin in admins:
            chat.members[self._user(admin).id] = "administrator"
        for member in members:
            chat.members.setdefault(self._user(member).id, "member")
        self.chats[chat.id] = chat
        self._messages[chat.id] = []
        if bot_member:
            self._add_bot(chat, self._user(owner), admin=bot_is_admin, rights=bot_rights)
        return chat

    def _new_group_id(self, supergroup: bool) -> int:
        if supergroup:
            number = self._next_supergroup
            self._next_supergroup += 1
            return -1001000000000 - number
        number = self._next_group
        self._next_group += 1
        return -4000000 - number

    def _add_bot(
        self,
        chat: SandboxChat,
        actor: SandboxUser,
        *,
        admin: bool,
        rights: Mapping[str, bool] | None,
    ) -> None:
        old = chat.bot_status
        chat.bot_status = "administrator" if admin else "member"
        chat.bot_rights = {**_DEFAULT_ADMIN_RIGHTS, **(rights or {})} if admin else {}
        self._member_update("my_chat_member", chat, actor, self.bot, old, chat.bot_status)
        message = self._new_message(chat, actor, service={"new_chat_members": [self.bot.to_api()]})
        self._deliver(chat, message)

    def _owner(self, chat: SandboxChat) -> SandboxUser:
        for user_id, status in chat.members.items():
            if status == "creator":
                return self.users[user_id]
        raise SandboxError(f"chat {chat.id} has no owner")

    def set_admin(
        self,
        chat: SandboxChat | int,
        user: SandboxUser | int,
        admin: bool = True,
        *,
        anonymous: bool = False,
        rights: Mapping[str, bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Promote/demote a member; a chat_member update when the bot is an admin there."""
        group = self._group(chat)
        member = self._user(user)
        old = group.members.get(member.id, "left")
        if old == "creator":
            raise SandboxError("the owner's status cannot change")
        new = "administrator" if admin else "member"
        group.members[member.id] = new
        if admin:
            group.admin_rights[member.id] = {**_DEFAULT_ADMIN_RIGHTS, **(rights or {})}
            if anonymous:
                group.anonymous_admins.add(member.id)
        else:
            group.admin_rights.pop(member.id, None)
            group.anonymous_admins.discard(member.id)
        if old != new and group.bot_status in ("creator", "administrator"):
            return [self._member_update("chat_member", group, self._owner(group), member, old, new)]
        return []

    def set_bot_admin(
        self, chat: SandboxChat | int, admin: bool, rights: Mapping[str, bool] | None = None
    ) -> list[dict[str, Any]]:
        """The owner promotes/demotes the bot (adding it first if it is not in the group)."""
        group = self._group(chat)
        owner = self._owner(group)
        if group.bot_status not in _PRESENT:
            before = len(self._queue)
            self._add_bot(group, owner, admin=admin, rights=rights)
            return [copy.deepcopy(q.update) for q in self._queue[before:]]
        old = group.bot_status
        group.bot_status = "administrator" if admin else "member"
        group.bot_rights = {**_DEFAULT_ADMIN_RIGHTS, **(rights or {})} if admin else {}
        return [
            self._member_update("my_chat_member", group, owner, self.bot, old, group.bot_status)
        ]

    def remove_bot(self, chat: SandboxChat | int, *, ban: bool = False) -> dict[str, Any]:
        """The owner removes (or bans) the bot; Telegram tells the bot with my_chat_member."""
        group = self._group(chat)
        old = group.bot_status
        group.bot_status = "kicked" if ban else "left"
        group.bot_rights = {}
        owner = self._owner(group)
        self._new_message(group, owner, service={"left_chat_member": self.bot.to_api()})
        return self._member_update("my_chat_member", group, owner, self.bot, old, group.bot_status)

    def create_topic(self, chat: SandboxChat | int, name: str) -> int:
        """The owner opens a forum topic; returns its message_thread_id."""
        group = self._group(chat)
        if not group.is_forum:
            raise SandboxError(f"chat {group.id} is not a forum")
        return self._open_topic(group, name, self._owner(group))

    def _open_topic(
        self, chat: SandboxChat, name: str, creator: SandboxUser, *, icon_color: int = 7322096
    ) -> int:
        # The topic id is the id of its forum_topic_created service message.
        thread_id = self._next_message_id.get(chat.id, 1)
        message = self._new_message(
            chat,
            creator,
            thread_id=thread_id,
            service={"forum_topic_created": {"name": name, "icon_color": icon_color}},
        )
        chat.topics[thread_id] = name
        if creator.id != self.bot.id:
            self._deliver(chat, message)
        return thread_id

    def migrate_to_supergroup(self, chat: SandboxChat | int) -> SandboxChat:
        """Upgrade a basic group: new id, migrate_* service messages, old id answers 400."""
        old = self._group(chat)
        if old.type != "group":
            raise SandboxError(f"chat {old.id} is not a basic group")
        owner = self._owner(old)
        new = SandboxChat(
            id=self._new_group_id(True),
            type="supergroup",
            title=old.title,
            members=dict(old.members),
            anonymous_admins=set(old.anonymous_admins),
            bot_status=old.bot_status,
            bot_rights=(
                {**_DEFAULT_ADMIN_RIGHTS, **old.bot_rights}
                if old.bot_status == "administrator"
                else {}
            ),
            admin_rights=copy.deepcopy(old.admin_rights),
        )
        self.chats[new.id] = new
        self._messages[new.id] = []
        message = self._new_message(old, owner, service={"migrate_to_chat_id": new.id})
        self._deliver(old, message)
        old.migrated_to = new.id
        message = self._new_message(new, owner, service={"migrate_from_chat_id": old.id})
        self._deliver(new, message)
        return new

    def block_bot(self, user: SandboxUser | int) -> dict[str, Any]:
        """The user blocks the bot: a my_chat_member update (member -> kicked)."""
        blocker = self._user(user)
        blocker.blocked = True
        chat = self.chats[blocker.id]
        return self._member_update("my_chat_member", chat, blocker, self.bot, "member", "kicked")

    def unblock_bot(self, user: SandboxUser | int) -> dict[str, Any]:
        """The user unblocks the bot: a my_chat_member update (kicked -> member)."""
        blocker = self._user(user)
        blocker.blocked = False
        chat = self.chats[blocker.id]
        return self._member_update("my_chat_member", chat, blocker, self.bot, "kicked", "member")

    # ------------------------------------------------------------------ acting as users

    def _user(self, user: SandboxUser | int) -> SandboxUser:
        user_id = user.id if isinstance(user, SandboxUser) else int(user)
        found = self.users.get(user_id)
        if found is None:
            raise SandboxError(f"unknown user {user_id}")
        return found

    def _as_chat(self, chat: SandboxChat | SandboxUser | int) -> SandboxChat:
        chat_id = chat.id if isinstance(chat, SandboxChat | SandboxUser) else int(chat)
        found = self.chats.get(chat_id)
        if found is None:
            raise SandboxError(f"unknown chat {chat_id}")
        return found

    def _group(self, chat: SandboxChat | int) -> SandboxChat:
        group = self._as_chat(chat)
        if group.type == "private":
            raise SandboxError(f"chat {group.id} is a private chat, not a group")
        return group

    def _chat_for(
        self, user: SandboxUser, chat: SandboxChat | SandboxUser | int | None
    ) -> SandboxChat:
        """The chat where `user` acts: None/the user means their private chat with the bot."""
        target = self.chats[user.id] if chat is None else self._as_chat(chat)
        if target.migrated_to is not None:
            raise SandboxError(f"chat {target.id} was migrated to {target.migrated_to}")
        if target.type == "private":
            if target.id != user.id:
                raise SandboxError(f"user {user.id} cannot act in {target.id}'s private chat")
        elif target.members.get(user.id) not in _PRESENT:
            raise SandboxError(f"user {user.id} is not a member of chat {target.id}")
        return target

    def _open_private(self, user: SandboxUser) -> None:
        if user.blocked:
            self.unblock_bot(user)  # the client's "Restart" button unblocks, then sends
        user.started = True

    def send_text(
        self,
        user: SandboxUser | int,
        chat: SandboxChat | SandboxUser | int | None,
        text: str,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
        anonymous: bool = False,
    ) -> dict[str, Any]:
        """The user sends `text`; returns the update (update_id None if not delivered)."""
        sender = self._user(user)
        target = self._chat_for(sender, chat)
        if not text.strip():
            raise SandboxError("Telegram clients cannot send an empty message")
        if len(text) > MESSAGE_LIMIT:
            raise SandboxError("Telegram clients split texts longer than 4096 characters")
        if target.type == "private":
            if anonymous:
                raise SandboxError("anonymous messages only exist in groups")
            self._open_private(sender)
        elif anonymous:
            if target.members.get(sender.id) not in ("creator", "administrator"):
                raise SandboxError(f"user {sender.id} is not an admin of chat {target.id}")
            target.anonymous_admins.add(sender.id)
        reply = self._user_reply(target, reply_to)
        thread_id = self._user_thread(target, thread_id, reply)
        entity = command_entity(text)
        message = self._new_message(
            target,
            sender,
            text=text,
            formatted=FormattedText(text, [entity] if entity else []),
            anonymous=anonymous,
            thread_id=thread_id,
            reply_to=reply,
        )
        return self._deliver(target, message)

    def _user_reply(self, chat: SandboxChat, reply_to: int | None) -> SandboxMessage | None:
        if reply_to is None:
            return None
        message = self._find(chat.id, reply_to)
        if message is None or message.deleted:
            raise SandboxError(f"no message {reply_to} in chat {chat.id} to reply to")
        return message

    def _user_thread(
        self, chat: SandboxChat, thread_id: int | None, reply: SandboxMessage | None
    ) -> int | None:
        if thread_id is None and reply is not None:
            return reply.thread_id
        if thread_id is not None and thread_id not in chat.topics:
            raise SandboxError(f"chat {chat.id} has no topic {thread_id}")
        return thread_id

    def _find_button(
        self, message: SandboxMessage, label: str
    ) -> tuple[dict[str, Any] | None, list[str]]:
        """(button, ambiguous labels): exact label first, else a unique case-insensitive match."""
        buttons = message.inline_buttons
        for button in buttons:
            if button.get("text") == label:
                return button, []
        wanted = label.casefold()
        matches = [b for b in buttons if wanted in str(b.get("text", "")).casefold()]
        if len(matches) == 1:
            return matches[0], []
        return None, [str(b.get("text")) for b in matches]

    def press(
        self,
        user: SandboxUser | int,
        chat: SandboxChat | SandboxUser | int | None,
        label: str,
        *,
        message_id: int | None = None,
        group: SandboxChat | int | None = None,
    ) -> dict[str, Any]:
        """Press the inline button labelled `label` on the newest bot message that has one.

        `group` is the group a startgroup deep-link button adds the bot to.
        """
        presser = self._user(user)
        target = self._chat_for(presser, chat)
        if message_id is not None:
            message = self._find(target.id, message_id)
            if message is None or message.deleted:
                raise SandboxError(f"no message {message_id} in chat {target.id}")
            candidates = [message]
        else:
            candidates = [m for m in reversed(self.bot_messages(target)) if m.inline_buttons]
        for message in candidates:
            button, ambiguous = self._find_button(message, label)
            if ambiguous:
                raise SandboxError(
                    f"{label!r} matches several buttons of message {message.message_id}: "
                    f"{ambiguous}"
                )
            if button is not None:
                return self._activate(presser, target, message, button, group)
        available = [(m.message_id, m.buttons) for m in candidates[:3]]
        raise SandboxError(
            f"no button {label!r} in chat {target.id}; newest keyboards (message_id, labels): "
            f"{available or 'none'}"
        )

    def _activate(
        self,
        user: SandboxUser,
        chat: SandboxChat,
        message: SandboxMessage,
        button: dict[str, Any],
        group: SandboxChat | int | None,
    ) -> dict[str, Any]:
        if "callback_data" in button:
            return self._callback(user, chat, message, str(button["callback_data"]))
        if "url" in button:
            url = str(button["url"])
            if self._is_bot_deep_link(url):
                return self.open_link(user, url, group=group)
            raise SandboxError(f"button {button.get('text')!r} opens {url}, not a bot deep link")
        kinds = [kind for kind in _BUTTON_KINDS if kind in button]
        raise SandboxError(f"button {button.get('text')!r} ({kinds}) is not simulated")

    def _callback(
        self, user: SandboxUser, chat: SandboxChat, message: SandboxMessage, data: str
    ) -> dict[str, Any]:
        query_id = str(4_400_000_000_000_000_000 + self._next_query)
        self._next_query += 1
        self._queries[query_id] = _Query(
            user_id=user.id, chat_id=chat.id, message_id=message.message_id, created=self._utcnow()
        )
        payload = {
            "id": query_id,
            "from": user.to_api(),
            "message": message.to_api(),
            # Stable per chat, as Telegram's is, so bots may key games/state on it.
            "chat_instance": str((chat.id * 2654435761) % (2**63)),
            "data": data,
        }
        return self._queue_update("callback_query", payload)

    def press_data(
        self,
        user: SandboxUser | int,
        chat: SandboxChat | SandboxUser | int | None,
        message_id: int,
        data: str,
    ) -> dict[str, Any]:
        """A callback press with arbitrary data on a message (forged or stale buttons)."""
        presser = self._user(user)
        target = self._chat_for(presser, chat)
        message = self._find(target.id, message_id)
        if message is None:
            raise SandboxError(f"no message {message_id} in chat {target.id}")
        return self._callback(presser, target, message, data)

    def _is_bot_deep_link(self, url: str) -> bool:
        parsed = _parse_link(url)
        return parsed is not None and parsed[0].lower() == (self.bot.username or "").lower()

    def open_link(
        self, user: SandboxUser | int, url: str, *, group: SandboxChat | int | None = None
    ) -> dict[str, Any]:
        """Follow a t.me (or tg://resolve) link to the bot: sends "/start PAYLOAD" like clients.

        A ?startgroup= link needs `group`: the user adds the bot there (if needed) and
        "/start@bot PAYLOAD" is sent in that group.
        """
        opener = self._user(user)
        parsed = _parse_link(url)
        if parsed is None:
            raise SandboxError(f"{url!r} is not a t.me or tg://resolve link")
        name, query = parsed
        if name.lower() != (self.bot.username or "").lower():
            raise SandboxError(f"{url!r} does not lead to @{self.bot.username}")
        if "startgroup" in query:
            payload = self._payload(query["startgroup"][0], url)
            if group is None:
                raise SandboxError(f"{url!r} is a startgroup link: pass group=")
            target = self._chat_for(opener, group)
            if target.bot_status not in _PRESENT:
                self._add_bot(target, opener, admin=False, rights=None)
            text = f"/start@{self.bot.username}" + (f" {payload}" if payload else "")
            return self.send_text(opener, target, text)
        payload = self._payload(query["start"][0], url) if "start" in query else ""
        return self.send_text(opener, None, "/start" + (f" {payload}" if payload else ""))

    @staticmethod
    def _payload(payload: str, url: str) -> str:
        if not _DEEP_LINK_PAYLOAD_RE.fullmatch(payload):
            raise SandboxError(
                f"invalid deep-link payload in {url!r}: Telegram allows up to 64 characters "
                "among A-Z a-z 0-9 _ - (clients drop other payloads)"
            )
        return payload

    def send_document(
        self,
        user: SandboxUser | int,
        chat: SandboxChat | SandboxUser | int | None,
        filename: str,
        content: bytes,
        *,
        caption: str | None = None,
        mime: str = "application/octet-stream",
    ) -> dict[str, Any]:
        """The user sends a file; the bot can fetch it with getFile."""
        sender = self._user(user)
        target = self._chat_for(sender, chat)
        if not content:
            raise SandboxError("Telegram clients cannot send an empty file")
        if target.type == "private":
            self._open_private(sender)
        meta = self._store_file("documents", filename, content, mime)
        entity = command_entity(caption or "")
        message = self._new_message(
            target,
            sender,
            caption=caption,
            formatted=FormattedText(caption or "", [entity] if entity else []),
            document=(filename, content, mime),
            media={"document": {**meta, "file_name": filename, "mime_type": mime}},
        )
        return self._deliver(target, message)

    def join(self, user: SandboxUser | int, chat: SandboxChat | int) -> list[dict[str, Any]]:
        """The user joins: new_chat_members message (+ chat_member if the bot is admin)."""
        joiner = self._user(user)
        group = self._group(chat)
        old = group.members.get(joiner.id, "left")
        if old in _PRESENT:
            raise SandboxError(f"user {joiner.id} is already in chat {group.id}")
        if old == "kicked":
            raise SandboxError(f"user {joiner.id} is banned from chat {group.id}")
        group.members[joiner.id] = "member"
        message = self._new_message(group, joiner, service={"new_chat_members": [joiner.to_api()]})
        return self._membership_updates(group, joiner, message, old, "member")

    def leave(self, user: SandboxUser | int, chat: SandboxChat | int) -> list[dict[str, Any]]:
        """The user leaves: left_chat_member message (+ chat_member if the bot is admin)."""
        leaver = self._user(user)
        group = self._group(chat)
        old = group.members.get(leaver.id, "left")
        if old not in _PRESENT:
            raise SandboxError(f"user {leaver.id} is not in chat {group.id}")
        group.members[leaver.id] = "left"
        group.anonymous_admins.discard(leaver.id)
        group.admin_rights.pop(leaver.id, None)
        message = self._new_message(group, leaver, service={"left_chat_member": leaver.to_api()})
        return self._membership_updates(group, leaver, message, old, "left")

    def _membership_updates(
        self, group: SandboxChat, user: SandboxUser, message: SandboxMessage, old: str, new: str
    ) -> list[dict[str, Any]]:
        updates = []
        delivered = self._deliver(group, message)
        if delivered["update_id"] is not None:
            updates.append(delivered)
        if group.bot_status in ("creator", "administrator"):
            updates.append(self._member_update("chat_member", group, user, user, old, new))
        return updates

    def raw_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue any update as is (malformed-update tests); update_id added when missing."""
        update = copy.deepcopy(payload)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        if isinstance(update["update_id"], int) and update["update_id"] >= self._next_update_id:
            self._next_update_id = update["update_id"] + 1
        return self._enqueue(update)

    def redeliver(self, update_id: int) -> dict[str, Any]:
        """Queue an earlier update again with the same update_id (duplicate delivery)."""
        if update_id not in self._archive:
            raise SandboxError(f"no update {update_id} was ever queued")
        update = copy.deepcopy(self._archive[update_id])
        self._queue.append(_Queued(update))
        self._wake()
        return copy.deepcopy(update)

    # ------------------------------------------------------------------ updates

    def pending_updates(self) -> list[dict[str, Any]]:
        """Queued updates not yet consumed (copies)."""
        return [copy.deepcopy(queued.update) for queued in self._queue]

    def pop_updates(self) -> list[dict[str, Any]]:
        """Take every queued update (all types), e.g. to feed Application.process_update."""
        taken = [queued.update for queued in self._queue]
        self._queue.clear()
        return taken

    # ------------------------------------------------------------------ inspection

    def messages(
        self, chat: SandboxChat | SandboxUser | int, *, include_deleted: bool = False
    ) -> list[SandboxMessage]:
        """Every message of the chat in order (users', the bot's, service messages)."""
        found = self._as_chat(chat)
        return [m for m in self._messages.get(found.id, []) if include_deleted or not m.deleted]

    def all_messages(self) -> list[SandboxMessage]:
        """Every message of every chat, in the order they were sent."""
        return list(self._log)

    @property
    def bot_id(self) -> int:
        return self.bot.id

    def bot_messages(self, chat: SandboxChat | SandboxUser | int) -> list[SandboxMessage]:
        """The bot's visible messages in the chat, service messages excluded."""
        return [m for m in self.messages(chat) if m.from_id == self.bot.id and m.service is None]

    def last_bot_message(self, chat: SandboxChat | SandboxUser | int) -> SandboxMessage:
        """The bot's newest visible message in the chat (SandboxError when there is none)."""
        sent = self.bot_messages(chat)
        if not sent:
            raise SandboxError(f"the bot has sent nothing in chat {self._as_chat(chat).id}")
        return sent[-1]

    def chat(self, chat_id: int) -> SandboxChat:
        """The chat with that id."""
        return self._as_chat(chat_id)

    def user(self, user_id: int) -> SandboxUser:
        """The user with that id."""
        return self._user(user_id)

    # ------------------------------------------------------------------ error injection

    def fail_next(
        self,
        method: str,
        error: FailureKind,
        *,
        chat_id: int | None = None,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (to chat_id, if given) fail like Telegram."""
        name = self._canonical.get(method.lower())
        if name is None:
            raise SandboxError(f"unknown or unsimulated Bot API method {method!r}")
        if error not in _FAILURE_KINDS:
            raise SandboxError(f"unknown failure {error!r}; one of {sorted(_FAILURE_KINDS)}")
        if times < 1:
            raise SandboxError("times must be at least 1")
        self._failures.append(
            _Failure(
                method=name,
                error=error,
                chat_id=chat_id,
                retry_after=retry_after,
                remaining=times,
                description=description,
            )
        )


def _parse_link(url: str) -> tuple[str, dict[str, list[str]]] | None:
    """(username, query) of a t.me/<name>?... or tg://resolve?domain=<name>&... link."""
    if url.startswith("tg://resolve?"):
        query = parse_qs(urlsplit(url).query, keep_blank_values=True)
        domain = query.pop("domain", [""])[0]
        return (domain, query) if domain else None
    match = _LINK_RE.fullmatch(url)
    if match is None:
        return None
    return match["name"], parse_qs(match["query"] or "", keep_blank_values=True)


def _anonymous_admin_api() -> dict[str, Any]:
    return {
        "id": ANONYMOUS_ADMIN_ID,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
