"""Telegram's rules that need no state: limits, parameter decoding, formatting and keyboards.

Everything here is a pure function (or constant) shared by the Bot API side (`api`) and the
simulated people (`people`): how Telegram decodes a request's parameters, parses and limits a
text, validates an inline keyboard, recognises an image or a t.me link. `ApiError` is a Bot API
error answer (status, description, parameters), raised by the method handlers and turned into
Telegram's JSON body by `BotApi.call`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.sandbox.entities import EntityParseError, FormattedText, parse_html, strip_formatted

__all__ = [
    "BUTTON_KINDS",
    "CALLBACK_DATA_LIMIT",
    "CAPTION_LIMIT",
    "DELETE_WINDOW",
    "DOCUMENT_LIMIT",
    "GET_FILE_LIMIT",
    "MESSAGE_LIMIT",
    "NOT_MODIFIED",
    "PHOTO_LIMIT",
    "ApiError",
    "bad",
    "bool_param",
    "check_markup",
    "decode_params",
    "forbidden",
    "format_text",
    "image_size",
    "inline_markup",
    "int_param",
    "opt_int_param",
    "parse_link",
]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
DOCUMENT_LIMIT = 50 * 1024 * 1024  # upload limit of the cloud Bot API
PHOTO_LIMIT = 10 * 1024 * 1024
GET_FILE_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files
DELETE_WINDOW = timedelta(hours=48)

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a previous content and reply markup of the message"
)

BUTTON_KINDS = (
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


class ApiError(Exception):
    """A Bot API error answer: status code, description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """Telegram's JSON body for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad(description: str) -> ApiError:
    """A 400 Bad Request with Telegram's wording."""
    return ApiError(400, f"Bad Request: {description}")


def forbidden(description: str) -> ApiError:
    """A 403 Forbidden with Telegram's wording."""
    return ApiError(403, f"Forbidden: {description}")


# --- parameters


def decode_params(params: Mapping[str, Any]) -> dict[str, Any]:
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


def int_param(params: Mapping[str, Any], name: str) -> int:
    """A required integer parameter, or Telegram's "is empty"/"is invalid" answer."""
    value = params.get(name)
    if value is None or value == "":
        raise bad(f"{name} is empty")
    if isinstance(value, bool):
        raise bad(f"{name} is invalid")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad(f"{name} is invalid") from None


def opt_int_param(params: Mapping[str, Any], name: str) -> int | None:
    """An optional integer parameter (None when absent or empty)."""
    if params.get(name) in (None, ""):
        return None
    return int_param(params, name)


def bool_param(params: Mapping[str, Any], name: str) -> bool:
    """A boolean parameter, however the client encoded it."""
    value = params.get(name)
    return value is True or value in ("true", "True", "1", 1)


# --- texts and keyboards


def format_text(
    raw: Any, parse_mode: Any, entities: Any, *, caption: bool, strict_html: bool
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
            formatted = parse_html(raw, strict=strict_html)
        except EntityParseError as error:
            raise bad(f"can't parse entities: {error}") from None
    elif mode in ("", "markdown", "markdownv2"):
        # Markdown is not parsed: the project formats with HTML.
        formatted = FormattedText(raw)
    else:
        raise bad("unsupported parse_mode")
    formatted = strip_formatted(formatted)
    if caption:
        if len(formatted.text) > CAPTION_LIMIT:
            raise bad("message caption is too long")
    else:
        if not formatted.text:
            raise bad("message text is empty")
        if len(formatted.text) > MESSAGE_LIMIT:
            raise bad("message is too long")
    return formatted


def check_markup(markup: Any) -> dict[str, Any] | None:
    """Validate reply_markup like Telegram (inline keyboards in detail); a copy of it."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad(
                'can\'t parse inline keyboard button: Field "inline_keyboard" of the '
                "InlineKeyboardMarkup should be an Array of Arrays"
            )
        for row in rows:
            for button in row:
                _check_button(button)
        return copy.deepcopy(markup)
    if {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
        return copy.deepcopy(markup)
    raise bad("can't parse reply keyboard markup JSON object")


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad('can\'t parse inline keyboard button: Field "text" must be of type String')
    if not any(kind in button for kind in BUTTON_KINDS):
        raise bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise bad("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not _BUTTON_URL_RE.fullmatch(url):
            raise bad("BUTTON_URL_INVALID")


def inline_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The markup if it is a non-empty inline keyboard (the only kind a message keeps)."""
    if markup and markup.get("inline_keyboard"):
        return markup
    return None


# --- files and links


def image_size(content: bytes) -> tuple[int, int] | None:
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


def parse_link(url: str) -> tuple[str, dict[str, list[str]]] | None:
    """(username, query) of a t.me/<name>?... or tg://resolve?domain=<name>&... link."""
    if url.startswith("tg://resolve?"):
        query = parse_qs(urlsplit(url).query, keep_blank_values=True)
        domain = query.pop("domain", [""])[0]
        return (domain, query) if domain else None
    match = _LINK_RE.fullmatch(url)
    if match is None:
        return None
    return match["name"], parse_qs(match["query"] or "", keep_blank_values=True)
