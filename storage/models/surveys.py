"""Needs surveys: the collective's own templates, the surveys launched, and the answers.

Anonymity is in the tables' shape. An anonymous answer is a row with a random id and the
answers only: no member, no time, no order (on SQLite the table has no rowid, so rows are kept
in the order of their random ids). Who has answered is a separate record, with no time either,
used for the reminders and the counter. The answers in progress are the member's conversation
row, deleted when they send.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import StrEnumType


class SurveyStatus(StrEnum):
    DRAFT = "draft"  # being set up by an animator (title, closing, anonymity)
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class SurveyTemplate(Base):
    """A collective's own template: a copy edited in the chat, or an imported XLSForm."""

    __tablename__ = "survey_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]]
    # "copy" (duplicated from another template) or "xlsform" (imported).
    origin: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class Survey(Base):
    """A survey launched in a collective, with the wording frozen at launch."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]]
    # Bumped at every change of the wording (a cache key for the parsed definition).
    revision: Mapped[int] = mapped_column(default=1)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[SurveyStatus] = mapped_column(
        StrEnumType(SurveyStatus), default=SurveyStatus.DRAFT
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # The first answer given by anyone: the wording can no longer be corrected.
    first_answer_at: Mapped[datetime | None]
    # The deep link of « Répondre » (t.me/<bot>?start=…), kept for the group message.
    answer_link: Mapped[str | None] = mapped_column(String(200))
    # Members who could answer, counted when the survey closed (the participation rate).
    members_at_close: Mapped[int | None]


class SurveyResponse(Base):
    """A named survey's answers: one row per member, changed until closing."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("survey_id", "membership_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    answers: Mapped[dict[str, Any]]
    submitted_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AnonymousResponse(Base):
    """An anonymous survey's answers: a random id, the survey, the answers. Nothing else."""

    __tablename__ = "survey_anonymous_responses"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict[str, Any]]


class SurveyParticipant(Base):
    """Who has sent their answers (the counter, the reminders): no time, no link to them."""

    __tablename__ = "survey_participants"
    __table_args__ = {"sqlite_with_rowid": False}

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True, index=True
    )


__all__ = [
    "AnonymousResponse",
    "Survey",
    "SurveyParticipant",
    "SurveyResponse",
    "SurveyStatus",
    "SurveyTemplate",
]
