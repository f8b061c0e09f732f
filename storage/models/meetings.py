"""Comités de filière: meetings and their series, answers (RSVP), agenda items, date polls,
minutes, décisions and the feuille de route's actions, and each collective's reminder settings.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class MeetingSettings(Base):
    """How a collective's meetings are reminded (the defaults apply while there is no row)."""

    __tablename__ = "meeting_settings"

    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), primary_key=True
    )
    # Codes such as "7d", "1d", "2h": days keep the local time, hours are real hours.
    reminders: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class MeetingSeries(Base):
    """A recurring meeting: its occurrences are real meetings, created three months ahead."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    # weekly, biweekly, monthly (the nth weekday of each month; nth -1: the last one)
    rule: Mapped[str] = mapped_column(String(20))
    weekday: Mapped[int]
    nth: Mapped[int] = mapped_column(default=0)
    first_start: Mapped[datetime]
    # The start of the last occurrence created so far.
    generated_until: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int]
    place: Mapped[str | None] = mapped_column(String(300))
    visio_url: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class DatePoll(Base):
    """A sondage de date: members say Oui, Si besoin or Non for each slot; the animator
    picks one, which creates the meeting."""

    __tablename__ = "date_polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int]
    place: Mapped[str | None] = mapped_column(String(300))
    visio_url: Mapped[str | None] = mapped_column(String(500))
    # The first agenda items, given to the meeting once a slot is chosen.
    agenda: Mapped[list[str]] = mapped_column(JSON)
    # open, closed (a slot was chosen)
    status: Mapped[str] = mapped_column(String(10), default="open")
    # No foreign key: slots belong to the poll (a cycle otherwise).
    chosen_slot_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class DatePollSlot(Base):
    __tablename__ = "date_poll_slots"
    __table_args__ = (UniqueConstraint("poll_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("date_polls.id", ondelete="CASCADE"))
    position: Mapped[int]
    starts_at: Mapped[datetime]


class DatePollAnswer(Base):
    __tablename__ = "date_poll_answers"

    slot_id: Mapped[int] = mapped_column(
        ForeignKey("date_poll_slots.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    # yes, maybe (« Si besoin »), no
    answer: Mapped[str] = mapped_column(String(10))
    answered_at: Mapped[datetime]


class Meeting(Base):
    """One meeting (a comité de filière, a groupe de travail…): announced in the group,
    answered, reminded, then reported (/cr)."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("series_id", "original_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_series.id", ondelete="SET NULL"), index=True
    )
    # Where a series put this occurrence first: it is created once, even if moved since.
    original_start: Mapped[datetime | None]
    poll_id: Mapped[int | None] = mapped_column(ForeignKey("date_polls.id", ondelete="SET NULL"))
    # The calendar files' UID: stable for the meeting's whole life.
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    # Goes up at every change: the calendar files' SEQUENCE.
    sequence: Mapped[int] = mapped_column(default=0)
    # Goes up whenever the reminders are planned again: older reminder rows do nothing.
    plan: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int]
    place: Mapped[str | None] = mapped_column(String(300))
    visio_url: Mapped[str | None] = mapped_column(String(500))
    # scheduled, cancelled
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    minutes_text: Mapped[str | None] = mapped_column(Text)
    minutes_file_id: Mapped[str | None] = mapped_column(String(300))
    minutes_file_name: Mapped[str | None] = mapped_column(String(255))
    minutes_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MeetingParticipant(Base):
    """A person and a meeting: their answer, the calendar file they have, whether they came."""

    __tablename__ = "meeting_participants"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # yes (« Je viens »), maybe (« Peut-être »), no (« Je ne viens pas »); None: no answer
    answer: Mapped[str | None] = mapped_column(String(10))
    answered_at: Mapped[datetime | None]
    # The SEQUENCE of the last calendar file they were sent (None: they never added it).
    ics_sequence: Mapped[int | None]
    # Confirmed with the minutes (None: not confirmed yet).
    attended: Mapped[bool | None] = mapped_column(Boolean)


class AgendaItem(Base):
    """A point of the ordre du jour: proposed by a member (/odj), accepted or declined by the
    animation team; the team's own items are accepted at once."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(300))
    # proposed, accepted, declined
    status: Mapped[str] = mapped_column(String(10))
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]


class Decision(Base):
    """A décision recorded with the minutes of a meeting."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(String(1000))
    # The vote the décision comes from, when there was one. No foreign key: the votes
    # feature (issue 10) is built in parallel; it is linked when both are merged.
    vote_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class RoadmapAction(Base):
    """An action of the feuille de route: a porteur, an échéance, a levier of the guide."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(String(500))
    porteur_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    due_on: Mapped[date]
    # A code of content/leviers.toml.
    levier: Mapped[str] = mapped_column(String(30))
    # open, done
    status: Mapped[str] = mapped_column(String(10), default="open")
    done_at: Mapped[datetime | None]
    done_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
