"""The comités feature's questions in private, declared on the conversation engine:
/comite (a date, or a sondage de date), changing a meeting's date or place, answering a
sondage de date, /odj, /cr and /rappels.

Dates go through the platform's French parser; a meeting's date is shown back in words to
confirm. Every answer is stored as it is given, and each answer re-checks the person's right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.catalog import leviers
from bot.conversation import NO, Flow, Kind, Option, SentFile, Step, StepContext
from bot.dates import DateParseError, parse_datetime
from bot.domain import ANIMATORS, READERS
from bot.services import date_polls, journal, roadmap, votes
from bot.services import meetings as svc
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.services.typed import clean_text
from bot.texts import caption, format_on, format_when
from bot.textsafety import shorten
from storage.models import (
    Collective,
    Conversation,
    DatePoll,
    DatePollSlot,
    Meeting,
    MeetingParticipant,
    Membership,
)
from storage.repos.meetings import MeetingRepo
from storage.uow import UnitOfWork

NEW, MOVE, PLACE, POLL_ANSWER, AGENDA, MINUTES, REMINDERS = (
    "meeting_new",
    "meeting_move",
    "meeting_place",
    "date_poll_answer",
    "meeting_agenda",
    "meeting_minutes",
    "meeting_reminders",
)
DURATIONS = ("60", "90", "120", "180", "240", "420")
TITLE_LIMIT, ITEM_LIMIT, PLACE_LIMIT, URL_LIMIT = 120, 200, 300, 500
AGENDA_LINES = 10
DECISION_LIMIT, ACTION_LIMIT = 1000, 500
# Buttons of members to pick (attendance, porteur): Telegram shows about a hundred at most.
MAX_PEOPLE = 90
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


# --- subjects


@dataclass
class MeetingSubject:
    meeting: Meeting
    collective: Collective
    members: list[Membership] = field(default_factory=list)
    participants: dict[int, MeetingParticipant] = field(default_factory=dict)
    # The collective's recent votes, that a décision of /cr may come from.
    votes: list[votes.VoteSummary] = field(default_factory=list)


@dataclass
class PollSubject:
    poll: DatePoll
    collective: Collective
    slots: list[DatePollSlot]
    answers: dict[int, str]


@dataclass
class AgendaSubject:
    collective: Collective
    meetings: list[Meeting]


@dataclass
class RemindersSubject:
    collective: Collective
    codes: list[str]


def collective_of(ctx: StepContext) -> Collective:
    subject = ctx.subject
    return subject if isinstance(subject, Collective) else subject.collective


# --- typed answers


def when_text(moment: datetime, ctx: StepContext) -> str:
    return format_when(moment, collective_of(ctx).timezone, ctx.lang, now=ctx.now)


def parse_moment(ctx: StepContext, text: str, *, with_time: bool = True) -> datetime:
    """A date (and time) typed in French, in the collective's timezone, in the future."""
    collective = collective_of(ctx)
    shown = text if len(text) <= 80 else text[:79] + "…"
    try:
        parsed = parse_datetime(text, now=ctx.now, tz=collective.timezone, lang=ctx.lang)
    except DateParseError as error:
        details: dict[str, Any] = {k: v for k, v in error.details.items() if k != "text"}
        raise Refusal(
            "date", error=error.code, text=shown, date_only=not with_time, **details
        ) from None
    if with_time and not parsed.has_time:
        raise Refusal("date_needs_time", text=shown)
    if with_time and parsed.value <= ctx.now:
        raise Refusal("date_past", when=when_text(parsed.value, ctx))
    return parsed.value


def parse_when(ctx: StepContext, text: str) -> str:
    return parse_moment(ctx, text).isoformat()


def parse_day(ctx: StepContext, text: str) -> str:
    """An échéance: a day, today or later."""
    moment = parse_moment(ctx, text, with_time=False)
    day = moment.astimezone(svc.zone(collective_of(ctx))).date()
    if day < roadmap.local_today(collective_of(ctx), ctx.now):
        raise Refusal("day_past", day=day)
    return day.isoformat()


