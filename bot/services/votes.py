"""Decisions: one engine for /vote questions, the whole charter, its articles and amendments.

- Eligible voters are fixed when the vote opens (the members of that moment; observers only if
  the vote says so), with their college at that moment.
- Consent (public, in numbered rounds), majority (Pour/Contre/Abstention, half or two thirds of
  Pour + Contre, colleges weighted), majority judgment (`bot.services.judgment`).
- Anonymity that holds: an anonymous vote stores its roll and its tallies, nothing that joins
  them (see `storage.models.votes`); public votes also keep each ballot.
- Proxies: one per holder by default (or the collective's number), withdrawn until used,
  lapsed when the giver votes in person.
- Closings and reminders are due work; what the bot says about them is the handlers' part.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.conversation import Flow, Kind, Option, Step, StepContext
from bot.dates import DateParseError, parse_datetime
from bot.domain import ANIMATORS, MembershipStatus, Role
from bot.live import open_live, touch
from bot.services import counting, journal, judgment
from bot.services.counting import (
    ABSTAIN,
    ABSTENTION,
    CONTRE,
    NO_OBJECTION,
    OBJECTION,
    POUR,
    Group,
    Threshold,
)
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.services.typed import clean_text
from bot.texts import caption
from bot.textsafety import shorten, visible
from storage.models import (
    Collective,
    Conversation,
    Person,
    Vote,
    VoteBallot,
    VoteCollege,
    VoteElector,
    VoteOption,
    VoteProxy,
    VoteRoll,
    VoteRound,
    VoteSettings,
)
from storage.repos.votes import VoteRepo
from storage.uow import UnitOfWork

QUESTION, CHARTER, ARTICLE, AMENDMENT = "question", "charter", "article", "amendment"
CONSENT, MAJORITY, JUDGMENT = "consent", "majority", "judgment"
METHODS = (CONSENT, MAJORITY, JUDGMENT)
DRAFT, OPEN, PAUSED, CLOSED, CANCELLED = "draft", "open", "paused", "closed", "cancelled"
RUNNING = (OPEN, PAUSED)
CHOICES = {CONSENT: (NO_OBJECTION, OBJECTION, ABSTAIN), MAJORITY: (POUR, CONTRE, ABSTENTION)}
ALL_CHOICES = (*CHOICES[CONSENT], *CHOICES[MAJORITY], *judgment.GRADES)

# Outcomes (of a vote, and of each round).
ADOPTED, REJECTED, QUORUM, OBJECTIONS, WINNER, TIE = (
    "adopted",
    "rejected",
    "quorum",
    "objections",
    "winner",
    "tie",
)

# In an anonymous vote, a college's own figures are shown only from this many voters.
ANONYMITY_FLOOR = 3
REMIND_BEFORE = timedelta(hours=24)
MIN_DURATION = timedelta(minutes=10)
MAX_DURATION = timedelta(days=366)
# A closing date typed without a time closes at 18 h that day.
DEFAULT_CLOSING_HOUR = 18
MAX_OPTIONS = 10
VOTE_CLOSE, VOTE_REMIND = "vote_close", "vote_remind"
LIVE_KIND = "vote"


def repo(uow: UnitOfWork) -> VoteRepo:
    return uow.repo(VoteRepo)


def live_key(vote_id: int, number: int) -> str:
    return f"vote:{vote_id}:{number}"


# --- for other features (the comités record decisions « optionally linked to a vote »)


@dataclass(frozen=True)
class VoteSummary:
    id: int
    collective_id: int
    title: str
    kind: str
    method: str
    status: str
    outcome: str | None
    closes_at: datetime | None
    closed_at: datetime | None


def _summary(vote: Vote) -> VoteSummary:
    return VoteSummary(
        vote.id,
        vote.collective_id,
        vote.title,
        vote.kind,
        vote.method,
        vote.status,
        vote.outcome,
        vote.closes_at,
        vote.closed_at,
    )


async def recent(uow: UnitOfWork, collective_id: int, limit: int = 10) -> list[VoteSummary]:
    """A collective's votes, the running ones first, then the newest (drafts left out)."""
    return [_summary(v) for v in await repo(uow).recent(collective_id, limit)]


async def get(uow: UnitOfWork, collective_id: int, vote_id: int) -> VoteSummary | None:
    """One of the collective's votes (None for another collective's, or a draft)."""
    vote = await repo(uow).get(vote_id)
    if vote is None or vote.collective_id != collective_id or vote.status == DRAFT:
        return None
    return _summary(vote)


# --- the collective's rules


async def proxies_per_holder(uow: UnitOfWork, collective_id: int) -> int:
    found = await repo(uow).settings(collective_id)
    return found.proxies_per_holder if found is not None else 1


async def set_proxies_per_holder(
    uow: UnitOfWork, collective: Collective, actor: Person, number: int, now: datetime
) -> int:
    await require_role(uow, collective, actor, ANIMATORS)
    if not 1 <= number <= 5:
        raise Refusal("stale_button")
    found = await repo(uow).settings(collective.id)
    if found is None:
        found = VoteSettings(collective_id=collective.id, proxies_per_holder=1)
        repo(uow).add(found)
    previous, found.proxies_per_holder = found.proxies_per_holder, number
    if previous != number:
        await journal.record(
            uow, collective.id, "vote_settings", now, actor_id=actor.id, data={"proxies": number}
        )
    await repo(uow).flush()
    return number


# --- finding a vote, and who may vote


async def find(uow: UnitOfWork, vote_id: int) -> Vote:
    vote = await repo(uow).get(vote_id)
    if vote is None or vote.status == DRAFT:
        raise Refusal("stale_button")
    return vote


async def collective_of(uow: UnitOfWork, vote: Vote) -> Collective:
    collective = await uow.collectives.get(vote.collective_id)
    if collective is None:
        raise Refusal("stale_button")
    return collective


async def managed(uow: UnitOfWork, vote_id: int, actor: Person) -> tuple[Vote, Collective]:
    """A vote the actor animates (its collective's animation team)."""
    vote = await find(uow, vote_id)
    collective = await collective_of(uow, vote)
    await require_role(uow, collective, actor, ANIMATORS)
    return vote, collective


def eligible_roles(vote: Vote) -> tuple[Role, ...]:
    roles = (Role.ANIMATEUR, Role.MEMBRE)
    return (*roles, Role.OBSERVATEUR) if vote.include_observers else roles


async def elector_for(
    uow: UnitOfWork, vote: Vote, collective: Collective, person: Person
) -> VoteElector:
    """The person's place on the vote's list, or why they have none."""
    member = await repo(uow).member_state(collective.id, person.id)
    if member is None or member[0] == MembershipStatus.LEFT:
        raise Refusal("not_member", collective=collective.title)
    if member[0] != MembershipStatus.ACTIVE:
        raise Refusal("join_unfinished", collective=collective.title)
    elector = await repo(uow).elector_of(vote.id, person.id)
    if elector is None:
        if member[1] == Role.OBSERVATEUR and not vote.include_observers:
            raise Refusal("vote_observer")
        raise Refusal("vote_not_on_roll")
    return elector


def check_open(vote: Vote, number: int, now: datetime) -> None:
    if vote.status == CANCELLED:
        raise Refusal("vote_cancelled", title=vote.title)
    over = vote.closes_at is not None and now >= vote.closes_at
    if vote.status != OPEN or number != vote.round or over:
        raise Refusal("vote_closed", title=vote.title)


# --- setting a vote up (the animator, in private)


@dataclass
class SetupSubject:
    vote: Vote
    collective: Collective
    options: list[VoteOption]
    colleges: int  # how many colleges the collective has
    observers: int  # how many active observers


