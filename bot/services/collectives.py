"""Collectives: registering a group as a filière, its setup, its card, its topic and chat id."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.catalog import suggested_maillons
from bot.services import journal
from bot.services.errors import Refusal
from storage.models import Collective, Membership, Person
from storage.uow import UnitOfWork

ANIMATEUR, MEMBRE, OBSERVATEUR = "animateur", "membre", "observateur"
ROLES = (ANIMATEUR, MEMBRE, OBSERVATEUR)
VISIONS = ("chaine", "ecosysteme")
MAX_MAILLONS = 15
SETUP_STEPS = ("name", "slug", "territoire", "vision", "maillons", "timezone", "language")


@dataclass(frozen=True)
class ChatInfo:
    chat_id: int
    title: str
    chat_type: str  # private, group, supergroup, channel
    is_forum: bool = False
    thread_id: int | None = None


def clean_text(value: str, *, field: str, limit: int) -> str:
    """Trim a typed answer; refuse an empty or over-long one (the user is told the limit)."""
    text = " ".join(value.split())
    if not text:
        raise Refusal("empty_answer", field=field)
    if len(text) > limit:
        raise Refusal("too_long", field=field, limit=limit, length=len(text))
    return text


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:40].strip("-") or "filiere"


async def register_group(
    uow: UnitOfWork,
    chat: ChatInfo,
    actor: Person,
    *,
    is_chat_admin: bool,
    now: datetime,
    timezone: str,
    language: str,
) -> tuple[Collective, bool]:
    """Make the group a collective (or return the existing one). True when newly created."""
    if chat.chat_type not in ("group", "supergroup"):
        raise Refusal("filiere_private")
    existing = await uow.collectives.by_chat(chat.chat_id)
    if existing is not None:
        return existing, False
    if not is_chat_admin:
        raise Refusal("filiere_not_admin")
    collective = Collective(
        chat_id=chat.chat_id,
        chat_title=chat.title[:255],
        is_forum=chat.is_forum,
        thread_id=chat.thread_id if chat.is_forum else None,
        timezone=timezone,
        language=language,
        status="setup",
        created_at=now,
    )
    uow.collectives.add(collective)
    await uow.collectives.flush()
    uow.memberships.add(new_membership(collective.id, actor.id, ANIMATEUR, now))
    await uow.memberships.flush()
    await journal.record(uow, collective.id, "collective_created", now, actor_id=actor.id)
    return collective, True


def new_membership(collective_id: int, person_id: int, role: str, now: datetime) -> Membership:
    """A membership at its start: the profile questions come next."""
    return Membership(
        collective_id=collective_id,
        person_id=person_id,
        role=role,
        status="onboarding",
        joined_at=now,
        directory_consent=False,
    )


def first_setup_step() -> str:
    return SETUP_STEPS[0]


def next_setup_step(step: str) -> str | None:
    index = SETUP_STEPS.index(step)
    return SETUP_STEPS[index + 1] if index + 1 < len(SETUP_STEPS) else None


async def set_name(uow: UnitOfWork, collective: Collective, text: str) -> None:
    collective.name = clean_text(text, field="name", limit=200)


async def suggest_slug(uow: UnitOfWork, collective: Collective) -> str:
    base = slugify(collective.name or collective.chat_title)
    slug, n = base, 2
    while await uow.collectives.slug_taken(slug, collective.id):
        slug = f"{base[:36]}-{n}"
        n += 1
    return slug


async def set_slug(uow: UnitOfWork, collective: Collective, text: str) -> None:
    slug = text.strip().lower()
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?", slug):
        raise Refusal("slug_invalid", slug=text[:60])
    if await uow.collectives.slug_taken(slug, collective.id):
        raise Refusal("slug_taken", slug=slug)
    collective.slug = slug


async def set_territoire(uow: UnitOfWork, collective: Collective, text: str) -> None:
    collective.territoire = clean_text(text, field="territoire", limit=200)


async def set_vision(uow: UnitOfWork, collective: Collective, vision: str) -> None:
    if vision not in VISIONS:
        raise Refusal("stale_button")
    collective.vision = vision


def maillon_suggestion(collective: Collective) -> list[str]:
    if collective.vision == "ecosysteme":
        return []
    return suggested_maillons(f"{collective.name or ''} {collective.chat_title}")


def parse_maillons(text: str) -> list[str]:
    """One maillon per line, or separated by commas, semicolons or arrows."""
    parts = re.split(r"[\n,;]|->|→|>", text)
    names = [clean_text(p, field="maillon", limit=100) for p in parts if p.strip()]
    if not names:
        raise Refusal("empty_answer", field="maillon")
    if len(names) > MAX_MAILLONS:
        raise Refusal("too_many_maillons", limit=MAX_MAILLONS)
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(name.casefold(), name)
    return list(unique.values())


async def set_maillons(uow: UnitOfWork, collective: Collective, names: list[str]) -> None:
    await uow.collectives.set_maillons(collective, names)


async def set_timezone(uow: UnitOfWork, collective: Collective, text: str) -> None:
    name = text.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refusal("timezone_unknown", timezone=name[:60]) from None
    collective.timezone = name


async def set_language(
    uow: UnitOfWork, collective: Collective, language: str, actor: Person, now: datetime
) -> None:
    """The last setup step: the collective becomes active."""
    if language not in ("fr", "en"):
        raise Refusal("stale_button")
    collective.language = language
    if collective.status == "setup":
        collective.status = "active"
        await journal.record(uow, collective.id, "collective_configured", now, actor_id=actor.id)


async def set_thread(
    uow: UnitOfWork, collective: Collective, thread_id: int | None, actor: Person, now: datetime
) -> None:
    collective.thread_id = thread_id
    await journal.record(
        uow, collective.id, "topic_changed", now, actor_id=actor.id, data={"thread": thread_id}
    )


async def migrate_chat(uow: UnitOfWork, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup: the collective follows it."""
    collective = await uow.collectives.by_chat(old_chat_id)
    if collective is None or await uow.collectives.by_chat(new_chat_id) is not None:
        return False
    collective.chat_id = new_chat_id
    return True


@dataclass(frozen=True)
class Card:
    collective: Collective
    counts: dict[str, int]
    maillons: list[str]


async def card(uow: UnitOfWork, collective: Collective) -> Card:
    members = await uow.memberships.of_collective(collective.id)
    counts = {role: sum(1 for m in members if m.role == role) for role in ROLES}
    return Card(collective, counts, [m.name for m in collective.maillons])