def parse_place(ctx: StepContext, text: str) -> dict[str, str | None]:
    """An address, a visio link, or both (one per line)."""
    links = _URL.findall(text)
    if len(links) > 1:
        raise Refusal("place_two_links")
    address = _URL.sub(" ", text)
    address = " ".join(address.split()).strip(" ,;:-")
    visio = links[0].rstrip(".,;)") if links else None
    if visio is not None and len(visio) > URL_LIMIT:
        raise Refusal("too_long", field="visio", limit=URL_LIMIT, length=len(visio))
    place = clean_text(address, field="place", limit=PLACE_LIMIT) if address else None
    if place is None and visio is None:
        raise Refusal("empty_answer", field="place")
    return {"place": place, "visio": visio}


def parse_agenda(ctx: StepContext, text: str) -> list[str]:
    lines = [line.strip(" •-*\t") for line in text.splitlines()]
    items = [
        clean_text(line, field="agenda", limit=ITEM_LIMIT) for line in lines if line.strip(" •-*\t")
    ]
    if not items:
        raise Refusal("empty_answer", field="agenda")
    if len(items) > AGENDA_LINES:
        raise Refusal("agenda_full", limit=AGENDA_LINES)
    return items


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


# --- steps shared by the flows


def _kind_options(ctx: StepContext) -> list[Option]:
    return [Option(kind, caption(f"meetings/kind_{kind}", ctx.lang)) for kind in svc.KINDS]


def _duration_options(ctx: StepContext) -> list[Option]:
    return [Option(d, caption("meetings/duration", ctx.lang, minutes=int(d))) for d in DURATIONS]


async def _remember(ctx: StepContext, **values: Any) -> None:
    ctx.remember(**values)


async def _save_when(ctx: StepContext, value: str) -> None:
    ctx.remember(starts_at=value, when_rejected=False)


async def _save_when_ok(ctx: StepContext, value: str) -> None:
    ctx.remember(when_rejected=value == NO)


def _when_params(ctx: StepContext) -> dict[str, Any]:
    params: dict[str, Any] = {
        "c": collective_of(ctx),
        "when": None,
        "meeting": None,
        "current": None,
    }
    if ctx.data.get("starts_at"):
        params["when"] = when_text(_moment(ctx.data["starts_at"]), ctx)
    subject = ctx.subject
    if isinstance(subject, MeetingSubject):
        params["meeting"] = subject.meeting
        params["current"] = when_text(subject.meeting.starts_at, ctx)
    return params


WHEN = Step(
    "when", Kind.TEXT, "meetings/ask_when", _save_when, params=_when_params, parse=parse_when
)
WHEN_OK = Step(
    "when_ok",
    Kind.YESNO,
    "meetings/confirm_when",
    _save_when_ok,
    params=_when_params,
    options=lambda ctx: [
        Option("1", caption("meetings/when_right", ctx.lang)),
        Option(NO, caption("meetings/when_wrong", ctx.lang)),
    ],
    goto=lambda ctx: "when" if ctx.data.get("when_rejected") else None,
    back=False,
)


async def _save_place(ctx: StepContext, value: dict[str, str | None]) -> None:
    ctx.remember(place=value["place"], visio=value["visio"])


def _place_params(ctx: StepContext) -> dict[str, Any]:
    subject = ctx.subject
    return {
        "c": collective_of(ctx),
        "meeting": subject.meeting if isinstance(subject, MeetingSubject) else None,
    }


PLACE_STEP = Step(
    "place", Kind.TEXT, "meetings/ask_place", _save_place, params=_place_params, parse=parse_place
)


# --- /comite: a meeting on a date (once or repeated), or a sondage de date


async def _load_collective(uow: UnitOfWork, conversation: Conversation) -> Collective | None:
    if conversation.collective_id is None:
        return None
    return await uow.collectives.get(conversation.collective_id)


async def _guard_animator(ctx: StepContext) -> None:
    await require_role(ctx.uow, collective_of(ctx), ctx.person, ANIMATORS)


