"""Which collective a command concerns: the group's own, or, in private, the person's choice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.services.errors import Refusal
from bot.services.members import choose_collective, collectives_of, current_collective
from handlers.common import Button, Ctx
from storage.models import Collective

CollectiveCommand = Callable[[Ctx, Collective], Awaitable[None]]


def _commands() -> dict[str, CollectiveCommand]:
    from handlers import journal, members, roles

    return {
        "moi": members.show_profile,
        "annuaire": members.show_directory,
        "quitter": members.confirm_leave,
        "journal": journal.show_first_page,
        "role": roles.pick_member,
    }


async def run_for_collective(ctx: Ctx, command: str) -> None:
    """Run `command` for the right collective, asking first when the person has several."""
    if not ctx.is_private:
        if ctx.group_collective is None:
            raise Refusal("group_not_registered")
        await _commands()[command](ctx, ctx.group_collective)
        return
    found = await current_collective(ctx.uow, ctx.me)
    if found is None:
        raise Refusal("no_collective")
    if isinstance(found, list):
        buttons: list[list[Button]] = [[(c.title[:60], ("pick", c.id, command))] for c in found]
        await ctx.say("choose_collective", buttons)
        return
    await _commands()[command](ctx, found)


async def pick_button(ctx: Ctx, args: list[str]) -> None:
    """pick|<collective>|<command>: remember the choice, then run the command."""
    command = args[1]
    if command not in _commands():
        raise Refusal("stale_button")
    collective = await choose_collective(ctx.uow, ctx.me, int(args[0]))
    await ctx.edit("chosen_collective", c=collective)
    await _commands()[command](ctx, collective)


async def switch_rows(ctx: Ctx, collective: Collective, command: str) -> list[list[Button]]:
    """In private, one button per other collective of the person: run `command` there."""
    if not ctx.is_private:
        return []
    return [
        [(ctx.label("switch_to", name=c.title[:40]), ("pick", c.id, command))]
        for c in await collectives_of(ctx.uow, ctx.me)
        if c.id != collective.id
    ]
