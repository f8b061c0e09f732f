"""The simulated people: what tests do as Telegram users, and the updates it gives the bot.

`UserActions` is a mixin of `Sandbox`: sending texts and files, pressing inline buttons,
following deep links, joining and leaving groups, blocking the bot. Each action stores what the
user's client would show and queues the update Telegram would send the bot, under the same
rules (privacy mode in groups, blocked bots hear nothing); it returns that update, with
update_id None when Telegram would not deliver it. What a real client cannot do (an empty
message, acting in a chat one is not in) raises SandboxError.
"""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.entities import FormattedText, user_entities
from bot.sandbox.rules import BUTTON_KINDS, MESSAGE_LIMIT, parse_link
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
        world = self.world
        sender = world.user(user)
        target = world.chat_for(sender, chat)
        if not text.strip():
            raise SandboxError("Telegram clients cannot send an empty message")
        if len(text) > MESSAGE_LIMIT:
            raise SandboxError("Telegram clients split texts longer than 4096 characters")
        if target.type == "private":
            if anonymous:
                raise SandboxError("anonymous messages only exist in groups")
            self._open_private(sender)
        elif anonymous:
            if target.members.get(sender.id) not in ADMIN_STATUSES:
                raise SandboxError(f"user {sender.id} is not an admin of chat {target.id}")
            target.anonymous_admins.add(sender.id)
        reply = self._user_reply(target, reply_to)
        thread_id = self._user_thread(target, thread_id, reply)
        message = world.new_message(
            target,
            sender,
            text=text,
            formatted=_user_text(text),
            anonymous=anonymous,
            thread_id=thread_id,
            reply_to=reply,
        )
        return world.deliver(target, message)

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
        world = self.world
        sender = world.user(user)
        target = world.chat_for(sender, chat)
        if not content:
            raise SandboxError("Telegram clients cannot send an empty file")
        if target.type == "private":
            self._open_private(sender)
        meta = world.store_file("documents", filename, content, mime)
        message = world.new_message(
            target,
            sender,
            caption=caption,
            formatted=_user_text(caption),
            document=(filename, content, mime),
            media={"document": {**meta, "file_name": filename, "mime_type": mime}},
        )
        return world.deliver(target, message)

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
        presser = world.user(user)
        target = world.chat_for(presser, chat)
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
        if "callback_data" in button:
            return self._callback(user, chat, message, str(button["callback_data"]))
        if "url" in button:
            url = str(button["url"])
            if self.world.is_bot_deep_link(url):
                return self.open_link(user, url, group=group)
            raise SandboxError(f"button {button.get('text')!r} opens {url}, not a bot deep link")
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
        presser = self.world.user(user)
        target = self.world.chat_for(presser, chat)
        message = self.world.find(target.id, message_id)
        if message is None:
            raise SandboxError(f"no message {message_id} in chat {target.id}")
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
        message = world.new_message(group, joiner, service={"new_chat_members": [joiner.to_api()]})
        return self._membership_updates(group, joiner, message, old, "member")

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
