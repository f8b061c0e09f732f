"""The chats and users the sandbox holds: its state, and the rules both sides share about it.

`World` is everything Telegram's servers would know: the bot, the users, the chats (members,
admins and their rights, topics, pins), every message, the files, the pending callback queries,
the ids still to give out and the update queue. Both the Bot API (`api`) and the simulated
people (`people`, `scene`) act on one `World`; what they share lives here: creating a message,
deciding whether the bot sees it (privacy mode), the ChatMember objects, adding the bot to a
group, opening a forum topic.

The dataclasses `SandboxUser`, `SandboxChat` and `SandboxMessage` are the sandbox's public view
of that state (re-exported by `bot.sandbox.core`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.sandbox.entities import FormattedText, command_entity, mentioned
from bot.sandbox.rules import parse_link
from bot.sandbox.updates import UpdateQueue

if TYPE_CHECKING:  # events refer to SandboxMessage: import them for annotations only
    from bot.sandbox.events import Event

__all__ = [
    "ADMIN_STATUSES",
    "ANONYMOUS_ADMIN_ID",
    "DEFAULT_ADMIN_RIGHTS",
    "PRESENT",
    "CallbackQuery",
    "SandboxChat",
    "SandboxError",
    "SandboxMessage",
    "SandboxUser",
    "World",
]

# Telegram's "Group" user that signs messages of anonymous group admins.
ANONYMOUS_ADMIN_ID = 1087968824

# Member statuses of someone who is in the chat (restricted members are still in it).
PRESENT = ("creator", "administrator", "member", "restricted")
# How the world keeps a restricted user who is no longer in the chat (Telegram: is_member false).
RESTRICTED_OUTSIDE = "restricted_outside"
RESTRICTED_PERMISSIONS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
    "can_react_to_messages",
)
ADMIN_STATUSES = ("creator", "administrator")

# Telegram's default rights for a bot promoted to admin with no rights specified.
DEFAULT_ADMIN_RIGHTS: dict[str, bool] = {
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

_PRIVATE_CHAT_FIELDS = ("first_name", "last_name", "username")

# How Telegram's file_ids start for each kind of file (the getFile folder), for realism.
_FILE_ID_PREFIXES = {
    "documents": "BQACAgQAAx",
    "photos": "AgACAgQAAx",
    "stickers": "CAACAgQAAx",
    "voice": "AwACAgQAAx",
}


class SandboxError(Exception):
    """The caller asked the sandbox for something impossible (a test or tool bug)."""


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
    # The API objects of what the message carries: document, photo, sticker, voice, location.
    media: dict[str, Any] = field(default_factory=dict)
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
class CallbackQuery:
    """A button press waiting for the bot's answerCallbackQuery."""

    user_id: int
    chat_id: int
    message_id: int
    created: datetime
    answered: bool = False


def anonymous_admin_api() -> dict[str, Any]:
    """The User object Telegram puts in `from` for an anonymous group admin."""
    return {
        "id": ANONYMOUS_ADMIN_ID,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }


class World:
    """The bot, users, chats, messages, files and pending updates: Telegram's side of things."""

    def __init__(
        self, *, bot: SandboxUser, now: Callable[[], datetime], privacy_mode: bool
    ) -> None:
        self.bot = bot
        self.privacy_mode = privacy_mode
        self.now = now
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, SandboxChat] = {}
        self.messages: dict[int, list[SandboxMessage]] = {}
        # Every message of every chat, in the order the sandbox received them (transcripts).
        self.log: list[SandboxMessage] = []
        self.next_message_id: dict[int, int] = {}
        self.next_user_id = 100001
        self.next_supergroup = 1
        self.next_group = 1
        self.updates = UpdateQueue()
        # What happened, in order, as clients would show it (see `events`).
        self.events: list[Event] = []
        # Callback queries waiting for (or given) an answer.
        self.queries: dict[str, CallbackQuery] = {}
        self.next_query = 1
        # Files (documents, photos, stickers, voice notes), by file_id and by getFile path.
        self.files: dict[str, tuple[str, bytes, str]] = {}
        self.file_paths: dict[str, str] = {}
        self.next_file = 1

    # --- time

    def utcnow(self) -> datetime:
        """The sandbox clock, as aware UTC."""
        # The injected clock should be aware UTC; a naive one is taken as UTC, not local time.
        current = self.now()
        return current if current.tzinfo is not None else current.replace(tzinfo=UTC)

    def date(self) -> int:
        """The current Unix time, Telegram's `date`."""
        return int(self.utcnow().timestamp())

    # --- lookups (SandboxError: a test asked for something that does not exist)

    def user(self, user: SandboxUser | int) -> SandboxUser:
        """The known user with that id."""
        user_id = user.id if isinstance(user, SandboxUser) else int(user)
        found = self.users.get(user_id)
        if found is None:
            raise SandboxError(f"unknown user {user_id}")
        return found

    def chat(self, chat: SandboxChat | SandboxUser | int) -> SandboxChat:
        """The known chat with that id (a user stands for their private chat)."""
        chat_id = chat.id if isinstance(chat, SandboxChat | SandboxUser) else int(chat)
        found = self.chats.get(chat_id)
        if found is None:
            raise SandboxError(f"unknown chat {chat_id}")
        return found

    def group(self, chat: SandboxChat | int) -> SandboxChat:
        """The known group or supergroup with that id."""
        group = self.chat(chat)
        if group.type == "private":
            raise SandboxError(f"chat {group.id} is a private chat, not a group")
        return group

    def chat_for(
        self, user: SandboxUser, chat: SandboxChat | SandboxUser | int | None
    ) -> SandboxChat:
        """The chat where `user` acts: None/the user means their private chat with the bot."""
        target = self.chats[user.id] if chat is None else self.chat(chat)
        if target.migrated_to is not None:
            raise SandboxError(f"chat {target.id} was migrated to {target.migrated_to}")
        if target.type == "private":
            if target.id != user.id:
                raise SandboxError(f"user {user.id} cannot act in {target.id}'s private chat")
        elif target.members.get(user.id) not in PRESENT:
            raise SandboxError(f"user {user.id} is not a member of chat {target.id}")
        return target

    def owner(self, chat: SandboxChat) -> SandboxUser:
        """The group's creator."""
        for user_id, status in chat.members.items():
            if status == "creator":
                return self.users[user_id]
        raise SandboxError(f"chat {chat.id} has no owner")

    def find(self, chat_id: int, message_id: int) -> SandboxMessage | None:
        """The message with that id in the chat, deleted or not."""
        for message in self.messages.get(chat_id, []):
            if message.message_id == message_id:
                return message
        return None

    def chat_messages(
        self, chat: SandboxChat | SandboxUser | int, *, include_deleted: bool = False
    ) -> list[SandboxMessage]:
        """Every message of the chat in order (users', the bot's, service messages)."""
        found = self.chat(chat)
        return [m for m in self.messages.get(found.id, []) if include_deleted or not m.deleted]

    def bot_messages(self, chat: SandboxChat | SandboxUser | int) -> list[SandboxMessage]:
        """The bot's visible messages in the chat, service messages excluded."""
        return [
            m for m in self.chat_messages(chat) if m.from_id == self.bot.id and m.service is None
        ]

    def is_bot_deep_link(self, url: str) -> bool:
        """Does this t.me/tg:// link lead to the bot?"""
        parsed = parse_link(url)
        return parsed is not None and parsed[0].lower() == (self.bot.username or "").lower()

    # --- creating things

    def add_chat(self, chat: SandboxChat) -> SandboxChat:
        """Register a new chat (with no messages yet)."""
        self.chats[chat.id] = chat
        self.messages[chat.id] = []
        return chat

    def new_group_id(self, supergroup: bool) -> int:
        """A fresh id in Telegram's ranges: -100… for supergroups, small negatives for groups."""
        if supergroup:
            number = self.next_supergroup
            self.next_supergroup += 1
            return -1001000000000 - number
        number = self.next_group
        self.next_group += 1
        return -4000000 - number

    def new_message(
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
        """Store a new message of `sender` in `chat`, numbered as the chat's next message."""
        number = self.next_message_id.get(chat.id, 1)
        self.next_message_id[chat.id] = number + 1
        if formatted is None:
            formatted = FormattedText(text if text is not None else caption or "")
        if anonymous:
            sender_api = anonymous_admin_api()
            from_id: int = ANONYMOUS_ADMIN_ID
        else:
            sender_api = sender.to_api()
            from_id = sender.id
        message = SandboxMessage(
            message_id=number,
            chat_id=chat.id,
            from_id=from_id,
            date=self.date(),
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
        self.messages.setdefault(chat.id, []).append(message)
        self.log.append(message)
        return message

    def store_file(self, kind: str, filename: str, content: bytes, mime: str) -> dict[str, Any]:
        """Keep a file; returns its file_id/file_unique_id/file_size (kind: getFile folder)."""
        number = self.next_file
        self.next_file += 1
        file_id = f"{_FILE_ID_PREFIXES.get(kind, 'BQACAgQAAx')}-sandbox-{number}"
        self.files[file_id] = (filename, content, mime)
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        self.file_paths[f"{kind}/file_{number}.{suffix}"] = file_id
        return self.file_meta(file_id)

    def file_meta(self, file_id: str) -> dict[str, Any]:
        """The file_id/file_unique_id/file_size fields of a stored file."""
        return {
            "file_id": file_id,
            "file_unique_id": f"AgADsbx{file_id.rsplit('-', 1)[-1]}",
            "file_size": len(self.files[file_id][1]),
        }

    def file_path(self, file_id: str) -> str:
        """The getFile path of a stored file."""
        return next(p for p, fid in self.file_paths.items() if fid == file_id)

    def file_content(self, file_path: str) -> bytes | None:
        """The bytes behind a getFile `file_path` (what Telegram's file URL serves)."""
        file_id = self.file_paths.get(file_path.lstrip("/"))
        return None if file_id is None else self.files[file_id][1]

    # --- what the bot is told

    def bot_present(self, chat: SandboxChat) -> bool:
        """Is the bot in the chat (and not blocked, for a private chat)?"""
        if chat.type == "private":
            return chat.user is not None and not chat.user.blocked
        return chat.bot_status in PRESENT

    def bot_sees(self, chat: SandboxChat, message: SandboxMessage) -> bool:
        """Would Telegram deliver this user message to the bot?"""
        if not self.bot_present(chat):
            return False
        if chat.type == "private" or message.service is not None:
            return True
        if not self.privacy_mode or chat.bot_status in ADMIN_STATUSES:
            return True
        # Privacy mode: commands (for this bot or none in particular), mentions of the bot,
        # replies to its messages, and service messages only.
        text = message.text or message.caption or ""
        name = (self.bot.username or "").lower()
        entity = command_entity(text)
        if entity is not None and text[: entity["length"]].partition("@")[2].lower() in ("", name):
            return True
        if any(username.lower() == name for username in mentioned(text)):
            return True
        return message.reply_to is not None and message.reply_to.from_id == self.bot.id

    def deliver(
        self, chat: SandboxChat, message: SandboxMessage, kind: str = "message"
    ) -> dict[str, Any]:
        """Queue the update (`kind`: message or edited_message) for a user's message.

        Returns the update; its update_id is None when Telegram would not deliver it.
        """
        if self.bot_sees(chat, message):
            return self.updates.push(kind, message.to_api())
        return {"update_id": None, kind: message.to_api()}

    # --- membership

    def member_api(self, chat: SandboxChat, user: SandboxUser, status: str) -> dict[str, Any]:
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
                    **DEFAULT_ADMIN_RIGHTS,
                    **(rights or {}),
                }
            )
            if not chat.is_forum:
                data.pop("can_manage_topics", None)
        elif status in ("restricted", RESTRICTED_OUTSIDE):
            # Restricted and still in the chat, or restricted after leaving it.
            data["status"] = "restricted"
            data.update({"is_member": status == "restricted", "until_date": 0})
            data.update(dict.fromkeys(RESTRICTED_PERMISSIONS, False))
        elif status == "kicked":
            data["until_date"] = 0
        return data

    def member_status(self, chat: SandboxChat, user_id: int) -> str:
        """The ChatMember status of a user (or the bot) in the chat."""
        if user_id == self.bot.id:
            return "member" if chat.type == "private" else chat.bot_status
        if chat.type == "private":
            return "member" if user_id == chat.id else "left"
        return chat.members.get(user_id, "left")

    def member_update(
        self,
        kind: str,
        chat: SandboxChat,
        actor: SandboxUser,
        subject: SandboxUser,
        old: str,
        new: str,
    ) -> dict[str, Any]:
        """Queue a my_chat_member/chat_member update: `actor` changed `subject`'s status."""
        payload = {
            "chat": chat.to_api(),
            "from": actor.to_api(),
            "date": self.date(),
            "old_chat_member": self.member_api(chat, subject, old),
            "new_chat_member": self.member_api(chat, subject, new),
        }
        return self.updates.push(kind, payload)

    def add_bot(
        self,
        chat: SandboxChat,
        actor: SandboxUser,
        *,
        admin: bool,
        rights: Mapping[str, bool] | None,
    ) -> None:
        """`actor` adds the bot to the group (as an admin with `rights`, or a member)."""
        old = chat.bot_status
        chat.bot_status = "administrator" if admin else "member"
        chat.bot_rights = {**DEFAULT_ADMIN_RIGHTS, **(rights or {})} if admin else {}
        self.member_update("my_chat_member", chat, actor, self.bot, old, chat.bot_status)
        message = self.new_message(chat, actor, service={"new_chat_members": [self.bot.to_api()]})
        self.deliver(chat, message)

    def open_topic(
        self, chat: SandboxChat, name: str, creator: SandboxUser, *, icon_color: int = 7322096
    ) -> int:
        """`creator` opens a forum topic; returns its message_thread_id."""
        # The topic id is the id of its forum_topic_created service message.
        thread_id = self.next_message_id.get(chat.id, 1)
        message = self.new_message(
            chat,
            creator,
            thread_id=thread_id,
            service={"forum_topic_created": {"name": name, "icon_color": icon_color}},
        )
        chat.topics[thread_id] = name
        if creator.id != self.bot.id:
            self.deliver(chat, message)
        return thread_id