def _new_params(ctx: StepContext) -> dict[str, Any]:
    params = _when_params(ctx)
    params["mode"] = ctx.data.get("mode")
    params["slots"] = [when_text(_moment(s), ctx) for s in ctx.data.get("slots", [])]
    kind = ctx.data.get("kind")
    params["kind"] = caption(f"meetings/kind_{kind}", ctx.lang) if kind else None
    return params


async def _suggest_title(ctx: StepContext) -> str | None:
    kind = ctx.data.get("kind")
    return caption(f"meetings/kind_{kind}", ctx.lang) if kind and kind != "autre" else None


def _repeat_options(ctx: StepContext) -> list[Option]:
    start = _moment(ctx.data["starts_at"])
    tz = svc.zone(collective_of(ctx))
    weekday = start.astimezone(tz).weekday()
    return [
        Option(choice, caption("meetings/repeat", ctx.lang, choice=choice, weekday=weekday))
        for choice in svc.repeat_choices(start, tz)
    ]


def _slot_step(number: int) -> Step:
    async def save(ctx: StepContext, value: str) -> None:
        slots = list(ctx.data.get("slots", []))[: number - 1]
        if value in slots:
            raise Refusal("slot_twice", when=when_text(_moment(value), ctx))
        ctx.remember(slots=[*slots, value])

    def params(ctx: StepContext) -> dict[str, Any]:
        shown = _new_params(ctx)
        shown["slots"] = shown["slots"][: number - 1]
        shown.update(number=number, most=date_polls.MAX_SLOTS, least=date_polls.MIN_SLOTS)
        return shown

    return Step(
        f"slot{number}",
        Kind.TEXT,
        "meetings/ask_slot",
        save,
        params=params,
        parse=parse_when,
        optional=number > date_polls.MIN_SLOTS,
        skip_caption="meetings/slots_done",
    )


MODE = Step(
    "mode",
    Kind.CHOICE,
    "meetings/ask_mode",
    lambda ctx, v: _remember(ctx, mode=v),
    params=_new_params,
    options=lambda ctx: [
        Option("date", caption("meetings/mode_date", ctx.lang)),
        Option("poll", caption("meetings/mode_poll", ctx.lang)),
    ],
)
KIND = Step(
    "kind",
    Kind.CHOICE,
    "meetings/ask_kind",
    lambda ctx, v: _remember(ctx, kind=v),
    params=_new_params,
    options=_kind_options,
)
TITLE = Step(
    "title",
    Kind.TEXT,
    "meetings/ask_title",
    lambda ctx, v: _remember(ctx, title=v),
    params=_new_params,
    parse=lambda ctx, text: clean_text(text, field="title", limit=TITLE_LIMIT),
    suggest=_suggest_title,
)
REPEAT = Step(
    "repeat",
    Kind.CHOICE,
    "meetings/ask_repeat",
    lambda ctx, v: _remember(ctx, repeat=v),
    params=_new_params,
    options=_repeat_options,
)
DURATION = Step(
    "duration",
    Kind.CHOICE,
    "meetings/ask_duration",
    lambda ctx, v: _remember(ctx, duration=int(v)),
    params=_new_params,
    options=_duration_options,
)
AGENDA_STEP = Step(
    "agenda",
    Kind.TEXT,
    "meetings/ask_agenda",
    lambda ctx, v: _remember(ctx, agenda=v),
    params=_new_params,
    parse=parse_agenda,
    optional=True,
    skip_caption="meetings/agenda_skip",
)


def _new_steps(ctx: StepContext) -> list[Step]:
    steps = [MODE, KIND, TITLE]
    if ctx.data.get("mode") == "poll":
        count = len(ctx.data.get("slots", []))
        steps += [_slot_step(n) for n in range(1, min(count + 1, date_polls.MAX_SLOTS) + 1)]
    else:
        steps += [WHEN, WHEN_OK, REPEAT]
    return [*steps, DURATION, PLACE_STEP, AGENDA_STEP]


