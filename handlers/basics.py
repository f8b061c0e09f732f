"""/start and its deep links, /aide, the bot's arrival in a group, group migrations,
commands the bot does not know."""

from __future__ import annotations

from bot.services import members as members_svc
from bot.services.collectives import migrate_chat
from bot.services.errors import Refusal
from handlers.common import Ctx
from handlers.registry import Command, Feature, On


async def start(ctx: Ctx) -> None:
    payload = ctx.context.args[0] if ctx.context.args else ""
    if ctx.is_private and payload:
        found = ctx.registry.link_for(payload)
        if found is None:
            raise Refusal("stale_link")
        link, rest = found
        await link.run(ctx, rest)
        return
    await help_command(ctx)


async def help_command(ctx: Ctx) -> None:
    """What the person can do here: one line per command the features declared for them."""
    roles: set[str] = set()
    collectives: list[str] = []
    if ctx.group_collective is not None and ctx.person is not None:
        found = await members_svc.role_in(ctx.uow, ctx.group_collective, ctx.person)
        roles = {"outsider"} if found is None else {"member", found}
    elif ctx.is_private and ctx.person is not None:
        for collective in await members_svc.collectives_of(ctx.uow, ctx.person):
            found = await members_svc.role_in(ctx.uow, collective, ctx.person)
            if found is not None:
                collectives.append(collective.title)
                roles |= {"member", found}
    elif not ctx.is_private:
        roles = {"unregistered"}
    buttons = [[(ctx.caption("privacy_notice"), ("vosdonnees",))]] if ctx.is_private else []
    ctx.say(
        "help",
        buttons,
        private=ctx.is_private,
        collectives=collectives,
        lines=help_lines(ctx, roles),
    )


def help_lines(ctx: Ctx, audiences: set[str]) -> list[tuple[str, str]]:
    """(command, what it does) for every command of this chat kind the audiences may use."""
    lines: list[tuple[str, str]] = []
    for command in ctx.registry.unique_commands():
        here = command.in_private_menu if ctx.is_private else command.in_group_menu
        line = next((text for who, text in command.help if who in audiences), None)
        if here and line is not None:
            english = ctx.lang == "en" and len(command.names) > 1
            lines.append((command.names[1] if english else command.names[0], ctx.label(line)))
    return lines


async def bot_added(ctx: Ctx) -> None:
    """Someone added the bot to a group: introduce ourselves, once."""
    change = ctx.update.my_chat_member
    if change is None or ctx.chat is None or ctx.chat.type == "private":
        return
    was_in = change.old_chat_member.status in ("member", "administrator", "creator")
    is_in = change.new_chat_member.status in ("member", "administrator")
    if is_in and not was_in:
        chat_id = ctx.chat.id
        text = ctx.text("intro", registered=ctx.group_collective is not None)
        ctx.queue(lambda bot: bot.send_message(chat_id, text), "intro")


async def migrated(ctx: Ctx) -> None:
    message = ctx.update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        await migrate_chat(ctx.uow, message.chat_id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await migrate_chat(ctx.uow, message.migrate_from_chat_id, message.chat_id)


async def unknown_command(ctx: Ctx) -> None:
    # In groups other bots' commands are common: stay quiet unless addressed to us.
    message = ctx.update.effective_message
    if message is None or not message.text:
        return
    command = message.text.split()[0]
    if not ctx.is_private and "@" not in command:
        return
    ctx.say("unknown_command", command=command[:40])


FEATURE = Feature(
    name="basics",
    commands=(
        Command(("start",), run=start),
        Command(
            ("aide", "help"),
            run=help_command,
            in_group_menu=True,
            in_private_menu=True,
            help=(("unregistered", "help_aide"),),
        ),
    ),
    events=(On("bot_membership", bot_added), On("migrated", migrated)),
)
