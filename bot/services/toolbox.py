"""The boîte à outils: resources (a link or a Telegram document, by levier, proposed then
published when the collective moderates them), the guide's actions as a checklist the
animation team ticks (« Où en est notre filière »), the search (/chercher), ressources.csv,
and what it keeps about a person."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.catalog import CONTENT, familles, leviers
from bot.conversation import SentFile
from bot.domain import ANIMATORS, READERS, MembershipStatus, Role
from bot.exports import Cell, csv_bytes
from bot.services import journal, search
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.services.typed import clean_text
from bot.texts import caption
from storage.models import (
    ChecklistMark,
    Collective,
    Decision,
    Membership,
    Person,
    Resource,
    RoadmapAction,
    ToolboxSettings,
)
from storage.repos.toolbox import SearchRepo, ToolboxRepo
from storage.uow import UnitOfWork

# Who may add a resource: members and the animation team (observers read).
CONTRIBUTORS = (Role.ANIMATEUR, Role.MEMBRE)
PROPOSED, PUBLISHED, REFUSED = "proposed", "published", "refused"
TODO, DOING, DONE = "todo", "doing", "done"
MARKS = (TODO, DOING, DONE)
TITLE_LIMIT, DESCRIPTION_LIMIT, URL_LIMIT = 150, 800, 1000
TAG_LIMIT, TAGS_MAX = 30, 8
RESULTS = 10
# Kinds of search results, in the order they are listed; which name people.
KINDS = ("resource", "decision", "action", "actor")
NAMING_PEOPLE = frozenset({"actor", "action"})


def repo(uow: UnitOfWork) -> ToolboxRepo:
    return uow.repo(ToolboxRepo)


# --- the guide's actions (content/toolbox/guide.toml)


@dataclass(frozen=True)
class GuideAction:
    code: str
    levier: str
    labels: dict[str, str]
    how: dict[str, str]

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["fr"]

    def how_to(self, lang: str) -> str:
        return self.how.get(lang) or self.how["fr"]


@lru_cache(maxsize=1)
def guide() -> dict[str, GuideAction]:
    """Every action of the guide, by code, in the guide's order (levier by levier)."""
    data = tomllib.loads((CONTENT / "toolbox" / "guide.toml").read_text(encoding="utf-8"))
    return {
        a["code"]: GuideAction(
            a["code"],
            a["levier"],
            {"fr": a["fr"], "en": a["en"]},
            {"fr": a["how_fr"], "en": a["how_en"]},
        )
        for a in data["action"]
    }


def guide_of(levier: str) -> list[GuideAction]:
    return [a for a in guide().values() if a.levier == levier]


def check_levier(levier: str) -> str:
    if levier not in leviers():
        raise Refusal("stale_button")
    return levier


# --- typed answers


def parse_link(text: str) -> str:
    """A web link (http or https); « www.exemple.fr » gets its https://. Anything else, a
    `javascript:` or `file:` link above all, is refused with a clear word."""
    value = text.strip()
    if not value or any(c.isspace() for c in value):
        raise Refusal("link_invalid", text=value[:80])
    if value.casefold().startswith("www."):
        value = "https://" + value
    try:
        parts = urlsplit(value)
    except ValueError:
        raise Refusal("link_invalid", text=value[:80]) from None
    scheme = parts.scheme.casefold()
    if scheme and scheme not in ("http", "https"):
        raise Refusal("link_scheme", scheme=scheme[:20])
    host = parts.hostname or ""
    if not scheme or "." not in host.strip(".") or host.startswith("-"):
        raise Refusal("link_invalid", text=value[:80])
    if len(value) > URL_LIMIT:
        raise Refusal("too_long", field="link", limit=URL_LIMIT, length=len(value))
    return value


def parse_tags(text: str) -> list[str]:
    """Tags typed with commas (or « # »): tidy, distinct, a few short ones."""
    raw = [t.strip(" #\t") for t in text.replace("#", ",").replace(";", ",").split(",")]
    tags = list(
        dict.fromkeys(clean_text(t, field="tag", limit=TAG_LIMIT) for t in raw if t.strip())
    )
    if not tags:
        raise Refusal("empty_answer", field="tag")
    if len(tags) > TAGS_MAX:
        raise Refusal("tags_many", limit=TAGS_MAX)
    return tags


