"""/journal by category (membres, enquêtes, votes, réunions, actions, ressources) and by
period. Each feature declares which of its event kinds belong to which category
(`Feature.journal`); this module only reads them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.paging import Page, page_of_counted
from bot.services.journal import PAGE_SIZE, JournalLine, lines_of
from storage.repos.journal_filter import JournalFilterRepo
from storage.uow import UnitOfWork

ALL = "tout"
CATEGORIES = ("membres", "enquetes", "votes", "reunions", "actions", "ressources")
PERIODS = ("tout", "7j", "30j", "12m")
PERIOD_DAYS = {"7j": 7, "30j": 30, "12m": 365}


def matcher(declared: Sequence[tuple[str, str]], category: str) -> tuple[list[str], list[str]]:
    """The exact kinds and the kind prefixes of a category, from the features' declarations."""
    exact = [kind for kind, cat in declared if cat == category and not kind.endswith("_")]
    prefixes = [kind for kind, cat in declared if cat == category and kind.endswith("_")]
    return exact, prefixes


async def page(
    uow: UnitOfWork,
    collective_id: int,
    number: int,
    *,
    declared: Sequence[tuple[str, str]],
    category: str,
    period: str,
    now: datetime,
) -> Page[JournalLine]:
    """Newest first, PAGE_SIZE lines a page, only the category's kinds, since the period's
    start."""
    r = uow.repo(JournalFilterRepo)
    kinds: list[str] | None = None
    prefixes: list[str] = []
    if category != ALL:
        kinds, prefixes = matcher(declared, category)
    days = PERIOD_DAYS.get(period)
    since = now - timedelta(days=days) if days else None
    total = await r.count(collective_id, kinds, prefixes, since)
    number = page_of_counted([], number, PAGE_SIZE, total).number
    entries = await r.page(
        collective_id, kinds, prefixes, since, offset=number * PAGE_SIZE, limit=PAGE_SIZE
    )
    return page_of_counted(await lines_of(uow, entries), number, PAGE_SIZE, total)