def draft_of(data: dict[str, Any], starts_at: datetime) -> svc.Draft:
    return svc.Draft(
        kind=str(data["kind"]),
        title=str(data["title"]),
        starts_at=starts_at,
        duration_minutes=int(data["duration"]),
        place=data.get("place"),
        visio_url=data.get("visio"),
        agenda=list(data.get("agenda") or []),
    )


async def _complete_new(ctx: StepContext) -> None:
    collective: Collective = ctx.subject
    data = ctx.data
    if data.get("mode") == "poll":
        slots = [_moment(s) for s in data.get("slots", [])]
        poll = await date_polls.open_poll(
            ctx.uow, collective, ctx.person, draft_of(data, min(slots)), slots, ctx.now
        )
        ctx.remember(poll_id=poll.id)
        return
    meeting = await svc.schedule(
        ctx.uow,
        collective,
        ctx.person,
        draft_of(data, _moment(data["starts_at"])),
        ctx.now,
        repeat=str(data.get("repeat") or "once"),
    )
    ctx.remember(meeting_id=meeting.id)


NEW_FLOW = Flow(
    name=NEW,
    make_steps=_new_steps,
    load=_load_collective,
    guard=_guard_animator,
    complete=_complete_new,
    title=lambda ctx: caption("meetings/flow_new", ctx.lang, c=collective_of(ctx).title),
)


# --- changing a meeting's date or place


async def _load_meeting(uow: UnitOfWork, conversation: Conversation) -> MeetingSubject | None:
    if conversation.subject_id is None:
        return None
    meeting = await uow.repo(MeetingRepo).get(conversation.subject_id)
    if meeting is None:
        return None
    collective = await uow.collectives.get(meeting.collective_id)
    return MeetingSubject(meeting, collective) if collective is not None else None


async def _guard_change(ctx: StepContext) -> None:
    subject: MeetingSubject = ctx.subject
    await svc.check_animator(ctx.uow, subject.meeting, subject.collective, ctx.person, ctx.now)


async def _complete_move(ctx: StepContext) -> None:
    subject: MeetingSubject = ctx.subject
    before = await svc.move(
        ctx.uow,
        subject.meeting,
        subject.collective,
        ctx.person,
        _moment(ctx.data["starts_at"]),
        ctx.now,
    )
    ctx.remember(before=before)


async def _complete_place(ctx: StepContext) -> None:
    subject: MeetingSubject = ctx.subject
    ctx.remember(before=subject.meeting.place or subject.meeting.visio_url or "")
    await svc.change_place(
        ctx.uow,
        subject.meeting,
        subject.collective,
        ctx.person,
        ctx.data.get("place"),
        ctx.data.get("visio"),
        ctx.now,
    )


MOVE_FLOW = Flow(
    name=MOVE,
    steps=(WHEN, WHEN_OK),
    load=_load_meeting,
    guard=_guard_change,
    complete=_complete_move,
    title=lambda ctx: ctx.subject.meeting.title,
)
PLACE_FLOW = Flow(
    name=PLACE,
    steps=(PLACE_STEP,),
    load=_load_meeting,
    guard=_guard_change,
    complete=_complete_place,
    title=lambda ctx: ctx.subject.meeting.title,
)


# --- answering a sondage de date


async def _load_poll(uow: UnitOfWork, conversation: Conversation) -> PollSubject | None:
    if conversation.subject_id is None:
        return None
    poll = await date_polls.repo(uow).get(conversation.subject_id)
    if poll is None:
        return None
    collective = await uow.collectives.get(poll.collective_id)
    if collective is None:
        return None
    slots = await date_polls.repo(uow).slots(poll.id)
    person = await uow.people.get(conversation.person_id)
    answers = await date_polls.answers_of(uow, poll, person) if person is not None else {}
    return PollSubject(poll, collective, slots, answers)


async def _guard_poll(ctx: StepContext) -> None:
    subject: PollSubject = ctx.subject
    await date_polls.check_can_answer(ctx.uow, subject.poll, subject.collective, ctx.person)