async def new_draft(
    uow: UnitOfWork,
    collective: Collective,
    actor: Person,
    now: datetime,
    *,
    kind: str = QUESTION,
    subject_id: int | None = None,
    title: str = "",
) -> Vote:
    """A vote being set up; it opens at the end of the setup questions."""
    await require_role(uow, collective, actor, ANIMATORS)
    if kind != QUESTION and subject_id is not None:
        for other in await repo(uow).about(kind, subject_id):
            if other.status in RUNNING:
                raise Refusal("vote_running", title=other.title)
    vote = Vote(
        collective_id=collective.id,
        kind=kind,
        subject_id=subject_id,
        title=title[:300],
        method=CONSENT,
        threshold=Threshold.HALF,
        anonymous=False,
        live_results=False,
        changeable=False,
        include_observers=False,
        use_colleges=False,
        quorum=0,
        status=DRAFT,
        round=0,
        created_by=actor.id,
        created_at=now,
    )
    repo(uow).add(vote)
    await repo(uow).flush()
    return vote


async def _load_setup(uow: UnitOfWork, conversation: Conversation) -> SetupSubject | None:
    vote = await repo(uow).get(conversation.subject_id or 0)
    if vote is None or vote.status != DRAFT:
        return None
    collective = await uow.collectives.get(vote.collective_id)
    if collective is None:
        return None
    counts = await uow.memberships.count_by_role(collective.id)
    return SetupSubject(
        vote,
        collective,
        await repo(uow).options(vote.id),
        len(await repo(uow).colleges(collective.id)),
        counts.get(Role.OBSERVATEUR, 0),
    )


async def _guard_setup(ctx: StepContext) -> None:
    await require_role(ctx.uow, ctx.subject.collective, ctx.person, ANIMATORS)


def _setup_params(ctx: StepContext) -> dict[str, Any]:
    s: SetupSubject = ctx.subject
    return {"v": s.vote, "c": s.collective, "options": [o.label for o in s.options]}


def parse_options(text: str) -> list[str]:
    """One option per line (or separated by semicolons): 2 to 10, each 100 characters at most."""
    parts = [p for p in re.split(r"[\n;]", text) if visible(p)]
    labels = [clean_text(p.strip(" •-–*\t"), field="option", limit=100) for p in parts]
    unique = list(dict.fromkeys(labels))
    if len(unique) < 2:
        raise Refusal("vote_options_few")
    if len(unique) > MAX_OPTIONS:
        raise Refusal("vote_options_many", limit=MAX_OPTIONS)
    return unique


def parse_quorum(text: str) -> int:
    match = re.fullmatch(r"\s*(\d{1,3})\s*%?\s*", text)
    if match is None or not 1 <= int(match.group(1)) <= 100:
        raise Refusal("vote_quorum_invalid", text=text[:40])
    return int(match.group(1))


def parse_closing(text: str, now: datetime, tz: str, lang: str) -> datetime:
    """A closing date typed in French (or English): in the future, within a year."""
    try:
        parsed = parse_datetime(text, now=now, tz=tz, lang=lang)
    except DateParseError as error:
        details: dict[str, Any] = dict(error.details)
        raise Refusal("vote_date", date_code=error.code, text=error.text, details=details) from None
    moment = parsed.value
    if not parsed.has_time:
        moment = moment.replace(hour=DEFAULT_CLOSING_HOUR, minute=0)
    if moment < now + MIN_DURATION:
        raise Refusal("vote_date_past", when=moment, tz=tz)
    if moment > now + MAX_DURATION:
        raise Refusal("vote_date_far", when=moment, tz=tz)
    return moment


def _choice(*values: tuple[str, str]) -> Any:
    def options(ctx: StepContext) -> list[Option]:
        return [Option(value, caption(name, ctx.lang)) for value, name in values]

    return options


def _methods(ctx: StepContext) -> list[Option]:
    s: SetupSubject = ctx.subject
    methods = [(CONSENT, "votes/method_consent"), (MAJORITY, "votes/method_majority")]
    if s.vote.kind == QUESTION:
        methods.append((JUDGMENT, "votes/method_judgment"))
    return [Option(v, caption(name, ctx.lang)) for v, name in methods]


async def _save_question(ctx: StepContext, value: str) -> None:
    ctx.subject.vote.title = value


async def _save_method(ctx: StepContext, value: str) -> None:
    vote: Vote = ctx.subject.vote
    if value not in METHODS or (value == JUDGMENT and vote.kind != QUESTION):
        raise Refusal("stale_button")
    vote.method = value
    if value == CONSENT:
        vote.anonymous = False  # an objection is discussed with its author
    if value == JUDGMENT:
        vote.use_colleges = False


async def _save_options(ctx: StepContext, value: list[str]) -> None:
    s: SetupSubject = ctx.subject
    await repo(ctx.uow).set_options(s.vote.id, value)
    s.options = await repo(ctx.uow).options(s.vote.id)


async def _save_threshold(ctx: StepContext, value: str) -> None:
    ctx.subject.vote.threshold = Threshold(value)


async def _save_secret(ctx: StepContext, value: str) -> None:
    vote: Vote = ctx.subject.vote
    vote.anonymous = value == "secret"
    if vote.anonymous:
        vote.live_results = vote.changeable = False


async def _save_live(ctx: StepContext, value: str) -> None:
    ctx.subject.vote.live_results = value == "live"


async def _save_changeable(ctx: StepContext, value: str) -> None:
    ctx.subject.vote.changeable = value == "yes"


async def _save_colleges(ctx: StepContext, value: str) -> None:
    s: SetupSubject = ctx.subject
    s.vote.use_colleges = value == "colleges"
    if s.vote.use_colleges:
        await _unassigned_check(ctx.uow, s.vote, s.collective)


async def _save_observers(ctx: StepContext, value: str) -> None:
    ctx.subject.vote.include_observers = value == "yes"


async def _save_quorum(ctx: StepContext, value: int) -> None:
    ctx.subject.vote.quorum = value


async def _save_closing(ctx: StepContext, value: datetime) -> None:
    ctx.subject.vote.closes_at = value


async def _save_confirm(ctx: StepContext, value: str) -> None:
    if value == "open":
        s: SetupSubject = ctx.subject
        if s.vote.use_colleges:
            await _unassigned_check(ctx.uow, s.vote, s.collective)
    ctx.remember(confirm=value)


async def _unassigned_check(uow: UnitOfWork, vote: Vote, collective: Collective) -> None:
    """A vote by colleges needs every eligible member in a college."""
    members = await uow.memberships.of_collective(collective.id)
    placed = await repo(uow).college_of_members(collective.id)
    missing = [
        m.person.display_name
        for m in members
        if m.role in eligible_roles(vote) and m.id not in placed
    ]
    if missing:
        raise Refusal("vote_colleges_unassigned", names=missing[:10], more=len(missing) - 10)


def _parse_closing(ctx: StepContext, text: str) -> datetime:
    return parse_closing(text, ctx.now, ctx.subject.collective.timezone, ctx.lang)


async def _summary_params(ctx: StepContext) -> dict[str, Any]:
    s: SetupSubject = ctx.subject
    params = _setup_params(ctx)
    params["tz"] = s.collective.timezone
    params["now"] = ctx.now
    params["small"] = await small_colleges(ctx.uow, s.vote, s.collective)
    return params


async def small_colleges(uow: UnitOfWork, vote: Vote, collective: Collective) -> list[str]:
    """In an anonymous vote by colleges: the colleges with fewer than 3 eligible voters."""
    if not (vote.anonymous and vote.use_colleges):
        return []
    members = await uow.memberships.of_collective(collective.id)
    placed = await repo(uow).college_of_members(collective.id)
    sizes: dict[int, int] = {}
    for m in members:
        if m.role in eligible_roles(vote) and m.id in placed:
            sizes[placed[m.id]] = sizes.get(placed[m.id], 0) + 1
    return [
        c.name
        for c in await repo(uow).colleges(collective.id)
        if sizes.get(c.id, 0) < ANONYMITY_FLOOR
    ]


def _is(method: str) -> Any:
    return lambda ctx: ctx.subject.vote.method == method


async def _complete_setup(ctx: StepContext) -> None:
    s: SetupSubject = ctx.subject
    if ctx.data.get("confirm") == "open":
        await open_vote(ctx.uow, s.vote, s.collective, ctx.person, ctx.now)
    else:
        await repo(ctx.uow).delete(s.vote)


SETUP = "vote_setup"

