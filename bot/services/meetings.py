"""Comités de filière: scheduling (one date, or a recurring series), answers (Je viens,
Peut-être, Je ne viens pas), calendar files, changes and cancellations, the ordre du jour,
and the reminders each collective chooses.

Times are stored in UTC and computed in the collective's timezone: a series keeps its local
time across a change of clocks, « 1 jour avant » is the same local time the day before,
« 2 h avant » is two real hours.
"""

from __future__ import annotations

import calendar
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import ANIMATORS, READERS, MembershipStatus, Role
from bot.ics import CalendarEvent, calendar_bytes
from bot.live import open_live, touch
from bot.services import journal
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.texts import caption, format_datetime, format_when, fr_day
from bot.textsafety import shorten
from storage.models import (
    AgendaItem,
    Collective,
    Meeting,
    MeetingParticipant,
    MeetingSeries,
    MeetingSettings,
    Membership,
    Person,
)
from storage.repos.meetings import MeetingRepo
from storage.uow import UnitOfWork

KINDS = ("comite", "groupe_travail", "visite", "cafe_ess", "autre")
ANSWERS = ("yes", "maybe", "no")
# Who gets the reminders and the news of a change in private.
COMING = ("yes", "maybe")
SCHEDULED, CANCELLED = "scheduled", "cancelled"

REMINDER_CHOICES = ("7d", "3d", "1d", "2h", "1h")
DEFAULT_REMINDERS = ("7d", "1d", "2h")
# Occurrences of a series exist this far ahead, on a rolling basis.
HORIZON = timedelta(days=92)
# A series' occurrence is announced in the group this long before it (the first one at once).
ANNOUNCE_AHEAD = timedelta(days=14)
MAX_AGENDA = 15
REPEATS = ("once", "weekly", "biweekly", "m1", "m2", "m3", "m4", "mlast")

# Due work this feature schedules (the runners are in handlers/meetings_jobs.py).
ANNOUNCE = "meeting_announce"
REMINDER = "meeting_reminder"
CHANGED = "meeting_changed"
SERIES_EXTEND = "meeting_series_extend"
AGENDA_PROPOSED = "agenda_proposed"
AGENDA_DECIDED = "agenda_decided"
LIVE_KIND = "meeting"


def repo(uow: UnitOfWork) -> MeetingRepo:
    return uow.repo(MeetingRepo)