def _poll_steps(ctx: StepContext) -> list[Step]:
    subject: PollSubject = ctx.subject
    total = len(subject.slots)

    def step(number: int, slot: DatePollSlot) -> Step:
        async def save(ctx: StepContext, value: str) -> None:
            await date_polls.answer(
                ctx.uow, subject.poll, subject.collective, ctx.person, slot.id, value, ctx.now
            )

        return Step(
            f"s{slot.id}",
            Kind.CHOICE,
            "meetings/poll_ask",
            save,
            params=lambda ctx: {
                "poll": subject.poll,
                "when": when_text(slot.starts_at, ctx),
                "number": number,
                "total": total,
                "current": subject.answers.get(slot.id),
            },
            options=lambda ctx: [
                Option(value, caption(f"meetings/poll_{value}", ctx.lang))
                for value in date_polls.POLL_ANSWERS
            ],
        )

    return [step(n, slot) for n, slot in enumerate(subject.slots, start=1)]


async def _complete_poll(ctx: StepContext) -> None:
    subject: PollSubject = ctx.subject
    await date_polls.answered(ctx.uow, subject.poll, subject.collective, ctx.person, ctx.now)


POLL_FLOW = Flow(
    name=POLL_ANSWER,
    make_steps=_poll_steps,
    load=_load_poll,
    guard=_guard_poll,
    complete=_complete_poll,
    title=lambda ctx: ctx.subject.poll.title,
)


# --- /odj: propose a point for the ordre du jour


async def _load_agenda(uow: UnitOfWork, conversation: Conversation) -> AgendaSubject | None:
    collective = await _load_collective(uow, conversation)
    if collective is None:
        return None
    r = uow.repo(MeetingRepo)
    meetings = [
        m
        for m in [await r.get(int(i)) for i in conversation.data.get("choices", [])]
        if m is not None
    ]
    return AgendaSubject(collective, meetings)


async def _guard_member(ctx: StepContext) -> None:
    await require_role(ctx.uow, collective_of(ctx), ctx.person, READERS)


def _meeting_options(ctx: StepContext) -> list[Option]:
    subject: AgendaSubject = ctx.subject
    return [
        Option(
            str(m.id),
            caption(
                "meetings/pick",
                ctx.lang,
                when=svc.short_when(m.starts_at, subject.collective, ctx.lang),
                title=shorten(m.title, 40),
            ),
        )
        for m in subject.meetings
        if m.status == svc.SCHEDULED
    ]


async def _save_agenda_meeting(ctx: StepContext, value: str) -> None:
    ctx.remember(meeting_id=int(value))


def _agenda_params(ctx: StepContext) -> dict[str, Any]:
    subject: AgendaSubject = ctx.subject
    chosen = next((m for m in subject.meetings if m.id == ctx.data.get("meeting_id")), None)
    return {
        "c": subject.collective,
        "meeting": chosen,
        "when": when_text(chosen.starts_at, ctx) if chosen is not None else None,
    }


async def _complete_agenda(ctx: StepContext) -> None:
    subject: AgendaSubject = ctx.subject
    meeting = next((m for m in subject.meetings if m.id == ctx.data.get("meeting_id")), None)
    if meeting is None:
        raise Refusal("stale_button")
    item = await svc.propose(
        ctx.uow, meeting, subject.collective, ctx.person, str(ctx.data["item"]), ctx.now
    )
    ctx.remember(status=item.status)


AGENDA_FLOW = Flow(
    name=AGENDA,
    steps=(
        Step(
            "meeting",
            Kind.CHOICE,
            "meetings/odj_ask_meeting",
            _save_agenda_meeting,
            params=_agenda_params,
            options=_meeting_options,
            applies=lambda ctx: not ctx.data.get("meeting_id") or len(ctx.subject.meetings) > 1,
        ),
        Step(
            "item",
            Kind.TEXT,
            "meetings/odj_ask_item",
            lambda ctx, v: _remember(ctx, item=v),
            params=_agenda_params,
            parse=lambda ctx, text: clean_text(text, field="agenda", limit=ITEM_LIMIT),
        ),
    ),
    load=_load_agenda,
    guard=_guard_member,
    complete=_complete_agenda,
    title=lambda ctx: caption("meetings/flow_odj", ctx.lang, c=collective_of(ctx).title),
)