SETUP_FLOW = Flow(
    name=SETUP,
    steps=(
        Step(
            "question",
            Kind.TEXT,
            "votes/ask_question",
            _save_question,
            params=_setup_params,
            parse=lambda ctx, text: clean_text(text, field="question", limit=300),
            applies=lambda ctx: ctx.subject.vote.kind == QUESTION and not ctx.data.get("titled"),
        ),
        Step(
            "method",
            Kind.CHOICE,
            "votes/ask_method",
            _save_method,
            params=_setup_params,
            options=_methods,
        ),
        Step(
            "options",
            Kind.TEXT,
            "votes/ask_options",
            _save_options,
            params=_setup_params,
            parse=lambda ctx, text: parse_options(text),
            applies=_is(JUDGMENT),
        ),
        Step(
            "threshold",
            Kind.CHOICE,
            "votes/ask_threshold",
            _save_threshold,
            params=_setup_params,
            options=_choice(
                (Threshold.HALF, "votes/threshold_half"),
                (Threshold.TWO_THIRDS, "votes/threshold_two_thirds"),
            ),
            applies=_is(MAJORITY),
        ),
        Step(
            "secret",
            Kind.CHOICE,
            "votes/ask_secret",
            _save_secret,
            params=_setup_params,
            options=_choice(("public", "votes/public"), ("secret", "votes/secret")),
            applies=lambda ctx: ctx.subject.vote.method != CONSENT,
        ),
        Step(
            "live",
            Kind.CHOICE,
            "votes/ask_live",
            _save_live,
            params=_setup_params,
            options=_choice(("live", "votes/results_live"), ("end", "votes/results_end")),
            applies=lambda ctx: not ctx.subject.vote.anonymous,
        ),
        Step(
            "changeable",
            Kind.CHOICE,
            "votes/ask_changeable",
            _save_changeable,
            params=_setup_params,
            options=_choice(("yes", "votes/changeable_yes"), ("no", "votes/changeable_no")),
            applies=lambda ctx: not ctx.subject.vote.anonymous,
        ),
        Step(
            "colleges",
            Kind.CHOICE,
            "votes/ask_colleges",
            _save_colleges,
            params=_setup_params,
            options=_choice(("colleges", "votes/by_colleges"), ("heads", "votes/by_heads")),
            applies=lambda ctx: bool(ctx.subject.colleges) and ctx.subject.vote.method != JUDGMENT,
        ),
        Step(
            "observers",
            Kind.CHOICE,
            "votes/ask_observers",
            _save_observers,
            params=_setup_params,
            options=_choice(("no", "votes/observers_no"), ("yes", "votes/observers_yes")),
            applies=lambda ctx: bool(ctx.subject.observers),
        ),
        Step(
            "quorum",
            Kind.TEXT,
            "votes/ask_quorum",
            _save_quorum,
            params=_setup_params,
            parse=lambda ctx, text: parse_quorum(text),
            optional=True,
            skip_caption="votes/no_quorum",
        ),
        Step(
            "closes",
            Kind.TEXT,
            "votes/ask_closing",
            _save_closing,
            params=_setup_params,
            parse=_parse_closing,
        ),
        Step(
            "confirm",
            Kind.CHOICE,
            "votes/ask_confirm",
            _save_confirm,
            params=_summary_params,
            options=_choice(("open", "votes/open_now"), ("drop", "votes/drop")),
        ),
    ),
    load=_load_setup,
    guard=_guard_setup,
    complete=_complete_setup,
    title=lambda ctx: str(ctx.subject.vote.title),
    progress=True,
)


# --- opening


@dataclass(frozen=True)
class Opened:
    vote: Vote
    electors: int
    small: list[str]  # colleges under the anonymity floor (anonymous votes)


async def open_vote(
    uow: UnitOfWork, vote: Vote, collective: Collective, actor: Person, now: datetime
) -> Opened:
    """Fix the electorate, create the first round's tallies, schedule the closing and the
    reminder, and post the live message in the group."""
    await require_role(uow, collective, actor, ANIMATORS)
    if vote.status != DRAFT:
        raise Refusal("stale_button")
    if vote.closes_at is None or vote.closes_at < now + MIN_DURATION:
        raise Refusal("vote_date_past", when=vote.closes_at or now, tz=collective.timezone)
    if vote.method == JUDGMENT and len(await repo(uow).options(vote.id)) < 2:
        raise Refusal("vote_options_few")
    small = await small_colleges(uow, vote, collective)
    members = await uow.memberships.of_collective(collective.id)
    college_of: dict[int, int] = {}
    if vote.use_colleges:
        await _unassigned_check(uow, vote, collective)
        placed = await repo(uow).college_of_members(collective.id)
        for c in await repo(uow).colleges(collective.id):
            repo(uow).add(
                VoteCollege(vote_id=vote.id, position=c.position, name=c.name, weight=c.weight)
            )
            college_of.update({m: c.position for m, cid in placed.items() if cid == c.id})
    eligible = [m for m in members if m.role in eligible_roles(vote)]
    for m in eligible:
        repo(uow).add(
            VoteElector(
                vote_id=vote.id,
                person_id=m.person_id,
                membership_id=m.id,
                college=college_of.get(m.id, 0),
                organisation=m.organisation,
            )
        )
    vote.status, vote.opened_at = OPEN, now
    await _start_round(uow, vote, collective, 1, now)
    await journal.record(
        uow,
        collective.id,
        "vote_opened",
        now,
        actor_id=actor.id,
        data={"vote": vote.id, "title": vote.title[:120], "method": vote.method},
    )
    if vote.kind != QUESTION:
        from bot.services import charter

        await charter.vote_opened(uow, vote, now)
    return Opened(vote, len(eligible), small)


async def _start_round(
    uow: UnitOfWork, vote: Vote, collective: Collective, number: int, now: datetime
) -> None:
    assert vote.closes_at is not None
    vote.round = number
    proposal = await proposal_of(uow, vote)
    repo(uow).add(
        VoteRound(
            vote_id=vote.id,
            number=number,
            opened_at=now,
            closes_at=vote.closes_at,
            proposal=proposal,
        )
    )
    colleges = [c.position for c in await repo(uow).vote_colleges(vote.id)] or [0]
    if vote.method == JUDGMENT:
        options = [o.position for o in await repo(uow).options(vote.id)]
        keys = [(c, o, g) for c in colleges for o in options for g in judgment.GRADES]
    else:
        keys = [(c, 0, choice) for c in colleges for choice in CHOICES[vote.method]]
    await repo(uow).create_tallies(vote.id, number, keys)
    await _schedule(uow, vote, now)
    await open_live(
        uow,
        key=live_key(vote.id, number),
        kind=LIVE_KIND,
        subject_id=vote.id,
        collective=collective,
        now=now,
    )


async def _schedule(uow: UnitOfWork, vote: Vote, now: datetime) -> None:
    """The closing and the reminder of the current round, keyed by their moment (an extended
    vote gets new rows; the old ones find the date moved and do nothing)."""
    assert vote.closes_at is not None
    stamp = int(vote.closes_at.timestamp())
    payload = {"vote": vote.id, "round": vote.round, "closes_at": stamp}
    await uow.due.schedule(
        key=f"vote:{vote.id}:{vote.round}:close:{stamp}",
        kind=VOTE_CLOSE,
        due_at=vote.closes_at,
        now=now,
        collective_id=vote.collective_id,
        payload=payload,
    )
    remind_at = vote.closes_at - REMIND_BEFORE
    if remind_at > now + timedelta(hours=1):
        await uow.due.schedule(
            key=f"vote:{vote.id}:{vote.round}:remind:{stamp}",
            kind=VOTE_REMIND,
            due_at=remind_at,
            now=now,
            collective_id=vote.collective_id,
            payload=payload,
        )


async def proposal_of(uow: UnitOfWork, vote: Vote) -> dict[str, Any]:
    """What is put to the vote, as it stands now (kept with each round)."""
    if vote.kind == QUESTION:
        return {"text": vote.title}
    from bot.services import charter

    return await charter.proposal(uow, vote)


