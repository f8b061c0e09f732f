"""The simulated people: what tests do as Telegram users, and the updates it gives the bot.

`UserActions` is a mixin of `Sandbox`: sending texts, files, photos, stickers, voice notes and
locations, editing one's texts, pressing inline buttons, following deep links, joining and
leaving groups (or adding several people at once), blocking the bot. Each action stores what
the user's client would show, logs an event, and queues the update Telegram would send the
bot, under the same rules for all (privacy mode in groups, blocked bots hear nothing); it
returns that update, with update_id None when Telegram would not deliver it. What a real
client cannot do (an empty message, acting in a chat one is not in, editing someone else's
message) raises SandboxError.
"""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.entities import FormattedText, user_entities
from bot.sandbox.events import UserEdit, UserJoin, UserLeave, UserMessage, UserPress
from bot.sandbox.media import STICKER_WEBP, VOICE_OGG, png
from bot.sandbox.rules import BUTTON_KINDS, CAPTION_LIMIT, MESSAGE_LIMIT, parse_link
from bot.sandbox.world import (
    ADMIN_STATUSES,
    PRESENT,
    CallbackQuery,
    SandboxChat,
    SandboxError,
    SandboxMessage,
    SandboxUser,
    World,
)

__all__ = ["UserActions"]

_DEEP_LINK_PAYLOAD_RE = re.compile(r"[A-Za-z0-9_-]{0,64}")

ChatRef = SandboxChat | SandboxUser | int | None

# The sizes Telegram makes of a user's photo: a thumbnail, then the image itself.
_PHOTO_SIZES = ((90, 68), (320, 240))
# Media a caption may be added to by editing.
_CAPTIONED = frozenset(("photo", "document", "voice"))


def _check_text(text: str) -> None:
    if not text.strip():
        raise SandboxError("Telegram clients cannot send an empty message")
    if len(text) > MESSAGE_LIMIT:
        raise SandboxError("Telegram clients split texts longer than 4096 characters")


def _check_caption(caption: str | None) -> None:
    if caption is not None and len(caption) > CAPTION_LIMIT:
        raise SandboxError("Telegram clients refuse captions longer than 1024 characters")


def _user_text(text: str | None) -> FormattedText:
    """A text or caption as Telegram stores a user's: plain, with its command and mentions."""
    return FormattedText(text or "", user_entities(text or ""))


def _deep_link_payload(payload: str, url: str) -> str:
    if not _DEEP_LINK_PAYLOAD_RE.fullmatch(payload):
        raise SandboxError(
            f"invalid deep-link payload in {url!r}: Telegram allows up to 64 characters "
            "among A-Z a-z 0-9 _ - (clients drop other payloads)"
        )
    return payload


