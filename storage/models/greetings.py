"""People who arrived in a collective's Telegram group, so that each is greeted once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Greeting(Base):
    """Someone who arrived in the group: greeted once, with whoever arrived in the same minute.

    The first name is kept only until the greeting is posted; the Telegram id stays, so that
    someone who leaves the group and comes back is not greeted again.
    """

    __tablename__ = "greetings"
    __table_args__ = (UniqueConstraint("collective_id", "telegram_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    first_name: Mapped[str | None] = mapped_column(String(200))
    arrived_at: Mapped[datetime]
    greeted_at: Mapped[datetime | None]
