"""People the bot knows: created on first contact, kept in step with Telegram."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.texts import language_of
from storage.models import Person
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class UserInfo:
    """What a Telegram user looks like to the services (no telegram import here)."""

    telegram_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


async def ensure_person(
    uow: UnitOfWork, user: UserInfo, now: datetime, *, reachable: bool = False
) -> Person:
    """The person for this user, created or refreshed. `reachable`: they wrote to us privately."""
    person = await uow.people.by_telegram_id(user.telegram_id)
    if person is None:
        person = Person(
            telegram_id=user.telegram_id,
            first_name=user.first_name[:200],
            created_at=now,
            language=language_of(user.language_code),
        )
        uow.people.add(person)
    fresh = {
        "first_name": user.first_name[:200],
        "last_name": user.last_name[:200] if user.last_name else None,
        "username": user.username,
        "language": language_of(user.language_code),
    }
    if reachable:
        fresh["unreachable_since"] = None
    changed = person.id is None
    for name, value in fresh.items():
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed = True
    if changed:
        await uow.people.flush()
    return person


async def mark_unreachable(uow: UnitOfWork, telegram_id: int, now: datetime) -> None:
    person = await uow.people.by_telegram_id(telegram_id)
    if person is not None and person.unreachable_since is None:
        person.unreachable_since = now
