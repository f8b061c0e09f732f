"""Which collective a command concerns: the group's own, or, in private, the person's choice."""

from __future__ import annotations

from bot.services.errors import Refusal
from bot.services.members import (
    choose_collective,
    collectives_of,
    current_collective,
    has_left,
)
from handlers.common import Ctx, Rows
from handlers.registry import Button, Command, Feature, Int, Word
from storage.models import Collective


async def run_for_collective(ctx: Ctx, command: Command) -> None:
    """Run `command` for the right collective, asking first when the person has several."""
    assert command.for_collective is not None
    if not ctx.is_private:
        if ctx.group_collective is None:
            raise Refusal("group_not_registered")
        await command.for_collective(ctx, ctx.group_collective)
        return
    found = await current_collective(ctx.uow, ctx.me)
    if found is None:
        raise Refusal("no_collective", left=await has_left(ctx.uow, ctx.me))
    if isinstance(found, list):
        buttons: Rows = [[(c.title[:60], ("pick", c.id, command.names[0]))] for c in found]
        # A reply to the command: the button finds its words there (`/chercher laine`).
        ctx.say("choose_collective", buttons, quote=True)
        return
    others = await switch_rows(ctx, found, command.names[0])
    if others:
        ctx.refused_in = (found.title, others)
    await command.for_collective(ctx, found)


async def pick_button(ctx: Ctx, collective_id: int, name: str) -> None:
    """pick|<collective>|<command>: remember the choice, then run the command there."""
    command = ctx.registry.commands.get(name)
    if command is None or command.for_collective is None:
        raise Refusal("stale_button")
    collective = await choose_collective(ctx.uow, ctx.me, collective_id)
    ctx.command_text = _asked_for(ctx, command)
    ctx.edit("chosen_collective", c=collective)
    await command.for_collective(ctx, collective)


def _asked_for(ctx: Ctx, command: Command) -> str | None:
    """The command the choice answered (its message is a reply to it), if it is this one."""
    query = ctx.update.callback_query
    asked = getattr(query.message, "reply_to_message", None) if query is not None else None
    text = asked.text if asked is not None and asked.text else ""
    word = text.split(maxsplit=1)[0].removeprefix("/").split("@")[0] if text else ""
    return text if word.casefold() in command.names else None


async def switch_rows(ctx: Ctx, collective: Collective, name: str) -> Rows:
    """In private, one button per other collective of the person: run `name` there."""
    if not ctx.is_private:
        return []
    return [
        [(ctx.caption("switch_to", name=c.title[:40]), ("pick", c.id, name))]
        for c in await collectives_of(ctx.uow, ctx.me)
        if c.id != collective.id
    ]


FEATURE = Feature(name="choose", buttons=(Button("pick", pick_button, (Int(1), Word())),))
