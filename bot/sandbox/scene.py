"""Setting the scene: the users and groups a test arranges before people start acting.

`Scenery` is a mixin of `Sandbox`: creating users and groups (with the bot added by the owner),
promoting admins, changing the bot's rights or removing it, opening forum topics, migrating a
basic group. Like Telegram, each change the bot would hear about queues its update
(my_chat_member, chat_member, service messages).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from bot.sandbox.world import (
    ADMIN_STATUSES,
    DEFAULT_ADMIN_RIGHTS,
    PRESENT,
    RESTRICTED_OUTSIDE,
    SandboxChat,
    SandboxError,
    SandboxUser,
    World,
)

__all__ = ["Scenery"]


class Scenery:
    """World building, mixed into `Sandbox` (which provides `world`)."""

    world: World

    def add_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fr",
    ) -> SandboxUser:
        """A new user (ids from 100001) with their (not yet started) private chat."""
        world = self.world
        user = SandboxUser(
            id=world.next_user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        world.next_user_id += 1
        world.users[user.id] = user
        world.add_chat(SandboxChat(id=user.id, type="private", bot_status="member", user=user))
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
        world = self.world
        if forum and not supergroup:
            raise SandboxError("only supergroups can be forums")
        chat = SandboxChat(
            id=world.new_group_id(supergroup),
            type="supergroup" if supergroup else "group",
            title=title,
            is_forum=forum,
        )
        chat.members[world.user(owner).id] = "creator"
        for admin in admins:
            chat.members[world.user(admin).id] = "administrator"
        for member in members:
            chat.members.setdefault(world.user(member).id, "member")
        world.add_chat(chat)
        if bot_member:
            world.add_bot(chat, world.user(owner), admin=bot_is_admin, rights=bot_rights)
        return chat

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
        world = self.world
        group = world.group(chat)
        member = world.user(user)
        old = group.members.get(member.id, "left")
        if old == "creator":
            raise SandboxError("the owner's status cannot change")
        new = "administrator" if admin else "member"
        group.members[member.id] = new
        if admin:
            group.admin_rights[member.id] = {**DEFAULT_ADMIN_RIGHTS, **(rights or {})}
            if anonymous:
                group.anonymous_admins.add(member.id)
        else:
            group.admin_rights.pop(member.id, None)
            group.anonymous_admins.discard(member.id)
        return self._status_changed(group, member, old, new)

    def restrict(
        self, chat: SandboxChat | int, user: SandboxUser | int, *, is_member: bool = True
    ) -> list[dict[str, Any]]:
        """The owner restricts a user (no right to post): still in the group with
        `is_member`, or restricted after leaving it; a chat_member update for an admin bot."""
        world = self.world
        group = world.group(chat)
        member = world.user(user)
        old = group.members.get(member.id, "left")
        if old == "creator":
            raise SandboxError("the owner cannot be restricted")
        new = "restricted" if is_member else RESTRICTED_OUTSIDE
        group.members[member.id] = new
        group.admin_rights.pop(member.id, None)
        return self._status_changed(group, member, old, new)

    def _status_changed(
        self, group: SandboxChat, member: SandboxUser, old: str, new: str
    ) -> list[dict[str, Any]]:
        """A chat_member update, which Telegram sends only to an administrator bot."""
        if old != new and group.bot_status in ADMIN_STATUSES:
            owner = self.world.owner(group)
            return [self.world.member_update("chat_member", group, owner, member, old, new)]
        return []

    def set_bot_admin(
        self, chat: SandboxChat | int, admin: bool, rights: Mapping[str, bool] | None = None
    ) -> list[dict[str, Any]]:
        """The owner promotes/demotes the bot (adding it first if it is not in the group)."""
        world = self.world
        group = world.group(chat)
        owner = world.owner(group)
        if group.bot_status not in PRESENT:
            before = len(world.updates)
            world.add_bot(group, owner, admin=admin, rights=rights)
            return world.updates.since(before)
        old = group.bot_status
        group.bot_status = "administrator" if admin else "member"
        group.bot_rights = {**DEFAULT_ADMIN_RIGHTS, **(rights or {})} if admin else {}
        return [
            world.member_update("my_chat_member", group, owner, world.bot, old, group.bot_status)
        ]

    def remove_bot(self, chat: SandboxChat | int, *, ban: bool = False) -> dict[str, Any]:
        """The owner removes (or bans) the bot; Telegram tells the bot with my_chat_member."""
        world = self.world
        group = world.group(chat)
        old = group.bot_status
        group.bot_status = "kicked" if ban else "left"
        group.bot_rights = {}
        owner = world.owner(group)
        world.new_message(group, owner, service={"left_chat_member": world.bot.to_api()})
        return world.member_update("my_chat_member", group, owner, world.bot, old, group.bot_status)

    def create_topic(self, chat: SandboxChat | int, name: str) -> int:
        """The owner opens a forum topic; returns its message_thread_id."""
        group = self.world.group(chat)
        if not group.is_forum:
            raise SandboxError(f"chat {group.id} is not a forum")
        return self.world.open_topic(group, name, self.world.owner(group))

    def migrate_to_supergroup(self, chat: SandboxChat | int) -> SandboxChat:
        """Upgrade a basic group: new id, migrate_* service messages, old id answers 400."""
        world = self.world
        old = world.group(chat)
        if old.type != "group":
            raise SandboxError(f"chat {old.id} is not a basic group")
        owner = world.owner(old)
        new = world.add_chat(
            SandboxChat(
                id=world.new_group_id(True),
                type="supergroup",
                title=old.title,
                members=dict(old.members),
                anonymous_admins=set(old.anonymous_admins),
                bot_status=old.bot_status,
                bot_rights=(
                    {**DEFAULT_ADMIN_RIGHTS, **old.bot_rights}
                    if old.bot_status == "administrator"
                    else {}
                ),
                admin_rights=copy.deepcopy(old.admin_rights),
            )
        )
        message = world.new_message(old, owner, service={"migrate_to_chat_id": new.id})
        world.deliver(old, message)
        old.migrated_to = new.id
        message = world.new_message(new, owner, service={"migrate_from_chat_id": old.id})
        world.deliver(new, message)
        return new
