"""/journal: the latest events of the collective, for the animation team, paged, in private."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jinja2 import TemplateNotFound
from markupsafe import Markup

from bot.domain import ANIMATORS
from bot.services import collectives as collectives_svc
from bot.services import journal as svc
from bot.services import journal_filters as filters
from bot.services.members import require_role
from handlers.choose import switch_rows
from handlers.common import Button as Key
from handlers.common import Ctx, Rows
from handlers.paging import nav_row
from handlers.registry import (
    Button,
    Command,
    Feature,
    Int,
    Link,
    PagedList,
    Word,
    link_id,
)
from storage.models import Collective

JOURNAL_LINK = "l"


async def show_first_page(ctx: Ctx, collective: Collective) -> None:
    await show_journal(ctx, collective, 0, edit=False)


async def show_journal(
    ctx: Ctx,
    collective: Collective,
    number: int,
    *,
    edit: bool,
    category: str = filters.ALL,
    period: str = filters.ALL,
) -> None:
    await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    if not ctx.is_private:
        # The journal names people: it is read in private.
        ctx.say("journal/in_private", ctx.private_link_button(f"{JOURNAL_LINK}{collective.id}"))
        return
    filtered = (category, period) != (filters.ALL, filters.ALL)
    if filtered:
        page = await filters.page(
            ctx.uow,
            collective.id,
            number,
            declared=ctx.registry.journal,
            category=category,
            period=period,
            now=ctx.now,
        )
        nav: Rows = [filtered_nav(ctx, collective.id, category, period, page)]
    else:
        page = await svc.page(ctx.uow, collective.id, number)
        nav = [nav_row(ctx, "journal", collective.id, page, previous="newer", following="older")]
    buttons: Rows = nav + filter_rows(ctx, collective.id, category, period)
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
    if filtered:
        ctx.toast("journal/filtered", category=category, period=period, count=page.total)


def filter_rows(ctx: Ctx, collective_id: int, category: str, period: str) -> Rows:
    """Categories (Tout, Membres, Enquêtes…) and periods; the current ones ticked."""

    def key(cat: str, per: str) -> Sequence[object]:
        return ("jn", collective_id, cat, per, 0)

    def mark(on: bool, text: str) -> str:
        return ("✓ " if on else "") + text

    cats = [filters.ALL, *filters.CATEGORIES]
    cat_buttons: list[Key] = [
        (mark(c == category, ctx.caption(f"journal/cat_{c}")), key(c, period)) for c in cats
    ]
    per_buttons: list[Key] = [
        (mark(p == period, ctx.caption(f"journal/period_{p}")), key(category, p))
        for p in filters.PERIODS
    ]
    return [cat_buttons[:4], cat_buttons[4:], per_buttons]


def filtered_nav(ctx: Ctx, collective_id: int, category: str, period: str, page: Any) -> list[Key]:
    row: list[Key] = []
    if page.has_previous:
        row.append((ctx.caption("newer"), ("jn", collective_id, category, period, page.number - 1)))
    if page.has_next:
        row.append((ctx.caption("older"), ("jn", collective_id, category, period, page.number + 1)))
    return row


async def filter_button(
    ctx: Ctx, collective_id: int, category: str, period: str, number: int
) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await show_journal(ctx, collective, number, edit=True, category=category, period=period)


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
    buttons=(
        Button(
            "jn",
            filter_button,
            (
                Int(1),
                Word(filters.ALL, *filters.CATEGORIES),
                Word(*filters.PERIODS),
                Int(0, 100_000),
            ),
        ),
    ),
)
