"""Commands as people type them: « /filière », « /Annuaire », « /anuaire ».

Telegram marks a command only when it is "/" and ASCII letters, digits or "_": « /filière »
reaches the bot as plain text. `fold` reads the first word the way our command names are
written (no case, no accents); `nearest` finds the command a typo was meant to be.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# How far a typo may be from a command to be suggested (insertions, deletions, substitutions
# and swaps of two neighbours each count one).
MAX_DISTANCE = 2


@dataclass(frozen=True)
class Typed:
    word: str  # the command as typed, without "/" nor "@bot" (« filière »)
    folded: str  # « filiere »
    bot: str | None  # the bot it is addressed to (« tisserand_bot »), if any


def read(text: str) -> Typed | None:
    """The command a message starts with, or None when it does not start with « / »."""
    if not text.startswith("/"):
        return None
    rest = text[1:]
    first = "" if not rest or rest[0].isspace() else rest.split(maxsplit=1)[0]
    word, _, bot = first.partition("@")
    return Typed(word, fold(word), bot or None)


def fold(word: str) -> str:
    """Lower case, accents removed, only what a command name may hold."""
    plain = unicodedata.normalize("NFKD", word)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^a-z0-9_]", "", plain)


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Damerau–Levenshtein without repeated edits)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def nearest(folded: str, names: Iterable[str], limit: int = MAX_DISTANCE) -> str | None:
    """The closest name within `limit` edits (the first declared, on a tie), or None."""
    best: tuple[int, str] | None = None
    for name in names:
        d = distance(folded, name)
        if d <= limit and (best is None or d < best[0]):
            best = (d, name)
    return best[1] if best is not None else None
