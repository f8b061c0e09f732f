"""Colleges (as in a SCIC): the animation team names them with their weights, then places
each member in one. A vote by colleges copies them when it opens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.conversation import Flow, Kind, Option, Step, StepContext
from bot.domain import ANIMATORS, Role
from bot.services import journal
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.services.typed import clean_text
from bot.textsafety import visible
from storage.models import Collective, College, Conversation, Membership
from storage.repos.votes import VoteRepo
from storage.uow import UnitOfWork

MAX_COLLEGES = 8
VOTERS = (Role.ANIMATEUR, Role.MEMBRE, Role.OBSERVATEUR)
_LINE = re.compile(r"(?P<name>.+?)\s*[:=(–-]?\s*(?P<weight>\d{1,3})\s*%?\s*\)?")


def parse_colleges(text: str) -> list[tuple[str, int]]:
    """« Producteurs 40 % », one per line (or separated by commas or semicolons); the weights
    add up to 100."""
    parts = [p for p in re.split(r"[\n,;]", text) if visible(p)]
    colleges: list[tuple[str, int]] = []
    for part in parts:
        match = _LINE.fullmatch(part.strip(" •-–*\t"))
        if match is None:
            raise Refusal("colleges_unreadable", line=part.strip()[:60])
        name = clean_text(match["name"].strip(" :=(–-"), field="college", limit=60)
        weight = int(match["weight"])
        if weight <= 0:
            raise Refusal("colleges_unreadable", line=part.strip()[:60])
        colleges.append((name, weight))
    names = [n.casefold() for n, _ in colleges]
    if len(colleges) < 2:
        raise Refusal("colleges_few")
    if len(colleges) > MAX_COLLEGES:
        raise Refusal("colleges_many", limit=MAX_COLLEGES)
    if len(set(names)) != len(names):
        raise Refusal("colleges_twice")
    total = sum(w for _, w in colleges)
    if total != 100:
        raise Refusal("colleges_total", total=total)
    return colleges


@dataclass(frozen=True)
class Overview:
    colleges: list[tuple[College, list[Membership]]]
    unassigned: list[Membership]
    proxies: int


async def overview(uow: UnitOfWork, collective: Collective, actor: Any) -> Overview:
    from bot.services.votes import proxies_per_holder

    await require_role(uow, collective, actor, ANIMATORS)
    members = [m for m in await uow.memberships.of_collective(collective.id) if m.role in VOTERS]
    placed = await uow.repo(VoteRepo).college_of_members(collective.id)
    colleges = await uow.repo(VoteRepo).colleges(collective.id)
    return Overview(
        [(c, [m for m in members if placed.get(m.id) == c.id]) for c in colleges],
        [m for m in members if m.id not in placed],
        await proxies_per_holder(uow, collective.id),
    )


async def _load(uow: UnitOfWork, conversation: Conversation) -> Collective | None:
    return await uow.collectives.get(conversation.collective_id or 0)


async def _guard(ctx: StepContext) -> None:
    await require_role(ctx.uow, ctx.subject, ctx.person, ANIMATORS)


async def _save_colleges(ctx: StepContext, value: list[tuple[str, int]]) -> None:
    kept = await ctx.uow.repo(VoteRepo).replace_colleges(ctx.subject.id, value)
    await journal.record(
        ctx.uow,
        ctx.subject.id,
        "colleges_defined",
        ctx.now,
        actor_id=ctx.person.id,
        data={"colleges": [[c.name, c.weight] for c in kept]},
    )


async def _current(ctx: StepContext) -> str | None:
    colleges = await ctx.uow.repo(VoteRepo).colleges(ctx.subject.id)
    return "\n".join(f"{c.name} {c.weight} %" for c in colleges) or None


DEFINE = "colleges_define"
DEFINE_FLOW = Flow(
    name=DEFINE,
    steps=(
        Step(
            "colleges",
            Kind.TEXT,
            "votes/ask_colleges_define",
            _save_colleges,
            params=lambda ctx: {"c": ctx.subject},
            parse=lambda ctx, text: parse_colleges(text),
            suggest=_current,
            keep_caption="votes/keep_colleges",
        ),
    ),
    load=_load,
    guard=_guard,
    title=lambda ctx: str(ctx.subject.title),
)


@dataclass
class AssignSubject:
    collective: Collective
    colleges: list[College]
    members: list[Membership]
    placed: dict[int, int]


async def _load_assign(uow: UnitOfWork, conversation: Conversation) -> AssignSubject | None:
    collective = await uow.collectives.get(conversation.collective_id or 0)
    if collective is None:
        return None
    votes = uow.repo(VoteRepo)
    members = [m for m in await uow.memberships.of_collective(collective.id) if m.role in VOTERS]
    return AssignSubject(
        collective,
        await votes.colleges(collective.id),
        members,
        await votes.college_of_members(collective.id),
    )


async def _guard_assign(ctx: StepContext) -> None:
    s: AssignSubject = ctx.subject
    await require_role(ctx.uow, s.collective, ctx.person, ANIMATORS)
    if not s.colleges:
        raise Refusal("colleges_none")


def _member_step(member: Membership, index: int, total: int) -> Step:
    async def save(ctx: StepContext, value: str) -> None:
        s: AssignSubject = ctx.subject
        college = next((c for c in s.colleges if str(c.id) == value), None)
        if college is None:
            raise Refusal("stale_button")
        await ctx.uow.repo(VoteRepo).set_college(member.id, college.id)
        s.placed[member.id] = college.id
        ctx.remember(assigned=int(ctx.data.get("assigned", 0)) + 1)

    def options(ctx: StepContext) -> list[Option]:
        s: AssignSubject = ctx.subject
        current = s.placed.get(member.id)
        return [
            Option(str(c.id), ("✅ " if c.id == current else "") + f"{c.name} ({c.weight}\u202f%)")
            for c in s.colleges
        ]

    def params(ctx: StepContext) -> dict[str, Any]:
        s: AssignSubject = ctx.subject
        current = next((c.name for c in s.colleges if c.id == s.placed.get(member.id)), None)
        return {
            "c": s.collective,
            "member": member,
            "person": member.person,
            "current": current,
            "index": index,
            "total": total,
        }

    return Step(
        f"m{member.id}",
        Kind.CHOICE,
        "votes/ask_member_college",
        save,
        params=params,
        options=options,
        optional=True,
    )


def _assign_steps(ctx: StepContext) -> list[Step]:
    """One question per member: the flow's questions depend on the collective's members."""
    s: AssignSubject = ctx.subject
    members = s.members
    if ctx.data.get("only_unassigned"):
        members = [m for m in members if m.id not in ctx.data.get("_placed_at_start", [])]
    return [_member_step(m, i, len(members)) for i, m in enumerate(members, start=1)] or [
        Step(
            "none",
            Kind.CHOICE,
            "votes/ask_member_college_none",
            _noop,
            params=lambda ctx: {"c": ctx.subject.collective},
            options=lambda ctx: [Option("ok", "OK")],
        )
    ]


async def _noop(ctx: StepContext, value: str) -> None:
    return None


async def _complete_assign(ctx: StepContext) -> None:
    s: AssignSubject = ctx.subject
    await journal.record(
        ctx.uow,
        s.collective.id,
        "colleges_assigned",
        ctx.now,
        actor_id=ctx.person.id,
        data={"count": int(ctx.data.get("assigned", 0))},
    )


ASSIGN = "colleges_assign"
ASSIGN_FLOW = Flow(
    name=ASSIGN,
    make_steps=_assign_steps,
    load=_load_assign,
    guard=_guard_assign,
    complete=_complete_assign,
    title=lambda ctx: str(ctx.subject.collective.title),
    progress=True,
)


async def assign_data(
    uow: UnitOfWork, collective: Collective, *, only_unassigned: bool
) -> dict[str, Any]:
    """What the assignment flow starts with: the members placed already, when it asks only
    about the others."""
    placed = await uow.repo(VoteRepo).college_of_members(collective.id)
    return {"only_unassigned": only_unassigned, "_placed_at_start": sorted(placed)}
