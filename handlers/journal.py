"""/journal: the latest events of the collective, for the animators, paged."""

from __future__ import annotations

from bot.services import journal as svc
from bot.services.collectives import ANIMATEUR
from bot.services.errors import Refusal
from bot.services.members import require_role
from handlers.choose import run_for_collective, switch_rows
from handlers.common import Button, Ctx, handler
from handlers.deeplinks import JOURNAL, payload
from storage.models import Collective


@handler
async def journal(ctx: Ctx) -> None:
    await run_for_collective(ctx, "journal")


async def show_first_page(ctx: Ctx, collective: Collective) -> None:
    await show_journal(ctx, collective, 0)


async def show_journal(
    ctx: Ctx, collective: Collective, number: int, *, edit: bool = False
) -> None:
    await require_role(ctx.uow, collective, ctx.me, (ANIMATEUR,))
    if not ctx.is_private:
        # The journal names people: it is read in private.
        link = ctx.deep_link(payload(JOURNAL, collective.id))
        await ctx.say("journal/in_private", [[(ctx.label("open_private"), link)]])
        return
    page = await svc.page(ctx.uow, collective.id, number)
    nav: list[Button] = []
    if page.page > 0:
        nav.append((ctx.label("newer"), ("jrnl", collective.id, page.page - 1)))
    if page.page + 1 < page.pages:
        nav.append((ctx.label("older"), ("jrnl", collective.id, page.page + 1)))
    buttons = [nav, *await switch_rows(ctx, collective, "journal")]
    params = {"c": collective, "p": page, "tz": collective.timezone}
    if edit:
        await ctx.edit("journal/page", buttons, **params)
    else:
        await ctx.say("journal/page", buttons, **params)


async def page_button(ctx: Ctx, args: list[str]) -> None:
    collective = await ctx.uow.collectives.get(int(args[0]))
    if collective is None:
        raise Refusal("stale_button")
    await show_journal(ctx, collective, int(args[1]), edit=True)