def live_key(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


# --- time


def zone(collective: Collective) -> ZoneInfo:
    return ZoneInfo(collective.timezone)


def at_local(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """A local wall-clock time as an aware UTC datetime; a time skipped by the clocks going
    forward lands just after the change."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


def reminder_time(start: datetime, code: str, tz: ZoneInfo) -> datetime:
    """« 1d »: the same local time, one day before, across a change of clocks; « 2h »: two
    real hours before."""
    amount, unit = int(code[:-1]), code[-1]
    if unit == "h":
        return start - timedelta(hours=amount)
    local = start.astimezone(tz)
    return at_local(local.date() - timedelta(days=amount), local.hour, local.minute, tz)


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth (1 to 4) weekday of a month; nth -1: its last one."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def repeat_choices(start: datetime, tz: ZoneInfo) -> list[str]:
    """What a first date can repeat as: every week, every other week, its nth weekday of the
    month (and « the last one » when it is in the month's last seven days)."""
    day = start.astimezone(tz).date()
    nth = (day.day - 1) // 7 + 1
    choices = ["once", "weekly", "biweekly"]
    if nth <= 4:
        choices.append(f"m{nth}")
    if day.day + 7 > calendar.monthrange(day.year, day.month)[1]:
        choices.append("mlast")
    return choices


def rule_of(repeat: str) -> tuple[str, int]:
    """(rule, nth) stored on a series for a repeat choice."""
    if repeat in ("weekly", "biweekly"):
        return repeat, 0
    if repeat == "mlast":
        return "monthly", -1
    return "monthly", int(repeat[1:])


def series_starts(
    series: MeetingSeries, tz: ZoneInfo, after: datetime, until: datetime
) -> list[datetime]:
    """The occurrences' starts in (after, until], at the series' local time."""
    local = series.first_start.astimezone(tz)
    hour, minute, first = local.hour, local.minute, local.date()
    found: list[datetime] = []
    if series.rule in ("weekly", "biweekly"):
        step = 7 if series.rule == "weekly" else 14
        k = max(0, (after.astimezone(tz).date() - first).days // step - 1)
        while True:
            start = at_local(first + timedelta(days=step * k), hour, minute, tz)
            if start > until:
                return found
            if start > after:
                found.append(start)
            k += 1
    year, month = first.year, first.month
    while True:
        day = nth_weekday(year, month, series.weekday, series.nth)
        start = at_local(day, hour, minute, tz)
        if start > until:
            return found
        if start > after and day >= first:
            found.append(start)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def next_series_start(series: MeetingSeries, tz: ZoneInfo, after: datetime) -> datetime:
    starts = series_starts(series, tz, after, after + timedelta(days=62))
    return starts[0]


# --- reading


async def find(uow: UnitOfWork, meeting_id: int, *, missing: str = "stale_button") -> Meeting:
    found = await repo(uow).get(meeting_id)
    if found is None:
        raise Refusal(missing)
    return found


async def with_collective(
    uow: UnitOfWork, meeting_id: int, *, missing: str = "stale_button"
) -> tuple[Meeting, Collective]:
    meeting = await find(uow, meeting_id, missing=missing)
    collective = await uow.collectives.get(meeting.collective_id)
    if collective is None:
        raise Refusal(missing)
    return meeting, collective


@dataclass(frozen=True)
class MeetingCard:
    """What the announcement, the reminders and the private card show of a meeting."""

    meeting: Meeting
    collective: Collective
    counts: dict[str, int]
    organisations: list[str]
    agenda: list[str]
    series: MeetingSeries | None
    proposed: int = 0
    mine: str | None = None  # the reader's answer
    added: bool = False  # the reader has its calendar file
    animator: bool = False
    total_organisations: int = 0

    @property
    def cancelled(self) -> bool:
        return self.meeting.status == CANCELLED

    @property
    def more_organisations(self) -> int:
        return max(0, self.total_organisations - len(self.organisations))


SHOWN_ORGANISATIONS = 20


async def card(
    uow: UnitOfWork, meeting: Meeting, collective: Collective, reader: Person | None = None
) -> MeetingCard:
    r = repo(uow)
    coming = await r.members_answering(meeting.id, collective.id, ("yes",))
    organisations = list(
        dict.fromkeys(shorten(m.organisation, 40) for _, m in coming if m.organisation)
    )
    # Short enough for one Telegram message (4,096 characters), whatever people typed.
    agenda = [shorten(item.text, 100) for item in await r.agenda(meeting.id, ("accepted",))]
    proposed = len(await r.agenda(meeting.id, ("proposed",)))
    series = await r.series(meeting.series_id) if meeting.series_id is not None else None
    mine, added, animator = None, False, False
    if reader is not None:
        participant = await r.participant(meeting.id, reader.id)
        if participant is not None:
            mine, added = participant.answer, participant.ics_sequence is not None
        member = await uow.memberships.get(collective.id, reader.id)
        animator = (
            member is not None
            and member.status == MembershipStatus.ACTIVE
            and member.role == Role.ANIMATEUR
        )
    return MeetingCard(
        meeting,
        collective,
        await r.counts(meeting.id),
        organisations[:SHOWN_ORGANISATIONS],
        agenda,
        series,
        proposed,
        mine,
        added,
        animator,
        total_organisations=len(organisations),
    )


async def upcoming(
    uow: UnitOfWork, collective: Collective, reader: Person, now: datetime, *, limit: int = 10
) -> list[Meeting]:
    await require_role(uow, collective, reader, READERS)
    return await repo(uow).upcoming(collective.id, now, limit=limit)


# --- scheduling


@dataclass
class Draft:
    """A meeting as the wizard collected it."""

    kind: str
    title: str
    starts_at: datetime
    duration_minutes: int
    place: str | None = None
    visio_url: str | None = None
    agenda: list[str] = field(default_factory=list)


def file_name(title: str, extension: str) -> str:
    """A file name people can read: the title in ASCII, words joined by hyphens."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40].strip("-")
    return f"{stem or 'reunion'}.{extension}"


def short_when(moment: datetime, collective: Collective, lang: str) -> str:
    """« jeu. 3 déc., 14 h », for a button."""
    local = moment.astimezone(zone(collective))
    if lang == "en":
        return format_datetime(local, "EEE d MMM, h:mm a", locale="en")
    clock = "H 'h'" if local.minute == 0 else "H 'h' mm"
    return format_datetime(local, f"EEE {fr_day(local)} MMM, " + clock, locale="fr")


def relative_when(start: datetime, collective: Collective, lang: str, now: datetime) -> str:
    """« aujourd'hui à 14 h », « demain à 14 h », or the date in words."""
    tz = zone(collective)
    local, today = start.astimezone(tz), now.astimezone(tz).date()
    days = (local.date() - today).days
    if days in (0, 1):
        if lang == "en":
            clock = format_datetime(local, "h:mm a", locale="en")
        else:
            clock = format_datetime(
                local, "H 'h'" if local.minute == 0 else "H 'h' mm", locale="fr"
            )
        return caption("meetings/today" if days == 0 else "meetings/tomorrow", lang, clock=clock)
    return format_when(start, collective.timezone, lang, now=now)


def new_uid() -> str:
    return f"{secrets.token_hex(12)}@tisserand"


def _when(meeting: Meeting, collective: Collective, now: datetime | None = None) -> str:
    return format_when(meeting.starts_at, collective.timezone, collective.language, now=now)


async def _journal(
    uow: UnitOfWork,
    meeting: Meeting,
    collective: Collective,
    kind: str,
    now: datetime,
    *,
    actor_id: int | None,
    **extra: object,
) -> None:
    await journal.record(
        uow,
        collective.id,
        kind,
        now,
        actor_id=actor_id,
        data={
            "meeting_id": meeting.id,
            "title": meeting.title,
            "when": _when(meeting, collective, now),
            **extra,
        },
    )


async def _create(
    uow: UnitOfWork,
    collective: Collective,
    draft: Draft,
    now: datetime,
    *,
    actor_id: int | None,
    series: MeetingSeries | None = None,
    poll_id: int | None = None,
    announce_at: datetime | None = None,
) -> Meeting:
    meeting = Meeting(
        collective_id=collective.id,
        series_id=series.id if series is not None else None,
        original_start=draft.starts_at if series is not None else None,
        poll_id=poll_id,
        uid=new_uid(),
        sequence=0,
        plan=0,
        kind=draft.kind,
        title=draft.title,
        starts_at=draft.starts_at,
        duration_minutes=draft.duration_minutes,
        place=draft.place,
        visio_url=draft.visio_url,
        status=SCHEDULED,
        created_by=actor_id,
        created_at=now,
        updated_at=now,
    )
    r = repo(uow)
    r.add(meeting)
    await r.flush()
    for text in draft.agenda[:MAX_AGENDA]:
        r.add(
            AgendaItem(
                meeting_id=meeting.id,
                text=text,
                status="accepted",
                proposed_by=actor_id,
                created_at=now,
                decided_by=actor_id,
                decided_at=now,
            )
        )
    await r.flush()
    await plan_reminders(uow, meeting, collective, now)
    if announce_at is None or announce_at <= now:
        await announce(uow, meeting, collective, now)
    else:
        await uow.due.schedule(
            key=f"meeting:{meeting.id}:announce",
            kind=ANNOUNCE,
            due_at=announce_at,
            now=now,
            collective_id=collective.id,
            payload={"meeting_id": meeting.id},
        )
    return meeting


async def schedule(
    uow: UnitOfWork,
    collective: Collective,
    actor: Person,
    draft: Draft,
    now: datetime,
    *,
    repeat: str = "once",
    poll_id: int | None = None,
) -> Meeting:
    """Schedule a meeting (the first of a series, if `repeat` says so); it is announced in the
    group and reminded."""
    await require_role(uow, collective, actor, ANIMATORS)
    if draft.starts_at <= now:
        raise Refusal("date_past", when=_format(draft.starts_at, collective, now))
    if repeat not in REPEATS or (
        repeat != "once" and repeat not in repeat_choices(draft.starts_at, zone(collective))
    ):
        raise Refusal("stale_button")
    series = None
    if repeat != "once":
        rule, nth = rule_of(repeat)
        series = MeetingSeries(
            collective_id=collective.id,
            rule=rule,
            weekday=draft.starts_at.astimezone(zone(collective)).weekday(),
            nth=nth,
            first_start=draft.starts_at,
            generated_until=draft.starts_at,
            kind=draft.kind,
            title=draft.title,
            duration_minutes=draft.duration_minutes,
            place=draft.place,
            visio_url=draft.visio_url,
            created_by=actor.id,
            created_at=now,
        )
        repo(uow).add(series)
        await repo(uow).flush()
    meeting = await _create(
        uow, collective, draft, now, actor_id=actor.id, series=series, poll_id=poll_id
    )
    await _journal(
        uow,
        meeting,
        collective,
        "meeting_scheduled",
        now,
        actor_id=actor.id,
        meeting_kind=meeting.kind,
        repeat=repeat,
    )
    if series is not None:
        await extend_series(uow, series, collective, now, journaled=False)
    return meeting


def _format(moment: datetime, collective: Collective, now: datetime) -> str:
    return format_when(moment, collective.timezone, collective.language, now=now)


async def extend_series(
    uow: UnitOfWork,
    series: MeetingSeries,
    collective: Collective,
    now: datetime,
    *,
    journaled: bool = True,
) -> int:
    """Create the occurrences now within three months, then come back when the next one
    enters that window. Each occurrence is created once, whatever restarts. Those added on
    the way are journaled (`journaled`); the first ones are in the series' own line."""
    tz = zone(collective)
    created = 0
    r = repo(uow)
    for start in series_starts(series, tz, series.generated_until, now + HORIZON):
        if await r.occurrence(series.id, start) is None:
            draft = Draft(
                series.kind,
                series.title,
                start,
                series.duration_minutes,
                series.place,
                series.visio_url,
            )
            occurrence = await _create(
                uow,
                collective,
                draft,
                now,
                actor_id=series.created_by,
                series=series,
                announce_at=start - ANNOUNCE_AHEAD,
            )
            created += 1
            if journaled:
                await _journal(
                    uow, occurrence, collective, "meeting_occurrence_added", now, actor_id=None
                )
        series.generated_until = start
    following = next_series_start(series, tz, series.generated_until)
    await uow.due.schedule(
        key=f"series:{series.id}:extend:{following.isoformat()}",
        kind=SERIES_EXTEND,
        due_at=max(now, following - HORIZON),
        now=now,
        collective_id=collective.id,
        payload={"series_id": series.id},
    )
    return created


async def announce(
    uow: UnitOfWork, meeting: Meeting, collective: Collective, now: datetime
) -> None:
    """Post the live announcement in the group (once; changes edit it)."""
    if meeting.status != SCHEDULED:
        return
    await open_live(
        uow,
        key=live_key(meeting.id),
        kind=LIVE_KIND,
        subject_id=meeting.id,
        collective=collective,
        now=now,
    )


# --- reminders


async def reminder_codes(uow: UnitOfWork, collective_id: int) -> list[str]:
    settings = await repo(uow).settings(collective_id)
    if settings is None:
        return list(DEFAULT_REMINDERS)
    return [code for code in REMINDER_CHOICES if code in settings.reminders]


async def plan_reminders(
    uow: UnitOfWork, meeting: Meeting, collective: Collective, now: datetime
) -> None:
    """Schedule the reminders still ahead; rows of an earlier plan (before a change) do
    nothing when they come due. Each row knows the later ones, for the downtime rule."""
    meeting.plan += 1
    if meeting.status != SCHEDULED:
        return
    tz = zone(collective)
    codes = await reminder_codes(uow, collective.id)
    times = sorted(
        (reminder_time(meeting.starts_at, code, tz), code)
        for code in codes
        if now < reminder_time(meeting.starts_at, code, tz) < meeting.starts_at
    )
    for at, code in times:
        await uow.due.schedule(
            key=f"meeting:{meeting.id}:plan{meeting.plan}:{code}",
            kind=REMINDER,
            due_at=at,
            now=now,
            collective_id=collective.id,
            payload={
                "meeting_id": meeting.id,
                "plan": meeting.plan,
                "code": code,
                "later": [t.isoformat() for t, _ in times if t > at],
            },
        )


def reminder_due(meeting: Meeting, payload: dict[str, object], now: datetime) -> bool:
    """The downtime rule: a reminder is sent only if its plan is current, the meeting has not
    started, and no later reminder of the plan is due already (then that one goes alone)."""
    if meeting.status != SCHEDULED or payload.get("plan") != meeting.plan:
        return False
    if now >= meeting.starts_at:
        return False
    later = payload.get("later")
    times = [datetime.fromisoformat(str(t)) for t in later] if isinstance(later, list) else []
    return not any(t <= now for t in times)


async def set_reminders(
    uow: UnitOfWork, collective: Collective, actor: Person, codes: Sequence[str], now: datetime
) -> list[str]:
    """The collective's reminders; the upcoming meetings are planned again with them."""
    await require_role(uow, collective, actor, ANIMATORS)
    chosen = [code for code in REMINDER_CHOICES if code in codes]
    r = repo(uow)
    settings = await r.settings(collective.id)
    if settings is None:
        r.add(MeetingSettings(collective_id=collective.id, reminders=chosen, updated_at=now))
    else:
        settings.reminders, settings.updated_at = chosen, now
    await r.flush()
    for meeting in await r.upcoming(collective.id, now, limit=500):
        await plan_reminders(uow, meeting, collective, now)
    await journal.record(
        uow, collective.id, "meeting_reminders_set", now, actor_id=actor.id, data={"codes": chosen}
    )
    return chosen


async def toggle_private_reminders(
    uow: UnitOfWork, membership_id: int, person: Person
) -> Membership:
    """A member mutes (or unmutes) the meeting reminders sent to them in private (/moi)."""
    member = await uow.memberships.by_id(membership_id)
    if member is None or member.person_id != person.id or member.status != MembershipStatus.ACTIVE:
        raise Refusal("stale_button")
    member.meeting_reminders = not member.meeting_reminders
    return member


# --- answers and calendar files


def _require_open(meeting: Meeting, collective: Collective, now: datetime) -> None:
    if meeting.status == CANCELLED:
        raise Refusal("meeting_cancelled", title=meeting.title)
    if meeting.starts_at + timedelta(minutes=meeting.duration_minutes) <= now:
        raise Refusal(
            "meeting_held",
            title=meeting.title,
            when=meeting.starts_at,
            tz=collective.timezone,
            now=now,
        )
    if meeting.starts_at <= now:
        raise Refusal("meeting_started", title=meeting.title)


async def _participant(uow: UnitOfWork, meeting: Meeting, person: Person) -> MeetingParticipant:
    r = repo(uow)
    found = await r.participant(meeting.id, person.id)
    if found is None:
        found = MeetingParticipant(meeting_id=meeting.id, person_id=person.id)
        r.add(found)
        await r.flush()
    return found


async def answer(
    uow: UnitOfWork,
    meeting: Meeting,
    collective: Collective,
    person: Person,
    value: str,
    now: datetime,
) -> MeetingParticipant:
    """Je viens, Peut-être, Je ne viens pas: any active member, observers included."""
    if value not in ANSWERS:
        raise Refusal("stale_button")
    await require_role(uow, collective, person, READERS)
    _require_open(meeting, collective, now)
    participant = await _participant(uow, meeting, person)
    if participant.answer != value:
        participant.answer, participant.answered_at = value, now
        await _journal(
            uow, meeting, collective, "meeting_rsvp", now, actor_id=person.id, answer=value
        )
        await touch(uow, live_key(meeting.id), now)
    return participant


def calendar_event(
    meeting: Meeting, collective: Collective, agenda: Sequence[str]
) -> CalendarEvent:
    kind = caption(f"meetings/kind_{meeting.kind}", collective.language)
    summary = (
        meeting.title
        if meeting.title.casefold() == kind.casefold()
        else f"{kind} — {meeting.title}"
    )
    lines = [f"{collective.title}"]
    if agenda:
        lines.append(caption("meetings/agenda_word", collective.language))
        lines += [f"• {item}" for item in agenda]
    if meeting.visio_url:
        lines.append(meeting.visio_url)
    return CalendarEvent(
        uid=meeting.uid,
        sequence=meeting.sequence,
        start=meeting.starts_at,
        minutes=meeting.duration_minutes,
        summary=summary,
        location=meeting.place or meeting.visio_url,
        url=meeting.visio_url,
        description="\n".join(lines),
        cancelled=meeting.status == CANCELLED,
        created=meeting.created_at,
        modified=meeting.updated_at,
    )


async def ics_of(
    uow: UnitOfWork,
    meetings: Sequence[Meeting],
    collective: Collective,
    now: datetime,
    *,
    name: str | None = None,
) -> bytes:
    events = [
        calendar_event(m, collective, [i.text for i in await repo(uow).agenda(m.id, ("accepted",))])
        for m in meetings
    ]
    return calendar_bytes(events, collective.timezone, now, name=name)


async def add_to_calendar(
    uow: UnitOfWork, meeting: Meeting, collective: Collective, person: Person, now: datetime
) -> bytes:
    """The meeting's calendar file for a member; they will get the new one if it changes."""
    await require_role(uow, collective, person, READERS)
    if meeting.status == CANCELLED:
        raise Refusal("meeting_cancelled", title=meeting.title)
    participant = await _participant(uow, meeting, person)
    participant.ics_sequence = meeting.sequence
    return await ics_of(uow, [meeting], collective, now)


async def add_series_to_calendar(
    uow: UnitOfWork, meeting: Meeting, collective: Collective, person: Person, now: datetime
) -> tuple[bytes, int]:
    """Every upcoming occurrence of the meeting's series, one VEVENT each."""
    await require_role(uow, collective, person, READERS)
    if meeting.series_id is None:
        raise Refusal("stale_button")
    occurrences = await repo(uow).of_series(meeting.series_id, now)
    if not occurrences:
        raise Refusal("meeting_started", title=meeting.title)
    for occurrence in occurrences:
        participant = await _participant(uow, occurrence, person)
        participant.ics_sequence = occurrence.sequence
    return await ics_of(uow, occurrences, collective, now), len(occurrences)


async def upcoming_calendar(
    uow: UnitOfWork, collective: Collective, person: Person, now: datetime
) -> bytes:
    """reunions.ics: every upcoming meeting of the collective."""
    meetings = await upcoming(uow, collective, person, now, limit=500)
    return await ics_of(uow, meetings, collective, now, name=collective.title)


# --- changes


async def _changed(
    uow: UnitOfWork,
    meeting: Meeting,
    collective: Collective,
    now: datetime,
    change: str,
    before: str,
) -> None:
    meeting.sequence += 1
    meeting.updated_at = now
    await plan_reminders(uow, meeting, collective, now)
    await uow.due.schedule(
        key=f"meeting:{meeting.id}:change:{meeting.sequence}",
        kind=CHANGED,
        due_at=now,
        now=now,
        collective_id=collective.id,
        payload={
            "meeting_id": meeting.id,
            "sequence": meeting.sequence,
            "change": change,
            "before": before,
        },
    )
    await touch(uow, live_key(meeting.id), now, final=meeting.status == CANCELLED)


async def _editable(
    uow: UnitOfWork, meeting: Meeting, collective: Collective, actor: Person, now: datetime
) -> None:
    await require_role(uow, collective, actor, ANIMATORS)
    _require_open(meeting, collective, now)


async def move(
    uow: UnitOfWork,
    meeting: Meeting,
    collective: Collective,
    actor: Person,
    starts_at: datetime,
    now: datetime,
) -> str:
    """Reschedule; returns how the old date reads. The reminders follow the new date."""
    await _editable(uow, meeting, collective, actor, now)
    if starts_at <= now:
        raise Refusal("date_past", when=_format(starts_at, collective, now))
    before = _format(meeting.starts_at, collective, now)
    if starts_at == meeting.starts_at:
        return before
    meeting.starts_at = starts_at
    await _journal(uow, meeting, collective, "meeting_moved", now, actor_id=actor.id, before=before)
    await _changed(uow, meeting, collective, now, "moved", before)
    # Moved within the announcement window: announced now, if it was not yet.
    if starts_at - ANNOUNCE_AHEAD <= now:
        await announce(uow, meeting, collective, now)
    return before


async def change_place(
    uow: UnitOfWork,
    meeting: Meeting,
    collective: Collective,
    actor: Person,
    place: str | None,
    visio_url: str | None,
    now: datetime,
) -> None:
    await _editable(uow, meeting, collective, actor, now)
    if (place, visio_url) == (meeting.place, meeting.visio_url):
        return
    before = meeting.place or meeting.visio_url or ""
    meeting.place, meeting.visio_url = place, visio_url
    await _journal(uow, meeting, collective, "meeting_changed", now, actor_id=actor.id)
    await _changed(uow, meeting, collective, now, "place", before)


async def cancel(
    uow: UnitOfWork, meeting: Meeting, collective: Collective, actor: Person, now: datetime
) -> None:
    await _editable(uow, meeting, collective, actor, now)
    meeting.status = CANCELLED
    await _journal(uow, meeting, collective, "meeting_cancelled", now, actor_id=actor.id)
    await _changed(
        uow, meeting, collective, now, "cancelled", _format(meeting.starts_at, collective, now)
    )


async def check_animator(
    uow: UnitOfWork, meeting: Meeting, collective: Collective, actor: Person, now: datetime
) -> None:
    """Before a change is asked for: the actor may make it, and the meeting can still change."""
    await _editable(uow, meeting, collective, actor, now)


# --- the ordre du jour


async def propose(
    uow: UnitOfWork,
    meeting: Meeting,
    collective: Collective,
    person: Person,
    text: str,
    now: datetime,
) -> AgendaItem:
    """/odj: a member proposes a point; the animation team's own points are accepted at once."""
    member = await require_role(uow, collective, person, READERS)
    _require_open(meeting, collective, now)
    r = repo(uow)
    if len(await r.agenda(meeting.id, ("accepted", "proposed"))) >= MAX_AGENDA:
        raise Refusal("agenda_full", limit=MAX_AGENDA)
    animator = member.role == Role.ANIMATEUR
    item = AgendaItem(
        meeting_id=meeting.id,
        text=text,
        status="accepted" if animator else "proposed",
        proposed_by=person.id,
        created_at=now,
        decided_by=person.id if animator else None,
        decided_at=now if animator else None,
    )
    r.add(item)
    await r.flush()
    await _journal(
        uow,
        meeting,
        collective,
        "agenda_added" if animator else "agenda_proposed",
        now,
        actor_id=person.id,
        item=text,
    )
    if animator:
        await touch(uow, live_key(meeting.id), now)
    else:
        await uow.due.schedule(
            key=f"agenda:{item.id}:proposed",
            kind=AGENDA_PROPOSED,
            due_at=now,
            now=now,
            collective_id=collective.id,
            payload={"item_id": item.id},
        )
    return item


async def decide(
    uow: UnitOfWork, item_id: int, actor: Person, accept: bool, now: datetime
) -> tuple[AgendaItem, Meeting, Collective]:
    """The animation team accepts or declines a proposed point; its author is told."""
    item = await repo(uow).agenda_item(item_id)
    if item is None:
        raise Refusal("stale_button")
    meeting, collective = await with_collective(uow, item.meeting_id)
    await require_role(uow, collective, actor, ANIMATORS)
    if item.status != "proposed":
        raise Refusal("agenda_decided_already")
    _require_open(meeting, collective, now)
    item.status = "accepted" if accept else "declined"
    item.decided_by, item.decided_at = actor.id, now
    await journal.record(
        uow,
        collective.id,
        "agenda_accepted" if accept else "agenda_declined",
        now,
        actor_id=actor.id,
        subject_id=item.proposed_by,
        data={"meeting_id": meeting.id, "title": meeting.title, "item": item.text},
    )
    if accept:
        await touch(uow, live_key(meeting.id), now)
    await uow.due.schedule(
        key=f"agenda:{item.id}:decided",
        kind=AGENDA_DECIDED,
        due_at=now,
        now=now,
        collective_id=collective.id,
        payload={"item_id": item.id},
    )
    return item, meeting, collective
