"""After the meeting (/cr): the minutes, who attended, the décisions and the actions; then the
feuille de route (/actions): open actions by levier and by porteur, overdue ones marked, done
by their porteur or the animation team; and the exports (reunions.csv, actions.csv)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.catalog import leviers
from bot.conversation import SentFile
from bot.domain import ANIMATORS, READERS, MembershipStatus, Role
from bot.exports import Cell, csv_bytes
from bot.services import journal, toolbox
from bot.services import meetings as meetings_svc
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.texts import caption, format_date
from storage.models import Collective, Decision, Meeting, MeetingParticipant, Person, RoadmapAction
from storage.repos.meetings import MeetingRepo, RoadmapRepo
from storage.uow import UnitOfWork

ACTION_SOON = "action_due_soon"
ACTIONS_WEEKLY = "actions_overdue_weekly"
# The porteur is reminded this long before the échéance, at this local time.
SOON = timedelta(days=2)
REMIND_AT = time(9, 0)
MINUTES_LIMIT = 3500
RECENT = 8


def repo(uow: UnitOfWork) -> RoadmapRepo:
    return uow.repo(RoadmapRepo)


async def reportable(
    uow: UnitOfWork, collective: Collective, actor: Person, now: datetime
) -> list[Meeting]:
    """The meetings /cr can report on: those that have started, the latest first."""
    await require_role(uow, collective, actor, ANIMATORS)
    found = await uow.repo(MeetingRepo).started(collective.id, now, limit=RECENT)
    if not found:
        raise Refusal("no_meeting_to_report")
    return found


async def check_reporter(
    uow: UnitOfWork, meeting: Meeting, collective: Collective, actor: Person, now: datetime
) -> None:
    await require_role(uow, collective, actor, ANIMATORS)
    if meeting.status != meetings_svc.SCHEDULED:
        raise Refusal("meeting_cancelled", title=meeting.title)
    if meeting.starts_at > now:
        raise Refusal("meeting_not_yet", title=meeting.title)


async def set_minutes(meeting: Meeting, value: str | SentFile, now: datetime) -> None:
    if isinstance(value, SentFile):
        meeting.minutes_file_id, meeting.minutes_file_name = value.file_id, value.name[:255]
        meeting.minutes_text = None
    else:
        meeting.minutes_text = value
        meeting.minutes_file_id = meeting.minutes_file_name = None
    meeting.minutes_at = now


async def set_attendance(
    uow: UnitOfWork, meeting: Meeting, collective: Collective, person_ids: Sequence[int]
) -> int:
    """Who attended: the active members chosen (starting from the Je viens)."""
    members = {m.person_id for m in await uow.memberships.of_collective(collective.id)}
    chosen = {p for p in person_ids if p in members}
    r = uow.repo(MeetingRepo)
    known = {p.person_id: p for p in await r.participants(meeting.id)}
    for person_id in chosen | set(known):
        participant = known.get(person_id)
        if participant is None:
            participant = MeetingParticipant(meeting_id=meeting.id, person_id=person_id)
            r.add(participant)
        participant.attended = person_id in chosen
    await r.flush()
    return len(chosen)


async def add_decision(
    uow: UnitOfWork,
    meeting: Meeting,
    collective: Collective,
    actor: Person,
    text: str,
    now: datetime,
    *,
    vote_id: int | None = None,
    vote_title: str | None = None,
) -> Decision:
    """A décision of the meeting; `vote_id` names the vote it comes from, when there was one
    (chosen in /cr among the collective's votes)."""
    await require_role(uow, collective, actor, ANIMATORS)
    decision = Decision(
        collective_id=collective.id,
        meeting_id=meeting.id,
        text=text,
        vote_id=vote_id,
        created_by=actor.id,
        created_at=now,
    )
    repo(uow).add(decision)
    await repo(uow).flush()
    await journal.record(
        uow,
        collective.id,
        "decision_recorded",
        now,
        actor_id=actor.id,
        data={
            "meeting_id": meeting.id,
            "title": meeting.title,
            "text": text[:200],
            "vote_id": vote_id,
            "vote_title": vote_title[:120] if vote_title else None,
        },
    )
    await toolbox.index_decision(uow, decision)
    return decision


async def check_porteur(uow: UnitOfWork, collective: Collective, person_id: int) -> Person:
    """A porteur is an active member; someone who left cannot carry an action."""
    person = await uow.people.get(person_id)
    member = await uow.memberships.get(collective.id, person_id) if person is not None else None
    if person is None or member is None or member.status != MembershipStatus.ACTIVE:
        raise Refusal("porteur_gone")
    return person


def local_today(collective: Collective, now: datetime) -> date:
    return now.astimezone(meetings_svc.zone(collective)).date()


async def add_action(
    uow: UnitOfWork,
    collective: Collective,
    actor: Person,
    *,
    meeting: Meeting | None,
    text: str,
    porteur_id: int,
    due_on: date,
    levier: str,
    now: datetime,
) -> RoadmapAction:
    await require_role(uow, collective, actor, ANIMATORS)
    porteur = await check_porteur(uow, collective, porteur_id)
    if levier not in leviers():
        raise Refusal("stale_button")
    action = RoadmapAction(
        collective_id=collective.id,
        meeting_id=meeting.id if meeting is not None else None,
        text=text,
        porteur_id=porteur.id,
        due_on=due_on,
        levier=levier,
        status="open",
        created_by=actor.id,
        created_at=now,
    )
    repo(uow).add(action)
    await repo(uow).flush()
    await journal.record(
        uow,
        collective.id,
        "action_created",
        now,
        actor_id=actor.id,
        subject_id=porteur.id,
        data={
            "action_id": action.id,
            "text": text[:200],
            "due_on": due_on.isoformat(),
            "due": format_date(
                due_on,
                ("'1er'" if due_on.day == 1 and collective.language == "fr" else "d") + " MMMM y",
                locale=collective.language,
            ),
            "levier": levier,
        },
    )
    tz = meetings_svc.zone(collective)
    remind = meetings_svc.at_local(due_on - SOON, REMIND_AT.hour, REMIND_AT.minute, tz)
    if remind > now:
        await uow.due.schedule(
            key=f"action:{action.id}:soon:{due_on.isoformat()}",
            kind=ACTION_SOON,
            due_at=remind,
            now=now,
            collective_id=collective.id,
            payload={"action_id": action.id},
        )
    await schedule_weekly(uow, collective, now)
    await toolbox.index_action(uow, action)
    return action


def next_monday(collective: Collective, now: datetime) -> datetime:
    """Monday 9 h, local time, strictly after now."""
    tz = meetings_svc.zone(collective)
    today = now.astimezone(tz).date()
    day = today + timedelta(days=(7 - today.weekday()) % 7)
    moment = meetings_svc.at_local(day, REMIND_AT.hour, REMIND_AT.minute, tz)
    if moment <= now:
        moment = meetings_svc.at_local(
            day + timedelta(days=7), REMIND_AT.hour, REMIND_AT.minute, tz
        )
    return moment


async def schedule_weekly(uow: UnitOfWork, collective: Collective, now: datetime) -> None:
    """The weekly reminder of overdue actions, once per week (its key is the week's Monday)."""
    at = next_monday(collective, now)
    await uow.due.schedule(
        key=f"actions:{collective.id}:weekly:{at.date().isoformat()}",
        kind=ACTIONS_WEEKLY,
        due_at=at,
        now=now,
        collective_id=collective.id,
        payload={},
    )


async def find_action(uow: UnitOfWork, action_id: int) -> tuple[RoadmapAction, Collective]:
    action = await repo(uow).action(action_id)
    collective = await uow.collectives.get(action.collective_id) if action is not None else None
    if action is None or collective is None:
        raise Refusal("stale_button")
    return action, collective


async def can_mark(
    uow: UnitOfWork, action: RoadmapAction, collective: Collective, person: Person
) -> bool:
    member = await require_role(uow, collective, person, READERS)
    return member.role == Role.ANIMATEUR or action.porteur_id == person.id


async def mark_done(
    uow: UnitOfWork, action_id: int, person: Person, now: datetime
) -> tuple[RoadmapAction, Collective]:
    """The porteur or the animation team marks an action done."""
    action, collective = await find_action(uow, action_id)
    if not await can_mark(uow, action, collective, person):
        raise Refusal("action_not_yours")
    if action.status == "done":
        raise Refusal("action_done_already")
    action.status, action.done_at, action.done_by = "done", now, person.id
    await journal.record(
        uow,
        collective.id,
        "action_done",
        now,
        actor_id=person.id,
        subject_id=action.porteur_id,
        data={"action_id": action.id, "text": action.text[:200]},
    )
    return action, collective


# --- the feuille de route


@dataclass(frozen=True)
class ActionLine:
    action: RoadmapAction
    porteur: str
    levier: str
    overdue: bool
    mine: bool

    @property
    def size(self) -> int:
        return 40 + len(self.action.text) + len(self.porteur)


@dataclass(frozen=True)
class Roadmap:
    collective: Collective
    lines: list[ActionLine]  # open actions
    done: int
    overdue: int
    animator: bool
    today: date


async def roadmap(
    uow: UnitOfWork, collective: Collective, reader: Person, now: datetime, lang: str, *, by: str
) -> Roadmap:
    """Open actions, by levier (the guide's order) or by porteur; overdue ones marked."""
    member = await require_role(uow, collective, reader, READERS)
    actions = await repo(uow).actions(collective.id)
    people = await uow.people.many([a.porteur_id for a in actions if a.porteur_id is not None])
    today = local_today(collective, now)
    names = {code: lev.label(lang) for code, lev in leviers().items()}
    order = {code: i for i, code in enumerate(leviers())}
    lines = [
        ActionLine(
            a,
            people[a.porteur_id].display_name if a.porteur_id in people else "—",
            names.get(a.levier, a.levier),
            a.due_on < today,
            a.porteur_id == reader.id,
        )
        for a in actions
        if a.status == "open"
    ]
    if by == "porteur":
        lines.sort(key=lambda x: (x.porteur.casefold(), x.action.due_on, x.action.id))
    else:
        lines.sort(key=lambda x: (order.get(x.action.levier, 99), x.action.due_on, x.action.id))
    return Roadmap(
        collective,
        lines,
        len([a for a in actions if a.status == "done"]),
        len([line for line in lines if line.overdue]),
        member.role == Role.ANIMATEUR,
        today,
    )


async def markable(uow: UnitOfWork, collective: Collective, person: Person) -> list[RoadmapAction]:
    """The open actions the person may mark done: theirs, or all for the animation team."""
    member = await require_role(uow, collective, person, READERS)
    actions = await repo(uow).actions(collective.id, status="open")
    if member.role == Role.ANIMATEUR:
        return actions
    return [a for a in actions if a.porteur_id == person.id]


# --- exports


def _status(meeting: Meeting, now: datetime | None) -> str:
    if meeting.status != "scheduled":
        return str(meeting.status)
    over = (
        now is not None and meeting.starts_at + timedelta(minutes=meeting.duration_minutes) <= now
    )
    return "held" if meeting.minutes_at is not None or over else "scheduled"


def _local(moment: datetime | None, collective: Collective) -> datetime | None:
    return moment.astimezone(meetings_svc.zone(collective)) if moment is not None else None


async def meetings_csv(
    uow: UnitOfWork, collective: Collective, actor: Person, lang: str, now: datetime | None = None
) -> bytes:
    """reunions.csv: every meeting, with its answers and who attended."""
    await require_role(uow, collective, actor, ANIMATORS)
    return csv_bytes(*await meetings_table(uow, collective, lang, now))


async def meetings_table(
    uow: UnitOfWork, collective: Collective, lang: str, now: datetime | None = None
) -> tuple[list[str], list[list[Cell]]]:
    """The table of reunions.csv (and of the export archive): header and rows. A meeting
    still « prévue » that has its minutes, or is over at `now`, reads « tenue »."""
    mr = uow.repo(MeetingRepo)
    decisions = await repo(uow).decision_counts(collective.id)
    rows: list[list[Cell]] = []
    for meeting in await mr.all_of(collective.id):
        participants = await mr.participants(meeting.id)
        people = await uow.people.many([p.person_id for p in participants])

        def named(ids: Sequence[int], people: dict[int, Person] = people) -> str:
            return ", ".join(people[i].display_name for i in ids if i in people)

        counts = {a: len([p for p in participants if p.answer == a]) for a in meetings_svc.ANSWERS}
        attended = [p.person_id for p in participants if p.attended]
        agenda = [i.text for i in await mr.agenda(meeting.id, ("accepted",))]
        rows.append(
            [
                _local(meeting.starts_at, collective),
                meeting.duration_minutes,
                caption(f"meetings/kind_{meeting.kind}", lang),
                meeting.title,
                meeting.place,
                meeting.visio_url,
                caption(f"meetings/status_{_status(meeting, now)}", lang),
                " ; ".join(agenda),
                counts["yes"],
                counts["maybe"],
                counts["no"],
                named([p.person_id for p in participants if p.answer == "yes"]),
                len(attended) if meeting.minutes_at else None,
                named(attended),
                decisions.get(meeting.id, 0),
                meeting.minutes_at is not None,
            ]
        )
    header = caption("meetings/csv_meetings", lang).split("|")
    return header, rows


async def actions_csv(
    uow: UnitOfWork, collective: Collective, actor: Person, now: datetime, lang: str
) -> bytes:
    """actions.csv: the whole feuille de route, done actions included."""
    await require_role(uow, collective, actor, ANIMATORS)
    return csv_bytes(*await actions_table(uow, collective, now, lang))


async def actions_table(
    uow: UnitOfWork, collective: Collective, now: datetime, lang: str
) -> tuple[list[str], list[list[Cell]]]:
    """The table of actions.csv (and of the export archive): header and rows."""
    actions = await repo(uow).actions(collective.id)
    ids = [i for a in actions for i in (a.porteur_id, a.done_by) if i is not None]
    people = await uow.people.many(ids)
    members = {m.person_id: m for m in await uow.memberships.of_collective(collective.id)}
    mr = uow.repo(MeetingRepo)
    titles: dict[int, str] = {}
    for a in actions:
        if a.meeting_id is not None and a.meeting_id not in titles:
            meeting = await mr.get(a.meeting_id)
            titles[a.meeting_id] = meeting.title if meeting is not None else ""
    today = local_today(collective, now)
    names = {code: lev.label(lang) for code, lev in leviers().items()}
    rows: list[list[Cell]] = [
        [
            a.text,
            names.get(a.levier, a.levier),
            people[a.porteur_id].display_name if a.porteur_id in people else None,
            members[a.porteur_id].organisation if a.porteur_id in members else None,
            a.due_on,
            caption(f"meetings/action_{a.status}", lang),
            a.status == "open" and a.due_on < today,
            _local(a.done_at, collective),
            titles.get(a.meeting_id) if a.meeting_id is not None else None,
        ]
        for a in actions
    ]
    header = caption("meetings/csv_actions", lang).split("|")
    return header, rows
