"""The weekly synthèse for the collectivité: who receives it, when, and what it says.

A synthèse is a list of sections, each drawn by a provider
`async (uow, collective, since, until) -> Section | None` (None: nothing to say this week).
`PROVIDERS` lists them in the order they are shown; another feature adds its own (new
resources, the checklist's progress) by appending to it. A section never names a person; it
names an organisation only when it consented to the annuaire.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import catalog
from bot.domain import ANIMATORS
from bot.services import journal
from bot.services.counting import percent_of
from bot.services.errors import Refusal
from bot.services.members import require_role
from storage.models import Collective, DigestCode, DigestSettings, DigestSubscription, Person
from storage.repos.digest import DigestRepo
from storage.uow import UnitOfWork

DIGEST_WEEKLY = "digest_weekly"
DIGEST_MAIL = "digest_mail"
CODE_VALID = timedelta(days=7)
WEEK = timedelta(days=7)
QUIET_CHOICES = ("short", "none")
# Weeks drawn on the participation chart.
CHART_WEEKS = 8
# What counts as taking part, in the journal (named only: anonymous answers carry no one).
PARTICIPATION_KINDS = ("survey_answered", "vote_participated")
# Lists in a section stop here, with « et N autres ».
LIST_LIMIT = 8
# Code alphabet: no 0/O, 1/I/L, easy to read aloud and type on a phone.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
EMAIL_MAX = 254


def repo(uow: UnitOfWork) -> DigestRepo:
    return uow.repo(DigestRepo)


@dataclass(frozen=True)
class Section:
    """One part of the synthèse: `content/messages/<lang>/digest/sections/<name>.j2` rendered
    with `params`."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


Provider = Callable[[UnitOfWork, Collective, datetime, datetime], Awaitable[Section | None]]


@dataclass(frozen=True)
class Digest:
    collective: Collective
    since: datetime
    until: datetime
    sections: list[Section]

    @property
    def quiet(self) -> bool:
        """Nothing new this week."""
        return not self.sections


# --- settings and schedule


async def settings_of(uow: UnitOfWork, collective: Collective, now: datetime) -> DigestSettings:
    found = await repo(uow).settings(collective.id)
    if found is None:
        found = DigestSettings(
            collective_id=collective.id, weekday=0, hour=9, quiet_week="short", updated_at=now
        )
        await repo(uow).add(found)
    return found


def next_slot(settings: DigestSettings, timezone: str, after: datetime) -> datetime:
    """The first moment strictly after `after` on the settings' weekday and hour, local time."""
    tz = ZoneInfo(timezone)
    local = after.astimezone(tz)
    day = local.date() + timedelta(days=(settings.weekday - local.weekday()) % 7)
    moment = datetime.combine(day, time(settings.hour), tzinfo=tz)
    if moment <= after:
        moment = datetime.combine(day + WEEK, time(settings.hour), tzinfo=tz)
    return moment


def is_slot(settings: DigestSettings, timezone: str, moment: datetime) -> bool:
    local = moment.astimezone(ZoneInfo(timezone))
    return local.weekday() == settings.weekday and local.hour == settings.hour


async def schedule_next(uow: UnitOfWork, collective: Collective, now: datetime) -> datetime:
    """The next synthèse as due work, once per slot (a restart or a second process never
    plans it twice)."""
    settings = await settings_of(uow, collective, now)
    slot = next_slot(settings, collective.timezone, now)
    await uow.due.schedule(
        key=f"digest:{collective.id}:{slot.astimezone(ZoneInfo('UTC')):%Y%m%dT%H}",
        kind=DIGEST_WEEKLY,
        due_at=slot,
        now=now,
        collective_id=collective.id,
        payload={"slot": slot.isoformat()},
    )
    return slot


