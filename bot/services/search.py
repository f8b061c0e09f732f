"""Search without a search engine: one normalised text per searchable row (`search_index`),
matched word by word, ranked by the words found and the field they were found in.

A collective holds thousands of rows, not millions, so a LIKE per word over its rows is quick,
and the same code runs on SQLite and PostgreSQL. Normalised means lowercase, no accents,
ligatures opened (œ → oe), punctuation dropped, French plurals folded (« laines » → « laine »,
« chevaux » → « cheval »): the same folding on what is indexed and on what is typed. What
people type is only ever a bound parameter made of letters and digits, so `%`, `_`, quotes,
`*`, NEAR or OR are searched as the words they contain, never as syntax.

Every feature keeps its rows up to date with `index` and `forget`; the kinds are "resource",
"actor" (a membership, only while it consents to the annuaire), "decision" and "action".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from storage.repos.toolbox import SearchRepo
from storage.uow import UnitOfWork

# How much a word found in each field counts; fields other than "title" count as "body".
WEIGHTS = {"title": 3, "body": 1}
# Words a query drops (unless it has nothing else): they would match nearly every row.
STOP_WORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "ou",
        "par",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "un",
        "une",
        "the",
        "of",
        "and",
        "to",
        "in",
        "for",
        "on",
    ]
)
MAX_QUERY_WORDS = 8
# Rows ranked in Python, the best of them chosen by the database.
CANDIDATES = 500
_WORD = re.compile(r"[0-9a-z]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "’": "'"})


def fold(word: str) -> str:
    """French plurals to the singular, the same way for the index and the query."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("eaux") or word.endswith("eux"):
        return word[:-1]
    if word.endswith("aux") and len(word) > 4:
        return word[:-3] + "al"
    if word.endswith(("s", "x")) and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """The normalised words of a text, in order."""
    lowered = text.casefold().translate(_LIGATURES)
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c)
    )
    return [fold(w) for w in _WORD.findall(plain)]


def as_text(found: Sequence[str]) -> str:
    """Words as stored: space-separated, with a space at each end (so « laine » matches the
    whole word, not « lainerie »)."""
    return " " + " ".join(found) + " " if found else " "


def query_words(text: str) -> list[str]:
    """The distinct words a query looks for (stop words dropped when others remain)."""
    found = list(dict.fromkeys(words(text)))
    useful = [w for w in found if w not in STOP_WORDS]
    return (useful or found)[:MAX_QUERY_WORDS]


async def index(
    uow: UnitOfWork, collective_id: int, kind: str, ref_id: int, fields: dict[str, str]
) -> None:
    """Make (or refresh) the searchable text of one row. `fields`: "title" counts more; any
    other field is searched as the body."""
    title = words(fields.get("title") or "")
    body = [w for name, value in fields.items() if name != "title" and value for w in words(value)]
    await uow.repo(SearchRepo).put(collective_id, kind, ref_id, as_text(title), as_text(body))


async def forget(uow: UnitOfWork, kind: str, ref_id: int) -> None:
    """The row is gone (or must not be found any more)."""
    await uow.repo(SearchRepo).drop(kind, ref_id)


@dataclass(frozen=True)
class Hit:
    kind: str
    ref_id: int
    found: int  # how many of the query's words the row holds
    score: int  # their weights, by field


async def find(
    uow: UnitOfWork, collective_id: int, wanted: Sequence[str], kinds: Sequence[str]
) -> list[Hit]:
    """The rows holding at least one of the words, best first: the most words found, then
    the best fields (a title counts three times a body), then the kinds in the order given,
    then the newest."""
    if not wanted or not kinds:
        return []
    rows = await uow.repo(SearchRepo).matching(collective_id, wanted, kinds, limit=CANDIDATES)
    hits: list[Hit] = []
    for kind, ref_id, title, body in rows:
        found = score = 0
        for word in wanted:
            needle = f" {word} "
            weight = (
                WEIGHTS["title"] if needle in title else WEIGHTS["body"] if needle in body else 0
            )
            if weight:
                found += 1
                score += weight
        if found:
            hits.append(Hit(kind, ref_id, found, score))
    order = {kind: i for i, kind in enumerate(kinds)}
    hits.sort(key=lambda h: (-h.found, -h.score, order.get(h.kind, 99), -h.ref_id))
    return hits
