"""The Bot API's rules: the methods the bot calls, answered as Telegram's HTTP API would.

`BotApi.call` takes a method name and its parameters (as PTB or an HTTP client sends them) and
returns Telegram's status code and JSON body. Each method handler validates like Telegram
(chat access, rights, formatting, keyboards, file sizes...), changes the `World` and records
what the bot did (`calls`, `commands`, `toasts`...). Where Telegram rejects something a bot
could get wrong, the sandbox rejects it too, with Telegram's status and description, so those
bugs show up in tests. Injected failures (`failures`) are answered before the method runs.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import mimetypes
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, cast
from urllib.parse import urlsplit

from bot.sandbox.entities import FormattedText
from bot.sandbox.events import Answer, Deleted, Edited, Markup, Pinned, Sent, buttons_of
from bot.sandbox.failures import FAILURE_KINDS, Failure, FailureKind, Failures
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.rules import (
    DELETE_WINDOW,
    DOCUMENT_LIMIT,
    GET_FILE_LIMIT,
    NOT_MODIFIED,
    PHOTO_LIMIT,
    ApiError,
    bad,
    bool_param,
    check_markup,
    decode_params,
    forbidden,
    format_text,
    image_size,
    inline_markup,
    int_param,
    opt_int_param,
)
from bot.sandbox.world import (
    ADMIN_STATUSES,
    PRESENT,
    SandboxChat,
    SandboxError,
    SandboxMessage,
    World,
)

__all__ = ["BotApi", "SandboxTimeout"]

_LOGGER = logging.getLogger(__name__)

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

Params = Mapping[str, Any]
Files = Mapping[str, Any]


def _caption_or_none(params: Params) -> str | None:
    caption = params.get("caption")
    return None if caption in (None, "") else str(caption)


class _Target(NamedTuple):
    """Where a bot message goes, once checked: chat, topic, replied message, keyboard."""

    chat: SandboxChat
    thread_id: int | None
    reply_to: SandboxMessage | None
    markup: dict[str, Any] | None


class SandboxTimeout(Exception):
    """The transport must report a timeout to the bot (telegram.error.TimedOut)."""


class BotApi:
    """Answers the bot's Bot API calls against a `World`, and records what the bot did."""

    def __init__(
        self, world: World, *, strict_html: bool = True, rate_limits: bool = False
    ) -> None:
        self.world = world
        self.strict_html = strict_html
        # Telegram's flood limits, only when a test opts in (see `ratelimit`).
        self.limiter = RateLimiter(world.utcnow) if rate_limits else None
        # What the bot did, for assertions.
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook: dict[str, Any] | None = None
        self.callback_query_ttl = timedelta(seconds=15)
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.toasts: list[tuple[int, str]] = []
        self.failures = Failures()
        self._handlers: dict[str, Callable[[Params, Files], Any]] = {
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

    # ------------------------------------------------------------------ entry points

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
        decoded = decode_params(params)
        self.calls.append((name, decoded))
        handler = self._handlers.get(name)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        failure = self.failures.take(name, decoded)
        if failure is not None and failure.error == "timeout":
            raise SandboxTimeout(f"injected timeout of {name} (nothing happened)")
        if failure is not None and failure.error != "timeout_after_send":
            return failure.answer()
        try:
            result = handler(decoded, dict(files or {}))
            if asyncio.iscoroutine(result):
                result = await cast(Awaitable[Any], result)
        except ApiError as error:
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
        if error not in FAILURE_KINDS:
            raise SandboxError(f"unknown failure {error!r}; one of {sorted(FAILURE_KINDS)}")
        if times < 1:
            raise SandboxError("times must be at least 1")
        self.failures.arm(
            Failure(
                method=name,
                error=error,
                chat_id=chat_id,
                retry_after=retry_after,
                remaining=times,
                description=description,
            )
        )

    # ------------------------------------------------------------------ shared checks

    def _resolve_chat(self, chat_id: Any) -> SandboxChat:
        if chat_id is None or chat_id == "":
            raise bad("chat_id is empty")
        chat: SandboxChat | None = None
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            chat = next(
                (c for c in self.world.chats.values() if (c.username or "").lower() == wanted),
                None,
            )
        else:
            try:
                chat = self.world.chats.get(int(chat_id))
            except (TypeError, ValueError):
                chat = None
        if chat is None:
            raise bad("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        return chat

    def _writable_chat(self, params: Params) -> SandboxChat:
        """The chat of `chat_id`, after checking the bot may act there."""
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_access(chat)
        return chat

    def _check_access(self, chat: SandboxChat) -> None:
        """Raise what Telegram answers when the bot cannot write to `chat`."""
        if chat.type == "private":
            user = chat.user
            if user is None:
                raise bad("chat not found")
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            if not user.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
        if chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {kind}")
        if chat.bot_status not in PRESENT:
            raise forbidden(f"bot is not a member of the {kind}")

    def _bot_can(self, chat: SandboxChat, right: str) -> bool:
        if chat.bot_status == "creator":
            return True
        if chat.bot_status != "administrator":
            return False
        if chat.type == "group":
            return True  # basic group admins have every right
        return bool(chat.bot_rights.get(right))

    def _thread(self, chat: SandboxChat, params: Params) -> int | None:
        thread_id = opt_int_param(params, "message_thread_id")
        if thread_id is None:
            return None
        if chat.is_forum:
            if thread_id not in chat.topics:
                raise bad("message thread not found")
            return thread_id
        if chat.type == "supergroup" and self.world.find(chat.id, thread_id) is not None:
            return thread_id  # a reply thread in a regular supergroup
        raise bad("message thread not found")

    def _format(self, raw: Any, parse_mode: Any, entities: Any, *, caption: bool) -> FormattedText:
        return format_text(raw, parse_mode, entities, caption=caption, strict_html=self.strict_html)

    def _reply_target(self, chat: SandboxChat, params: Params) -> SandboxMessage | None:
        reply = params.get("reply_parameters")
        allow_missing = bool_param(params, "allow_sending_without_reply")
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
            target = self.world.find(target_chat.id, int(message_id))
        except (TypeError, ValueError):
            target = None
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise bad("message to be replied not found")
        return target

    def _send_common(self, params: Params) -> _Target:
        chat = self._writable_chat(params)
        thread_id = self._thread(chat, params)
        reply_to = self._reply_target(chat, params)
        if thread_id is None and reply_to is not None and reply_to.chat_id == chat.id:
            thread_id = reply_to.thread_id  # a reply stays in the replied message's topic
        markup = check_markup(params.get("reply_markup"))
        return _Target(chat, thread_id, reply_to, markup)

    # ------------------------------------------------------------------ bot, updates, webhook

    def _true(self, params: Params, files: Files) -> bool:
        return True

    def _get_me(self, params: Params, files: Files) -> dict[str, Any]:
        return {
            **self.world.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.world.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Params, files: Files) -> list[dict[str, Any]]:
        updates = self.world.updates
        offset = opt_int_param(params, "offset")
        limit = opt_int_param(params, "limit") or 100
        limit = min(max(limit, 1), 100)
        timeout = params.get("timeout") or 0
        if not isinstance(timeout, int | float) or isinstance(timeout, bool):
            raise bad("timeout is invalid")
        allowed = params.get("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad("can't parse allowed updates")
            updates.allowed_updates = [str(kind) for kind in allowed]
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        poll = updates.new_poll()
        updates.confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(timeout)
        while True:
            if not updates.is_current(poll):
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = updates.take(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0:
                return batch
            await updates.wait(remaining)

    def _delete_webhook(self, params: Params, files: Files) -> bool:
        self.webhook = None
        if bool_param(params, "drop_pending_updates"):
            self.world.updates.clear()
        return True

    def _set_webhook(self, params: Params, files: Files) -> bool:
        url = params.get("url") or ""
        if not url:
            self.webhook = None  # Telegram: an empty url removes the webhook
            return True
        if not str(url).startswith("https://") and not _loopback_http(str(url)):
            # Telegram wants HTTPS; the sandbox also takes plain http on loopback (tests).
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = dict(params)
        if bool_param(params, "drop_pending_updates"):
            self.world.updates.clear()
        if isinstance(params.get("allowed_updates"), list):
            self.world.updates.allowed_updates = list(params["allowed_updates"])
        return True

    def _get_webhook_info(self, params: Params, files: Files) -> dict[str, Any]:
        updates = self.world.updates
        info: dict[str, Any] = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(updates),
        }
        if self.webhook is not None and updates.allowed_updates:
            info["allowed_updates"] = list(updates.allowed_updates)
        return info

    # ------------------------------------------------------------------ commands and menu

    def _command_key(self, params: Params) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPES:
            raise bad("wrong parameter scope")
        if scope["type"] in ("chat", "chat_administrators", "chat_member"):
            self._resolve_chat(scope.get("chat_id"))
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise bad("invalid language code specified")
        return json.dumps(scope, sort_keys=True), str(language)

    def _set_my_commands(self, params: Params, files: Files) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad("too many commands specified")
        for command in commands:
            if not isinstance(command, dict):
                raise bad("can't parse BotCommand JSON object")
            if not _BOT_COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._command_key(params)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        return True

    def _get_my_commands(self, params: Params, files: Files) -> list[dict[str, Any]]:
        return copy.deepcopy(self.commands.get(self._command_key(params), []))

    def _delete_my_commands(self, params: Params, files: Files) -> bool:
        self.commands.pop(self._command_key(params), None)
        return True

    def _set_chat_menu_button(self, params: Params, files: Files) -> bool:
        chat_id = opt_int_param(params, "chat_id")
        if chat_id is not None:
            chat = self._resolve_chat(chat_id)
            if chat.type != "private":
                raise bad("chat is not private")
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise bad("can't parse menu button")
        self.menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(self, params: Params, files: Files) -> dict[str, Any]:
        chat_id = opt_int_param(params, "chat_id")
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        if not button or button.get("type") == "default":
            return {"type": "commands"}
        return dict(button)

    # ------------------------------------------------------------------ messages

    def _send_message(self, params: Params, files: Files) -> dict[str, Any]:
        target = self._send_common(params)
        if params.get("text") in (None, ""):
            raise bad("message text is empty")
        formatted = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
        )
        self._admit(target.chat)
        return self._post(params, target, text=str(params["text"]), formatted=formatted)

    def _admit(self, chat: SandboxChat, *, edit: bool = False) -> None:
        """Telegram's 429 when the bot sends (or edits) too fast; call once all else is valid."""
        if self.limiter is not None:
            self.limiter.check(chat, edit=edit)

    def _post(self, params: Params, target: _Target, **fields: Any) -> dict[str, Any]:
        """Store the bot's new message (everything checked already); its Message object."""
        message = self.world.new_message(
            target.chat,
            self.world.bot,
            parse_mode=params.get("parse_mode"),
            reply_markup=target.markup,
            thread_id=target.thread_id,
            reply_to=target.reply_to,
            **fields,
        )
        if self.limiter is not None:
            self.limiter.record(target.chat)
        self.world.events.append(Sent.of(message))
        return message.to_api()

    def _bot_message_for_edit(self, params: Params) -> SandboxMessage:
        if params.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")  # inline mode is not simulated
        chat = self._writable_chat(params)
        message = self.world.find(chat.id, int_param(params, "message_id"))
        if (
            message is None
            or message.deleted
            or message.from_id != self.world.bot.id
            or message.service is not None
        ):
            raise bad("message to edit not found")
        return message

    def _edit_message_text(self, params: Params, files: Files) -> dict[str, Any]:
        message = self._bot_message_for_edit(params)
        if message.text is None:
            raise bad("there is no text in the message to edit")
        if params.get("text") in (None, ""):
            raise bad("message text is empty")
        formatted = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
        )
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        markup = inline_markup(check_markup(params.get("reply_markup")))
        text_changed = (formatted.text, formatted.entities) != (
            message.parsed_text,
            message.entities,
        )
        if not text_changed and markup == inline_markup(message.reply_markup):
            raise bad(NOT_MODIFIED)
        chat = self.world.chats[message.chat_id]
        self._admit(chat, edit=True)
        previous, previous_buttons = message.plain, buttons_of(message)
        message.text = str(params["text"])
        message.parse_mode = params.get("parse_mode")
        message.parsed_text = formatted.text
        message.entities = formatted.entities
        message.reply_markup = markup
        self._mark_edited(message)
        if self.limiter is not None:
            self.limiter.record(chat, edit=True)
        # With the same text, a client only sees the keyboard change.
        event = (
            Edited.of(message, previous) if text_changed else Markup.of(message, previous_buttons)
        )
        self.world.events.append(event)
        return message.to_api()

    def _edit_message_reply_markup(self, params: Params, files: Files) -> dict[str, Any]:
        message = self._bot_message_for_edit(params)
        markup = inline_markup(check_markup(params.get("reply_markup")))
        if markup == inline_markup(message.reply_markup):
            raise bad(NOT_MODIFIED)
        previous = buttons_of(message)
        message.reply_markup = markup
        self._mark_edited(message)
        self.world.events.append(Markup.of(message, previous))
        return message.to_api()

    def _mark_edited(self, message: SandboxMessage) -> None:
        message.edited = True
        message.edit_date = self.world.date()

    def _delete_message(self, params: Params, files: Files) -> bool:
        chat = self._writable_chat(params)
        message = self.world.find(chat.id, int_param(params, "message_id"))
        if message is None or message.deleted:
            raise bad("message to delete not found")
        own = message.from_id == self.world.bot.id
        if chat.type != "private" and not own and not self._bot_can(chat, "can_delete_messages"):
            raise bad("message can't be deleted")
        if message.service and (
            "forum_topic_created" in message.service or "migrate_from_chat_id" in message.service
        ):
            raise bad("message can't be deleted")
        age = self.world.utcnow() - datetime.fromtimestamp(message.date, UTC)
        if age > DELETE_WINDOW:
            raise bad("message can't be deleted for everyone")
        message.deleted = True
        if message.message_id in chat.pinned:
            chat.pinned.remove(message.message_id)
        self.world.events.append(Deleted(chat.id, message.message_id, message.plain))
        return True

    def _answer_callback_query(self, params: Params, files: Files) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        query = self.world.queries.get(query_id)
        if (
            query is None
            or query.answered
            or self.world.utcnow() - query.created > self.callback_query_ttl
        ):
            raise bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad("MESSAGE_TOO_LONG")
        url = params.get("url")
        if url and not self.world.is_bot_deep_link(str(url)):
            raise bad("URL_INVALID")  # only game URLs and t.me/<bot>?start= links are allowed
        query.answered = True
        self.callback_answers[query_id] = {
            "user_id": query.user_id,
            "text": text,
            "show_alert": bool_param(params, "show_alert"),
            "url": url,
            "cache_time": params.get("cache_time"),
        }
        if text:
            self.toasts.append((query.user_id, str(text)))
            alert = bool_param(params, "show_alert")
            self.world.events.append(Answer(query.user_id, query.chat_id, str(text), alert))
        return True

    # ------------------------------------------------------------------ files

    def _input_file(
        self, params: Params, files: Files, field_name: str
    ) -> tuple[str, bytes, str, dict[str, Any] | None]:
        """The uploaded or referenced file: (filename, content, mime, known file meta)."""
        value = params.get(field_name)
        upload: Any = None
        if field_name in files:
            upload = files[field_name]
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad(f"wrong file identifier/HTTP URL specified for {field_name}")
        if upload is not None:
            filename, content, mime = upload
            if not content:
                raise bad("file must be non-empty")
            return str(filename), bytes(content), str(mime), None
        if isinstance(value, str) and value in self.world.files:
            filename, content, mime = self.world.files[value]
            return filename, content, mime, self.world.file_meta(value)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            # The sandbox does not download: the file is recorded with no content.
            filename = urlsplit(value).path.rsplit("/", 1)[-1] or "file"
            mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            return filename, b"", mime, None
        if value:
            raise bad(f"wrong file identifier/HTTP URL specified for {field_name}")
        raise bad(f"there is no {field_name} in the request")

    def _caption(self, params: Params) -> FormattedText:
        return self._format(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            caption=True,
        )

    def _send_document(self, params: Params, files: Files) -> dict[str, Any]:
        target = self._send_common(params)
        filename, content, mime, meta = self._input_file(params, files, "document")
        if len(content) > DOCUMENT_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        formatted = self._caption(params)
        self._admit(target.chat)
        meta = meta or self.world.store_file("documents", filename, content, mime)
        document = {**meta, "file_name": filename, "mime_type": mime}
        return self._post(
            params,
            target,
            caption=_caption_or_none(params),
            formatted=formatted,
            media={"document": document},
            document=(filename, content, mime),
        )

    def _send_photo(self, params: Params, files: Files) -> dict[str, Any]:
        target = self._send_common(params)
        filename, content, mime, meta = self._input_file(params, files, "photo")
        if len(content) > PHOTO_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        size = image_size(content) if content else (512, 512)
        if size is None:
            raise bad("IMAGE_PROCESS_FAILED")
        formatted = self._caption(params)
        self._admit(target.chat)
        meta = meta or self.world.store_file("photos", filename, content, mime)
        photo = [{**meta, "width": size[0], "height": size[1]}]
        return self._post(
            params,
            target,
            caption=_caption_or_none(params),
            formatted=formatted,
            media={"photo": photo},
            photo=content,
        )

    def _get_file(self, params: Params, files: Files) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.world.files:
            raise bad("invalid file_id")
        _, content, _ = self.world.files[file_id]
        if len(content) > GET_FILE_LIMIT:
            raise bad("file is too big")
        return {**self.world.file_meta(file_id), "file_path": self.world.file_path(file_id)}

    # ------------------------------------------------------------------ pins and chat information

    def _pin_chat_message(self, params: Params, files: Files) -> bool:
        chat = self._writable_chat(params)
        message = self.world.find(chat.id, int_param(params, "message_id"))
        if chat.type != "private" and not self._bot_can(chat, "can_pin_messages"):
            raise bad("not enough rights to manage pinned messages in the chat")
        if message is None or message.deleted:
            raise bad("message to pin not found")
        message.pinned = True
        if message.message_id in chat.pinned:
            chat.pinned.remove(message.message_id)
        chat.pinned.append(message.message_id)
        # Telegram posts a "pinned a message" service message (the bot never gets its own).
        self.world.new_message(
            chat,
            self.world.bot,
            service={"pinned_message": message.to_api(with_reply=False)},
            thread_id=message.thread_id,
        )
        self.world.events.append(Pinned(chat.id, message.message_id))
        return True

    def _unpin_chat_message(self, params: Params, files: Files) -> bool:
        chat = self._writable_chat(params)
        if chat.type != "private" and not self._bot_can(chat, "can_pin_messages"):
            raise bad("not enough rights to manage pinned messages in the chat")
        message_id = opt_int_param(params, "message_id")
        if message_id is None:
            message_id = chat.pinned[-1] if chat.pinned else None
        if message_id is not None and message_id in chat.pinned:
            chat.pinned.remove(message_id)
            message = self.world.find(chat.id, message_id)
            if message is not None:
                message.pinned = False
        return True

    def _readable_chat(self, params: Params) -> SandboxChat:
        """The chat of `chat_id`; the bot must be in a group to read about it."""
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.type != "private":
            self._check_access(chat)
        return chat

    def _get_chat(self, params: Params, files: Files) -> dict[str, Any]:
        chat = self._readable_chat(params)
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
            pinned = self.world.find(chat.id, chat.pinned[-1])
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

    def _get_chat_member(self, params: Params, files: Files) -> dict[str, Any]:
        chat = self._readable_chat(params)
        user_id = int_param(params, "user_id")
        world = self.world
        user = world.bot if user_id == world.bot.id else world.users.get(user_id)
        if user is None:
            raise bad("user not found")
        return world.member_api(chat, user, world.member_status(chat, user_id))

    def _get_chat_administrators(self, params: Params, files: Files) -> list[dict[str, Any]]:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.type == "private":
            raise bad("there are no administrators in the private chat")
        self._check_access(chat)
        world = self.world
        admins = [
            world.member_api(chat, world.users[user_id], status)
            for user_id, status in chat.members.items()
            if status in ADMIN_STATUSES
        ]
        if chat.bot_status in ADMIN_STATUSES:
            admins.append(world.member_api(chat, world.bot, chat.bot_status))
        return admins

    def _get_chat_member_count(self, params: Params, files: Files) -> int:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.type == "private":
            return 2
        self._check_access(chat)
        present = sum(1 for status in chat.members.values() if status in PRESENT)
        return present + (1 if chat.bot_status in PRESENT else 0)

    def _send_chat_action(self, params: Params, files: Files) -> bool:
        chat = self._writable_chat(params)
        self._thread(chat, params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        self.chat_actions.append((chat.id, str(action)))
        return True

    def _create_forum_topic(self, params: Params, files: Files) -> dict[str, Any]:
        chat = self._writable_chat(params)
        if not chat.is_forum:
            raise bad("the chat is not a forum")
        if not self._bot_can(chat, "can_manage_topics"):
            raise bad("not enough rights to create a topic")
        name = str(params.get("name") or "").strip()
        if not name:
            raise bad("TOPIC_NAME_EMPTY")
        if len(name) > 128:
            raise bad("TOPIC_NAME_INVALID")
        icon_color = params.get("icon_color") or 7322096
        thread_id = self.world.open_topic(chat, name, self.world.bot, icon_color=int(icon_color))
        return {"message_thread_id": thread_id, "name": name, "icon_color": int(icon_color)}


def _loopback_http(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
