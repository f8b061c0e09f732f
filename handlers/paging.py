"""Page buttons for every paged list: `pg|<list>|<owner id>|<page>`."""

from __future__ import annotations

from typing import Any

from bot.paging import Page
from bot.services.errors import Refusal
from handlers.common import Button, Ctx
from handlers.registry import Button as ButtonSpec
from handlers.registry import Feature, Int, Word


def nav_row(
    ctx: Ctx,
    name: str,
    owner_id: int,
    page: Page[Any],
    *,
    previous: str = "page_previous",
    following: str = "page_next",
) -> list[Button]:
    """« ◀ Précédents » and « Suivants ▶ » (or the captions given) for page `page` of list
    `name`."""
    row: list[Button] = []
    if page.has_previous:
        row.append((ctx.caption(previous), ("pg", name, owner_id, page.number - 1)))
    if page.has_next:
        row.append((ctx.caption(following), ("pg", name, owner_id, page.number + 1)))
    return row


async def page_button(ctx: Ctx, name: str, owner_id: int, number: int) -> None:
    paged = ctx.registry.lists.get(name)
    if paged is None:
        raise Refusal("stale_button")
    await paged.show(ctx, owner_id, number)


FEATURE = Feature(
    name="paging",
    buttons=(ButtonSpec("pg", page_button, (Word(), Int(1), Int(0, 100_000))),),
)
