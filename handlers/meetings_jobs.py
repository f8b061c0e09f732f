"""The comités feature's due work: announcing an occurrence, creating a series' next
occurrences, the reminders (with the downtime rule), the news of a change or a cancellation
(with the new calendar file), and the ordre du jour's proposals and answers.

Everything goes out through the sender: once per key, whatever restarts; quiet hours, but
never past the meeting's start."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.app import Deps
from bot.domain import MembershipStatus, Role
from bot.due import DueContext, Later
from bot.sender import Outcome, QuietHours, Sender
from bot.services import meetings as svc
from bot.texts import caption, render
from handlers.common import Rows, keyboard
from storage.models import Collective, Meeting


def rsvp_row(lang: str, meeting_id: int, mine: str | None = None, origin: str = "g") -> list[Any]:
    """Je viens, Peut-être, Je ne viens pas (the person's answer ticked)."""
    return [
        (
            ("✅ " if mine == value else "") + caption(f"meetings/ans_{value}", lang),
            ("mv", meeting_id, value, origin),
        )
        for value in svc.ANSWERS
    ]


def not_before_start(collective: Collective, now: datetime, start: datetime) -> datetime | None:
    """When to send instead of now (quiet hours); None: now. Quiet hours never push a message
    past the meeting's start: then it goes at once."""
    morning = QuietHours.of(collective).next_allowed(now)
    if morning is None or morning >= start:
        return None
    return morning


def _later(outcome: Outcome) -> Later | None:
    if outcome.status == "later" and outcome.retry_at is not None:
        return Later(outcome.retry_at)
    return None


async def _meeting(due: DueContext) -> tuple[Meeting, Collective] | None:
    meeting = await svc.repo(due.uow).get(int(due.work.payload["meeting_id"]))
    collective = await due.uow.collectives.get(meeting.collective_id) if meeting else None
    if meeting is None or collective is None:
        return None
    return meeting, collective


async def announce(deps: Deps, due: DueContext) -> object:
    found = await _meeting(due)
    if found is not None:
        await svc.announce(due.uow, *found, due.now)
    return None


async def extend_series(deps: Deps, due: DueContext) -> object:
    series = await svc.repo(due.uow).series(int(due.work.payload["series_id"]))
    collective = await due.uow.collectives.get(series.collective_id) if series else None
    if series is not None and collective is not None:
        await svc.extend_series(due.uow, series, collective, due.now)
    return None


async def reminder(deps: Deps, due: DueContext) -> object:
    """One reminder: to the group, and in private to those who answered Je viens or
    Peut-être (unless they muted them in /moi). After downtime only the latest reminder still
    due is sent, and nothing once the meeting has started."""
    found = await _meeting(due)
    if found is None:
        return None
    meeting, collective = found
    now = due.now
    if not svc.reminder_due(meeting, due.work.payload, now):
        return None
    morning = not_before_start(collective, now, meeting.starts_at)
    if morning is not None:
        return Later(morning)
    card = await svc.card(due.uow, meeting, collective)
    sender = Sender(due.bot, due.uow, now)
    key = due.work.key
    lang = collective.language
    text = render(
        "meetings/reminder_group",
        lang,
        m=card,
        c=collective,
        soon=svc.relative_when(meeting.starts_at, collective, lang, now),
    )
    rows: Rows = [rsvp_row(lang, meeting.id)]
    later = _later(
        await sender.send(
            f"{key}:group",
            collective.chat_id,
            text,
            urgent=True,
            reply_markup=keyboard(rows),
            thread_id=collective.thread_id,
        )
    )
    if later is not None:
        return later
    for participant, member in await svc.repo(due.uow).members_answering(
        meeting.id, collective.id, svc.COMING
    ):
        person = member.person
        if not member.meeting_reminders or person.unreachable_since is not None:
            continue
        lang = person.language
        text = render(
            "meetings/reminder_private",
            lang,
            m=card,
            c=collective,
            soon=svc.relative_when(meeting.starts_at, collective, lang, now),
            mine=participant.answer,
        )
        markup = keyboard([rsvp_row(lang, meeting.id, participant.answer, "r")])
        later = _later(
            await sender.send(
                f"{key}:p{person.id}", person.telegram_id, text, urgent=True, reply_markup=markup
            )
        )
        if later is not None:
            return later
    return None


async def changed(deps: Deps, due: DueContext) -> object:
    """A meeting moved, changed place or was cancelled: those who added it to their calendar
    get the new file (same UID, higher SEQUENCE, STATUS:CANCELLED when cancelled), those who
    answered Je viens or Peut-être get the news."""
    found = await _meeting(due)
    if found is None:
        return None
    meeting, collective = found
    payload = due.work.payload
    sequence = int(payload["sequence"])
    if meeting.sequence != sequence:
        return None  # changed again since: that change's row says it
    now = due.now
    morning = not_before_start(collective, now, meeting.starts_at)
    if morning is not None:
        return Later(morning)
    card = await svc.card(due.uow, meeting, collective)
    content = await svc.ics_of(due.uow, [meeting], collective, now)
    name = svc.file_name(meeting.title, "ics")
    sender = Sender(due.bot, due.uow, now)
    members = {m.person_id: m for m in await due.uow.memberships.of_collective(collective.id)}
    for participant in await svc.repo(due.uow).participants(meeting.id):
        member = members.get(participant.person_id)
        if member is None:
            continue
        person = member.person
        has_file = participant.ics_sequence is not None
        if not has_file and participant.answer not in svc.COMING:
            continue
        text = render(
            "meetings/change_private",
            person.language,
            m=card,
            c=collective,
            change=payload.get("change"),
            before=payload.get("before") or "",
            ics=has_file,
        )
        outcome = await sender.send(
            f"{due.work.key}:p{person.id}",
            person.telegram_id,
            text,
            urgent=True,
            document=(name, content) if has_file else None,
        )
        later = _later(outcome)
        if later is not None:
            return later
        if has_file and outcome.status in ("sent", "already"):
            participant.ics_sequence = sequence
    return None


async def agenda_proposed(deps: Deps, due: DueContext) -> object:
    """A member proposed a point: each animator gets it with « Accepter » and « Refuser »."""
    item = await svc.repo(due.uow).agenda_item(int(due.work.payload["item_id"]))
    if item is None or item.status != "proposed":
        return None
    meeting = await svc.repo(due.uow).get(item.meeting_id)
    collective = await due.uow.collectives.get(meeting.collective_id) if meeting else None
    if meeting is None or collective is None:
        return None
    author = await due.uow.people.get(item.proposed_by) if item.proposed_by else None
    sender = Sender(due.bot, due.uow, due.now)
    card = await svc.card(due.uow, meeting, collective)
    for member in await due.uow.memberships.of_collective(collective.id):
        if member.role != Role.ANIMATEUR or member.status != MembershipStatus.ACTIVE:
            continue
        person = member.person
        lang = person.language
        text = render(
            "meetings/odj_proposed",
            lang,
            item=item,
            m=card,
            c=collective,
            author=author.display_name if author else "",
        )
        markup = keyboard(
            [
                [
                    (caption("meetings/odj_accept", lang), ("modj", item.id, "ok")),
                    (caption("meetings/odj_decline", lang), ("modj", item.id, "no")),
                ]
            ]
        )
        later = _later(
            await sender.send(
                f"{due.work.key}:{person.id}",
                person.telegram_id,
                text,
                quiet=QuietHours.of(collective),
                reply_markup=markup,
            )
        )
        if later is not None:
            return later
    return None


async def agenda_decided(deps: Deps, due: DueContext) -> object:
    """The author of a proposed point learns whether it is on the ordre du jour."""
    item = await svc.repo(due.uow).agenda_item(int(due.work.payload["item_id"]))
    if item is None or item.proposed_by is None:
        return None
    meeting = await svc.repo(due.uow).get(item.meeting_id)
    collective = await due.uow.collectives.get(meeting.collective_id) if meeting else None
    author = await due.uow.people.get(item.proposed_by)
    if meeting is None or collective is None or author is None:
        return None
    text = render(
        "meetings/odj_result",
        author.language,
        item=item,
        m=await svc.card(due.uow, meeting, collective),
        c=collective,
    )
    outcome = await Sender(due.bot, due.uow, due.now).send(
        due.work.key, author.telegram_id, text, quiet=QuietHours.of(collective)
    )
    return _later(outcome)


DUE: tuple[tuple[str, Any], ...] = (
    (svc.ANNOUNCE, announce),
    (svc.SERIES_EXTEND, extend_series),
    (svc.REMINDER, reminder),
    (svc.CHANGED, changed),
    (svc.AGENDA_PROPOSED, agenda_proposed),
    (svc.AGENDA_DECIDED, agenda_decided),
)
