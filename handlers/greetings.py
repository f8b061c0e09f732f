"""Greeting the people who arrive in the collective's Telegram group, with the button that
opens the joining questions in private (see `bot.services.greetings`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import ChatMember, ChatMemberRestricted
from telegram.constants import ChatMemberStatus

from bot.sender import Sender
from bot.services import greetings as svc
from bot.texts import caption, render
from handlers.common import Ctx, Rows, keyboard
from handlers.members import JOIN_LINK
from handlers.registry import Feature, On
from storage.models import Collective

if TYPE_CHECKING:
    from bot.app import Deps
    from bot.due import DueContext

PRESENT = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER)


def _present(member: ChatMember) -> bool:
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in PRESENT


async def members_joined(ctx: Ctx) -> None:
    """The service message of arrivals: several people added at once get one greeting."""
    message = ctx.update.effective_message
    collective = ctx.group_collective
    if message is None or collective is None or not message.new_chat_members:
        return
    people = [svc.Arrival(u.id, u.first_name, u.is_bot) for u in message.new_chat_members]
    await _greet(ctx, collective, people)


async def chat_member_changed(ctx: Ctx) -> None:
    """Telegram says someone is now in the group who was not (an administrator bot hears
    this even where service messages are hidden)."""
    change = ctx.update.chat_member
    collective = ctx.group_collective
    if change is None or collective is None:
        return
    if _present(change.old_chat_member) or not _present(change.new_chat_member):
        return
    user = change.new_chat_member.user
    await _greet(ctx, collective, [svc.Arrival(user.id, user.first_name, user.is_bot)])


async def _greet(ctx: Ctx, collective: Collective, people: list[svc.Arrival]) -> None:
    names = await svc.arrived(ctx.uow, collective, people, ctx.now)
    if names and collective.join_token:
        link = ctx.deep_link(JOIN_LINK + collective.join_token)
        buttons: Rows = [[(ctx.caption("join_private"), link)]]
        ctx.post_group(collective, "members/greet", buttons, c=collective, people=names)


async def greet_later(deps: Deps, due: DueContext) -> object:
    """A greeting held back by the one-a-minute rule: everyone who arrived meanwhile."""
    from bot.due import Later

    collective = await due.uow.collectives.get(due.work.collective_id or 0)
    if collective is None:
        return None
    found = await svc.waiting(due.uow, collective)
    if found.names and collective.join_token:
        lang = collective.language
        link = f"https://t.me/{due.bot.username}?start={JOIN_LINK}{collective.join_token}"
        outcome = await Sender(due.bot, due.uow, due.now).send(
            due.work.key,
            collective.chat_id,
            render("members/greet", lang, c=collective, people=found.names),
            reply_markup=keyboard([[(caption("join_private", lang), link)]]),
            thread_id=collective.thread_id,
        )
        if outcome.status == "later" and outcome.retry_at is not None:
            return Later(outcome.retry_at)
    await svc.greeted(due.uow, found.ids, due.now)
    return None


FEATURE = Feature(
    name="greetings",
    pitch="pitch_greetings",
    events=(On("members_joined", members_joined), On("chat_member", chat_member_changed)),
    due=((svc.GREET, greet_later),),
)