# --- moderation


async def moderated(uow: UnitOfWork, collective_id: int) -> bool:
    found = await repo(uow).settings(collective_id)
    return bool(found and found.moderation)


async def set_moderation(
    uow: UnitOfWork, collective: Collective, actor: Person, on: bool, now: datetime
) -> bool:
    await require_role(uow, collective, actor, ANIMATORS)
    found = await repo(uow).settings(collective.id)
    if found is None:
        found = ToolboxSettings(
            collective_id=collective.id, moderation=on, updated_at=now, indexed_at=None
        )
        repo(uow).add(found)
    found.moderation, found.updated_at = on, now
    await journal.record(
        uow, collective.id, "toolbox_moderation", now, actor_id=actor.id, data={"on": on}
    )
    return on


# --- resources


@dataclass
class Draft:
    """A resource being described in /ressource."""

    url: str | None = None
    file_id: str | None = None
    file_name: str | None = None
    title: str = ""
    description: str | None = None
    levier: str = ""
    tags: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, data: dict[str, Any]) -> Draft:
        return cls(
            url=data.get("url"),
            file_id=data.get("file_id"),
            file_name=data.get("file_name"),
            title=str(data.get("title") or ""),
            description=data.get("description"),
            levier=str(data.get("levier") or ""),
            tags=list(data.get("tags") or []),
        )


def source_of(value: str | SentFile) -> dict[str, Any]:
    """What /ressource's first answer holds: a checked link, or a document."""
    if isinstance(value, SentFile):
        return {"url": None, "file_id": value.file_id, "file_name": value.name[:255]}
    return {"url": parse_link(value), "file_id": None, "file_name": None}


def search_fields(resource: Resource, lang: str) -> dict[str, str]:
    lev = leviers().get(resource.levier)
    return {
        "title": resource.title,
        "body": " ".join(
            [
                resource.description or "",
                " ".join(resource.tags or []),
                lev.label(lang) if lev else "",
                resource.file_name or "",
            ]
        ),
    }


async def _publish(
    uow: UnitOfWork, collective: Collective, resource: Resource, now: datetime
) -> None:
    resource.status, resource.published_at = PUBLISHED, now
    await search.index(
        uow, collective.id, "resource", resource.id, search_fields(resource, collective.language)
    )


async def add_resource(
    uow: UnitOfWork, collective: Collective, actor: Person, draft: Draft, now: datetime
) -> Resource:
    """A member's resource: published at once, or proposed to the animation team when the
    collective moderates (the team's own are published at once)."""
    member = await require_contributor(uow, collective, actor)
    if not draft.title or check_levier(draft.levier) != draft.levier:
        raise Refusal("stale_button")
    if not draft.url and not draft.file_id:
        raise Refusal("stale_button")
    waits = member.role != Role.ANIMATEUR and await moderated(uow, collective.id)
    resource = Resource(
        collective_id=collective.id,
        title=draft.title,
        url=draft.url,
        file_id=draft.file_id,
        file_name=draft.file_name,
        description=draft.description,
        levier=draft.levier,
        tags=draft.tags,
        status=PROPOSED,
        added_by=actor.id,
        created_at=now,
    )
    repo(uow).add(resource)
    await repo(uow).flush()
    if not waits:
        await _publish(uow, collective, resource, now)
    await journal.record(
        uow,
        collective.id,
        "resource_proposed" if waits else "resource_added",
        now,
        actor_id=actor.id,
        data={"resource_id": resource.id, "title": resource.title[:200], "levier": resource.levier},
    )
    return resource


async def require_contributor(
    uow: UnitOfWork, collective: Collective, person: Person
) -> Membership:
    member = await require_role(uow, collective, person, READERS)
    if member.role not in CONTRIBUTORS:
        raise Refusal("resource_observer")
    return member


async def find_resource(uow: UnitOfWork, resource_id: int) -> tuple[Resource, Collective]:
    resource = await repo(uow).resource(resource_id)
    collective = await uow.collectives.get(resource.collective_id) if resource else None
    if resource is None or collective is None:
        raise Refusal("stale_button")
    return resource, collective