def is_current(vote: Vote, payload: dict[str, Any]) -> bool:
    """A closing or reminder row still about the vote as it is (same round, same date)."""
    return (
        vote.status == OPEN
        and vote.round == payload.get("round")
        and vote.closes_at is not None
        and int(vote.closes_at.timestamp()) == payload.get("closes_at")
    )


# --- voting


@dataclass(frozen=True)
class Receipt:
    vote: Vote
    number: int
    choice: str | None
    grades: dict[int, int] | None
    for_person: Person | None  # a proxy's giver
    changed: bool = False  # a public ballot replaced
    same: bool = False  # pressed the same choice again
    lapsed: Person | None = None  # the holder of the voter's proxy, now lapsed


async def cast(
    uow: UnitOfWork,
    vote_id: int,
    number: int,
    person: Person,
    now: datetime,
    *,
    choice: str | None = None,
    grades: dict[int, int] | None = None,
    reason: str | None = None,
    proxy_id: int | None = None,
    chat_id: int | None = None,
) -> Receipt:
    """One ballot: the voter's own, or (with `proxy_id`) the one they cast for a giver. The
    roll entry and the tallies change together, in this transaction."""
    votes = repo(uow)
    vote = await find(uow, vote_id)
    collective = await collective_of(uow, vote)
    if chat_id is not None and chat_id != collective.chat_id:
        raise Refusal("stale_button")  # a button of another collective's vote
    check_open(vote, number, now)
    voter = await elector_for(uow, vote, collective, person)
    target, proxy = voter, None
    if proxy_id is not None:
        proxy = await votes.proxy(proxy_id)
        if proxy is None or proxy.vote_id != vote.id or proxy.holder_id != voter.id:
            raise Refusal("stale_button")
        if proxy.status != "active":
            raise Refusal("proxy_inactive", status=proxy.status)
        found = await votes.elector(proxy.giver_id)
        if found is None:
            raise Refusal("stale_button")
        target = found
    deltas = await _deltas(uow, vote, choice, grades, reason)
    giver = await uow.people.get(target.person_id) if proxy is not None else None
    existing = await votes.on_roll(vote.id, number, target.id)
    if existing is not None:
        return await _change(uow, vote, number, target, voter, choice, grades, reason, now, giver)
    votes.add(
        VoteRoll(
            vote_id=vote.id,
            round=number,
            elector_id=target.id,
            cast_by=voter.id if proxy is not None else None,
            at=None if vote.anonymous else now,
        )
    )
    await votes.flush()  # a second, concurrent press stops here (the roll's key)
    await votes.bump(vote.id, number, target.college, deltas)
    if not vote.anonymous:
        votes.add(
            VoteBallot(
                vote_id=vote.id,
                round=number,
                elector_id=target.id,
                choice=choice,
                grades={str(k): v for k, v in grades.items()} if grades else None,
                reason=reason,
                cast_by=voter.id if proxy is not None else None,
                at=now,
            )
        )
    await journal.record(
        uow,
        collective.id,
        "vote_participated",
        # No precise time in an anonymous vote: the entry carries the opening's.
        (vote.opened_at or now) if vote.anonymous else now,
        actor_id=person.id,
        subject_id=target.person_id if proxy is not None else None,
        data={"vote": vote.id, "title": vote.title[:120], "anonymous": vote.anonymous},
    )
    lapsed = None
    if proxy is None:
        lapsed = await _lapse(uow, vote, collective, target, now)
    await touch(uow, live_key(vote.id, number), now)
    return Receipt(vote, number, choice, grades, giver, lapsed=lapsed)


async def _deltas(
    uow: UnitOfWork,
    vote: Vote,
    choice: str | None,
    grades: dict[int, int] | None,
    reason: str | None,
) -> dict[tuple[int, str], int]:
    if vote.method == JUDGMENT:
        positions = [o.position for o in await repo(uow).options(vote.id)]
        if grades is None or sorted(grades) != positions:
            raise Refusal("stale_button")
        if any(not 0 <= g < judgment.LEVELS for g in grades.values()):
            raise Refusal("stale_button")
        return {(position, judgment.GRADES[grade]): 1 for position, grade in grades.items()}
    if choice not in CHOICES[vote.method]:
        raise Refusal("stale_button")
    if choice == OBJECTION and not (reason and visible(reason)):
        raise Refusal("objection_reason")
    return {(0, choice): 1}


async def _change(
    uow: UnitOfWork,
    vote: Vote,
    number: int,
    target: VoteElector,
    voter: VoteElector,
    choice: str | None,
    grades: dict[int, int] | None,
    reason: str | None,
    now: datetime,
    giver: Person | None,
) -> Receipt:
    """The target has voted already: only a public, changeable vote takes a new choice."""
    votes = repo(uow)
    ballot = None if vote.anonymous else await votes.ballot(vote.id, number, target.id)
    if ballot is None or not vote.changeable:
        raise Refusal(
            "vote_already",
            anonymous=vote.anonymous,
            choice=None if ballot is None else ballot.choice,
            grades=bool(ballot and ballot.grades),
            proxy=giver.display_name if giver is not None else None,
        )
    old = {int(k): int(v) for k, v in (ballot.grades or {}).items()}
    if ballot.choice == choice and old == (grades or {}) and ballot.reason == reason:
        return Receipt(vote, number, choice, grades, giver, same=True)
    deltas: dict[tuple[int, str], int] = {}
    if vote.method == JUDGMENT:
        for position, grade in old.items():
            key = (position, judgment.GRADES[grade])
            deltas[key] = deltas.get(key, 0) - 1
        for position, grade in (grades or {}).items():
            key = (position, judgment.GRADES[grade])
            deltas[key] = deltas.get(key, 0) + 1
    else:
        assert ballot.choice is not None and choice is not None
        deltas[(0, ballot.choice)] = -1
        deltas[(0, choice)] = deltas.get((0, choice), 0) + 1
    await votes.bump(vote.id, number, target.college, {k: d for k, d in deltas.items() if d})
    ballot.choice, ballot.reason, ballot.at = choice, reason, now
    ballot.grades = {str(k): v for k, v in grades.items()} if grades else None
    ballot.cast_by = voter.id if voter.id != target.id else None
    await touch(uow, live_key(vote.id, number), now)
    return Receipt(vote, number, choice, grades, giver, changed=True)


async def _lapse(
    uow: UnitOfWork, vote: Vote, collective: Collective, giver: VoteElector, now: datetime
) -> Person | None:
    """The giver voted in person first: their proxy lapses. The holder, if any."""
    proxy = await repo(uow).proxy_of(vote.id, giver.id)
    if proxy is None or proxy.status != "active":
        return None
    proxy.status, proxy.ended_at = "lapsed", now
    holder = await repo(uow).elector(proxy.holder_id)
    await journal.record(
        uow,
        collective.id,
        "vote_proxy_lapsed",
        now,
        actor_id=giver.person_id,
        subject_id=holder.person_id if holder else None,
        data={"vote": vote.id, "title": vote.title[:120]},
    )
    return await uow.people.get(holder.person_id) if holder is not None else None


# --- proxies


@dataclass(frozen=True)
class ProxyGiven:
    proxy: VoteProxy
    vote: Vote
    holder: Person
    giver: Person


