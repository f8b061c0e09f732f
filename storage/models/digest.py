"""The weekly synthèse: its schedule per collective, its one-time subscription codes, and who
receives it (Telegram chats of the collectivité, e-mail addresses)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class DigestSettings(Base):
    """When the synthèse goes out, in the collective's timezone (default Monday 9:00), and
    what a week with nothing new sends: a short version ("short") or nothing ("none")."""

    __tablename__ = "digest_settings"

    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), primary_key=True
    )
    weekday: Mapped[int] = mapped_column(default=0)  # 0: Monday
    hour: Mapped[int] = mapped_column(default=9)
    quiet_week: Mapped[str] = mapped_column(String(10), default="short")
    # The animation team's address: the e-mails' Reply-To and List-Unsubscribe.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[datetime]


class DigestCode(Base):
    """A subscription code the animation team hands to the collectivité: used once, 7 days."""

    __tablename__ = "digest_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DigestSubscription(Base):
    """One recipient of the synthèse: a Telegram chat (a group or a private chat) or an
    e-mail address. A chat that removed the bot is suspended until it subscribes again."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (
        UniqueConstraint("collective_id", "chat_id", name="uq_digest_subscriptions_chat"),
        UniqueConstraint("collective_id", "email", name="uq_digest_subscriptions_email"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    chat_title: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))
    # active, suspended (the chat removed the bot), stopped (/desabonner, address removed)
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


__all__ = ["DigestCode", "DigestSettings", "DigestSubscription"]
