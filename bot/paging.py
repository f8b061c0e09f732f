"""Lists shown a page at a time: one piece for every list the bot shows (the annuaire, the
journal, members to pick…), so none outgrows a Telegram message (4,096 characters)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# Characters of list content a page may hold, leaving room for its title and buttons.
PAGE_BUDGET = 3300


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int  # from 0
    count: int  # how many pages
    total: int  # how many items in all the pages

    @property
    def has_previous(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.number + 1 < self.count


def paginate(
    items: Sequence[T],
    number: int,
    *,
    size: int,
    weight: Callable[[T], int] | None = None,
    budget: int = PAGE_BUDGET,
) -> Page[T]:
    """Page `number` (clamped) of `items`: at most `size` items a page, and, with `weight`,
    at most `budget` of weight (characters) a page. Pages are cut from the start, so a page
    number always shows the same items for the same list."""
    pages: list[list[T]] = []
    current: list[T] = []
    used = 0
    for item in items:
        cost = weight(item) if weight is not None else 0
        if current and (len(current) >= size or used + cost > budget):
            pages.append(current)
            current, used = [], 0
        current.append(item)
        used += cost
    if current or not pages:
        pages.append(current)
    number = min(max(number, 0), len(pages) - 1)
    return Page(pages[number], number, len(pages), len(items))


def page_of_counted(items: list[T], number: int, size: int, total: int) -> Page[T]:
    """A page fetched by the database (offset and limit), with the total it counted."""
    count = max(1, -(-total // size))
    return Page(items, min(max(number, 0), count - 1), count, total)