async def give_proxy(
    uow: UnitOfWork, vote_id: int, giver: Person, holder: Person | None, now: datetime
) -> ProxyGiven:
    """The giver asks `holder` to cast their ballot in this vote."""
    votes = repo(uow)
    vote = await find(uow, vote_id)
    collective = await collective_of(uow, vote)
    check_open(vote, vote.round, now)
    mine = await elector_for(uow, vote, collective, giver)
    if holder is None:
        raise Refusal("proxy_not_member", collective=collective.title)
    if holder.id == giver.id:
        raise Refusal("proxy_self")
    if await votes.on_roll(vote.id, vote.round, mine.id) is not None:
        raise Refusal("proxy_already_voted")
    member = await uow.memberships.get(collective.id, holder.id)
    if member is None or member.status != MembershipStatus.ACTIVE:
        raise Refusal("proxy_not_member", collective=collective.title)
    theirs = await votes.elector_of(vote.id, holder.id)
    if theirs is None:
        raise Refusal("proxy_not_elector", name=holder.display_name)
    limit = await proxies_per_holder(uow, collective.id)
    held = [p for p in await votes.held(vote.id, theirs.id) if p.giver_id != mine.id]
    if len(held) >= limit:
        raise Refusal("proxy_holder_full", name=holder.display_name, limit=limit)
    proxy = await votes.proxy_of(vote.id, mine.id)
    if proxy is None:
        proxy = VoteProxy(vote_id=vote.id, giver_id=mine.id, holder_id=theirs.id, created_at=now)
        votes.add(proxy)
    proxy.holder_id, proxy.status, proxy.created_at, proxy.ended_at = theirs.id, "active", now, None
    await votes.flush()
    await journal.record(
        uow,
        collective.id,
        "vote_proxy_given",
        now,
        actor_id=giver.id,
        subject_id=holder.id,
        data={"vote": vote.id, "title": vote.title[:120]},
    )
    await touch(uow, live_key(vote.id, vote.round), now)
    return ProxyGiven(proxy, vote, holder, giver)


async def withdraw_proxy(
    uow: UnitOfWork, proxy_id: int, giver: Person, now: datetime
) -> ProxyGiven:
    """Until the holder has voted with it."""
    votes = repo(uow)
    proxy = await votes.proxy(proxy_id)
    if proxy is None:
        raise Refusal("stale_button")
    vote = await find(uow, proxy.vote_id)
    collective = await collective_of(uow, vote)
    mine = await votes.elector(proxy.giver_id)
    holder_elector = await votes.elector(proxy.holder_id)
    if mine is None or mine.person_id != giver.id or holder_elector is None:
        raise Refusal("stale_button")
    holder = await uow.people.get(holder_elector.person_id)
    assert holder is not None
    if proxy.status != "active":
        raise Refusal("proxy_inactive", status=proxy.status)
    check_open(vote, vote.round, now)
    cast_already = await votes.on_roll(vote.id, vote.round, mine.id)
    if cast_already is not None:
        raise Refusal("proxy_used", name=holder.display_name)
    proxy.status, proxy.ended_at = "withdrawn", now
    await journal.record(
        uow,
        collective.id,
        "vote_proxy_withdrawn",
        now,
        actor_id=giver.id,
        subject_id=holder.id,
        data={"vote": vote.id, "title": vote.title[:120]},
    )
    await touch(uow, live_key(vote.id, vote.round), now)
    return ProxyGiven(proxy, vote, holder, giver)


async def proxy_for_holder(
    uow: UnitOfWork, proxy_id: int, holder: Person, now: datetime
) -> tuple[VoteProxy, Vote, Person]:
    """A proxy its holder is about to use: still active, the vote open, not used this round."""
    votes = repo(uow)
    proxy = await votes.proxy(proxy_id)
    if proxy is None:
        raise Refusal("stale_button")
    vote = await find(uow, proxy.vote_id)
    collective = await collective_of(uow, vote)
    check_open(vote, vote.round, now)
    mine = await elector_for(uow, vote, collective, holder)
    if proxy.holder_id != mine.id:
        raise Refusal("stale_button")
    if proxy.status != "active":
        raise Refusal("proxy_inactive", status=proxy.status)
    giver_elector = await votes.elector(proxy.giver_id)
    giver = await uow.people.get(giver_elector.person_id) if giver_elector else None
    if giver is None:
        raise Refusal("stale_button")
    return proxy, vote, giver


async def proxy_start(
    uow: UnitOfWork, vote_id: int, giver: Person, now: datetime
) -> tuple[Vote, Collective]:
    """Before the giver picks a holder: the vote is open, and they have not voted yet."""
    vote = await find(uow, vote_id)
    collective = await collective_of(uow, vote)
    check_open(vote, vote.round, now)
    mine = await elector_for(uow, vote, collective, giver)
    if await repo(uow).on_roll(vote.id, vote.round, mine.id) is not None:
        raise Refusal("proxy_already_voted")
    return vote, collective


@dataclass
class ProxySubject:
    vote: Vote
    collective: Collective
    electors: list[tuple[VoteElector, Person]]  # whom the proxy may go to


async def _load_proxy(uow: UnitOfWork, conversation: Conversation) -> ProxySubject | None:
    vote = await repo(uow).get(conversation.subject_id or 0)
    if vote is None or vote.status != OPEN:
        return None
    collective = await uow.collectives.get(vote.collective_id)
    if collective is None:
        return None
    electors = await repo(uow).electors(vote.id)
    people = await uow.people.many([e.person_id for e in electors])
    return ProxySubject(
        vote, collective, [(e, people[e.person_id]) for e in electors if e.person_id in people]
    )


async def _guard_proxy(ctx: StepContext) -> None:
    s: ProxySubject = ctx.subject
    await elector_for(ctx.uow, s.vote, s.collective, ctx.person)


def _holders(ctx: StepContext) -> list[Option]:
    s: ProxySubject = ctx.subject
    return [
        Option(
            str(e.id),
            person.display_name[:40] + (f" · {e.organisation[:30]}" if e.organisation else ""),
        )
        for e, person in s.electors
        if person.id != ctx.person.id
    ]


def _holder_label(person: Person, elector: VoteElector) -> str:
    organisation = f" · {elector.organisation[:30]}" if elector.organisation else ""
    return person.display_name[:40] + organisation


async def _save_holder(ctx: StepContext, value: str) -> None:
    s: ProxySubject = ctx.subject
    chosen = next((p for e, p in s.electors if str(e.id) == value), None)
    given = await give_proxy(ctx.uow, s.vote.id, ctx.person, chosen, ctx.now)
    ctx.remember(proxy=given.proxy.id, holder=given.holder.display_name)


PROXY = "vote_proxy"
PROXY_FLOW = Flow(
    name=PROXY,
    steps=(
        Step(
            "holder",
            Kind.CHOICE,
            "votes/ask_holder",
            _save_holder,
            params=lambda ctx: {"v": ctx.subject.vote, "c": ctx.subject.collective},
            options=_holders,
        ),
    ),
    load=_load_proxy,
    guard=_guard_proxy,
    title=lambda ctx: str(ctx.subject.vote.title),
)


# --- ballots that continue in private: majority judgment, and an objection's reason


@dataclass
class BallotSubject:
    vote: Vote
    collective: Collective
    options: list[VoteOption]
    proxy: VoteProxy | None
    giver: Person | None


async def _ballot_subject(
    uow: UnitOfWork, vote: Vote | None, proxy: VoteProxy | None
) -> BallotSubject | None:
    if vote is None or vote.status != OPEN:
        return None
    collective = await uow.collectives.get(vote.collective_id)
    if collective is None:
        return None
    giver = None
    if proxy is not None:
        elector = await repo(uow).elector(proxy.giver_id)
        giver = await uow.people.get(elector.person_id) if elector else None
    return BallotSubject(vote, collective, await repo(uow).options(vote.id), proxy, giver)


async def _load_own(uow: UnitOfWork, conversation: Conversation) -> BallotSubject | None:
    return await _ballot_subject(uow, await repo(uow).get(conversation.subject_id or 0), None)


async def _load_for_giver(uow: UnitOfWork, conversation: Conversation) -> BallotSubject | None:
    proxy = await repo(uow).proxy(conversation.subject_id or 0)
    if proxy is None or proxy.status != "active":
        return None
    return await _ballot_subject(uow, await repo(uow).get(proxy.vote_id), proxy)


async def _guard_ballot(ctx: StepContext) -> None:
    s: BallotSubject = ctx.subject
    check_open(s.vote, s.vote.round, ctx.now)
    mine = await elector_for(ctx.uow, s.vote, s.collective, ctx.person)
    if s.proxy is not None and s.proxy.holder_id != mine.id:
        raise Refusal("stale_button")
    if ctx.data.get("round", s.vote.round) != s.vote.round:
        raise Refusal("vote_closed", title=s.vote.title)


