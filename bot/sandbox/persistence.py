"""Saving a sandbox to JSON and restoring it, so a restarted `tisserand shell` carries on.

What is saved is what Telegram's servers would still know after the bot restarts: the bot's
identity and settings (privacy mode, rate limits...), users, chats (members, admins and rights,
topics, pins), every message with its keyboard and entities, files (content in base64), pending
callback queries, pending updates, the commands and menu buttons the bot set, its webhook, and
every counter still to give out ids (message ids per chat, users, groups, files, queries,
updates). The restored sandbox numbers new updates after the saved ones: a bot remembers the
update ids it handled.

Not saved, because they are logs of what happened rather than state: `calls`, `toasts`,
`callback_answers`, `chat_actions`, `events`, the archive `redeliver` replays from, and the
send times the rate limits keep for at most a minute.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.sandbox.api import BotApi
from bot.sandbox.world import (
    CallbackQuery,
    SandboxChat,
    SandboxError,
    SandboxMessage,
    SandboxUser,
    World,
)

__all__ = ["FORMAT_VERSION", "dump_state", "read_state", "restore_state", "write_state"]

FORMAT_VERSION = 1


def _b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def _int_keys(mapping: dict[str, Any]) -> dict[int, Any]:
    # JSON object keys are strings; the sandbox keys users, topics and threads by int.
    return {int(key): value for key, value in mapping.items()}


# --- to JSON


def _chat_json(chat: SandboxChat) -> dict[str, Any]:
    data = asdict(chat)
    data["user"] = chat.user.id if chat.user is not None else None  # the users entry
    data["anonymous_admins"] = sorted(chat.anonymous_admins)
    return data


def _message_json(message: SandboxMessage) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: getattr(message, name)
        for name in SandboxMessage.__dataclass_fields__
        if name not in ("document", "photo", "reply_to")
    }
    if message.document is not None:
        filename, content, mime = message.document
        data["document"] = {"name": filename, "content": _b64(content), "mime": mime}
    if message.photo is not None:
        data["photo"] = _b64(message.photo)
    if message.reply_to is not None:
        # By reference: the replied message is restored on its own (maybe in another chat).
        data["reply_to"] = [message.reply_to.chat_id, message.reply_to.message_id]
    return data


def dump_state(world: World, api: BotApi) -> dict[str, Any]:
    """The sandbox's state as JSON-ready data."""
    updates = world.updates
    return {
        "version": FORMAT_VERSION,
        "bot": asdict(world.bot),
        "settings": {
            "privacy_mode": world.privacy_mode,
            "strict_html": api.strict_html,
            "rate_limits": api.limiter is not None,
            "callback_query_ttl": api.callback_query_ttl.total_seconds(),
        },
        "users": [asdict(user) for user in world.users.values()],
        "chats": [_chat_json(chat) for chat in world.chats.values()],
        # In the order they were sent, which all_messages() keeps.
        "messages": [_message_json(message) for message in world.log],
        "files": {
            file_id: {"name": name, "content": _b64(content), "mime": mime}
            for file_id, (name, content, mime) in world.files.items()
        },
        "file_paths": dict(world.file_paths),
        "queries": {
            query_id: {**asdict(query), "created": query.created.isoformat()}
            for query_id, query in world.queries.items()
        },
        "updates": {
            "pending": [[update, delivered] for update, delivered in updates.snapshot()],
            "allowed_updates": list(updates.allowed_updates),
        },
        "next": {
            "message_id": {
                str(chat_id): number for chat_id, number in world.next_message_id.items()
            },
            "user_id": world.next_user_id,
            "supergroup": world.next_supergroup,
            "group": world.next_group,
            "file": world.next_file,
            "query": world.next_query,
            "update_id": updates.next_id,
        },
        "bot_api": {
            "commands": [
                {"scope": scope, "language": language, "commands": commands}
                for (scope, language), commands in api.commands.items()
            ],
            "menu_buttons": [
                {"chat_id": chat_id, "button": button}
                for chat_id, button in api.menu_buttons.items()
            ],
            "webhook": api.webhook,
        },
    }


def write_state(data: dict[str, Any], path: Path) -> None:
    """Write the state atomically: a shell killed mid-save keeps its previous file."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)


# --- from JSON


def read_state(path: Path) -> dict[str, Any]:
    """Read a saved state, checking its format version."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise SandboxError(f"{path} is not a sandbox state of version {FORMAT_VERSION}")
    return data


def _chat(data: dict[str, Any], users: dict[int, SandboxUser]) -> SandboxChat:
    fields = dict(data)
    user_id = fields.pop("user")
    return SandboxChat(
        **{
            **fields,
            "members": _int_keys(fields["members"]),
            "anonymous_admins": set(fields["anonymous_admins"]),
            "topics": _int_keys(fields["topics"]),
            "admin_rights": _int_keys(fields["admin_rights"]),
        },
        user=users[user_id] if user_id is not None else None,
    )


def _message(data: dict[str, Any]) -> SandboxMessage:
    fields = {key: value for key, value in data.items() if key != "reply_to"}
    document = fields.pop("document", None)
    photo = fields.pop("photo", None)
    return SandboxMessage(
        **fields,
        document=(
            (document["name"], _unb64(document["content"]), document["mime"]) if document else None
        ),
        photo=_unb64(photo) if photo is not None else None,
    )


def restore_state(data: dict[str, Any], world: World, api: BotApi) -> None:
    """Fill a freshly made world and Bot API with a saved state."""
    settings = data["settings"]
    world.privacy_mode = settings["privacy_mode"]
    api.strict_html = settings["strict_html"]
    api.callback_query_ttl = timedelta(seconds=settings["callback_query_ttl"])
    world.users = {user["id"]: SandboxUser(**user) for user in data["users"]}
    world.chats = {}
    world.messages = {}
    for chat in data["chats"]:
        world.add_chat(_chat(chat, world.users))
    world.log = []
    replies: list[tuple[SandboxMessage, tuple[int, int]]] = []
    for saved in data["messages"]:
        message = _message(saved)
        world.messages[message.chat_id].append(message)
        world.log.append(message)
        if saved.get("reply_to") is not None:
            replies.append((message, (saved["reply_to"][0], saved["reply_to"][1])))
    for message, (chat_id, message_id) in replies:
        message.reply_to = world.find(chat_id, message_id)
    world.files = {
        file_id: (saved["name"], _unb64(saved["content"]), saved["mime"])
        for file_id, saved in data["files"].items()
    }
    world.file_paths = dict(data["file_paths"])
    world.queries = {
        query_id: CallbackQuery(**{**saved, "created": datetime.fromisoformat(saved["created"])})
        for query_id, saved in data["queries"].items()
    }
    numbers = data["next"]
    world.next_message_id = _int_keys(numbers["message_id"])
    world.next_user_id = numbers["user_id"]
    world.next_supergroup = numbers["supergroup"]
    world.next_group = numbers["group"]
    world.next_file = numbers["file"]
    world.next_query = numbers["query"]
    world.updates.restore(
        [(update, bool(delivered)) for update, delivered in data["updates"]["pending"]],
        next_id=numbers["update_id"],
        allowed_updates=data["updates"]["allowed_updates"],
    )
    saved_api = data["bot_api"]
    api.commands = {
        (entry["scope"], entry["language"]): entry["commands"] for entry in saved_api["commands"]
    }
    api.menu_buttons = {entry["chat_id"]: entry["button"] for entry in saved_api["menu_buttons"]}
    api.webhook = saved_api["webhook"]
