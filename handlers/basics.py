"""/start and its deep links, /aide, the bot's arrival in a group, group migrations, and
commands typed with an accent, a capital or a typo."""

from __future__ import annotations

from bot.services import members as members_svc
from bot.services.collectives import migrate_chat
from bot.services.errors import Refusal
from bot.typed import MAX_DISTANCE, fold, nearest, read
from handlers.common import Ctx, Rows
from handlers.registry import Command, Feature, On


async def start(ctx: Ctx) -> None:
    payload = ctx.args[0] if ctx.args else ""
    if ctx.is_private and payload:
        found = ctx.registry.link_for(payload)
        if found is None:
            raise Refusal("stale_link")
        link, rest = found
        await link.run(ctx, rest)
        return
    if (
        ctx.is_private
        and ctx.person is not None
        and not await members_svc.collectives_of(ctx.uow, ctx.person)
    ):
        # A first contact, with no link: say who we are before anything else.
        ctx.say("intro_private")
        return
    await help_command(ctx)


async def help_command(ctx: Ctx) -> None:
    """What the person can do here: one line per command the features declared for them."""
    roles: set[str] = set()
    collectives: list[str] = []
    left = False
    if ctx.group_collective is not None and ctx.person is not None:
        found = await members_svc.role_in(ctx.uow, ctx.group_collective, ctx.person)
        roles = {"outsider"} if found is None else {"member", found}
    elif ctx.is_private and ctx.person is not None:
        for collective in await members_svc.collectives_of(ctx.uow, ctx.person):
            found = await members_svc.role_in(ctx.uow, collective, ctx.person)
            if found is not None:
                collectives.append(collective.title)
                roles |= {"member", found}
        left = not collectives and await members_svc.has_left(ctx.uow, ctx.person)
    elif not ctx.is_private:
        roles = {"unregistered"}
    buttons: Rows = [[(ctx.caption("privacy_notice"), ("vosdonnees",))]] if ctx.is_private else []
    ctx.say(
        "help",
        buttons,
        private=ctx.is_private,
        registered=ctx.group_collective is not None,
        left=left,
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
        pitches = [ctx.label(f.pitch) for f in ctx.registry.features if f.pitch]
        text = ctx.text("intro", registered=ctx.group_collective is not None, pitches=pitches)
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
    """A message starting with « / » that no command took: « /filière » (Telegram marks no
    command there), « /Annuaire », a typo, or another bot's command.

    A command whose name matches once case and accents are folded runs; otherwise the nearest
    is suggested. In a group, only a command addressed to this bot, or one within a typo of
    ours, gets an answer: other bots' commands are common there."""
    message = ctx.update.effective_message
    if message is None or not message.text:
        return
    typed = read(message.text)
    if typed is None:
        return
    username = (ctx.bot.username or "").casefold()
    addressed = typed.bot is not None and typed.bot.casefold() == username
    if typed.bot is not None and not addressed:
        return
    commands = ctx.registry.commands
    command = next((c for name, c in commands.items() if fold(name) == typed.folded), None)
    if command is not None and typed.folded:
        await run_command(ctx, command)
        return
    limit = MAX_DISTANCE if len(typed.folded) > 4 else 1
    names = [name for name in commands if name != "start"]
    suggestion = nearest(typed.folded, names, limit) if typed.folded else None
    shown = "/" + typed.word[:40]
    if suggestion is not None:
        ctx.say("did_you_mean", command=shown, suggestion=suggestion)
    elif ctx.is_private or addressed:
        ctx.say("unknown_command", command=shown)


async def run_command(ctx: Ctx, command: Command) -> None:
    """Run a declared command as its handler would."""
    if command.run is not None:
        await command.run(ctx)
        return
    from handlers.choose import run_for_collective

    await run_for_collective(ctx, command)


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