class UserActions:
    """Acting as users, mixed into `Sandbox` (which provides `world`)."""

    world: World

    # ------------------------------------------------------------------ the private chat

    def block_bot(self, user: SandboxUser | int) -> dict[str, Any]:
        """The user blocks the bot: a my_chat_member update (member -> kicked)."""
        world = self.world
        blocker = world.user(user)
        blocker.blocked = True
        chat = world.chats[blocker.id]
        return world.member_update("my_chat_member", chat, blocker, world.bot, "member", "kicked")

    def unblock_bot(self, user: SandboxUser | int) -> dict[str, Any]:
        """The user unblocks the bot: a my_chat_member update (kicked -> member)."""
        world = self.world
        blocker = world.user(user)
        blocker.blocked = False
        chat = world.chats[blocker.id]
        return world.member_update("my_chat_member", chat, blocker, world.bot, "kicked", "member")

    def _open_private(self, user: SandboxUser) -> None:
        if user.blocked:
            self.unblock_bot(user)  # the client's "Restart" button unblocks, then sends
        user.started = True

    # ------------------------------------------------------------------ messages

    def _actor(self, user: SandboxUser | int, chat: ChatRef) -> tuple[SandboxUser, SandboxChat]:
        """The acting user and the chat they act in (which they must be in)."""
        actor = self.world.user(user)
        return actor, self.world.chat_for(actor, chat)

    def _post(
        self,
        sender: SandboxUser,
        target: SandboxChat,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
        anonymous: bool = False,
        **content: Any,
    ) -> dict[str, Any]:
        """Store what the user's client sends (`content`: SandboxMessage fields); the update."""
        if target.type == "private":
            if anonymous:
                raise SandboxError("anonymous messages only exist in groups")
            self._open_private(sender)  # any first message starts the bot
        elif anonymous:
            if target.members.get(sender.id) not in ADMIN_STATUSES:
                raise SandboxError(f"user {sender.id} is not an admin of chat {target.id}")
            target.anonymous_admins.add(sender.id)
        reply = self._user_reply(target, reply_to)
        message = self.world.new_message(
            target,
            sender,
            anonymous=anonymous,
            thread_id=self._user_thread(target, thread_id, reply),
            reply_to=reply,
            **content,
        )
        self.world.events.append(UserMessage.of(sender.id, message))
        return self.world.deliver(target, message)

    def send_text(
        self,
        user: SandboxUser | int,
        chat: ChatRef,
        text: str,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
        anonymous: bool = False,
    ) -> dict[str, Any]:
        """The user sends `text`; returns the update (update_id None if not delivered)."""
        sender, target = self._actor(user, chat)
        _check_text(text)
        return self._post(
            sender,
            target,
            reply_to=reply_to,
            thread_id=thread_id,
            anonymous=anonymous,
            text=text,
            formatted=_user_text(text),
        )

    def _user_reply(self, chat: SandboxChat, reply_to: int | None) -> SandboxMessage | None:
        if reply_to is None:
            return None
        message = self.world.find(chat.id, reply_to)
        if message is None or message.deleted:
            raise SandboxError(f"no message {reply_to} in chat {chat.id} to reply to")
        return message

    @staticmethod
    def _user_thread(
        chat: SandboxChat, thread_id: int | None, reply: SandboxMessage | None
    ) -> int | None:
        if thread_id is None and reply is not None:
            return reply.thread_id
        if thread_id is not None and thread_id not in chat.topics:
            raise SandboxError(f"chat {chat.id} has no topic {thread_id}")
        return thread_id

    def edit_text(
        self, user: SandboxUser | int, chat: ChatRef, message_id: int, new_text: str
    ) -> dict[str, Any]:
        """The user edits the text (or caption) of one of their messages: an edited_message.

        Entities are found again in the new text; edit_date is the sandbox's now. Like a new
        message, the edit reaches a bot in privacy mode only if the edited message is for it.
        """
        sender, target = self._actor(user, chat)
        message = self.world.find(target.id, message_id)
        if message is None or message.deleted:
            raise SandboxError(f"no message {message_id} in chat {target.id}")
        if message.from_id != sender.id or message.service is not None:
            raise SandboxError(f"message {message_id} is not one {sender.id} can edit")
        is_text = message.text is not None
        if is_text:
            _check_text(new_text)
        elif message.caption is not None or _CAPTIONED.intersection(message.media):
            _check_caption(new_text)
        else:
            raise SandboxError(f"message {message_id} has no text or caption to edit")
        if new_text == message.parsed_text:
            raise SandboxError("the text did not change: Telegram clients send no edit")
        previous = message.plain
        if is_text:
            message.text = new_text
        else:
            message.caption = new_text or None  # an emptied caption is removed
        formatted = _user_text(new_text)
        message.parsed_text, message.entities = formatted.text, formatted.entities
        message.edited = True
        message.edit_date = self.world.date()
        self.world.events.append(
            UserEdit(sender.id, target.id, message_id, message.plain, previous, message)
        )
        return self.world.deliver(target, message, "edited_message")

    def send_document(
        self,
        user: SandboxUser | int,
        chat: ChatRef,
        filename: str,
        content: bytes,
        *,
        caption: str | None = None,
        mime: str = "application/octet-stream",
    ) -> dict[str, Any]:
        """The user sends a file; the bot can fetch it with getFile."""
        sender, target = self._actor(user, chat)
        if not content:
            raise SandboxError("Telegram clients cannot send an empty file")
        _check_caption(caption)
        meta = self.world.store_file("documents", filename, content, mime)
        return self._post(
            sender,
            target,
            caption=caption,
            formatted=_user_text(caption),
            document=(filename, content, mime),
            media={"document": {**meta, "file_name": filename, "mime_type": mime}},
        )

    def send_photo(
        self,
        user: SandboxUser | int,
        chat: ChatRef,
        caption: str | None = None,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a photo (a PNG made in memory): a thumbnail and the full size."""
        sender, target = self._actor(user, chat)
        _check_caption(caption)
        sizes = []
        for width, height in _PHOTO_SIZES:
            meta = self.world.store_file("photos", "photo.png", png(width, height), "image/png")
            sizes.append({**meta, "width": width, "height": height})
        return self._post(
            sender,
            target,
            reply_to=reply_to,
            thread_id=thread_id,
            caption=caption,
            formatted=_user_text(caption),
            photo=self.world.files[sizes[-1]["file_id"]][1],
            media={"photo": sizes},
        )

    def send_sticker(
        self,
        user: SandboxUser | int,
        chat: ChatRef,
        *,
        emoji: str = "👍",
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a (static, regular) sticker."""
        sender, target = self._actor(user, chat)
        meta = self.world.store_file("stickers", "sticker.webp", STICKER_WEBP, "image/webp")
        sticker = {
            **meta,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._post(
            sender, target, reply_to=reply_to, thread_id=thread_id, media={"sticker": sticker}
        )

    def send_voice(
        self,
        user: SandboxUser | int,
        chat: ChatRef,
        *,
        duration: int = 3,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a voice note of `duration` seconds."""
        sender, target = self._actor(user, chat)
        if duration < 1:
            raise SandboxError("a voice note lasts at least one second")
        meta = self.world.store_file("voice", "voice.oga", VOICE_OGG, "audio/ogg")
        voice = {**meta, "duration": duration, "mime_type": "audio/ogg"}
        return self._post(
            sender, target, reply_to=reply_to, thread_id=thread_id, media={"voice": voice}
        )

    def send_location(
        self,
        user: SandboxUser | int,
        chat: ChatRef,
        latitude: float,
        longitude: float,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user shares a (static) location."""
        sender, target = self._actor(user, chat)
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise SandboxError(f"no such place: latitude {latitude}, longitude {longitude}")
        location = {"latitude": float(latitude), "longitude": float(longitude)}
        return self._post(
            sender, target, reply_to=reply_to, thread_id=thread_id, media={"location": location}
        )

    # ------------------------------------------------------------------ buttons and links

    def press(
        self,
        user: SandboxUser | int,
        chat: ChatRef,
        label: str,
        *,
        message_id: int | None = None,
        group: SandboxChat | int | None = None,
    ) -> dict[str, Any]:
        """Press the inline button labelled `label` on the newest bot message that has one.

        `group` is the group a startgroup deep-link button adds the bot to.
        """
        world = self.world
        presser, target = self._actor(user, chat)
        if message_id is not None:
            message = world.find(target.id, message_id)
            if message is None or message.deleted:
                raise SandboxError(f"no message {message_id} in chat {target.id}")
            candidates = [message]
        else:
            candidates = [m for m in reversed(world.bot_messages(target)) if m.inline_buttons]
        for message in candidates:
            button, ambiguous = _find_button(message, label)
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
        label = str(button.get("text", ""))
        if "callback_data" in button:
            data = str(button["callback_data"])
            self.world.events.append(UserPress(user.id, chat.id, message.message_id, label, data))
            return self._callback(user, chat, message, data)
        if "url" in button:
            url = str(button["url"])
            if not self.world.is_bot_deep_link(url):
                raise SandboxError(f"button {label!r} opens {url}, not a bot deep link")
            # The press comes before the /start it sends, but only if following the link works.
            position = len(self.world.events)
            update = self.open_link(user, url, group=group)
            press = UserPress(user.id, chat.id, message.message_id, label, None)
            self.world.events.insert(position, press)
            return update
        kinds = [kind for kind in BUTTON_KINDS if kind in button]
        raise SandboxError(f"button {button.get('text')!r} ({kinds}) is not simulated")

    def _callback(
        self, user: SandboxUser, chat: SandboxChat, message: SandboxMessage, data: str
    ) -> dict[str, Any]:
        world = self.world
        query_id = str(4_400_000_000_000_000_000 + world.next_query)
        world.next_query += 1
        world.queries[query_id] = CallbackQuery(
            user_id=user.id, chat_id=chat.id, message_id=message.message_id, created=world.utcnow()
        )
        payload = {
            "id": query_id,
            "from": user.to_api(),
            "message": message.to_api(),
            # Stable per chat, as Telegram's is, so bots may key games/state on it.
            "chat_instance": str((chat.id * 2654435761) % (2**63)),
            "data": data,
        }
        return world.updates.push("callback_query", payload)

    def press_data(
        self,
        user: SandboxUser | int,
        chat: ChatRef,
        message_id: int,
        data: str,
    ) -> dict[str, Any]:
        """A callback press with arbitrary data on a message (forged or stale buttons)."""
        presser, target = self._actor(user, chat)
        message = self.world.find(target.id, message_id)
        if message is None:
            raise SandboxError(f"no message {message_id} in chat {target.id}")
        label = next(
            (str(b.get("text")) for b in message.inline_buttons if b.get("callback_data") == data),
            None,
        )
        self.world.events.append(UserPress(presser.id, target.id, message_id, label, data))
        return self._callback(presser, target, message, data)

    def open_link(
        self, user: SandboxUser | int, url: str, *, group: SandboxChat | int | None = None
    ) -> dict[str, Any]:
        """Follow a t.me (or tg://resolve) link to the bot: sends "/start PAYLOAD" like clients.

        A ?startgroup= link needs `group`: the user adds the bot there (if needed) and
        "/start@bot PAYLOAD" is sent in that group.
        """
        world = self.world
        opener = world.user(user)
        parsed = parse_link(url)
        if parsed is None:
            raise SandboxError(f"{url!r} is not a t.me or tg://resolve link")
        name, query = parsed
        if name.lower() != (world.bot.username or "").lower():
            raise SandboxError(f"{url!r} does not lead to @{world.bot.username}")
        if "startgroup" in query:
            payload = _deep_link_payload(query["startgroup"][0], url)
            if group is None:
                raise SandboxError(f"{url!r} is a startgroup link: pass group=")
            target = world.chat_for(opener, group)
            if target.bot_status not in PRESENT:
                world.add_bot(target, opener, admin=False, rights=None)
            text = f"/start@{world.bot.username}" + (f" {payload}" if payload else "")
            return self.send_text(opener, target, text)
        payload = _deep_link_payload(query["start"][0], url) if "start" in query else ""
        return self.send_text(opener, None, "/start" + (f" {payload}" if payload else ""))

    # ------------------------------------------------------------------ groups

    def join(self, user: SandboxUser | int, chat: SandboxChat | int) -> list[dict[str, Any]]:
        """The user joins: new_chat_members message (+ chat_member if the bot is admin)."""
        world = self.world
        joiner = world.user(user)
        group = world.group(chat)
        old = group.members.get(joiner.id, "left")
        if old in PRESENT:
            raise SandboxError(f"user {joiner.id} is already in chat {group.id}")
        if old == "kicked":
            raise SandboxError(f"user {joiner.id} is banned from chat {group.id}")
        group.members[joiner.id] = "member"
        world.events.append(UserJoin(joiner.id, group.id))
        message = world.new_message(group, joiner, service={"new_chat_members": [joiner.to_api()]})
        return self._membership_updates(group, joiner, message, old, "member")

    def add_members(
        self,
        adder: SandboxUser | int,
        chat: SandboxChat | int,
        users: list[SandboxUser | int],
    ) -> list[dict[str, Any]]:
        """A member adds several people at once: one new_chat_members message naming them
        all (+ a chat_member update for each if the bot is admin)."""
        world = self.world
        by = world.user(adder)
        group = world.group(chat)
        if group.members.get(by.id, "left") not in PRESENT:
            raise SandboxError(f"user {by.id} is not in chat {group.id}")
        added = [world.user(user) for user in users]
        if not added:
            raise SandboxError("add at least one person")
        old = {}
        for user in added:
            old[user.id] = group.members.get(user.id, "left")
            if old[user.id] in PRESENT:
                raise SandboxError(f"user {user.id} is already in chat {group.id}")
            if old[user.id] == "kicked":
                raise SandboxError(f"user {user.id} is banned from chat {group.id}")
        for user in added:
            group.members[user.id] = "member"
            world.events.append(UserJoin(user.id, group.id))
        message = world.new_message(
            group, by, service={"new_chat_members": [user.to_api() for user in added]}
        )
        updates = []
        delivered = world.deliver(group, message)
        if delivered["update_id"] is not None:
            updates.append(delivered)
        if group.bot_status in ADMIN_STATUSES:
            for user in added:
                updates.append(
                    world.member_update("chat_member", group, by, user, old[user.id], "member")
                )
        return updates

    def leave(self, user: SandboxUser | int, chat: SandboxChat | int) -> list[dict[str, Any]]:
        """The user leaves: left_chat_member message (+ chat_member if the bot is admin)."""
        world = self.world
        leaver = world.user(user)
        group = world.group(chat)
        old = group.members.get(leaver.id, "left")
        if old not in PRESENT:
            raise SandboxError(f"user {leaver.id} is not in chat {group.id}")
        group.members[leaver.id] = "left"
        group.anonymous_admins.discard(leaver.id)
        group.admin_rights.pop(leaver.id, None)
        world.events.append(UserLeave(leaver.id, group.id))
        message = world.new_message(group, leaver, service={"left_chat_member": leaver.to_api()})
        return self._membership_updates(group, leaver, message, old, "left")

    def _membership_updates(
        self, group: SandboxChat, user: SandboxUser, message: SandboxMessage, old: str, new: str
    ) -> list[dict[str, Any]]:
        updates = []
        delivered = self.world.deliver(group, message)
        if delivered["update_id"] is not None:
            updates.append(delivered)
        if group.bot_status in ADMIN_STATUSES:
            updates.append(self.world.member_update("chat_member", group, user, user, old, new))
        return updates


def _find_button(message: SandboxMessage, label: str) -> tuple[dict[str, Any] | None, list[str]]:
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
