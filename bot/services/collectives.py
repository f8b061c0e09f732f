"""Collectives: registering a group as a filière, its setup conversation, its card, its topic,
its chat id."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from bot.catalog import fuseaux, suggested_maillons, zone_label
from bot.conversation import Flow, Kind, Option, Step, StepContext
from bot.domain import ANIMATORS, ROLES, CollectiveStatus, MembershipStatus, Role, Vision
from bot.services import journal
from bot.services.errors import Refusal
from bot.services.members import new_membership, require_role
from bot.services.typed import clean_text
from bot.texts import caption
from bot.textsafety import visible
from storage.models import Collective, Conversation, Maillon, Person
from storage.repos.maillons import MaillonRepo
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


def parse_maillons(text: str, vision: str | None = None) -> list[str]:
    """One maillon per line, or separated by commas, semicolons or arrows (→, ->, and > after
    a space). Names are kept as typed (`&`, `<`, `>` inside a word and quotes included); they
    are escaped when shown. An écosystème's are themes, and its refusals say so."""
    field = "theme" if vision == Vision.ECOSYSTEME else "maillon"
    parts = re.split(r"[\n,;]|->|→|(?:(?<=\s)|^)>", text)
    names = [clean_text(p, field=field, limit=100) for p in parts if visible(p)]
    if not names:
        raise Refusal("empty_answer", field=field)
    if len(names) > MAX_MAILLONS:
        raise Refusal("too_many_maillons", limit=MAX_MAILLONS, vision=vision or Vision.CHAINE)
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(name.casefold(), name)
    return list(unique.values())


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
    collective: Collective = ctx.subject
    names = parse_maillons(value, collective.vision) if value else []
    await ctx.uow.collectives.set_maillons(collective, names)


async def _save_language(ctx: StepContext, value: str) -> None:
    ctx.subject.language = value


async def _suggest_name(ctx: StepContext) -> str:
    return str(ctx.subject.title)


async def _suggest_slug(ctx: StepContext) -> str:
    return await suggest_slug(ctx.uow, ctx.subject)


async def _suggest_maillons(ctx: StepContext) -> str | None:
    suggestion = maillon_suggestion(ctx.subject)
    return " → ".join(suggestion) if suggestion else None


async def _suggest_territoire(ctx: StepContext) -> str | None:
    # Only when editing: at the setup there is nothing to keep yet.
    return str(ctx.subject.territoire) if ctx.subject.territoire else None


async def _slug_params(ctx: StepContext) -> dict[str, object]:
    return {"c": ctx.subject, "suggestion": await suggest_slug(ctx.uow, ctx.subject)}


def _subject_params(ctx: StepContext) -> dict[str, object]:
    return {
        "c": ctx.subject,
        "suggestion": maillon_suggestion(ctx.subject),
        "editing": ctx.conversation.flow == EDIT,
    }


def _visions(ctx: StepContext) -> list[Option]:
    return [
        Option(Vision.CHAINE, caption("vision_chaine", ctx.lang)),
        Option(Vision.ECOSYSTEME, caption("vision_ecosysteme", ctx.lang)),
    ]


def _languages(ctx: StepContext) -> list[Option]:
    return [Option("fr", caption("lang_fr", ctx.lang)), Option("en", caption("lang_en", ctx.lang))]


def _is_ecosysteme(ctx: StepContext) -> bool:
    return bool(ctx.subject.vision == Vision.ECOSYSTEME)


async def _complete(ctx: StepContext) -> None:
    collective: Collective = ctx.subject
    if collective.status == CollectiveStatus.SETUP:
        collective.status = CollectiveStatus.ACTIVE
        await journal.record(
            ctx.uow, collective.id, "collective_configured", ctx.now, actor_id=ctx.person.id
        )


