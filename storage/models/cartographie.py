"""The cartographie: actors imported from a spreadsheet (most without Telegram), what they need
and offer, pending imports waiting for the animator's confirmation, and introductions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base


class Actor(Base):
    """An actor of the territory the animation team imported. The same actor is the same
    organisation (case and accents folded) in the same commune: `key` holds both, folded."""

    __tablename__ = "actors"
    __table_args__ = (UniqueConstraint("collective_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(330))
    organisation: Mapped[str] = mapped_column(String(200))
    famille: Mapped[str] = mapped_column(String(40))
    famille_ess: Mapped[bool] = mapped_column(Boolean)
    commune: Mapped[str | None] = mapped_column(String(120))
    # Personal data (a name, an e-mail, a phone): given to the animation team only.
    contact: Mapped[str | None] = mapped_column(String(200))
    # The secret of the invitation link (`/start ia<token>`), once the team made one.
    invite_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The membership that claimed this entry through the invitation.
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL")
    )
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    maillon_links: Mapped[list[ActorMaillon]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    wants: Mapped[list[ActorWant]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ActorWant.id"
    )

    @property
    def maillon_ids(self) -> list[int]:
        return [link.maillon_id for link in self.maillon_links]


class ActorMaillon(Base):
    __tablename__ = "actor_maillons"

    actor_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
    maillon_id: Mapped[int] = mapped_column(
        ForeignKey("maillons.id", ondelete="CASCADE"), primary_key=True
    )


class ActorWant(Base):
    """A need or an offer the team recorded for an imported actor, in the categories of
    `content/categories.toml`, with its « précisez »."""

    __tablename__ = "actor_wants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(5))  # need, offer
    category: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(300))


class ActorImport(Base):
    """A spreadsheet read and previewed, waiting for « Importer » (or cancelled, or done)."""

    __tablename__ = "actor_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(String(200))
    # {"items": [...]}: the rows understood, ready to write; the rows with problems, with
    # their reason.
    rows: Mapped[dict[str, Any]] = mapped_column(default=dict)
    problems: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, done, cancelled
    created_at: Mapped[datetime]


class Introduction(Base):
    """Two actors the animation team put in touch. Each side is `member:<membership id>` or
    `actor:<actor id>`, as the matching names them."""

    __tablename__ = "introductions"
    __table_args__ = (Index("ix_introductions_collective_id", "collective_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    introduced_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    needing: Mapped[str] = mapped_column(String(30))
    offering: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