async def readable(
    uow: UnitOfWork, resource_id: int, reader: Person
) -> tuple[Resource, Collective, bool]:
    """A resource a member or observer may open: published ones; proposed ones for the team
    and their author. With whether the reader animates the collective."""
    resource, collective = await find_resource(uow, resource_id)
    member = await require_role(uow, collective, reader, READERS)
    team = member.role == Role.ANIMATEUR
    if resource.status != PUBLISHED and not (
        resource.status == PROPOSED and (team or resource.added_by == reader.id)
    ):
        raise Refusal("resource_gone")
    return resource, collective, team


async def moderate(
    uow: UnitOfWork, resource_id: int, actor: Person, publish: bool, now: datetime
) -> tuple[Resource, Collective]:
    """The animation team publishes or refuses a proposed resource (once)."""
    resource, collective = await find_resource(uow, resource_id)
    await require_role(uow, collective, actor, ANIMATORS)
    if resource.status != PROPOSED:
        raise Refusal("resource_decided", published=resource.status == PUBLISHED)
    resource.decided_by, resource.decided_at = actor.id, now
    if publish:
        await _publish(uow, collective, resource, now)
    else:
        resource.status = REFUSED
    await journal.record(
        uow,
        collective.id,
        "resource_published" if publish else "resource_refused",
        now,
        actor_id=actor.id,
        subject_id=resource.added_by,
        data={"resource_id": resource.id, "title": resource.title[:200]},
    )
    return resource, collective


async def pending(uow: UnitOfWork, collective: Collective, actor: Person) -> list[Resource]:
    await require_role(uow, collective, actor, ANIMATORS)
    return list(reversed(await repo(uow).resources(collective.id, status=PROPOSED)))


@dataclass(frozen=True)
class Shelf:
    """/boite's first screen: how many resources under each levier."""

    counts: dict[str, int]
    total: int
    pending: int  # proposed, for the animation team (0 for others)
    animator: bool
    moderation: bool
    # The guide's checklist: actions done, in progress, in all.
    done: int = 0
    doing: int = 0
    actions: int = 0


async def shelf(uow: UnitOfWork, collective: Collective, reader: Person) -> Shelf:
    member = await require_role(uow, collective, reader, READERS)
    counts = await repo(uow).counts(collective.id, PUBLISHED)
    animator = member.role == Role.ANIMATEUR
    waiting = sum((await repo(uow).counts(collective.id, PROPOSED)).values()) if animator else 0
    progress = await checklist_progress(uow, collective.id, collective.language)
    return Shelf(
        counts,
        sum(counts.values()),
        waiting,
        animator,
        await moderated(uow, collective.id),
        sum(row[1] for row in progress),
        sum(row[2] for row in progress),
        sum(row[3] for row in progress),
    )


async def shelf_of(
    uow: UnitOfWork, collective: Collective, reader: Person, levier: str
) -> list[Resource]:
    await require_role(uow, collective, reader, READERS)
    return await repo(uow).resources(collective.id, status=PUBLISHED, levier=check_levier(levier))


# --- the checklist


@dataclass(frozen=True)
class ChecklistLine:
    action: GuideAction
    status: str


async def checklist(
    uow: UnitOfWork, collective: Collective, reader: Person, levier: str
) -> list[ChecklistLine]:
    await require_role(uow, collective, reader, READERS)
    marks = await repo(uow).marks(collective.id)
    return [
        ChecklistLine(a, marks[a.code].status if a.code in marks else TODO)
        for a in guide_of(check_levier(levier))
    ]


async def guide_action(
    uow: UnitOfWork, collective: Collective, reader: Person, code: str
) -> tuple[GuideAction, str, bool]:
    """One action of the guide, its status, and whether the reader may change it."""
    member = await require_role(uow, collective, reader, READERS)
    action = guide().get(code)
    if action is None:
        raise Refusal("stale_button")
    mark = await repo(uow).mark(collective.id, code)
    return action, mark.status if mark else TODO, member.role == Role.ANIMATEUR