# --- /cr: minutes, attendance, décisions, actions


async def _load_minutes(uow: UnitOfWork, conversation: Conversation) -> MeetingSubject | None:
    subject = await _load_meeting(uow, conversation)
    if subject is None:
        return None
    subject.members = await uow.memberships.of_collective(subject.collective.id)
    subject.participants = {
        p.person_id: p for p in await uow.repo(MeetingRepo).participants(subject.meeting.id)
    }
    subject.votes = await votes.recent(uow, subject.collective.id, VOTES_OFFERED)
    return subject


async def _guard_minutes(ctx: StepContext) -> None:
    subject: MeetingSubject = ctx.subject
    await roadmap.check_reporter(ctx.uow, subject.meeting, subject.collective, ctx.person, ctx.now)


async def minutes_start(
    uow: UnitOfWork, meeting: Meeting, collective: Collective
) -> dict[str, Any]:
    """What /cr starts from: the members it offers, and what the meeting already has. A new
    report replaces the text (when one is given) and the attendance; its décisions and actions
    are added to the earlier ones."""
    r = roadmap.repo(uow)
    members = await uow.memberships.of_collective(collective.id)
    return {
        "people": people(members),
        "earlier": meeting.minutes_at.isoformat() if meeting.minutes_at else None,
        "decisions_before": len(await r.decisions(meeting.id)),
        "actions_before": len(await r.actions(collective.id, meeting_id=meeting.id)),
    }


def _minutes_params(ctx: StepContext) -> dict[str, Any]:
    subject: MeetingSubject = ctx.subject
    pending = ctx.data.get("pending") or {}
    earlier = ctx.data.get("earlier")
    return {
        "c": subject.collective,
        "meeting": subject.meeting,
        "when": when_text(subject.meeting.starts_at, ctx),
        "earlier": when_text(datetime.fromisoformat(earlier), ctx) if earlier else None,
        "decisions": ctx.data.get("decisions", 0),
        "actions": ctx.data.get("actions", 0),
        "decisions_before": ctx.data.get("decisions_before", 0),
        "actions_before": ctx.data.get("actions_before", 0),
        "action": pending.get("text"),
        "porteur": pending.get("name"),
        "due": format_on(
            date.fromisoformat(str(pending["due"])),
            ctx.lang,
            today=roadmap.local_today(subject.collective, ctx.now),
        )
        if pending.get("due")
        else None,
    }


def member_label(member: Membership) -> str:
    name = member.person.display_name
    return f"{name} · {member.organisation}"[:60] if member.organisation else name[:60]


def people(members: list[Membership]) -> list[list[object]]:
    """The members /cr offers (attendance, porteurs), kept for the whole conversation: someone
    who leaves meanwhile stays on the buttons, and is refused as a porteur with a clear answer."""
    return [[m.person_id, member_label(m)] for m in members[:MAX_PEOPLE]]


def _people_options(ctx: StepContext) -> list[Option]:
    return [Option(str(person_id), str(name)) for person_id, name in ctx.data.get("people", [])]


def _attendance_chosen(ctx: StepContext) -> list[str]:
    subject: MeetingSubject = ctx.subject
    participants = subject.participants
    if any(p.attended is not None for p in participants.values()):
        return [str(i) for i, p in participants.items() if p.attended]
    return [str(i) for i, p in participants.items() if p.answer == "yes"]


async def _save_minutes(ctx: StepContext, value: str | SentFile) -> None:
    await roadmap.set_minutes(ctx.subject.meeting, value, ctx.now)


async def _save_attendance(ctx: StepContext, values: list[str]) -> None:
    subject: MeetingSubject = ctx.subject
    count = await roadmap.set_attendance(
        ctx.uow, subject.meeting, subject.collective, [int(v) for v in values]
    )
    ctx.remember(attended=count)


VOTES_OFFERED = 6