async def change_schedule(
    uow: UnitOfWork,
    collective: Collective,
    person: Person,
    now: datetime,
    *,
    weekday: int | None = None,
    hour: int | None = None,
    quiet_week: str | None = None,
) -> DigestSettings:
    await require_role(uow, collective, person, ANIMATORS)
    settings = await settings_of(uow, collective, now)
    if weekday is not None:
        settings.weekday = weekday
    if hour is not None:
        settings.hour = hour
    if quiet_week is not None:
        settings.quiet_week = quiet_week
    settings.updated_at = now
    await journal.record(
        uow,
        collective.id,
        "digest_settings",
        now,
        actor_id=person.id,
        data={"weekday": settings.weekday, "hour": settings.hour, "quiet": settings.quiet_week},
    )
    if await repo(uow).subscriptions(collective.id, ("active",)):
        # The row of the former slot finds it is no longer one (`is_slot`) and does nothing.
        await schedule_next(uow, collective, now)
    return settings


async def set_contact(
    uow: UnitOfWork, collective: Collective, person: Person, address: str, now: datetime
) -> None:
    """The team's address: the e-mails' reply address and List-Unsubscribe."""
    await require_role(uow, collective, person, ANIMATORS)
    settings = await settings_of(uow, collective, now)
    settings.contact_email, settings.updated_at = address, now
    await journal.record(uow, collective.id, "digest_contact_set", now, actor_id=person.id)


# --- subscribers


@dataclass(frozen=True)
class Subscribers:
    code: DigestCode | None
    chats: list[DigestSubscription]
    emails: list[DigestSubscription]
    settings: DigestSettings
    next_at: datetime


async def subscribers(
    uow: UnitOfWork, collective: Collective, person: Person, now: datetime, *, new_code: bool
) -> Subscribers:
    """What the animation team sees in /resume abonnes; with `new_code`, a fresh code."""
    await require_role(uow, collective, person, ANIMATORS)
    code = None
    if new_code:
        code = DigestCode(
            collective_id=collective.id,
            code="-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(2)),
            created_by=person.id,
            created_at=now,
            expires_at=now + CODE_VALID,
        )
        await repo(uow).add(code)
        await journal.record(uow, collective.id, "digest_code_created", now, actor_id=person.id)
    subs = await repo(uow).subscriptions(collective.id)
    settings = await settings_of(uow, collective, now)
    return Subscribers(
        code,
        [s for s in subs if s.chat_id is not None],
        [s for s in subs if s.email is not None],
        settings,
        next_slot(settings, collective.timezone, now),
    )


def normalise_code(text: str) -> str:
    kept = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{kept[:4]}-{kept[4:]}" if len(kept) == 8 else kept


async def subscribe_chat(
    uow: UnitOfWork, text: str, chat_id: int, chat_title: str, now: datetime
) -> tuple[Collective, DigestSettings]:
    """/abonner CODE in a chat: the code is checked (known, unused, not expired), used once."""
    if not text.strip():
        raise Refusal("digest_code_missing")
    code = await repo(uow).code(normalise_code(text))
    if code is None or code.used_at is not None:
        raise Refusal("digest_code_wrong")
    if code.expires_at <= now:
        raise Refusal("digest_code_expired")
    if not await repo(uow).use_code(code.id, now):
        raise Refusal("digest_code_wrong")
    collective = await uow.collectives.get(code.collective_id)
    if collective is None:
        raise Refusal("digest_code_wrong")
    found = await repo(uow).by_chat(collective.id, chat_id)
    if found is None:
        found = DigestSubscription(
            collective_id=collective.id,
            chat_id=chat_id,
            chat_title=chat_title[:255],
            status="active",
            created_at=now,
            updated_at=now,
        )
        await repo(uow).add(found)
    else:
        found.status, found.chat_title, found.updated_at = "active", chat_title[:255], now
    await journal.record(
        uow, collective.id, "digest_subscribed", now, data={"chat": chat_title[:120]}
    )
    await schedule_next(uow, collective, now)
    return collective, await settings_of(uow, collective, now)


