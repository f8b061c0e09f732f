"""/start and its deep links, /aide, the bot's arrival in a group, group migrations."""

from __future__ import annotations

from handlers.common import Ctx, handler
from handlers.deeplinks import dispatch_start


@handler
async def start(ctx: Ctx) -> None:
    payload = ctx.context.args[0] if ctx.context.args else ""
    if ctx.is_private and payload:
        await dispatch_start(ctx, payload)
        return
    await show_help(ctx)


@handler
async def help_command(ctx: Ctx) -> None:
    await show_help(ctx)


async def show_help(ctx: Ctx) -> None:
    role = None
    collectives: list[str] = []
    if ctx.group_collective is not None and ctx.person is not None:
        member = await ctx.uow.memberships.get(ctx.group_collective.id, ctx.person.id)
        role = member.role if member is not None and member.status == "active" else None
    elif ctx.is_private and ctx.person is not None:
        from bot.services.members import collectives_of

        for collective in await collectives_of(ctx.uow, ctx.person):
            member = await ctx.uow.memberships.get(collective.id, ctx.person.id)
            if member is not None and member.status == "active":
                collectives.append(collective.title)
                role = member.role if role in (None, "observateur", "membre") else role
    await ctx.say(
        "help",
        private=ctx.is_private,
        role=role,
        registered=ctx.group_collective is not None,
        collectives=collectives,
    )


@handler
async def bot_added(ctx: Ctx) -> None:
    """Someone added the bot to a group: introduce ourselves, once."""
    update = ctx.update
    change = update.my_chat_member
    if change is None or ctx.chat is None or ctx.chat.type == "private":
        return
    was_in = change.old_chat_member.status in ("member", "administrator", "creator")
    is_in = change.new_chat_member.status in ("member", "administrator")
    if is_in and not was_in:
        await ctx.context.bot.send_message(
            ctx.chat.id,
            ctx.text("intro", registered=ctx.group_collective is not None),
        )


@handler
async def migrated(ctx: Ctx) -> None:
    from bot.services.collectives import migrate_chat

    message = ctx.update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        await migrate_chat(ctx.uow, message.chat_id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await migrate_chat(ctx.uow, message.migrate_from_chat_id, message.chat_id)


@handler
async def unknown_command(ctx: Ctx) -> None:
    # In groups other bots' commands are common: stay quiet unless addressed to us.
    message = ctx.update.effective_message
    if message is None or not message.text:
        return
    command = message.text.split()[0]
    if not ctx.is_private and "@" not in command:
        return
    await ctx.say("unknown_command", command=command[:40])