async def set_mark(
    uow: UnitOfWork, collective: Collective, actor: Person, code: str, status: str, now: datetime
) -> GuideAction:
    """The animation team marks an action of the guide à faire, en cours or fait."""
    await require_role(uow, collective, actor, ANIMATORS)
    action = guide().get(code)
    if action is None or status not in MARKS:
        raise Refusal("stale_button")
    mark = await repo(uow).mark(collective.id, code)
    before = mark.status if mark else TODO
    if before == status:
        return action
    if mark is None:
        mark = ChecklistMark(
            collective_id=collective.id, action=code, status=status, updated_at=now
        )
        repo(uow).add(mark)
    mark.status, mark.updated_by, mark.updated_at = status, actor.id, now
    await journal.record(
        uow,
        collective.id,
        "checklist_changed",
        now,
        actor_id=actor.id,
        data={
            "action": code,
            "text": action.label(collective.language)[:200],
            "from": before,
            "to": status,
        },
    )
    return action


async def checklist_progress(
    uow: UnitOfWork, collective_id: int, lang: str | None = None
) -> list[tuple[str, int, int, int]]:
    """« Où en est notre filière »: for each levier, in the guide's order, its label and how
    many of its actions are done, in progress, and in all."""
    if lang is None:
        collective = await uow.collectives.get(collective_id)
        lang = collective.language if collective is not None else "fr"
    marks = await repo(uow).marks(collective_id)
    rows: list[tuple[str, int, int, int]] = []
    for code, lev in leviers().items():
        actions = guide_of(code)
        status = [marks[a.code].status if a.code in marks else TODO for a in actions]
        rows.append((lev.label(lang), status.count(DONE), status.count(DOING), len(actions)))
    return rows


async def progress(
    uow: UnitOfWork, collective: Collective, reader: Person, lang: str
) -> list[tuple[str, str, int, int, int]]:
    """The progress by levier, with each levier's code (for its button)."""
    await require_role(uow, collective, reader, READERS)
    rows = await checklist_progress(uow, collective.id, lang)
    return [(code, *row) for code, row in zip(leviers(), rows, strict=True)]


# --- search


@dataclass(frozen=True)
class Found:
    kind: str
    title: str
    detail: str
    ref_id: int


@dataclass(frozen=True)
class Results:
    query: str
    lines: list[Found]
    total: int
    # Results that name people, left out because the search was made in the group.
    withheld: int
    # Other words to try, when nothing is found: never one just searched.
    ideas: list[str] = field(default_factory=list)


async def reindex(uow: UnitOfWork, collective: Collective, now: datetime) -> int:
    """Put every searchable row of the collective in the index (rows written before the
    search existed, or imported): published resources, décisions, actions, and the actors of
    the annuaire. Returns how many rows were indexed."""
    count = 0
    for resource in await repo(uow).resources(collective.id, status=PUBLISHED):
        await search.index(
            uow,
            collective.id,
            "resource",
            resource.id,
            search_fields(resource, collective.language),
        )
        count += 1
    for decision in (
        await uow.session.scalars(select(Decision).where(Decision.collective_id == collective.id))
    ).all():
        await index_decision(uow, decision)
        count += 1
    for action in (
        await uow.session.scalars(
            select(RoadmapAction).where(RoadmapAction.collective_id == collective.id)
        )
    ).all():
        await index_action(uow, action)
        count += 1
    for member in await uow.memberships.of_collective(collective.id):
        await index_member(uow, member)
        count += 1
    found = await repo(uow).settings(collective.id)
    if found is None:
        found = ToolboxSettings(collective_id=collective.id, moderation=False, updated_at=now)
        repo(uow).add(found)
    found.indexed_at = now
    return count