def _ballot_params(ctx: StepContext) -> dict[str, Any]:
    s: BallotSubject = ctx.subject
    return {
        "v": s.vote,
        "c": s.collective,
        "giver": s.giver.display_name if s.giver else None,
        "tz": s.collective.timezone,
        "now": ctx.now,
    }


def _grades(ctx: StepContext) -> list[Option]:
    return [Option(g, caption(f"votes/grade_{g}", ctx.lang)) for g in reversed(judgment.GRADES)]


def _grade_step(option: VoteOption, index: int, total: int) -> Step:
    async def save(ctx: StepContext, value: str) -> None:
        if value not in judgment.GRADES:
            raise Refusal("stale_button")
        ctx.remember(**{f"g{option.position}": judgment.GRADES.index(value)})

    def params(ctx: StepContext) -> dict[str, Any]:
        return {**_ballot_params(ctx), "option": option.label, "index": index, "total": total}

    return Step(
        f"o{option.position}", Kind.CHOICE, "votes/ask_grade", save, params=params, options=_grades
    )


def _chosen_grades(ctx: StepContext) -> dict[int, int]:
    s: BallotSubject = ctx.subject
    return {o.position: int(ctx.data.get(f"g{o.position}", judgment.REJECT)) for o in s.options}


def _check_params(ctx: StepContext) -> dict[str, Any]:
    s: BallotSubject = ctx.subject
    chosen = _chosen_grades(ctx)
    return {
        **_ballot_params(ctx),
        "lines": [(o.label, judgment.GRADES[chosen[o.position]]) for o in s.options],
    }


async def _save_check(ctx: StepContext, value: str) -> None:
    if value != "cast":
        raise Refusal("stale_button")


def _ballot_steps(ctx: StepContext) -> list[Step]:
    s: BallotSubject = ctx.subject
    steps = [_grade_step(o, i, len(s.options)) for i, o in enumerate(s.options, start=1)]
    steps.append(
        Step(
            "check",
            Kind.CHOICE,
            "votes/ask_check",
            _save_check,
            params=_check_params,
            options=_choice(("cast", "votes/cast_ballot")),
        )
    )
    return steps


async def _complete_ballot(ctx: StepContext) -> None:
    s: BallotSubject = ctx.subject
    receipt = await cast(
        ctx.uow,
        s.vote.id,
        int(ctx.data.get("round", s.vote.round)),
        ctx.person,
        ctx.now,
        grades=_chosen_grades(ctx),
        proxy_id=s.proxy.id if s.proxy else None,
    )
    ctx.remember(
        changed=receipt.changed, lapsed=receipt.lapsed.display_name if receipt.lapsed else None
    )


def _remember_receipt(ctx: StepContext, receipt: Receipt) -> None:
    lapsed = receipt.lapsed.display_name if receipt.lapsed else None
    ctx.remember(changed=receipt.changed, lapsed=lapsed)


def _reason_step() -> Step:
    async def save(ctx: StepContext, value: str) -> None:
        ctx.remember(reason=value)

    return Step(
        "reason",
        Kind.TEXT,
        "votes/ask_objection",
        save,
        params=_ballot_params,
        parse=lambda ctx, text: clean_text(text, field="objection", limit=1000),
    )


async def _complete_objection(ctx: StepContext) -> None:
    s: BallotSubject = ctx.subject
    receipt = await cast(
        ctx.uow,
        s.vote.id,
        int(ctx.data.get("round", s.vote.round)),
        ctx.person,
        ctx.now,
        choice=OBJECTION,
        reason=str(ctx.data.get("reason") or ""),
        proxy_id=s.proxy.id if s.proxy else None,
    )
    ctx.remember(
        changed=receipt.changed, lapsed=receipt.lapsed.display_name if receipt.lapsed else None
    )


BALLOT, BALLOT_PROXY = "vote_ballot", "vote_ballot_proxy"
OBJECTION_FLOW_NAME, OBJECTION_PROXY = "vote_objection", "vote_objection_proxy"


def _ballot_flow(name: str, load: Any) -> Flow:
    return Flow(
        name=name,
        load=load,
        guard=_guard_ballot,
        make_steps=_ballot_steps,
        complete=_complete_ballot,
        title=lambda ctx: str(ctx.subject.vote.title),
        progress=True,
    )


def _objection_flow(name: str, load: Any) -> Flow:
    return Flow(
        name=name,
        steps=(_reason_step(),),
        load=load,
        guard=_guard_ballot,
        complete=_complete_objection,
        title=lambda ctx: str(ctx.subject.vote.title),
    )


BALLOT_FLOW = _ballot_flow(BALLOT, _load_own)
BALLOT_PROXY_FLOW = _ballot_flow(BALLOT_PROXY, _load_for_giver)
OBJECTION_FLOW = _objection_flow(OBJECTION_FLOW_NAME, _load_own)
OBJECTION_PROXY_FLOW = _objection_flow(OBJECTION_PROXY, _load_for_giver)


async def ballot_start(
    uow: UnitOfWork,
    vote_id: int,
    person: Person,
    now: datetime,
    *,
    method: str | None = None,
    proxy_id: int | None = None,
) -> tuple[Vote, Collective]:
    """Before a ballot continues in private: the vote is open, the person on its list, and the
    ballot (theirs, or their giver's) not cast already, unless it may still change."""
    votes = repo(uow)
    vote = await find(uow, vote_id)
    collective = await collective_of(uow, vote)
    check_open(vote, vote.round, now)
    if method is not None and vote.method != method:
        raise Refusal("stale_button")
    target = await elector_for(uow, vote, collective, person)
    if proxy_id is not None:
        proxy = await votes.proxy(proxy_id)
        if proxy is None or proxy.vote_id != vote.id or proxy.holder_id != target.id:
            raise Refusal("stale_button")
        if proxy.status != "active":
            raise Refusal("proxy_inactive", status=proxy.status)
        found = await votes.elector(proxy.giver_id)
        if found is None:
            raise Refusal("stale_button")
        target = found
    final = vote.anonymous or not vote.changeable
    if final and await votes.on_roll(vote.id, vote.round, target.id) is not None:
        ballot = None if vote.anonymous else await votes.ballot(vote.id, vote.round, target.id)
        raise Refusal(
            "vote_already",
            anonymous=vote.anonymous,
            choice=ballot.choice if ballot else None,
            grades=bool(ballot and ballot.grades),
            proxy=None,
        )
    return vote, collective


# --- extending, cancelling, rounds, closing


async def extend(
    uow: UnitOfWork,
    vote: Vote,
    collective: Collective,
    actor: Person,
    when: datetime,
    now: datetime,
) -> None:
    await require_role(uow, collective, actor, ANIMATORS)
    check_open(vote, vote.round, now)
    assert vote.closes_at is not None
    if when <= vote.closes_at:
        raise Refusal("vote_extend_earlier", when=vote.closes_at, tz=collective.timezone)
    previous, vote.closes_at = vote.closes_at, when
    found = await repo(uow).round(vote.id, vote.round)
    if found is not None:
        found.closes_at = when
    await _schedule(uow, vote, now)
    await journal.record(
        uow,
        collective.id,
        "vote_extended",
        now,
        actor_id=actor.id,
        data={
            "vote": vote.id,
            "title": vote.title[:120],
            "from": previous.isoformat(),
            "to": when.isoformat(),
        },
    )
    await touch(uow, live_key(vote.id, vote.round), now)


async def close_now(uow: UnitOfWork, vote_id: int, actor: Person, now: datetime) -> Vote:
    """The team closes the round before its date: the closing moves to now and is done by the
    usual due work (count, result in the group, what the vote decides); the row at the old
    date then finds the date moved and does nothing."""
    vote, _collective = await managed(uow, vote_id, actor)
    check_open(vote, vote.round, now)
    vote.closes_at = now
    found = await repo(uow).round(vote.id, vote.round)
    if found is not None:
        found.closes_at = now
    await _schedule(uow, vote, now)
    await touch(uow, live_key(vote.id, vote.round), now)
    return vote


