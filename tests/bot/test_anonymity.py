"""Anonymity that holds: in an anonymous vote, nothing the database keeps joins a voter to a
choice — no ballot row, no id, time or physical position that follows the roll, no choice in
the journal.

The proof reads every table with SQL, its physical row position included (SQLite's rowid,
PostgreSQL's ctid), after several anonymous votes; then plays the same votes again with the
choices swapped between the voters, and finds every table exactly as it was: whatever one
reads in the database, it cannot tell who chose what."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.sandbox.harness import Harness
from bot.services import judgment
from bot.services.counting import ABSTAIN, ABSTENTION, CONTRE, NO_OBJECTION, OBJECTION, POUR
from tests.bot.votes_helpers import collective_with, follow, open_vote, toast
from tests.conftest import BACKEND, _truncate
from tests.helpers import every_row

Dump = dict[str, list[tuple[Any, ...]]]
CHOICES = {POUR, CONTRE, ABSTENTION, NO_OBJECTION, OBJECTION, ABSTAIN, *judgment.GRADES}
# Tables whose rows name a person (directly or through the electorate).
PERSONAL = (
    "people",
    "memberships",
    "vote_electors",
    "vote_roll",
    "vote_proxies",
    "journal",
    "conversations",
    "charter_signatures",
)


def positional(name: str) -> bool:
    """Tables where a row's physical position could follow the roll: those naming a person and
    the vote tables. The others (due work, the inbox) hold neither a voter nor a choice, and
    PostgreSQL places their updated rows wherever page pruning left room, which varies from
    run to run: they are compared by content."""
    return name in PERSONAL or name.startswith("vote")


async def dump(h: Harness) -> Dump:
    """Every table, every column, and each row's physical position, in physical order (by
    content, position left out, for tables that cannot tell a voter from another)."""
    found: Dump = {}
    for name, rows in (await every_row(h)).items():
        if positional(name):
            found[name] = [tuple(row.values()) for row in rows]
        else:
            cells = [
                tuple(v for k, v in row.items() if k not in ("_ctid", "_rowid")) for row in rows
            ]
            found[name] = sorted(cells, key=repr)
    return found


async def play(h: Harness, majority: list[str], grades: list[tuple[str, str]]) -> Dump:
    """Three members vote in two anonymous votes (majority, then majority judgment), with the
    choices given in the members' order; the first vote closes."""
    group, claire, users = await collective_with(h, 3)
    await open_vote(h, claire, "Vote à bulletin secret", secret=True)
    for user, choice in zip(users, majority, strict=True):
        await h.press(user, group, choice)
    await open_vote(
        h,
        claire,
        "Nom du lieu totem",
        method="Jugement majoritaire",
        options="La Grange\nLe Moulin",
        secret=True,
        closing="samedi 18h",
    )
    for user, (first, second) in zip(users, grades, strict=True):
        await h.press(user, group, "Voter (en privé)")
        await follow(h, user)
        await h.press(user, None, first)
        await h.press(user, None, second)
        await h.press(user, None, "Valider mon vote")
    await h.tick(timedelta(days=1, hours=12))  # the first vote closes, live messages redrawn
    return await dump(h)


Fresh = Callable[[], Awaitable[str]]


@pytest.fixture
def fresh(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Fresh:
    """Another database, as fresh as the test's own."""

    async def make() -> str:
        if BACKEND == "postgresql":
            await _truncate(database_url)
            return database_url
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "second.db"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"

    return make


async def run(url: str, majority: list[str], grades: list[tuple[str, str]]) -> Dump:
    settings = Settings(_env_file=None, database_url=url, token=None)
    async with Harness(settings, migrate=False) as h:
        return await play(h, majority, grades)


async def test_nothing_in_the_database_joins_a_voter_to_a_choice(
    database_url: str, fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The join link's secret is random, and has nothing to do with votes: fix it.
    monkeypatch.setattr("bot.services.collectives.new_join_token", lambda: "join-token")
    first = await run(
        database_url,
        ["Pour", "Contre", "Abstention"],
        [("Excellent", "À rejeter"), ("Passable", "Bien"), ("Bien", "Bien")],
    )
    # What a reader sees: a roll with no time, tallies, and no ballot row.
    assert first["vote_ballots"] == []
    roll = first["vote_roll"]
    assert len(roll) == 6 and all(row[-1] is None for row in roll)  # `at` is empty
    tallies = {(row[5], row[6]) for row in first["vote_tallies"] if row[6]}
    assert {(POUR, 1), (CONTRE, 1), (ABSTENTION, 1)} <= tallies
    for name in PERSONAL:
        for row in first[name]:
            cells = " ".join(str(cell) for cell in row)
            assert not any(f'"{code}"' in cells or f"'{code}'" in cells for code in CHOICES), (
                name,
                row,
            )
            assert not any(cell in CHOICES for cell in row if isinstance(cell, str)), (name, row)

    # The same votes, the choices swapped between the voters: not one byte differs.
    second = await run(
        await fresh(),
        ["Contre", "Abstention", "Pour"],
        [("Passable", "Bien"), ("Bien", "Bien"), ("Excellent", "À rejeter")],
    )
    assert second.keys() == first.keys()
    for name in first:
        assert second[name] == first[name], name


async def test_grades_given_half_way_are_gone_when_the_vote_closes(harness: Harness) -> None:
    """A voter who graded one option of a secret majority judgment and never validated: once
    the vote closes, no conversation keeps those grades next to their name."""
    from sqlalchemy import select

    from storage.models import Conversation

    h = harness
    group, claire, users = await collective_with(h, 2)
    await open_vote(
        h,
        claire,
        "Nom du lieu totem",
        method="Jugement majoritaire",
        options="La Grange\nLe Moulin",
        secret=True,
    )
    await h.press(users[0], group, "Voter (en privé)")
    await follow(h, users[0])
    await h.press(users[0], None, "Excellent")  # one option graded, the ballot left open

    async def ballots_in_progress() -> list[dict[str, Any]]:
        async with h.app.deps.uow() as uow:
            found = await uow.session.scalars(
                select(Conversation).where(Conversation.flow.like("vote_ballot%"))
            )
            return [dict(c.data or {}) for c in found]

    assert any(data for data in await ballots_in_progress())  # kept while the vote is open
    await h.tick(timedelta(days=2))
    assert await ballots_in_progress() == []
    await h.press(users[0], None, "Bien")  # the next grade, after the closing
    assert toast(h, users[0]).startswith("Ce bouton n'est plus valable.")