def _text(name: str, field: str, limit: int) -> Step:
    """A typed answer saved to the collective; its current value offered when editing."""
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
        suggest=_suggest_name if name == "name" else _suggest_territoire,
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
            applies=lambda ctx: not _is_ecosysteme(ctx),
        ),
        Step(
            # An écosystème may start with no theme (and add some later, from its card).
            "themes",
            Kind.TEXT,
            "collective/ask_maillons",
            _save_maillons,
            params=_subject_params,
            optional=True,
            skip_caption="no_themes",
            applies=_is_ecosysteme,
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


async def open_setups(uow: UnitOfWork, person: Person) -> list[Collective]:
    """Collectives whose setup this animator has not finished."""
    found = []
    for collective in await uow.memberships.collectives_of(person.id):
        if collective.status == CollectiveStatus.SETUP:
            membership = await uow.memberships.get(collective.id, person.id)
            if membership is not None and membership.role == Role.ANIMATEUR:
                found.append(collective)
    return found


async def setup_started(uow: UnitOfWork, person: Person, collective: Collective) -> bool:
    """Has this animator answered at least one setup question already?"""
    conversation = await uow.conversations.find(person.id, SETUP, collective.id, None)
    return conversation is not None and bool(conversation.data.get("_history"))


# --- the card's « Modifier »: one answer at a time, on the same engine

EDIT = "collective_edit"
EDIT_FIELDS = ("name", "territoire", "language", "timezone")


async def editable(uow: UnitOfWork, collective_id: int, actor: Person) -> Collective:
    """The collective an animator is about to edit (open, and theirs to animate)."""
    collective = await find(uow, collective_id)
    await require_role(uow, collective, actor, ANIMATORS)
    if collective.status != CollectiveStatus.ACTIVE:
        raise Refusal("collective_not_ready")
    return collective


def _zones(ctx: StepContext) -> list[Option]:
    options = [Option(f.code, f.label(ctx.lang)) for f in fuseaux().values()]
    if all(f.zone != ctx.subject.timezone for f in fuseaux().values()):
        # A zone set from the settings, outside the list: it stays on offer.
        options.insert(0, Option("current", str(ctx.subject.timezone)))
    return options


async def _save_zone(ctx: StepContext, code: str) -> None:
    if code == "current":
        return
    fuseau = fuseaux().get(code)
    if fuseau is None:
        raise Refusal("stale_button")
    ctx.subject.timezone = fuseau.zone


def _zone_params(ctx: StepContext) -> dict[str, object]:
    return {"c": ctx.subject, "zone": zone_label(ctx.subject.timezone, ctx.lang)}


async def _edit_complete(ctx: StepContext) -> None:
    await journal.record(
        ctx.uow,
        ctx.subject.id,
        "collective_edited",
        ctx.now,
        actor_id=ctx.person.id,
        data={"field": ctx.conversation.step},
    )


EDIT_FLOW = Flow(
    name=EDIT,
    steps=(
        _text("name", "name", 200),
        _text("territoire", "territoire", 200),
        Step(
            "language", Kind.CHOICE, "collective/ask_language", _save_language, options=_languages
        ),
        Step(
            "timezone",
            Kind.CHOICE,
            "collective/ask_timezone",
            _save_zone,
            params=_zone_params,
            options=_zones,
        ),
    ),
    load=_load,
    guard=_guard,
    complete=_edit_complete,
    title=lambda ctx: str(ctx.subject.title),
)


async def set_greeting(
    uow: UnitOfWork, collective: Collective, actor: Person, on: bool, now: datetime
) -> None:
    """Greet (or not) the people who arrive in the Telegram group."""
    await require_role(uow, collective, actor, ANIMATORS)
    if collective.greet_newcomers == on:
        return
    collective.greet_newcomers = on
    await journal.record(
        uow,
        collective.id,
        "collective_edited",
        now,
        actor_id=actor.id,
        data={"field": "greet_on" if on else "greet_off"},
    )


# --- maillons (or themes) after the setup: rename, add, remove


MAILLONS_EDIT = "maillons_edit"
RENAME, ADD, REMOVE = "rename", "add", "remove"


def _maillon(ctx: StepContext, key: str) -> Maillon | None:
    wanted = ctx.data.get(key)
    return next((m for m in ctx.subject.maillons if str(m.id) == wanted), None)


def _actions(ctx: StepContext) -> list[Option]:
    vision = ctx.subject.vision
    options = [Option(ADD, caption("maillon_add", ctx.lang, vision=vision))]
    if ctx.subject.maillons:
        options.insert(0, Option(RENAME, caption("maillon_rename", ctx.lang, vision=vision)))
        options.append(Option(REMOVE, caption("maillon_remove", ctx.lang, vision=vision)))
    return options


async def _save_action(ctx: StepContext, value: str) -> None:
    ctx.remember(action=value)


def _which(ctx: StepContext) -> list[Option]:
    return [Option(str(m.id), m.name[:60]) for m in ctx.subject.maillons]


async def _save_which(ctx: StepContext, value: str) -> None:
    ctx.remember(which=value)
    maillon = _maillon(ctx, "which")
    members = await ctx.uow.repo(MaillonRepo).count_members(maillon.id) if maillon else 0
    ctx.remember(members=members)


def _parse_maillon_name(ctx: StepContext, text: str) -> str:
    vision = ctx.subject.vision
    name = clean_text(text, field="theme" if vision == Vision.ECOSYSTEME else "maillon", limit=100)
    renamed = _maillon(ctx, "which") if ctx.data.get("action") == RENAME else None
    for other in ctx.subject.maillons:
        if other is not renamed and other.name.casefold() == name.casefold():
            raise Refusal("maillon_exists", name=name)
    return name


async def _save_new_name(ctx: StepContext, value: str) -> None:
    ctx.remember(new=value)


def _positions(ctx: StepContext) -> list[Option]:
    return [Option("0", caption("maillon_first", ctx.lang))] + [
        Option(str(m.id), caption("maillon_after", ctx.lang, name=m.name[:40]))
        for m in ctx.subject.maillons
    ]


async def _save_position(ctx: StepContext, value: str) -> None:
    ctx.remember(after=value)


def _destinations(ctx: StepContext) -> list[Option]:
    removed = _maillon(ctx, "which")
    return [
        Option(str(m.id), caption("move_members_to", ctx.lang, name=m.name[:40]))
        for m in ctx.subject.maillons
        if m is not removed
    ] + [Option("0", caption("leave_members_without", ctx.lang))]


async def _save_destination(ctx: StepContext, value: str) -> None:
    ctx.remember(to=value)


def _maillon_params(ctx: StepContext) -> dict[str, object]:
    current = _maillon(ctx, "which")
    return {
        "c": ctx.subject,
        "names": [m.name for m in ctx.subject.maillons],
        "action": ctx.data.get("action", ""),
        "current": current.name if current else "",
        "name": ctx.data.get("new", ""),
        "count": ctx.data.get("members", 0),
    }


async def _maillons_complete(ctx: StepContext) -> None:
    """Apply the change: a rename keeps the maillon (and its members), a removal moves its
    members first if asked, an addition goes where the animator said."""
    collective: Collective = ctx.subject
    action, new = ctx.data.get("action"), str(ctx.data.get("new", ""))
    chosen = _maillon(ctx, "which")
    names = [m.name for m in collective.maillons]
    data: dict[str, object]
    if action == RENAME and chosen is not None:
        data = {"field": "maillon_renamed", "old": chosen.name, "new": new}
        chosen.name = new
    elif action == ADD:
        after = _maillon(ctx, "after")
        if ctx.data.get("after") == "0":
            names.insert(0, new)
        elif after is not None:
            names.insert(names.index(after.name) + 1, new)
        else:
            names.append(new)
        if len(names) > MAX_MAILLONS:
            raise Refusal("too_many_maillons", limit=MAX_MAILLONS, vision=collective.vision)
        await ctx.uow.collectives.set_maillons(collective, names)
        data = {"field": "maillon_added", "new": new}
    elif action == REMOVE and chosen is not None:
        target = _maillon(ctx, "to")
        if target is not None:
            await ctx.uow.repo(MaillonRepo).move_members(chosen.id, target.id)
        await ctx.uow.collectives.set_maillons(collective, [n for n in names if n != chosen.name])
        data = {"field": "maillon_removed", "old": chosen.name}
    else:
        raise Refusal("stale_button")
    await journal.record(
        ctx.uow, collective.id, "collective_edited", ctx.now, actor_id=ctx.person.id, data=data
    )


MAILLONS_FLOW = Flow(
    name=MAILLONS_EDIT,
    steps=(
        Step(
            "action",
            Kind.CHOICE,
            "collective/ask_maillon_action",
            _save_action,
            params=_maillon_params,
            options=_actions,
        ),
        Step(
            "which",
            Kind.CHOICE,
            "collective/ask_maillon_which",
            _save_which,
            params=_maillon_params,
            options=_which,
            applies=lambda ctx: ctx.data.get("action") in (RENAME, REMOVE),
        ),
        Step(
            "new",
            Kind.TEXT,
            "collective/ask_maillon_name",
            _save_new_name,
            params=_maillon_params,
            parse=_parse_maillon_name,
            applies=lambda ctx: ctx.data.get("action") in (RENAME, ADD),
        ),
        Step(
            "after",
            Kind.CHOICE,
            "collective/ask_maillon_position",
            _save_position,
            params=_maillon_params,
            options=_positions,
            applies=lambda ctx: (
                ctx.data.get("action") == ADD
                and not _is_ecosysteme(ctx)
                and bool(ctx.subject.maillons)
            ),
        ),
        Step(
            "to",
            Kind.CHOICE,
            "collective/ask_maillon_members",
            _save_destination,
            params=_maillon_params,
            options=_destinations,
            applies=lambda ctx: ctx.data.get("action") == REMOVE and ctx.data.get("members", 0) > 0,
        ),
    ),
    load=_load,
    guard=_guard,
    complete=_maillons_complete,
    title=lambda ctx: str(ctx.subject.title),
)