async def cancel(uow: UnitOfWork, vote_id: int, actor: Person, now: datetime) -> Vote:
    vote, collective = await managed(uow, vote_id, actor)
    if vote.status not in RUNNING:
        raise Refusal("vote_not_running", title=vote.title)
    vote.status, vote.outcome, vote.closed_at = CANCELLED, "cancelled", now
    await journal.record(
        uow,
        collective.id,
        "vote_cancelled",
        now,
        actor_id=actor.id,
        data={"vote": vote.id, "title": vote.title[:120]},
    )
    await touch(uow, live_key(vote.id, vote.round), now, final=True)
    if vote.kind != QUESTION:
        from bot.services import charter

        await charter.vote_ended(uow, vote, False, now)
    return vote


@dataclass
class RoundSubject:
    vote: Vote
    collective: Collective


async def _load_running(uow: UnitOfWork, conversation: Conversation) -> RoundSubject | None:
    vote = await repo(uow).get(conversation.subject_id or 0)
    if vote is None or vote.status not in RUNNING:
        return None
    collective = await uow.collectives.get(vote.collective_id)
    return RoundSubject(vote, collective) if collective is not None else None


async def _guard_manage(ctx: StepContext) -> None:
    await require_role(ctx.uow, ctx.subject.collective, ctx.person, ANIMATORS)


def _manage_params(ctx: StepContext) -> dict[str, Any]:
    s: RoundSubject = ctx.subject
    return {"v": s.vote, "c": s.collective, "tz": s.collective.timezone, "now": ctx.now}


async def _save_extension(ctx: StepContext, value: datetime) -> None:
    s: RoundSubject = ctx.subject
    await extend(ctx.uow, s.vote, s.collective, ctx.person, value, ctx.now)


def _parse_round_closing(ctx: StepContext, text: str) -> datetime:
    return parse_closing(text, ctx.now, ctx.subject.collective.timezone, ctx.lang)


EXTEND = "vote_extend"
EXTEND_FLOW = Flow(
    name=EXTEND,
    steps=(
        Step(
            "closes",
            Kind.TEXT,
            "votes/ask_extension",
            _save_extension,
            params=_manage_params,
            parse=_parse_round_closing,
        ),
    ),
    load=_load_running,
    guard=_guard_manage,
    title=lambda ctx: str(ctx.subject.vote.title),
)


async def _save_new_wording(ctx: StepContext, value: str) -> None:
    ctx.remember(wording=value)


async def _suggest_wording(ctx: StepContext) -> str | None:
    return str(ctx.subject.vote.title)


async def _save_round_closing(ctx: StepContext, value: datetime) -> None:
    ctx.remember(closes=value.isoformat())


async def _complete_round(ctx: StepContext) -> None:
    s: RoundSubject = ctx.subject
    wording = ctx.data.get("wording")
    await new_round(
        ctx.uow,
        s.vote.id,
        ctx.person,
        datetime.fromisoformat(str(ctx.data["closes"])),
        ctx.now,
        wording=str(wording) if wording else None,
    )


ROUND = "vote_round"
ROUND_FLOW = Flow(
    name=ROUND,
    steps=(
        Step(
            "wording",
            Kind.TEXT,
            "votes/ask_wording",
            _save_new_wording,
            params=_manage_params,
            parse=lambda ctx, text: clean_text(text, field="question", limit=300),
            suggest=_suggest_wording,
            applies=lambda ctx: ctx.subject.vote.kind == QUESTION,
        ),
        Step(
            "closes",
            Kind.TEXT,
            "votes/ask_round_closing",
            _save_round_closing,
            params=_manage_params,
            parse=_parse_round_closing,
        ),
    ),
    load=_load_running,
    guard=_guard_manage,
    complete=_complete_round,
    title=lambda ctx: str(ctx.subject.vote.title),
)


async def new_round(
    uow: UnitOfWork,
    vote_id: int,
    actor: Person,
    closes_at: datetime,
    now: datetime,
    *,
    wording: str | None = None,
) -> Vote:
    """After objections, the team may amend the proposal and put it again: a new round."""
    vote, collective = await managed(uow, vote_id, actor)
    if vote.status != PAUSED or vote.method != CONSENT:
        raise Refusal("vote_not_paused", title=vote.title)
    if closes_at < now + MIN_DURATION:
        raise Refusal("vote_date_past", when=closes_at, tz=collective.timezone)
    if wording:
        vote.title = wording
    vote.status, vote.closes_at = OPEN, closes_at
    await _start_round(uow, vote, collective, vote.round + 1, now)
    await journal.record(
        uow,
        collective.id,
        "vote_round_opened",
        now,
        actor_id=actor.id,
        data={"vote": vote.id, "title": vote.title[:120], "round": vote.round},
    )
    return vote


async def conclude(uow: UnitOfWork, vote_id: int, actor: Person, now: datetime) -> Vote:
    """After objections, the team ends the decision without adopting the proposal."""
    vote, collective = await managed(uow, vote_id, actor)
    if vote.status != PAUSED:
        raise Refusal("vote_not_paused", title=vote.title)
    last = await repo(uow).round(vote.id, vote.round)
    vote.status, vote.closed_at = CLOSED, now
    vote.outcome = last.outcome if last is not None and last.outcome else REJECTED
    await journal.record(
        uow,
        collective.id,
        "vote_concluded",
        now,
        actor_id=actor.id,
        data={"vote": vote.id, "title": vote.title[:120]},
    )
    if vote.kind != QUESTION:
        from bot.services import charter

        await charter.vote_ended(uow, vote, False, now)
    return vote


# --- counting


@dataclass(frozen=True)
class Figures:
    """A round's figures, from the electorate, the roll and the tallies (no ballot needed)."""

    groups: list[Group]
    colleges: list[VoteCollege]
    eligible: int
    participants: int
    by_proxy: int
    profiles: dict[int, tuple[int, ...]] = field(default_factory=dict)  # majority judgment


async def figures(uow: UnitOfWork, vote: Vote, number: int) -> Figures:
    votes = repo(uow)
    electors = await votes.electors(vote.id)
    roll = await votes.roll(vote.id, number)
    tallies = await votes.tallies(vote.id, number)
    colleges = await votes.vote_colleges(vote.id)
    college_of = {e.id: e.college for e in electors}
    positions = [c.position for c in colleges] or [0]
    groups = []
    for position in positions:
        counts: dict[str, int] = {}
        for t in tallies:
            if t.college == position and t.option == 0:
                counts[t.choice] = counts.get(t.choice, 0) + t.count
        college = next((c for c in colleges if c.position == position), None)
        groups.append(
            Group(
                college.name if college else None,
                college.weight if college else 0,
                sum(1 for e in electors if e.college == position),
                sum(1 for r in roll if college_of.get(r.elector_id) == position),
                counts,
            )
        )
    profiles: dict[int, tuple[int, ...]] = {}
    if vote.method == JUDGMENT:
        for option in await votes.options(vote.id):
            profile = [0] * judgment.LEVELS
            for t in tallies:
                if t.option == option.position and t.choice in judgment.GRADES:
                    profile[judgment.GRADES.index(t.choice)] += t.count
            profiles[option.position] = tuple(profile)
    return Figures(
        groups,
        colleges,
        len(electors),
        len(roll),
        sum(1 for r in roll if r.cast_by is not None),
        profiles,
    )


def _share(value: Any) -> int | None:
    return None if value is None else counting.percent(value)


