"""Collectives: registering a group as a filière, its setup conversation, its card, its topic,
its chat id."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.catalog import suggested_maillons
from bot.conversation import Flow, Kind, Option, Step, StepContext
from bot.domain import ANIMATORS, ROLES, CollectiveStatus, MembershipStatus, Role, Vision
from bot.services import journal
from bot.services.errors import Refusal
from bot.services.members import new_membership, require_role
from bot.services.typed import clean_text
from bot.texts import caption
from bot.textsafety import visible
from storage.models import Collective, Conversation, Person
from storage.uow import UnitOfWork

MAX_MAILLONS = 15
SETUP = "setup"


@dataclass(frozen=True)
class ChatInfo:
    chat_id: int
    title: str
    chat_type: str  # private, group, supergroup, channel
    is_forum: bool = False
    thread_id: int | None = None


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:40].strip("-") or "filiere"


def new_join_token() -> str:
    """The secret part of a join link: 96 random bits, URL-safe (16 characters)."""
    return secrets.token_urlsafe(12)


async def find(uow: UnitOfWork, collective_id: int, *, missing: str = "stale_button") -> Collective:
    """The collective, or the refusal `missing` (a stale button, a stale link)."""
    collective = await uow.collectives.get(collective_id)
    if collective is None:
        raise Refusal(missing)
    return collective


async def by_join_link(uow: UnitOfWork, token: str, legacy_id: int | None) -> Collective:
    """The collective a join link names: by its token, or by its id for links posted before
    the tokens (being in the group is what lets people in, not the link)."""
    if legacy_id is not None:
        return await find(uow, legacy_id, missing="stale_link")
    collective = await uow.collectives.by_token(token)
    if collective is None:
        raise Refusal("stale_link")
    return collective


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
    """Make the group a collective (or return the existing one). True when newly created.
    Whoever registers it animates it from that moment; their own profile comes after."""
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
        status=CollectiveStatus.SETUP,
        join_token=new_join_token(),
        created_at=now,
    )
    uow.collectives.add(collective)
    await uow.collectives.flush()
    creator = new_membership(collective.id, actor.id, Role.ANIMATEUR, now)
    creator.status = MembershipStatus.ACTIVE
    uow.memberships.add(creator)
    await uow.memberships.flush()
    await journal.record(uow, collective.id, "collective_created", now, actor_id=actor.id)
    await journal.record(
        uow, collective.id, "member_joined", now, actor_id=actor.id, data={"role": Role.ANIMATEUR}
    )
    return collective, True


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


def maillon_suggestion(collective: Collective) -> list[str]:
    if collective.vision == Vision.ECOSYSTEME:
        return []
    return suggested_maillons(f"{collective.name or ''} {collective.chat_title}")


def parse_maillons(text: str) -> list[str]:
    """One maillon per line, or separated by commas, semicolons or arrows (→, ->, and > after
    a space). Names are kept as typed (`&`, `<`, `>` inside a word and quotes included); they
    are escaped when shown."""
    parts = re.split(r"[\n,;]|->|→|(?:(?<=\s)|^)>", text)
    names = [clean_text(p, field="maillon", limit=100) for p in parts if visible(p)]
    if not names:
        raise Refusal("empty_answer", field="maillon")
    if len(names) > MAX_MAILLONS:
        raise Refusal("too_many_maillons", limit=MAX_MAILLONS)
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(name.casefold(), name)
    return list(unique.values())


def check_timezone(text: str) -> str:
    name = text.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refusal("timezone_unknown", timezone=name[:60]) from None
    return name


async def set_thread(
    uow: UnitOfWork, collective: Collective, thread_id: int | None, actor: Person, now: datetime
) -> None:
    await require_role(uow, collective, actor, ANIMATORS)
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
    counts = await uow.memberships.count_by_role(collective.id)
    return Card(
        collective,
        {role: counts.get(role, 0) for role in ROLES},
        [m.name for m in collective.maillons],
    )


# --- the setup conversation, with the animator in private


async def _load(uow: UnitOfWork, conversation: Conversation) -> Collective | None:
    if conversation.collective_id is None:
        return None
    return await uow.collectives.get(conversation.collective_id)


async def _guard(ctx: StepContext) -> None:
    # Checked at every answer: an animator demoted half-way cannot go on typing.
    await require_role(ctx.uow, ctx.subject, ctx.person, ANIMATORS)


async def _save_name(ctx: StepContext, value: str) -> None:
    ctx.subject.name = value


async def _save_slug(ctx: StepContext, value: str) -> None:
    await set_slug(ctx.uow, ctx.subject, value)


async def _save_territoire(ctx: StepContext, value: str) -> None:
    ctx.subject.territoire = value


async def _save_vision(ctx: StepContext, value: str) -> None:
    ctx.subject.vision = Vision(value)


async def _save_maillons(ctx: StepContext, value: str) -> None:
    await ctx.uow.collectives.set_maillons(ctx.subject, parse_maillons(value) if value else [])


async def _save_timezone(ctx: StepContext, value: str) -> None:
    ctx.subject.timezone = check_timezone(value)


async def _save_language(ctx: StepContext, value: str) -> None:
    ctx.subject.language = value


async def _suggest_name(ctx: StepContext) -> str:
    return str(ctx.subject.chat_title)


async def _suggest_slug(ctx: StepContext) -> str:
    return await suggest_slug(ctx.uow, ctx.subject)


async def _suggest_maillons(ctx: StepContext) -> str | None:
    suggestion = maillon_suggestion(ctx.subject)
    return " → ".join(suggestion) if suggestion else None


async def _suggest_timezone(ctx: StepContext) -> str:
    return str(ctx.subject.timezone)


async def _slug_params(ctx: StepContext) -> dict[str, object]:
    return {"c": ctx.subject, "suggestion": await suggest_slug(ctx.uow, ctx.subject)}


def _subject_params(ctx: StepContext) -> dict[str, object]:
    return {"c": ctx.subject, "suggestion": maillon_suggestion(ctx.subject)}


def _visions(ctx: StepContext) -> list[Option]:
    return [
        Option(Vision.CHAINE, caption("vision_chaine", ctx.lang)),
        Option(Vision.ECOSYSTEME, caption("vision_ecosysteme", ctx.lang)),
    ]


def _languages(ctx: StepContext) -> list[Option]:
    return [Option("fr", caption("lang_fr", ctx.lang)), Option("en", caption("lang_en", ctx.lang))]


async def _complete(ctx: StepContext) -> None:
    collective: Collective = ctx.subject
    if collective.status == CollectiveStatus.SETUP:
        collective.status = CollectiveStatus.ACTIVE
        await journal.record(
            ctx.uow, collective.id, "collective_configured", ctx.now, actor_id=ctx.person.id
        )


def _text(name: str, field: str, limit: int) -> Step:
    """A typed setup answer saved to the collective."""
    savers = {
        "name": _save_name,
        "territoire": _save_territoire,
    }
    return Step(
        name,
        Kind.TEXT,
        f"collective/ask_{name}",
        savers[name],
        params=_subject_params,
        parse=lambda ctx, text: clean_text(text, field=field, limit=limit),
        suggest=_suggest_name if name == "name" else None,
    )


SETUP_FLOW = Flow(
    name=SETUP,
    steps=(
        _text("name", "name", 200),
        Step(
            "slug",
            Kind.TEXT,
            "collective/ask_slug",
            _save_slug,
            params=_slug_params,
            suggest=_suggest_slug,
        ),
        _text("territoire", "territoire", 200),
        Step("vision", Kind.CHOICE, "collective/ask_vision", _save_vision, options=_visions),
        Step(
            "maillons",
            Kind.TEXT,
            "collective/ask_maillons",
            _save_maillons,
            params=_subject_params,
            suggest=_suggest_maillons,
            keep_caption="keep_maillons",
            # An écosystème may start with no theme.
            optional=True,
            skip_caption="no_themes",
        ),
        Step(
            "timezone",
            Kind.TEXT,
            "collective/ask_timezone",
            _save_timezone,
            params=_subject_params,
            suggest=_suggest_timezone,
        ),
        Step(
            "language", Kind.CHOICE, "collective/ask_language", _save_language, options=_languages
        ),
    ),
    load=_load,
    guard=_guard,
    complete=_complete,
    title=lambda ctx: str(ctx.subject.title),
    progress=True,
)
