"""Moves the vote and charter tests share: a collective with members, opening a vote in
private, following the link a group button answers with."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from storage.models import Vote
from storage.repos.votes import VoteRepo
from tests.helpers import actor, scene, wool_collective


async def collective_with(
    h: Harness, n: int, *, outsiders: int = 0
) -> tuple[SandboxChat, SandboxUser, list[SandboxUser]]:
    """A wool collective: Claire animates it, `n` members have joined; `outsiders` more people
    are in the group without being members (they come last in the list)."""
    group, claire, users = await wool_collective(h, members=n + outsiders)
    for i, user in enumerate(users[:n]):
        await scene(h).onboard(user, actor(org=f"Organisation {i}"), via_group=group)
    return group, claire, users


async def make_observer(h: Harness, animator: SandboxUser, name: str) -> None:
    await h.say(animator, None, "/role")
    await h.press(animator, None, name)
    await h.press(animator, None, "Observation")


async def tallies(h: Harness, vote_id: int) -> dict[str, int]:
    async with h.app.deps.uow() as uow:
        rows = await uow.repo(VoteRepo).tallies(vote_id, 1)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.choice] = counts.get(row.choice, 0) + row.count
    return {k: v for k, v in counts.items() if v}


def toast(h: Harness, user: SandboxUser) -> str:
    return next(text for uid, text in reversed(h.sandbox.toasts) if uid == user.id).replace(
        "\u202f", " "
    )


def plain(text: str) -> str:
    """What a person reads, with the narrow no-break spaces as plain spaces (for asserts)."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


async def open_vote(
    h: Harness,
    animator: SandboxUser,
    question: str = "Adhérer au réseau des filières laine ?",
    *,
    method: str = "Majorité",
    options: str | None = None,
    threshold: str = "Plus de la moitié",
    secret: bool = False,
    live: bool = False,
    changeable: bool = False,
    colleges: bool | None = None,
    observers: bool | None = None,
    quorum: str | None = None,
    closing: str = "demain 18h",
) -> None:
    """The animator answers the setup questions in private; the group message is posted."""
    await h.say(animator, None, f"/vote {question}" if question else "/vote")
    await h.press(animator, None, method)
    if options is not None:
        await h.say(animator, None, options)
    if method == "Majorité":
        await h.press(animator, None, threshold)
    if method != "Consentement":
        await h.press(animator, None, "À bulletin secret" if secret else "Vote public")
    if not secret:
        await h.press(animator, None, "En direct" if live else "À la clôture")
        final = "Oui, jusqu'à la clôture" if changeable else "Non, vote définitif"
        await h.press(animator, None, final)
    if colleges is not None:
        await h.press(animator, None, "Par collège" if colleges else "Une personne, une voix")
    if observers is not None:
        await h.press(animator, None, "Oui, elles votent aussi" if observers else "Non")
    if quorum is None:
        await h.press(animator, None, "Pas de quorum")
    else:
        await h.say(animator, None, quorum)
    await h.say(animator, None, closing)
    await h.press(animator, None, "Ouvrir le vote")
    await h.tick(timedelta(seconds=1))  # the live message is posted by due work


async def follow(h: Harness, user: SandboxUser) -> None:
    """The client follows the t.me link a button press was answered with."""
    answers = [a for a in h.sandbox.callback_answers.values() if a["user_id"] == user.id]
    url = answers[-1]["url"]
    assert url, answers[-1]
    await h.open_link(user, url)


async def last_vote(h: Harness) -> Vote:
    async with h.app.deps.uow() as uow:
        found = await uow.session.scalar(select(Vote).order_by(Vote.id.desc()).limit(1))
        assert found is not None
        return found


async def read_journal(h: Harness, animator: SandboxUser) -> str:
    """Every page of the journal, newest first, as the animator reads it."""
    await h.say(animator, None, "/journal")
    pages = [plain(h.last(animator).plain)]
    while ["Plus anciens ▶"] in h.last(animator).buttons or any(
        "Plus anciens ▶" in row for row in h.last(animator).buttons
    ):
        await h.press(animator, None, "Plus anciens ▶")
        pages.append(plain(h.last(animator).plain))
    return "\n".join(pages)
