"""SQLAlchemy 2 typed models: the database is the truth for everything the bot knows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class ProcessedUpdate(Base):
    """Telegram update ids already handled, so a redelivered update has one effect."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class DueWork(Base):
    """Something to do later: a reminder, a closing, a digest. Claimed once, run once."""

    __tablename__ = "due_work"
    __table_args__ = (Index("ix_due_work_pending", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable name ("meeting:12:reminder") so the same work is never scheduled twice.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    collective_id: Mapped[int | None] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    # pending, done, failed (gave up after too many attempts)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    done_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


class Delivery(Base):
    """One message the bot started on its own, and what became of it."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    # sending (committed before the request leaves), sent, uncertain, unreachable,
    # failed, or pending (to be tried again)
    status: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Person(Base):
    """A Telegram user the bot knows."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(5), default="fr")
    # Set when Telegram answers 403: never started the bot, or blocked it.
    unreachable_since: Mapped[datetime | None]
    # The collective private-chat commands concern, when the person has several.
    current_collective_id: Mapped[int | None] = mapped_column(
        ForeignKey("collectives.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class Collective(Base):
    """A filière collective: one Telegram group."""

    __tablename__ = "collectives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_title: Mapped[str] = mapped_column(String(255))
    # Forum topic where the bot posts, when the group is a forum.
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    is_forum: Mapped[bool] = mapped_column(Boolean, default=False)
    slug: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    territoire: Mapped[str | None] = mapped_column(String(200))
    vision: Mapped[str | None] = mapped_column(String(20))  # chaine, ecosysteme
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(5))
    quiet_start: Mapped[int] = mapped_column(default=21 * 60)  # minutes after midnight
    quiet_end: Mapped[int] = mapped_column(default=8 * 60)
    status: Mapped[str] = mapped_column(String(20), default="setup")  # setup, active
    created_at: Mapped[datetime]

    maillons: Mapped[list[Maillon]] = relationship(
        order_by="Maillon.position", cascade="all, delete-orphan", back_populates="collective"
    )

    @property
    def title(self) -> str:
        return self.name or self.chat_title


class Maillon(Base):
    """A stage of the chaîne de valeur, or a theme of the écosystème d'acteurs."""

    __tablename__ = "maillons"
    __table_args__ = (UniqueConstraint("collective_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))

    collective: Mapped[Collective] = relationship(back_populates="maillons")


class Membership(Base):
    """A person in a collective, with a role and a profile."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("collective_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # animateur, membre, observateur
    status: Mapped[str] = mapped_column(String(20))  # onboarding, active, left
    organisation: Mapped[str | None] = mapped_column(String(200))
    famille: Mapped[str | None] = mapped_column(String(40))
    famille_ess: Mapped[bool | None] = mapped_column(Boolean)
    commune: Mapped[str | None] = mapped_column(String(120))
    directory_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(lazy="joined")
    maillon_links: Mapped[list[MembershipMaillon]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def maillon_ids(self) -> list[int]:
        return [link.maillon_id for link in self.maillon_links]


class MembershipMaillon(Base):
    __tablename__ = "membership_maillons"

    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True
    )
    maillon_id: Mapped[int] = mapped_column(
        ForeignKey("maillons.id", ondelete="CASCADE"), primary_key=True
    )


class PendingInput(Base):
    """What the next free-text message of a person in private chat answers (a step of a form)."""

    __tablename__ = "pending_inputs"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    collective_id: Mapped[int | None] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE")
    )
    step: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class JournalEntry(Base):
    """Append-only log of what happened in a collective. Ids only: names are resolved on display."""

    __tablename__ = "journal"
    __table_args__ = (Index("ix_journal_collective_id_id", "collective_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(50))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