async def search_all(
    uow: UnitOfWork,
    collective: Collective,
    reader: Person,
    text: str,
    lang: str,
    now: datetime,
    *,
    private: bool,
) -> Results:
    """/chercher: resources, décisions, actions and actors (those who consent to the annuaire),
    ranked. In the group, results that name people are only counted."""
    await require_role(uow, collective, reader, READERS)
    shown = " ".join(text.split())
    if not search.words(shown) and not shown:
        raise Refusal("search_empty")
    wanted = search.query_words(shown)
    settings = await repo(uow).settings(collective.id)
    if settings is None or settings.indexed_at is None:
        await reindex(uow, collective, now)
    hits = await search.find(uow, collective.id, wanted, KINDS)
    lines = await _describe(uow, collective, hits, lang)
    withheld = 0
    if not private:
        withheld = len([f for f in lines if f.kind in NAMING_PEOPLE])
        lines = [f for f in lines if f.kind not in NAMING_PEOPLE]
    return Results(shown[:100], lines[:RESULTS], len(lines), withheld, _ideas(wanted, lang))


def _ideas(searched: Sequence[str], lang: str) -> list[str]:
    """The words a search that found nothing suggests, less those it just looked for."""
    offered = [w.strip() for w in caption("toolbox/search_ideas", lang).split(",")]
    return [w for w in offered if w and not set(search.words(w)) & set(searched)][:3]


async def _describe(
    uow: UnitOfWork, collective: Collective, hits: Sequence[search.Hit], lang: str
) -> list[Found]:
    """What each hit shows, checked against the tables (a stale index entry is skipped: an
    actor who left or withdrew consent, a resource no longer published)."""
    ids: dict[str, list[int]] = {}
    for hit in hits:
        ids.setdefault(hit.kind, []).append(hit.ref_id)
    resources = await repo(uow).many(ids.get("resource", []))
    members = {m.id: m for m in await uow.memberships.of_collective(collective.id)}
    decisions = await _rows(uow, Decision, ids.get("decision", []))
    actions = await _rows(uow, RoadmapAction, ids.get("action", []))
    people = await uow.people.many(
        [a.porteur_id for a in actions.values() if a.porteur_id is not None]
    )
    names = {code: lev.label(lang) for code, lev in leviers().items()}
    found: list[Found] = []
    for hit in hits:
        if hit.kind == "resource":
            r = resources.get(hit.ref_id)
            if r and r.collective_id == collective.id and r.status == PUBLISHED:
                found.append(Found("resource", r.title, names.get(r.levier, ""), r.id))
        elif hit.kind == "actor":
            m = members.get(hit.ref_id)
            if m and m.directory_consent and m.status == MembershipStatus.ACTIVE:
                detail = " · ".join(x for x in (m.person.display_name, m.commune) if x)
                found.append(Found("actor", m.organisation or m.person.display_name, detail, m.id))
        elif hit.kind == "decision":
            d = decisions.get(hit.ref_id)
            if d and d.collective_id == collective.id:
                found.append(Found("decision", d.text, "", d.id))
        elif hit.kind == "action":
            a = actions.get(hit.ref_id)
            if a and a.collective_id == collective.id:
                porteur = people.get(a.porteur_id or 0)
                found.append(Found("action", a.text, porteur.display_name if porteur else "", a.id))
    return found


async def _rows(uow: UnitOfWork, model: Any, ids: list[int]) -> dict[int, Any]:
    if not ids:
        return {}
    rows = await uow.session.scalars(select(model).where(model.id.in_(ids)))
    return {r.id: r for r in rows}


# --- keeping the index up to date (called by the features that own the rows)


async def index_member(uow: UnitOfWork, member: Membership) -> None:
    """An actor is searchable while active and in the annuaire; otherwise forgotten."""
    if member.status != MembershipStatus.ACTIVE or not member.directory_consent:
        await search.forget(uow, "actor", member.id)
        return
    collective = await uow.collectives.get(member.collective_id)
    maillons = {m.id: m.name for m in collective.maillons} if collective else {}
    famille = familles().get(member.famille or "")
    await search.index(
        uow,
        member.collective_id,
        "actor",
        member.id,
        {
            "title": member.organisation or "",
            "body": " ".join(
                [
                    member.person.display_name,
                    member.commune or "",
                    famille.label("fr") if famille else "",
                    " ".join(maillons.get(i, "") for i in member.maillon_ids),
                ]
            ),
        },
    )


async def index_decision(uow: UnitOfWork, decision: Decision) -> None:
    await search.index(
        uow, decision.collective_id, "decision", decision.id, {"title": decision.text}
    )


