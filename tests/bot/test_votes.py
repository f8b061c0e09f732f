"""Votes through the real Application and the sandbox: opening, the group message, ballots,
closing and the result in plain French."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.harness import Harness
from storage.repos.votes import VoteRepo
from tests.bot.votes_helpers import collective_with, last_vote, open_vote
from tests.helpers import nb


async def test_a_public_majority_vote_from_opening_to_result(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 3)
    await open_vote(h, claire, live=True)
    assert "Le vote est ouvert" in h.bot_texts(claire)[-1]
    message = h.last(group)
    assert "Adhérer au réseau des filières laine" in message.plain
    assert "Participation : 0 sur 4" in nb(message.plain) or "Participation" in message.plain
    await h.press(users[0], group, "Pour")
    assert h.sandbox.toasts[-1][1].startswith("C'est enregistré")
    await h.press(users[1], group, "Contre")
    await h.press(claire, group, "Pour")
    await h.tick(timedelta(minutes=2))
    assert "Participation : 3 sur 4" in h.last(group).plain.replace("\u202f", " ")
    await h.tick(timedelta(days=2))
    result = h.last(group).plain
    assert "La proposition est adoptée" in result
    vote = await last_vote(h)
    assert vote.status == "closed" and vote.outcome == "adopted"
    async with h.app.deps.uow() as uow:
        ballots = await uow.repo(VoteRepo).ballots(vote.id)
    assert sorted(b.choice or "" for b in ballots) == ["contre", "pour", "pour"]