async def result_of(uow: UnitOfWork, vote: Vote, number: int) -> dict[str, Any]:
    """The round's result, as kept (JSON) and shown."""
    f = await figures(uow, vote, number)
    totals: dict[str, int] = {}
    for g in f.groups:
        for choice, n in g.counts.items():
            totals[choice] = totals.get(choice, 0) + n
    result: dict[str, Any] = {
        "method": vote.method,
        "eligible": f.eligible,
        "participants": f.participants,
        "by_proxy": f.by_proxy,
        "quorum": vote.quorum,
        "counts": totals,
        "anonymous": vote.anonymous,
    }
    quorum = counting.quorum(f.groups, vote.quorum)
    result["quorum_met"] = quorum.met
    result["below"] = [name for name in quorum.below if name]
    colleges = []
    if f.colleges:
        for g in f.groups:
            shown = not vote.anonymous or g.participants >= ANONYMITY_FLOOR
            colleges.append(
                {
                    "name": g.name,
                    "weight": g.weight,
                    "eligible": g.eligible,
                    "participants": g.participants,
                    "counts": dict(g.counts) if shown else None,
                    "shown": shown,
                }
            )
    result["colleges"] = colleges
    if vote.method == MAJORITY:
        m = counting.majority(f.groups, Threshold(vote.threshold), vote.quorum)
        result.update(
            adopted=m.adopted,
            share=_share(m.share),
            threshold=vote.threshold,
            left_out=[name for name in m.left_out if name],
            outcome=ADOPTED if m.adopted else (QUORUM if not quorum.met else REJECTED),
        )
        shares = {c.name: c for c in m.counted}
        for college in colleges:
            counted = shares.get(str(college["name"]))
            college["share"] = _share(counted.share) if counted and college["shown"] else None
            college["counted_weight"] = _share(counted.weight) if counted else None
    elif vote.method == CONSENT:
        c = counting.consent(f.groups, vote.quorum)
        objections = []
        for ballot in await repo(uow).ballots(vote.id, number):
            if ballot.choice == OBJECTION:
                elector = await repo(uow).elector(ballot.elector_id)
                person = await uow.people.get(elector.person_id) if elector else None
                objections.append(
                    {
                        "name": person.display_name if person else "",
                        "organisation": elector.organisation if elector else None,
                        "reason": ballot.reason or "",
                    }
                )
        result.update(
            adopted=c.adopted,
            objections=objections,
            outcome=ADOPTED if c.adopted else (OBJECTIONS if c.objections else QUORUM),
        )
    else:
        options = {o.position: o.label for o in await repo(uow).options(vote.id)}
        ranked = judgment.rank(f.profiles) if f.profiles else []
        winners = [r for r in ranked if r.rank == 1]
        result.update(
            ranking=[
                {
                    "option": options.get(r.option, ""),
                    "rank": r.rank,
                    "grade": judgment.GRADES[r.grade],
                    "profile": list(r.profile),
                }
                for r in ranked
            ],
            adopted=quorum.met and len(winners) == 1 and f.participants > 0,
            outcome=(
                QUORUM
                if not quorum.met or f.participants == 0
                else (WINNER if len(winners) == 1 else TIE)
            ),
        )
    return result


@dataclass(frozen=True)
class Closed:
    vote: Vote
    number: int
    result: dict[str, Any]
    final: bool  # False: a consent round ended without adoption; the team decides next


async def close_round(uow: UnitOfWork, vote: Vote, now: datetime) -> Closed:
    """The closing date has come: count, keep the result, and end the vote (or, for a consent
    round that did not pass, hand it back to the animation team)."""
    number = vote.round
    if vote.closes_at is not None and vote.closes_at <= now:
        now = vote.closes_at  # it closed at its date, whenever the work ran
    result = await result_of(uow, vote, number)
    found = await repo(uow).round(vote.id, number)
    if found is not None:
        found.closed_at, found.result, found.outcome = now, result, result["outcome"]
    final = not (vote.method == CONSENT and not result["adopted"])
    if final:
        vote.status, vote.closed_at, vote.outcome = CLOSED, now, result["outcome"]
    else:
        vote.status = PAUSED
    await journal.record(
        uow,
        vote.collective_id,
        "vote_closed",
        now,
        data={
            "vote": vote.id,
            "title": vote.title[:120],
            "round": number,
            "outcome": result["outcome"],
            "participants": result["participants"],
            "eligible": result["eligible"],
        },
    )
    await touch(uow, live_key(vote.id, number), now, final=True)
    # Grades or a reason given half-way, in a conversation that names its voter: not kept.
    await uow.conversations.delete_about((BALLOT, OBJECTION_FLOW_NAME), [vote.id])
    await uow.conversations.delete_about(
        (BALLOT_PROXY, OBJECTION_PROXY), [p.id for p in await repo(uow).proxies(vote.id)]
    )
    if final and vote.kind != QUESTION:
        from bot.services import charter

        await charter.vote_ended(uow, vote, bool(result["adopted"]), now)
    return Closed(vote, number, result, final)


# --- what a round looks like now (the live message, the lists)


@dataclass(frozen=True)
class Standing:
    vote: Vote
    collective: Collective
    electors: int
    participants: int
    by_proxy: int
    proxies: int  # active proxies
    counts: dict[str, int] | None  # live results (public votes that show them)
    options: list[VoteOption]
    proposal: dict[str, Any] | None = None  # the text put to the vote (charter votes)


async def standing(uow: UnitOfWork, vote_id: int) -> Standing | None:
    votes = repo(uow)
    vote = await votes.get(vote_id)
    if vote is None or vote.status == DRAFT:
        return None
    collective = await uow.collectives.get(vote.collective_id)
    if collective is None:
        return None
    participants, by_proxy = await votes.participation(vote.id, vote.round)
    counts: dict[str, int] | None = None
    if vote.live_results and not vote.anonymous and vote.method != JUDGMENT:
        counts = {}
        for t in await votes.tallies(vote.id, vote.round):
            counts[t.choice] = counts.get(t.choice, 0) + t.count
    proxies = [p for p in await votes.proxies(vote.id) if p.status == "active"]
    options = await votes.options(vote.id) if vote.method == JUDGMENT else []
    found = await votes.round(vote.id, vote.round) if vote.kind != QUESTION else None
    return Standing(
        vote,
        collective,
        await votes.count_electors(vote.id),
        participants,
        by_proxy,
        len(proxies),
        counts,
        options,
        found.proposal if found is not None else None,
    )


# The group message shows the wording put to the vote, cut so that the whole message stays
# within Telegram's 4,096 characters; « Lire le texte » shows it whole, in private.
EXCERPT_LIMITS = {"wording": 1800, "body": 1800, "rationale": 600}


def excerpt(proposal: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The proposal with its long texts cut at a word (« … »), and whether one was cut."""
    shown, cut = dict(proposal), False
    for key, limit in EXCERPT_LIMITS.items():
        text = shown.get(key)
        if isinstance(text, str) and len(text) > limit:
            shown[key], cut = shorten(text, limit), True
    return shown, cut


async def not_voted(uow: UnitOfWork, vote: Vote) -> list[Person]:
    """Electors who have not taken part in the current round and gave no active proxy."""
    votes = repo(uow)
    done = {r.elector_id for r in await votes.roll(vote.id, vote.round)}
    covered = {p.giver_id for p in await votes.proxies(vote.id) if p.status == "active"}
    waiting = [e for e in await votes.electors(vote.id) if e.id not in done and e.id not in covered]
    people = await uow.people.many([e.person_id for e in waiting])
    active = {
        m.person_id for m in await uow.memberships.of_collective(vote.collective_id)
    }  # someone who has left is not reminded
    return [people[e.person_id] for e in waiting if e.person_id in people and e.person_id in active]


async def ballots_for_export(
    uow: UnitOfWork, vote: Vote
) -> list[tuple[int, Person | None, VoteElector | None, VoteBallot, Person | None]]:
    """A public vote's ballots, every round: (round, voter, elector, ballot, cast by)."""
    if vote.anonymous:
        return []
    votes = repo(uow)
    electors = {e.id: e for e in await votes.electors(vote.id)}
    people = await uow.people.many([e.person_id for e in electors.values()])
    rows = []
    for ballot in await votes.ballots(vote.id):
        elector = electors.get(ballot.elector_id)
        holder = electors.get(ballot.cast_by) if ballot.cast_by else None
        rows.append(
            (
                ballot.round,
                people.get(elector.person_id) if elector else None,
                elector,
                ballot,
                people.get(holder.person_id) if holder else None,
            )
        )
    return rows


def local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def choices_of(vote: Vote) -> Sequence[str]:
    return CHOICES.get(vote.method, ())