async def index_action(uow: UnitOfWork, action: RoadmapAction) -> None:
    lev = leviers().get(action.levier)
    await search.index(
        uow,
        action.collective_id,
        "action",
        action.id,
        {"title": action.text, "body": lev.label("fr") if lev else ""},
    )


# --- exports, and what other features read


def _labels(lang: str) -> dict[str, str]:
    return {code: lev.label(lang) for code, lev in leviers().items()}


async def _resource_rows(
    uow: UnitOfWork, collective: Collective, lang: str
) -> tuple[list[str], list[list[Cell]]]:
    resources = await repo(uow).resources(collective.id)
    people = await uow.people.many([r.added_by for r in resources if r.added_by is not None])
    names = _labels(lang)
    rows: list[list[Cell]] = [
        [
            r.title,
            names.get(r.levier, r.levier),
            r.url or "",
            r.file_name or "",
            r.description or "",
            ", ".join(r.tags or []),
            caption(f"toolbox/status_{r.status}", lang),
            people[r.added_by].display_name if r.added_by in people else "",
            r.created_at.astimezone(_zone(collective)),
            r.published_at.astimezone(_zone(collective)) if r.published_at else None,
        ]
        for r in sorted(resources, key=lambda r: r.id)
    ]
    return caption("toolbox/csv_resources", lang).split("|"), rows


async def _checklist_rows(
    uow: UnitOfWork, collective: Collective, lang: str
) -> tuple[list[str], list[list[Cell]]]:
    marks = await repo(uow).marks(collective.id)
    names = _labels(lang)
    rows: list[list[Cell]] = []
    for action in guide().values():
        mark = marks.get(action.code)
        rows.append(
            [
                names.get(action.levier, action.levier),
                action.label(lang),
                caption(f"toolbox/mark_{mark.status if mark else TODO}", lang),
                mark.updated_at.astimezone(_zone(collective)) if mark else None,
            ]
        )
    return caption("toolbox/csv_checklist", lang).split("|"), rows


def _zone(collective: Collective) -> ZoneInfo:
    return ZoneInfo(collective.timezone)


async def resources_csv(uow: UnitOfWork, collective: Collective, actor: Person, lang: str) -> bytes:
    """ressources.csv: every resource, proposed and refused ones included, for the team."""
    await require_role(uow, collective, actor, ANIMATORS)
    header, rows = await _resource_rows(uow, collective, lang)
    return csv_bytes(header, rows)


async def sheets(
    uow: UnitOfWork, collective: Collective
) -> list[tuple[str, list[str], list[list[Any]]]]:
    """For the export archive: (file stem, headers, rows) of the resources and the checklist,
    in the collective's language."""
    lang = collective.language
    resources = await _resource_rows(uow, collective, lang)
    marks = await _checklist_rows(uow, collective, lang)
    return [("ressources", *resources), ("guide_checklist", *marks)]


async def added_between(
    uow: UnitOfWork, collective_id: int, since: datetime, until: datetime
) -> list[Resource]:
    """Resources published in [since, until) (the weekly synthèse)."""
    return await repo(uow).published_between(collective_id, since, until)


# --- personal data (/mes_donnees, /oublier)


async def export_person(uow: UnitOfWork, person: Person) -> list[dict[str, Any]]:
    rows = await repo(uow).by_author(person.id)
    collectives = {r.collective_id: await uow.collectives.get(r.collective_id) for r in rows}
    return [
        {
            "collectif": c.title if (c := collectives.get(r.collective_id)) else None,
            "titre": r.title,
            "lien": r.url,
            "document": r.file_name,
            "description": r.description,
            "levier": r.levier,
            "mots_clés": r.tags,
            "statut": r.status,
            "ajoutée_le": r.created_at.isoformat(),
        }
        for r in rows
    ]


async def forget_person(uow: UnitOfWork, person: Person, now: datetime) -> None:
    """The resources stay in the boîte à outils, without their author; the person's actor
    entries leave the search."""
    for resource in await repo(uow).by_author(person.id):
        resource.added_by = None
    ids = list(
        await uow.session.scalars(select(Membership.id).where(Membership.person_id == person.id))
    )
    await uow.repo(SearchRepo).drop_many("actor", ids)
