"""/journal: the latest events of the collective, for the animation team, paged, in private."""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateNotFound
from markupsafe import Markup

from bot.domain import ANIMATORS
from bot.services import collectives as collectives_svc
from bot.services import journal as svc
from bot.services.members import require_role
from handlers.choose import switch_rows
from handlers.common import Ctx, Rows
from handlers.paging import nav_row
from handlers.registry import Command, Feature, Link, PagedList, link_id
from storage.models import Collective

JOURNAL_LINK = "l"


async def show_first_page(ctx: Ctx, collective: Collective) -> None:
    await show_journal(ctx, collective, 0, edit=False)


async def show_journal(ctx: Ctx, collective: Collective, number: int, *, edit: bool) -> None:
    await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    if not ctx.is_private:
        # The journal names people: it is read in private.
        ctx.say("journal/in_private", ctx.private_link_button(f"{JOURNAL_LINK}{collective.id}"))
        return
    page = await svc.page(ctx.uow, collective.id, number)
    buttons: Rows = [
        nav_row(ctx, "journal", collective.id, page, previous="newer", following="older")
    ]
    buttons += await switch_rows(ctx, collective, "journal")
    lines = [(line.at, svc_line(ctx, line)) for line in page.items]
    params: dict[str, Any] = {
        "c": collective,
        "p": page,
        "lines": lines,
        "tz": collective.timezone,
        "now": ctx.now,
    }
    ctx.show("journal/page", buttons, edit=edit, **params)


def svc_line(ctx: Ctx, line: svc.JournalLine) -> Markup:
    """One event as a sentence: `journal/kinds/<kind>.j2`, each feature writing its own."""
    try:
        return Markup(ctx.text(f"journal/kinds/{line.kind}", l=line))
    except TemplateNotFound:
        return Markup(ctx.text("journal/kinds/other", l=line))


async def journal_link(ctx: Ctx, rest: str) -> None:
    collective = await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await show_journal(ctx, collective, 0, edit=False)


async def journal_list(ctx: Ctx, collective_id: int, number: int) -> None:
    await show_journal(ctx, await collectives_svc.find(ctx.uow, collective_id), number, edit=True)


FEATURE = Feature(
    name="journal",
    pitch="pitch_journal",
    commands=(
        Command(
            ("journal", "log"),
            for_collective=show_first_page,
            in_group_menu=True,
            in_private_menu=True,
            help=(("animateur", "help_journal"),),
        ),
    ),
    links=(Link(JOURNAL_LINK, journal_link),),
    lists=(PagedList("journal", journal_list),),
)