def _decision_steps(number: int) -> list[Step]:
    """A décision's text; then, when the collective has votes, the vote it comes from."""

    async def record(ctx: StepContext, text: str, vote_id: int | None) -> None:
        subject: MeetingSubject = ctx.subject
        vote = next((v for v in subject.votes if v.id == vote_id), None)
        await roadmap.add_decision(
            ctx.uow,
            subject.meeting,
            subject.collective,
            ctx.person,
            text,
            ctx.now,
            vote_id=vote.id if vote else None,
            vote_title=vote.title if vote else None,
        )
        ctx.remember(decisions=number, decision_text=None)

    async def save_text(ctx: StepContext, text: str) -> None:
        if ctx.subject.votes:
            ctx.remember(decision_text=text)
        else:
            await record(ctx, text, None)

    async def save_vote(ctx: StepContext, value: str) -> None:
        vote_id = int(value) if value.isdigit() else -1
        if vote_id and vote_id not in {v.id for v in ctx.subject.votes}:
            raise Refusal("stale_button")
        await record(ctx, str(ctx.data["decision_text"]), vote_id or None)

    def vote_options(ctx: StepContext) -> list[Option]:
        subject: MeetingSubject = ctx.subject
        found = [Option(str(v.id), f"«\u202f{shorten(v.title, 50)}\u202f»") for v in subject.votes]
        return [*found, Option("0", caption("meetings/decision_no_vote", ctx.lang))]

    return [
        Step(
            f"decision{number}",
            Kind.TEXT,
            "meetings/cr_ask_decision",
            save_text,
            params=_minutes_params,
            parse=lambda ctx, text: clean_text(text, field="decision", limit=DECISION_LIMIT),
            optional=True,
            skip_caption="meetings/no_more_decisions",
            back=False,
        ),
        Step(
            f"decision{number}_vote",
            Kind.CHOICE,
            "meetings/cr_ask_decision_vote",
            save_vote,
            params=lambda ctx: {**_minutes_params(ctx), "text": ctx.data.get("decision_text")},
            options=vote_options,
            applies=lambda ctx: (
                ctx.data.get("decision_text") is not None
                and int(ctx.data.get("decisions", 0)) == number - 1
            ),
            back=False,
        ),
    ]


def _action_steps(number: int) -> list[Step]:
    def pending(ctx: StepContext) -> bool:
        return (ctx.data.get("pending") or {}).get("number") == number

    async def save_text(ctx: StepContext, text: str) -> None:
        ctx.remember(pending={"number": number, "text": text})

    async def save_porteur(ctx: StepContext, value: str) -> None:
        person = await roadmap.check_porteur(ctx.uow, collective_of(ctx), int(value))
        ctx.remember(
            pending={**ctx.data["pending"], "porteur": person.id, "name": person.display_name}
        )

    async def save_due(ctx: StepContext, value: str) -> None:
        ctx.remember(pending={**ctx.data["pending"], "due": value})

    async def save_levier(ctx: StepContext, value: str) -> None:
        subject: MeetingSubject = ctx.subject
        draft = ctx.data["pending"]
        await roadmap.add_action(
            ctx.uow,
            subject.collective,
            ctx.person,
            meeting=subject.meeting,
            text=str(draft["text"]),
            porteur_id=int(draft["porteur"]),
            due_on=date.fromisoformat(str(draft["due"])),
            levier=value,
            now=ctx.now,
        )
        ctx.remember(actions=number, pending=None)

    return [
        Step(
            f"action{number}",
            Kind.TEXT,
            "meetings/cr_ask_action",
            save_text,
            params=_minutes_params,
            parse=lambda ctx, text: clean_text(text, field="action", limit=ACTION_LIMIT),
            optional=True,
            skip_caption="meetings/no_more_actions",
            back=False,
        ),
        Step(
            f"porteur{number}",
            Kind.CHOICE,
            "meetings/cr_ask_porteur",
            save_porteur,
            params=_minutes_params,
            options=_people_options,
            applies=pending,
        ),
        Step(
            f"due{number}",
            Kind.TEXT,
            "meetings/cr_ask_due",
            save_due,
            params=_minutes_params,
            parse=parse_day,
            applies=pending,
        ),
        Step(
            f"levier{number}",
            Kind.CHOICE,
            "meetings/cr_ask_levier",
            save_levier,
            params=_minutes_params,
            options=lambda ctx: [
                Option(code, lev.label(ctx.lang)) for code, lev in leviers().items()
            ],
            applies=pending,
        ),
    ]


