"""The platform's tables: updates, due work, deliveries, people, collectives, members, journal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.domain import (
    CollectiveStatus,
    ConversationEnd,
    ConversationStatus,
    InboxState,
    MembershipStatus,
    Role,
    Vision,
)
from storage.models.base import Base
from storage.types import StrEnumType


class InboxUpdate(Base):
    """Every update Telegram gave us, stored before it is acknowledged, then handled once.

    The update's JSON (people's messages) is kept only until it is handled; then only its id
    and state remain, to recognise a redelivery, and the row goes after Telegram's 24-hour
    window (update ids may restart after a quiet week).
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_waiting", "bot_id", "state", "received_at"),)

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # The chat whose updates must be handled in order (None: an update with no chat).
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[InboxState] = mapped_column(StrEnumType(InboxState), default=InboxState.PENDING)
    payload: Mapped[dict[str, Any] | None]
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]


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


class LiveMessage(Base):
    """A group message the bot keeps up to date (a counter, a live table of answers).

    Edits spend the group's budget of 20 messages a minute: a live message is edited at most
    once a minute, and only when what it shows changed.
    """

    __tablename__ = "live_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    # Which feature's renderer draws it, and about what.
    kind: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    collective_id: Mapped[int | None] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    shown: Mapped[str | None] = mapped_column(String(64))  # digest of what it shows now
    edited_at: Mapped[datetime | None]
    # Changes announced, and the last of them drawn: a refresh is due while touched > drawn.
    touched: Mapped[int] = mapped_column(default=0)
    drawn: Mapped[int] = mapped_column(default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


# How a person who asked to be forgotten is named wherever they appeared.
ERASED_NAME = "membre supprimé"


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
    # Set when the person asked to be forgotten (/oublier): what identified them is gone, the
    # row stays so that the journal and anonymous counts keep their shape.
    erased_at: Mapped[datetime | None]

    @property
    def display_name(self) -> str:
        if self.erased_at is not None:
            return ERASED_NAME
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
    vision: Mapped[Vision | None] = mapped_column(StrEnumType(Vision))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(5))
    quiet_start: Mapped[int] = mapped_column(default=21 * 60)  # minutes after midnight
    quiet_end: Mapped[int] = mapped_column(default=8 * 60)
    status: Mapped[CollectiveStatus] = mapped_column(
        StrEnumType(CollectiveStatus), default=CollectiveStatus.SETUP
    )
    # The secret part of the join link (`/start j<token>`): ids are guessable, this is not.
    join_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    # Greet people who arrive in the Telegram group (with the button to join the collective).
    greet_newcomers: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
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
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    status: Mapped[MembershipStatus] = mapped_column(StrEnumType(MembershipStatus))
    organisation: Mapped[str | None] = mapped_column(String(200))
    famille: Mapped[str | None] = mapped_column(String(40))
    famille_ess: Mapped[bool | None] = mapped_column(Boolean)
    commune: Mapped[str | None] = mapped_column(String(120))
    directory_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Meeting reminders in private (the comités feature); muted from /moi.
    meeting_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
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


class Conversation(Base):
    """A private conversation with one person: which flow, which step, what is kept meanwhile.

    A person has at most one active conversation; starting another parks it. Every question
    bumps `seq`, and its buttons carry it, so a button of an earlier question is stale. Ids
    are never used again (AUTOINCREMENT on SQLite, a sequence on PostgreSQL): a button of an
    ended conversation never reaches a later one.
    """

    __tablename__ = "conversations"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    flow: Mapped[str] = mapped_column(String(40))
    collective_id: Mapped[int | None] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE")
    )
    # What the flow is about, when it is not the collective itself (a membership, a survey).
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    step: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(default=0)
    status: Mapped[ConversationStatus] = mapped_column(
        StrEnumType(ConversationStatus), default=ConversationStatus.ACTIVE
    )
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class EndedConversation(Base):
    """How a conversation of a flow that asks for it (`Flow.ended`) ended: a button of one of
    its questions, pressed later, then says why it does nothing (« vos réponses sont déjà
    envoyées », « cette enquête est close »). Ids only; kept a while (`bot.conversation.
    ENDED_KEPT`), forgotten with the person."""

    __tablename__ = "ended_conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(Integer, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    how: Mapped[ConversationEnd] = mapped_column(StrEnumType(ConversationEnd))
    ended_at: Mapped[datetime]


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