async def unsubscribe_chat(uow: UnitOfWork, chat_id: int, now: datetime) -> list[Collective]:
    """/desabonner: every synthèse this chat receives stops."""
    stopped = []
    for sub in await repo(uow).of_chat(chat_id):
        sub.status, sub.updated_at = "stopped", now
        await journal.record(
            uow, sub.collective_id, "digest_unsubscribed", now, data={"chat": sub.chat_title}
        )
        collective = await uow.collectives.get(sub.collective_id)
        if collective is not None:
            stopped.append(collective)
    if not stopped:
        raise Refusal("digest_not_subscribed")
    return stopped


def valid_email(text: str, *, for_contact: bool = False) -> str:
    """The address typed after `/resume ajouter` (or `/resume contact`: the refusal's example
    names the command that was typed)."""
    address = text.strip().strip("<>").lower()
    local, at, domain = address.partition("@")
    if (
        not at
        or not local
        or "." not in domain.strip(".")
        or len(address) > EMAIL_MAX
        or any(ch.isspace() or ch in "<>,;\"'()[]\\" for ch in address)
    ):
        raise Refusal("digest_email_invalid", contact=for_contact)
    return address


async def add_email(
    uow: UnitOfWork, collective: Collective, person: Person, text: str, now: datetime
) -> str:
    await require_role(uow, collective, person, ANIMATORS)
    address = valid_email(text)
    found = await repo(uow).by_email(collective.id, address)
    if found is None:
        await repo(uow).add(
            DigestSubscription(
                collective_id=collective.id,
                email=address,
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
    else:
        found.status, found.updated_at = "active", now
    await journal.record(uow, collective.id, "digest_email_added", now, actor_id=person.id)
    await schedule_next(uow, collective, now)
    return address


async def remove_subscription(
    uow: UnitOfWork, subscription_id: int, person: Person, now: datetime
) -> tuple[Collective, DigestSubscription]:
    sub = await repo(uow).subscription(subscription_id)
    collective = await uow.collectives.get(sub.collective_id) if sub else None
    if sub is None or collective is None or sub.status == "stopped":
        raise Refusal("stale_button")
    await require_role(uow, collective, person, ANIMATORS)
    sub.status, sub.updated_at = "stopped", now
    kind = "digest_email_removed" if sub.email else "digest_unsubscribed"
    await journal.record(
        uow, collective.id, kind, now, actor_id=person.id, data={"chat": sub.chat_title}
    )
    return collective, sub


async def suspend(uow: UnitOfWork, subscription: DigestSubscription, now: datetime) -> None:
    """The chat removed the bot (403): no more attempts until it subscribes again."""
    subscription.status, subscription.updated_at = "suspended", now
    await journal.record(
        uow,
        subscription.collective_id,
        "digest_suspended",
        now,
        data={"chat": subscription.chat_title},
    )


# --- the sections


def _local_day(moment: datetime, collective: Collective) -> date:
    return moment.astimezone(ZoneInfo(collective.timezone)).date()


def _cut(items: list[Any]) -> tuple[list[Any], int]:
    return items[:LIST_LIMIT], max(0, len(items) - LIST_LIMIT)


async def members_section(
    uow: UnitOfWork, collective: Collective, since: datetime, until: datetime
) -> Section | None:
    r = repo(uow)
    rows = await r.new_members(collective.id, since, until)
    if not rows:
        return None
    lang = collective.language
    familles = catalog.familles()
    by_famille = Counter(
        familles[f].label(lang) if f in familles else None for f, _ess, _org, _ok in rows
    )
    # Organisations only with the annuaire's consent; never a person's name.
    named = sorted({org for _f, _ess, org, ok in rows if ok and org})
    shown, more = _cut(named)
    return Section(
        "members",
        {
            "count": len(rows),
            "total": await r.active_members(collective.id),
            "familles": sorted(
                ((k, n) for k, n in by_famille.items() if k), key=lambda kv: (-kv[1], kv[0])
            ),
            "unknown_famille": by_famille.get(None, 0),
            "maillons": await r.new_members_by_maillon(collective.id, since, until),
            "organisations": shown,
            "more_organisations": more,
            "vision": collective.vision.value if collective.vision else "chaine",
        },
    )


def top_needs(
    surveys: list[Any], answers: list[tuple[int, dict[str, Any]]], lang: str, limit: int = 3
) -> list[tuple[str, int]]:
    """The needs most often chosen, from the surveys' questions fed by the needs catalogue."""
    from bot.surveys import model as m

    questions: dict[int, list[str]] = {}
    for row in surveys:
        try:
            definition = m.from_json(row.definition)
        except Exception:  # a definition this version cannot read: no needs from it
            continue
        questions[row.id] = [q.id for q in definition.questions if q.source == "needs"]
    counts: Counter[str] = Counter()
    for survey_id, given in answers:
        for qid in questions.get(survey_id, ()):
            chosen = given.get(qid) or []
            for value in chosen if isinstance(chosen, list) else [chosen]:
                if value != m.OTHER:
                    counts[str(value)] += 1
    known = catalog.categories()
    return [
        (known[code].as_need(lang) if code in known else code, n)
        for code, n in counts.most_common(limit)
    ]


async def surveys_section(
    uow: UnitOfWork, collective: Collective, since: datetime, until: datetime
) -> Section | None:
    r = repo(uow)
    rows = await r.surveys_in(collective.id, since, until)
    if not rows:
        return None
    total = await r.active_members(collective.id)
    with_needs = [row for row in rows if "needs" in str(row.definition)]
    answers = await r.survey_answers([row.id for row in with_needs])
    items = [
        {
            "title": row.title,
            "open": row.status == "open",
            "closes_at": row.closes_at,
            "answered": int(row[-1] or 0),
            "share": percent_of(int(row[-1] or 0), total),
        }
        for row in rows
    ]
    return Section(
        "surveys",
        {
            "surveys": items,
            "members": total,
            "needs": top_needs(with_needs, answers, collective.language),
            "tz": collective.timezone,
        },
    )


async def votes_section(
    uow: UnitOfWork, collective: Collective, since: datetime, until: datetime
) -> Section | None:
    r = repo(uow)
    rows = await r.votes_in(collective.id, since, until)
    decisions = await r.decisions_in(collective.id, since, until)
    if not rows and not decisions:
        return None
    closed = [
        {
            "title": v.title,
            "outcome": v.outcome or "closed",
            "voters": v[6],
            "electors": v[7],
            "winner": _winner(v.result),
        }
        for v in rows
        if v.status == "closed"
    ]
    running = [
        {"title": v.title, "closes_at": v.closes_at, "voters": v[6], "electors": v[7]}
        for v in rows
        if v.status != "closed"
    ]
    shown, more = _cut(decisions)
    return Section(
        "votes",
        {
            "closed": closed,
            "running": running,
            "decisions": shown,
            "more_decisions": more,
            "tz": collective.timezone,
        },
    )


def _winner(result: dict[str, Any] | None) -> str | None:
    """The option a majority judgment retained (its ranking's first), if one did."""
    if not result or result.get("outcome") != "winner" or not result.get("ranking"):
        return None
    return str(result["ranking"][0].get("option") or "") or None


async def meetings_section(
    uow: UnitOfWork, collective: Collective, since: datetime, until: datetime
) -> Section | None:
    r = repo(uow)
    held = await r.meetings_in(collective.id, since, until)
    ahead = await r.meetings_in(collective.id, until, until + 2 * WEEK)
    if not held and not ahead:
        return None
    agenda: dict[int, list[str]] = {}
    for meeting_id, text in await r.agenda_of([m.id for m in ahead]):
        agenda.setdefault(meeting_id, []).append(text)
    return Section(
        "meetings",
        {
            "held": [
                {
                    "kind": m.kind,
                    "title": m.title,
                    "starts_at": m.starts_at,
                    "attended": int(m[6] or 0),
                    "coming": int(m[7] or 0),
                    "minutes": m.minutes_at is not None,
                }
                for m in held
            ],
            "ahead": [
                {
                    "kind": m.kind,
                    "title": m.title,
                    "starts_at": m.starts_at,
                    "place": m.place,
                    "agenda": agenda.get(m.id, []),
                }
                for m in ahead
            ],
            "tz": collective.timezone,
        },
    )


async def actions_section(
    uow: UnitOfWork, collective: Collective, since: datetime, until: datetime
) -> Section | None:
    today = _local_day(until, collective)
    rows = await repo(uow).actions_in(collective.id, since, until, today, today + WEEK)
    done = [a.text for a in rows if a.status == "done"]
    due = [(a.text, a.due_on) for a in rows if a.status == "open" and a.due_on >= today]
    overdue = [(a.text, a.due_on) for a in rows if a.status == "open" and a.due_on < today]
    if not (done or due or overdue):
        return None
    return Section(
        "actions",
        {
            "done": _cut(done)[0],
            "more_done": _cut(done)[1],
            "due": _cut(due)[0],
            "more_due": _cut(due)[1],
            "overdue": len(overdue),
            "today": today,
        },
    )


async def resources_section(
    uow: UnitOfWork, collective: Collective, since: datetime, until: datetime
) -> Section | None:
    """The toolbox's resources published in the week: title and levier, never the author."""
    from bot.services import toolbox

    found = await toolbox.added_between(uow, collective.id, since, until)
    if not found:
        return None
    leviers = catalog.leviers()
    rows = [
        (r.title, leviers[r.levier].label(collective.language) if r.levier in leviers else "")
        for r in found
    ]
    shown, more = _cut(rows)
    return Section("resources", {"resources": shown, "more": more})


async def checklist_section(
    uow: UnitOfWork, collective: Collective, since: datetime, until: datetime
) -> Section | None:
    """Where the filière stands on the guide's checklist, by levier, in a week when the team
    marked an action."""
    from bot.services import toolbox

    marks = await toolbox.repo(uow).marks(collective.id)
    if not any(since <= m.updated_at < until for m in marks.values()):
        return None
    progress = await toolbox.checklist_progress(uow, collective.id, collective.language)
    return Section("checklist", {"progress": progress})


# In the order they are shown. Another feature appends its own provider here.
PROVIDERS: list[Provider] = [
    members_section,
    surveys_section,
    votes_section,
    meetings_section,
    actions_section,
    resources_section,
    checklist_section,
]


async def preview(uow: UnitOfWork, collective: Collective, now: datetime) -> Digest:
    """The synthèse as it would go out now, what happened at this very instant included (a
    clock that does not move, as in the shell, stamps the latest events with `now`)."""
    return await build(uow, collective, now + timedelta(microseconds=1))


async def build(
    uow: UnitOfWork,
    collective: Collective,
    until: datetime,
    providers: list[Provider] | None = None,
) -> Digest:
    """The synthèse of the week that ends at `until`."""
    since = until - WEEK
    sections = []
    for provider in PROVIDERS if providers is None else providers:
        found = await provider(uow, collective, since, until)
        if found is not None:
            sections.append(found)
    return Digest(collective, since, until, sections)


async def participation(
    uow: UnitOfWork, collective: Collective, until: datetime, weeks: int = CHART_WEEKS
) -> list[tuple[date, int]]:
    """For each of the last `weeks` weeks (its first day), the share (percent) of active
    members who answered a survey, voted or attended a meeting."""
    r = repo(uow)
    since = until - weeks * WEEK
    seen: list[set[int]] = [set() for _ in range(weeks)]
    found = await r.participants_by_week(collective.id, PARTICIPATION_KINDS, since, until)
    found += await r.attendance_since(collective.id, since, until)
    for at, person in found:
        index = int((at - since) / WEEK)
        if 0 <= index < weeks:
            seen[index].add(person)
    total = await r.active_members(collective.id)
    return [
        (
            _local_day(since + i * WEEK, collective),
            percent_of(len(people), total),
        )
        for i, people in enumerate(seen)
    ]