MINUTES_STEP = Step(
    "minutes",
    Kind.TEXT,
    "meetings/cr_ask_minutes",
    _save_minutes,
    params=_minutes_params,
    parse=lambda ctx, text: clean_text(text, field="minutes", limit=roadmap.MINUTES_LIMIT),
    optional=True,
    skip_caption="meetings/minutes_skip",
    files=True,
)
ATTENDANCE_STEP = Step(
    "attendance",
    Kind.MULTI,
    "meetings/cr_ask_attendance",
    _save_attendance,
    params=_minutes_params,
    options=_people_options,
    chosen=_attendance_chosen,
)


def _minutes_steps(ctx: StepContext) -> list[Step]:
    steps = [MINUTES_STEP, ATTENDANCE_STEP]
    for n in range(1, int(ctx.data.get("decisions", 0)) + 2):
        steps += _decision_steps(n)
    for n in range(1, int(ctx.data.get("actions", 0)) + 2):
        steps += _action_steps(n)
    return steps


async def _complete_minutes(ctx: StepContext) -> None:
    subject: MeetingSubject = ctx.subject
    meeting = subject.meeting
    if meeting.minutes_at is None:
        meeting.minutes_at = ctx.now
    await journal.record(
        ctx.uow,
        subject.collective.id,
        "minutes_recorded",
        ctx.now,
        actor_id=ctx.person.id,
        data={
            "meeting_id": meeting.id,
            "title": meeting.title,
            "when": format_when(
                meeting.starts_at,
                subject.collective.timezone,
                subject.collective.language,
                now=ctx.now,
            ),
            "decisions": int(ctx.data.get("decisions", 0)),
            "actions": int(ctx.data.get("actions", 0)),
            "attended": int(ctx.data.get("attended", 0)),
        },
    )


MINUTES_FLOW = Flow(
    name=MINUTES,
    make_steps=_minutes_steps,
    load=_load_minutes,
    guard=_guard_minutes,
    complete=_complete_minutes,
    title=lambda ctx: caption("meetings/flow_cr", ctx.lang, title=ctx.subject.meeting.title),
)


# --- /rappels: when the collective's meetings are reminded


async def _load_reminders(uow: UnitOfWork, conversation: Conversation) -> RemindersSubject | None:
    collective = await _load_collective(uow, conversation)
    if collective is None:
        return None
    return RemindersSubject(collective, await svc.reminder_codes(uow, collective.id))


async def _save_reminders(ctx: StepContext, values: list[str]) -> None:
    subject: RemindersSubject = ctx.subject
    chosen = await svc.set_reminders(ctx.uow, subject.collective, ctx.person, values, ctx.now)
    ctx.remember(codes=chosen)


REMINDERS_FLOW = Flow(
    name=REMINDERS,
    steps=(
        Step(
            "codes",
            Kind.MULTI,
            "meetings/ask_reminders",
            _save_reminders,
            params=lambda ctx: {"c": ctx.subject.collective},
            options=lambda ctx: [
                Option(code, caption("meetings/reminder", ctx.lang, code=code))
                for code in svc.REMINDER_CHOICES
            ],
            chosen=lambda ctx: list(ctx.subject.codes),
        ),
    ),
    load=_load_reminders,
    guard=_guard_animator,
    title=lambda ctx: caption("meetings/flow_reminders", ctx.lang, c=ctx.subject.collective.title),
)

FLOWS = (NEW_FLOW, MOVE_FLOW, PLACE_FLOW, POLL_FLOW, AGENDA_FLOW, MINUTES_FLOW, REMINDERS_FLOW)
