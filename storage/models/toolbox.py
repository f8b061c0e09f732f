"""The boîte à outils: resources (links and documents, by levier), the guide's checklist as the
collective ticks it, the collective's moderation setting, and the search index (one normalised
text per searchable row: resources, actors, décisions, actions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class ToolboxSettings(Base):
    """Whether members' resources wait for the animation team (no row: published at once),
    and whether the collective's older rows are in the search index."""

    __tablename__ = "toolbox_settings"

    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), primary_key=True
    )
    moderation: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]
    # When the collective's rows that existed before the search were indexed (None: not yet;
    # done at its first search).
    indexed_at: Mapped[datetime | None]


class Resource(Base):
    """A resource of the boîte à outils: a link or a Telegram document, with a levier."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(1000))
    file_id: Mapped[str | None] = mapped_column(String(300))
    file_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    # A code of content/leviers.toml.
    levier: Mapped[str] = mapped_column(String(30))
    tags: Mapped[list[str]] = mapped_column(JSON)
    # proposed (« proposée », waiting for the team), published, refused
    status: Mapped[str] = mapped_column(String(10))
    # None once the author asked to be forgotten: the resource stays, unsigned.
    added_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]


class ChecklistMark(Base):
    """Where the collective is on one action of the guide (content/toolbox/guide.toml); no
    row: « à faire »."""

    __tablename__ = "checklist_marks"

    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), primary_key=True
    )
    action: Mapped[str] = mapped_column(String(60), primary_key=True)
    # todo, doing, done
    status: Mapped[str] = mapped_column(String(10))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]


class SearchEntry(Base):
    """One searchable row, as normalised words (lowercase, no accents, plurals folded): its
    title (counts more) and the rest of its text. `kind`: resource, actor (a membership),
    decision, action."""

    __tablename__ = "search_index"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int]
    # Words separated by single spaces, with a space before the first and after the last.
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
