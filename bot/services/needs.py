"""What actors need and what they can bring, as the mise en relation reads it.

Two sources feed it: the answers to named needs surveys (the survey feature), and what the
animation team records for actors without Telegram (the toolbox feature). Both speak in the
categories of `content/categories.toml` (`bot.catalog.categories()`), with the « précisez » an
actor gave (the product, the quantity: « 2 t de laine brute »).

The survey feature exposes `needs_and_offers(uow, collective_id) -> list[NeedOrOffer]` from
named surveys only (anonymous answers never feed the matching); the matching reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class NeedOrOffer:
    # Who: a member ("member:<membership id>") or an imported actor ("actor:<id>").
    actor: str
    kind: Literal["need", "offer"]
    category: str  # a code of content/categories.toml
    detail: str | None  # the « précisez »
    source: str  # "survey:<id>" or "animator"
