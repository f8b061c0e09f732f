"""The cartographie: actors imported from a spreadsheet, the mise en relation, introductions.

- **Import**: an animator sends a CSV or XLSX of actors (organisation, famille, maillon,
  commune, contact; optional besoins and offres). `preview` reads it forgivingly (headers
  without case nor accents, synonyms from `content/cartographie.toml`), keeps the rows it
  understood and the rows with a problem, each with its reason, in an `ActorImport` row;
  `confirm` writes the actors. An actor is the same when its organisation and its commune,
  case and accents folded, are the same: importing a file twice updates, never doubles.
- **Matching** (`find_matches`, pure): a need in a category matches an offer in the same
  category from another actor; for « débouchés » in a chaîne de valeur, one of the offering
  actor's maillons must come after one of the needing actor's. Needs and offers come from the
  named needs surveys (`surveys.needs_and_offers`) and from what the team recorded for
  imported actors.
- **Introductions**: allowed only when each side on Telegram consented to the annuaire and can
  be written to; for an actor without Telegram, the animator gets their contact.

No `telegram` import here; the handlers are in `handlers/cartographie.py`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import secrets
import threading
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from bot.catalog import CONTENT, categories, category_example, familles
from bot.conversation import Flow, Kind, Option, SentFile, Step, StepContext
from bot.domain import ANIMATORS, READERS, MembershipStatus, Vision
from bot.services import journal
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.services.needs import NeedOrOffer
from bot.services.typed import clean_text
from bot.texts import caption, label
from storage.models import (
    Actor,
    ActorImport,
    ActorMaillon,
    ActorWant,
    Collective,
    Conversation,
    Introduction,
    Membership,
    MembershipMaillon,
    Person,
)
from storage.repos.cartographie import CartographieRepo
from storage.uow import UnitOfWork

MAX_BYTES = 2_000_000
MAX_ROWS = 2000
REQUIRED = ("organisation", "famille", "maillon", "commune")
DEBOUCHES = "debouches"
SPREADSHEET_NAMES = re.compile(r"\.(csv|txt|tsv|xlsx|xlsm)$", re.IGNORECASE)
LIMITS = {"organisation": 200, "commune": 120, "contact": 200, "detail": 300}


def repo(uow: UnitOfWork) -> CartographieRepo:
    return uow.repo(CartographieRepo)


# --- folding and the vocabulary


def fold(text: str | None) -> str:
    """Lowercase, no accents, punctuation as spaces, spaces collapsed: « Lycée  Agricole » and
    « lycee agricole » fold alike."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def actor_key(organisation: str, commune: str | None) -> str:
    return f"{fold(organisation)}|{fold(commune)}"[:330]


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, Any]:
    return tomllib.loads((CONTENT / "cartographie.toml").read_text(encoding="utf-8"))


def column_of(header: str) -> str | None:
    """Which column a header names (« Nom de la structure » → organisation), or None."""
    folded = fold(header)
    if not folded:
        return None
    columns: dict[str, list[str]] = _vocabulary()["colonnes"]
    for column, words in columns.items():
        if any(folded == fold(w) for w in words):
            return column
    for column, words in columns.items():
        if any(folded.startswith(fold(w) + " ") for w in words):
            return column
    return None


def famille_of(value: str) -> str | None:
    """The famille code a cell names: its code, its label (or the part before the
    parentheses), a word of the parentheses (« SCIC »), a synonym, or a prefix of one label."""
    folded = fold(value)
    if not folded:
        return None
    synonyms: dict[str, list[str]] = _vocabulary()["familles"]
    for code, famille in familles().items():
        labels = [famille.label("fr"), famille.label("en")]
        heads = [fold(label.split("(")[0]) for label in labels]
        words = [fold(w) for w in synonyms.get(code, [])]
        if folded in (fold(code), *map(fold, labels), *heads, *words):
            return code
    for code, famille in familles().items():
        inside = fold("".join(re.findall(r"\(([^)]*)\)", famille.label("fr"))))
        if folded in inside.split():
            return code
    prefixed = [
        code
        for code, famille in familles().items()
        if any(fold(famille.label(lang)).startswith(folded) for lang in ("fr", "en"))
    ]
    return prefixed[0] if len(prefixed) == 1 else None


def category_of(value: str) -> str | None:
    """The category a cell names: its code (« debouches »), or words of its labels."""
    folded = fold(value)
    if not folded:
        return None
    singular = " ".join(w.rstrip("s") for w in folded.split())
    for code in categories():
        if singular == code.rstrip("s"):
            return code
    for code, category in categories().items():
        for text in (category.as_need("fr"), category.as_offer("fr"), category.as_need("en")):
            words = " ".join(w.rstrip("s") for w in fold(text).split())
            if re.search(rf"\b{re.escape(singular)}\b", words):
                return code
    return None


# --- reading a spreadsheet


def read_table(content: bytes, name: str) -> list[list[str]]:
    """The cells of the first sheet as text. CSV: `;`, `,` or tab, UTF-8 (with or without a
    BOM) or Windows-1252. XLSX: read-only. Anything else is not a spreadsheet."""
    if not SPREADSHEET_NAMES.search(name or ""):
        raise Refusal("carto_not_a_spreadsheet", file=(name or "")[:80])
    if len(content) > MAX_BYTES:
        raise Refusal("carto_too_big", limit=MAX_BYTES // 1_000_000)
    if content[:4] == b"PK\x03\x04":
        return _read_xlsx(content, name)
    if b"\x00" in content[:4096] or re.search(r"\.xls[xm]$", name, re.IGNORECASE):
        raise Refusal("carto_not_a_spreadsheet", file=name[:80])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    return [
        [cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
    ]


def _read_xlsx(content: bytes, name: str) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        # A zip that is no workbook (a .docx, a damaged file): not a spreadsheet.
        raise Refusal("carto_not_a_spreadsheet", file=name[:80]) from None
    try:
        sheet = workbook.worksheets[0]
        rows: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class Problem:
    line: int
    organisation: str
    reason: str  # unknown_famille, no_famille, unknown_maillon, no_maillon, no_organisation,
    # unknown_category, twice, too_long
    value: str = ""


@dataclass
class Parsed:
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_rows(table: Sequence[Sequence[str]], collective: Collective) -> Parsed:
    """Rows understood (ready to write) and rows with a problem. Raises a refusal when the
    header lacks a required column."""
    header_at = next((i for i, row in enumerate(table) if any(c.strip() for c in row)), None)
    if header_at is None:
        raise Refusal("carto_empty")
    columns: dict[str, int] = {}
    for index, header in enumerate(table[header_at]):
        column = column_of(header)
        if column is not None and column not in columns:
            columns[column] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise Refusal("carto_missing_columns", missing=missing)
    body = table[header_at + 1 :]
    if len(body) > MAX_ROWS:
        raise Refusal("carto_too_many_rows", limit=MAX_ROWS)
    maillons = {fold(m.name): m for m in collective.maillons}
    parsed, seen = Parsed(), dict[str, int]()
    for offset, row in enumerate(body):
        line = header_at + offset + 2  # as the spreadsheet numbers it

        def cell(column: str, row: Sequence[str] = row) -> str:
            index = columns.get(column)
            return row[index].strip() if index is not None and index < len(row) else ""

        if not any(c.strip() for c in row):
            continue
        organisation = " ".join(cell("organisation").split())
        problem = _row_problem(cell, organisation, maillons)
        if problem is not None:
            parsed.problems.append(Problem(line, organisation[:80], *problem))
            continue
        commune = " ".join(cell("commune").split()) or None
        key = actor_key(organisation, commune)
        if key in seen:
            parsed.problems.append(Problem(line, organisation[:80], "twice", str(seen[key])))
            continue
        seen[key] = line
        wants, bad = _wants(cell("besoins"), "need") + _wants(cell("offres"), "offer"), None
        for _kind, category, detail in wants:
            if category is None:
                bad = detail
        if bad is not None:
            parsed.problems.append(Problem(line, organisation[:80], "unknown_category", bad))
            continue
        famille = famille_of(cell("famille"))
        assert famille is not None
        parsed.rows.append(
            {
                "line": line,
                "key": key,
                "organisation": organisation,
                "famille": famille,
                "commune": commune,
                "contact": cell("contact") or None,
                "maillons": _maillon_ids(cell("maillon"), maillons),
                "wants": [[k, c, d] for k, c, d in wants],
            }
        )
    return parsed


_SEPARATORS = re.compile(r"[,;/|+\n]")


def _row_problem(
    cell: Any, organisation: str, maillons: Mapping[str, Any]
) -> tuple[str, str] | None:
    if not organisation:
        return ("no_organisation", "")
    for column, limit in LIMITS.items():
        if column in ("organisation", "commune", "contact") and len(cell(column)) > limit:
            return ("too_long", column)
    if not cell("famille"):
        return ("no_famille", "")
    if famille_of(cell("famille")) is None:
        return ("unknown_famille", cell("famille")[:60])
    names = [n.strip() for n in _SEPARATORS.split(cell("maillon")) if n.strip()]
    if not names:
        return ("no_maillon", "")
    for name in names:
        if _maillon(name, maillons) is None:
            return ("unknown_maillon", name[:60])
    return None


def _maillon(name: str, maillons: Mapping[str, Any]) -> Any:
    folded = fold(name)
    if folded in maillons:
        return maillons[folded]
    prefixed = [m for key, m in maillons.items() if key.startswith(folded)]
    return prefixed[0] if len(prefixed) == 1 and folded else None


def _maillon_ids(text: str, maillons: Mapping[str, Any]) -> list[int]:
    ids: list[int] = []
    for name in _SEPARATORS.split(text):
        found = _maillon(name, maillons) if name.strip() else None
        if found is not None and found.id not in ids:
            ids.append(found.id)
    return ids


def _wants(text: str, kind: str) -> list[tuple[str, str | None, str | None]]:
    """« débouchés : 2 t de laine brute ; formation » → (kind, category, précisez) each; the
    category is None (and the précisez the text) when it names none."""
    found: list[tuple[str, str | None, str | None]] = []
    for item in re.split(r"[;\n|]", text):
        item = item.strip()
        if not item:
            continue
        head, _, detail = item.partition(":")
        if not detail and "(" in head and head.endswith(")"):
            head, _, detail = head[:-1].partition("(")
        category = category_of(head)
        if category is None:
            found.append((kind, None, item[:60]))
        else:
            found.append((kind, category, detail.strip()[: LIMITS["detail"]] or None))
    return found


# --- the import


async def require_animator(uow: UnitOfWork, collective: Collective, person: Person) -> Membership:
    return await require_role(uow, collective, person, ANIMATORS)


async def preview(
    uow: UnitOfWork,
    collective: Collective,
    person: Person,
    content: bytes,
    name: str,
    now: datetime,
) -> ActorImport:
    """Read the file and keep what it says until the animator confirms. Refuses a file that
    is not a spreadsheet or lacks a required column."""
    await require_animator(uow, collective, person)
    parsed = parse_rows(read_table(content, name), collective)
    existing = await repo(uow).actor_keys(collective.id)
    for row in parsed.rows:
        row["known"] = row["key"] in existing
    pending = ActorImport(
        collective_id=collective.id,
        person_id=person.id,
        file_name=name[:200],
        rows={"items": parsed.rows},
        problems={"items": [p.__dict__ for p in parsed.problems]},
        status="pending",
        created_at=now,
    )
    repo(uow).add(pending)
    await repo(uow).flush()
    return pending


async def pending_import(
    uow: UnitOfWork, import_id: int, person: Person
) -> tuple[ActorImport, Collective]:
    found = await repo(uow).pending(import_id)
    if found is None or found.status != "pending" or found.person_id != person.id:
        raise Refusal("stale_button")
    collective = await uow.collectives.get(found.collective_id)
    if collective is None:
        raise Refusal("stale_button")
    await require_animator(uow, collective, person)
    return found, collective


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int


async def confirm(
    uow: UnitOfWork, import_id: int, person: Person, now: datetime
) -> tuple[Imported, Collective]:
    """Write the rows understood: a new actor, or the same one (organisation and commune
    folded) updated. The journal records the import."""
    pending, collective = await pending_import(uow, import_id, person)
    current = {m.id for m in collective.maillons}
    actors = {a.key: a for a in await actors_of(uow, collective.id)}
    created = updated = 0
    for row in pending.rows.get("items", []):
        actor = actors.get(row["key"])
        if actor is None:
            actor = Actor(
                collective_id=collective.id,
                key=row["key"],
                imported_by=person.id,
                created_at=now,
                maillon_links=[],
                wants=[],
            )
            repo(uow).add(actor)
            actors[row["key"]] = actor
            created += 1
        else:
            updated += 1
        actor.organisation = row["organisation"]
        actor.famille = row["famille"]
        actor.famille_ess = familles()[row["famille"]].ess
        actor.commune = row["commune"]
        actor.contact = row["contact"] or actor.contact
        actor.updated_at = now
        actor.maillon_links = [ActorMaillon(maillon_id=i) for i in row["maillons"] if i in current]
        if row["wants"]:
            actor.wants = [ActorWant(kind=k, category=c, detail=d) for k, c, d in row["wants"]]
    pending.status = "done"
    await journal.record(
        uow,
        collective.id,
        "actors_imported",
        now,
        actor_id=person.id,
        data={"file": pending.file_name, "created": created, "updated": updated},
    )
    await repo(uow).flush()
    return Imported(created, updated), collective


async def cancel(uow: UnitOfWork, import_id: int, person: Person) -> None:
    pending, _ = await pending_import(uow, import_id, person)
    pending.status = "cancelled"


async def actors_of(uow: UnitOfWork, collective_id: int) -> list[Actor]:
    return await repo(uow).actors(collective_id)


async def actor_for_animator(
    uow: UnitOfWork, actor_id: int, person: Person
) -> tuple[Actor, Collective]:
    actor = await repo(uow).actor(actor_id)
    collective = await uow.collectives.get(actor.collective_id) if actor is not None else None
    if actor is None or collective is None:
        raise Refusal("stale_button")
    await require_animator(uow, collective, person)
    return actor, collective


async def delete_actor(
    uow: UnitOfWork, actor_id: int, person: Person, now: datetime
) -> tuple[str, Collective]:
    """Erase an imported actor, its contact and its introductions; the journal keeps the
    organisation's name (not personal data)."""
    actor, collective = await actor_for_animator(uow, actor_id, person)
    name = actor.organisation
    await repo(uow).delete_actor(actor)
    await journal.record(
        uow, collective.id, "actor_deleted", now, actor_id=person.id, data={"organisation": name}
    )
    await repo(uow).flush()
    return name, collective


# --- invitations: an imported actor claims their entry when they join


async def invite(
    uow: UnitOfWork, actor_id: int, person: Person, now: datetime
) -> tuple[Actor, Collective]:
    actor, collective = await actor_for_animator(uow, actor_id, person)
    if actor.invite_token is None:
        actor.invite_token = secrets.token_urlsafe(12)
    await journal.record(
        uow,
        collective.id,
        "actor_invited",
        now,
        actor_id=person.id,
        data={"organisation": actor.organisation},
    )
    return actor, collective


async def invited(uow: UnitOfWork, token: str) -> tuple[Actor, Collective]:
    """The actor an invitation link names; a stale link otherwise."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{8,32}", token):
        raise Refusal("stale_link")
    actor = await repo(uow).invited(token)
    collective = await uow.collectives.get(actor.collective_id) if actor is not None else None
    if actor is None or collective is None:
        raise Refusal("stale_link")
    return actor, collective


async def claim(
    uow: UnitOfWork, actor: Actor, member: Membership, person: Person, now: datetime
) -> None:
    """The invited person's membership takes the actor's entry: what the profile lacks comes
    from the spreadsheet (the profile questions then offer to keep it)."""
    if actor.membership_id is not None and actor.membership_id != member.id:
        raise Refusal("carto_already_claimed", organisation=actor.organisation)
    actor.membership_id = member.id
    member.organisation = member.organisation or actor.organisation
    if member.famille is None:
        member.famille, member.famille_ess = actor.famille, actor.famille_ess
    member.commune = member.commune or actor.commune
    # Explicit queries: the membership may be new, its collections never loaded.
    if not await repo(uow).has_maillons(member.id):
        for maillon_id in await repo(uow).actor_maillons(actor.id):
            repo(uow).add(MembershipMaillon(membership_id=member.id, maillon_id=maillon_id))
    await journal.record(
        uow,
        actor.collective_id,
        "actor_claimed",
        now,
        actor_id=person.id,
        data={"organisation": actor.organisation},
    )


# --- the mise en relation


@dataclass(frozen=True)
class Party:
    """One side of a match: a member (`member:<id>`) or an imported actor (`actor:<id>`)."""

    key: str
    name: str
    ess: bool
    maillons: tuple[int, ...]  # positions in the chain, in order
    person: Person | None = None  # on Telegram
    consent: bool = False
    contact: str | None = None
    username: str | None = None


@dataclass(frozen=True)
class Match:
    need: NeedOrOffer
    offer: NeedOrOffer
    # For « débouchés » in a chaîne: the needing actor's maillon and the later one offering.
    steps: tuple[int, int] | None = None

    @property
    def ref(self) -> tuple[str, str, str]:
        return (self.need.actor, self.offer.actor, self.need.category)


def find_matches(
    wants: Sequence[NeedOrOffer], positions: Mapping[str, Sequence[int]], *, chain: bool
) -> list[Match]:
    """The rule. A need in a category matches an offer in the same category from another
    actor. For « débouchés » in a chaîne de valeur, one of the offering actor's maillons must
    come after one of the needing actor's (positions in the chain's order). One match per
    (needing actor, offering actor, category), in the order the needs come."""
    offers = [w for w in wants if w.kind == "offer"]
    found: list[Match] = []
    seen: set[tuple[str, str, str]] = set()
    for need in (w for w in wants if w.kind == "need"):
        for offer in offers:
            if offer.category != need.category or offer.actor == need.actor:
                continue
            steps = None
            if chain and need.category == DEBOUCHES:
                steps = _downstream(positions.get(need.actor, ()), positions.get(offer.actor, ()))
                if steps is None:
                    continue
            ref = (need.actor, offer.actor, need.category)
            if ref not in seen:
                seen.add(ref)
                found.append(Match(need, offer, steps))
    return found


def _downstream(needing: Sequence[int], offering: Sequence[int]) -> tuple[int, int] | None:
    """The closest pair (needing maillon, later offering maillon), or None."""
    pairs = [(n, o) for n in needing for o in offering if o > n]
    return min(pairs, key=lambda p: (p[1] - p[0], p)) if pairs else None


@dataclass
class Board:
    """What the mise en relation knows of a collective: the parties, their needs and offers,
    the matches, and the introductions made."""

    collective: Collective
    parties: dict[str, Party]
    wants: list[NeedOrOffer]
    matches: list[Match]
    introduced: set[tuple[str, str]]

    def maillon_name(self, position: int) -> str:
        return self.collective.maillons[position].name


async def board(uow: UnitOfWork, collective: Collective) -> Board:
    from bot.services.surveys import needs_and_offers

    positions = {m.id: i for i, m in enumerate(collective.maillons)}
    members = [
        m
        for m in await uow.memberships.of_collective(collective.id)
        if m.status == MembershipStatus.ACTIVE
    ]
    parties: dict[str, Party] = {}
    for member in members:
        person = member.person
        parties[f"member:{member.id}"] = Party(
            key=f"member:{member.id}",
            name=member.organisation or person.display_name,
            ess=bool(member.famille_ess),
            maillons=tuple(sorted(positions[i] for i in member.maillon_ids if i in positions)),
            person=person,
            consent=member.directory_consent,
            username=person.username,
        )
    wants = list(await needs_and_offers(uow, collective.id))
    for actor in await actors_of(uow, collective.id):
        key = f"actor:{actor.id}"
        if actor.membership_id is not None and f"member:{actor.membership_id}" in parties:
            key = f"member:{actor.membership_id}"  # claimed: the member speaks for it
        else:
            parties[key] = Party(
                key=key,
                name=actor.organisation,
                ess=actor.famille_ess,
                maillons=tuple(sorted(positions[i] for i in actor.maillon_ids if i in positions)),
                contact=actor.contact,
            )
        wants += [NeedOrOffer(key, w.kind, w.category, w.detail, "animator") for w in actor.wants]  # type: ignore[arg-type]
    wants = [w for w in wants if w.actor in parties and w.category in categories()]
    matches = find_matches(
        wants,
        {k: p.maillons for k, p in parties.items()},
        chain=collective.vision != Vision.ECOSYSTEME,
    )
    rows = await repo(uow).introductions(collective.id)
    introduced = {(i.needing, i.offering) for i in rows}
    return Board(collective, parties, wants, matches, introduced)


async def matches_for(uow: UnitOfWork, collective: Collective, person: Person) -> Board:
    await require_animator(uow, collective, person)
    return await board(uow, collective)


@dataclass(frozen=True)
class Introduced:
    match: Match
    needing: Party
    offering: Party


async def introduce(
    uow: UnitOfWork,
    collective: Collective,
    person: Person,
    needing: str,
    offering: str,
    category: str,
    now: datetime,
) -> Introduced:
    """Put two actors of a current match in touch. Each side on Telegram must have consented
    to the annuaire and be reachable; an actor without Telegram is fine (the animator gets
    their contact)."""
    found = await matches_for(uow, collective, person)
    match = next((m for m in found.matches if m.ref == (needing, offering, category)), None)
    if match is None:
        raise Refusal("carto_match_gone")
    if (needing, offering) in found.introduced:
        raise Refusal("carto_already_introduced")
    sides = found.parties[needing], found.parties[offering]
    for side in sides:
        if side.person is None:
            continue
        if not side.consent:
            raise Refusal("carto_intro_no_consent", name=side.name)
        if side.person.unreachable_since is not None or side.person.erased_at is not None:
            raise Refusal("carto_intro_unreachable", name=side.name)
    repo(uow).add(
        Introduction(
            collective_id=collective.id,
            introduced_by=person.id,
            needing=needing,
            offering=offering,
            category=category,
            created_at=now,
        )
    )
    await journal.record(
        uow,
        collective.id,
        "actors_introduced",
        now,
        actor_id=person.id,
        data={"needing": sides[0].name, "offering": sides[1].name, "category": category},
    )
    return Introduced(match, *sides)


# --- the map and the exports


@dataclass(frozen=True)
class MapBox:
    key: str
    name: str
    ess: bool
    column: int | None  # the first maillon's position; None: on no maillon


async def map_data(
    uow: UnitOfWork, collective: Collective
) -> tuple[list[str], list[MapBox], list[tuple[str, str, bool]]]:
    """The maillons in order, the actors (members who consented, imported actors), and the
    lines: (one key, the other, introduced?)."""
    found = await board(uow, collective)
    shown = {k: p for k, p in found.parties.items() if p.person is None or p.consent}
    boxes = [
        MapBox(p.key, p.name, p.ess, p.maillons[0] if p.maillons else None)
        for p in sorted(shown.values(), key=lambda p: fold(p.name))
    ]
    lines: dict[tuple[str, str], bool] = {}
    for match in found.matches:
        pair = (match.need.actor, match.offer.actor)
        if pair[0] in shown and pair[1] in shown:
            lines[pair] = lines.get(pair, False) or pair in found.introduced
    for pair in found.introduced:
        if pair[0] in shown and pair[1] in shown:
            lines[pair] = True
    return [m.name for m in collective.maillons], boxes, [(a, b, i) for (a, b), i in lines.items()]


async def sheets(
    uow: UnitOfWork, collective: Collective
) -> list[tuple[str, list[str], list[list[Any]]]]:
    """For the export archive: the actors (imported, and members who consented to the
    annuaire) and the suggested matches."""
    found = await board(uow, collective)
    names = {code: f.label(collective.language) for code, f in familles().items()}
    cats = categories()
    by_actor: dict[str, list[NeedOrOffer]] = {}
    for want in found.wants:
        by_actor.setdefault(want.actor, []).append(want)
    actors = {f"actor:{a.id}": a for a in await actors_of(uow, collective.id)}
    members = {f"member:{m.id}": m for m in await uow.memberships.of_collective(collective.id)}

    lang = collective.language

    def wants(key: str, kind: str) -> str:
        return " ; ".join(
            (cats[w.category].as_need(lang) if kind == "need" else cats[w.category].as_offer(lang))
            + (f" ({w.detail})" if w.detail else "")
            for w in by_actor.get(key, [])
            if w.kind == kind
        )

    header = [
        "organisation", "famille", "ESS", "maillons", "commune", "contact", "sur Telegram",
        "besoins", "offres",
    ]  # fmt: skip
    rows: list[list[Any]] = []
    for key, party in sorted(found.parties.items(), key=lambda kv: fold(kv[1].name)):
        if party.person is not None and not party.consent:
            continue
        actor, member = actors.get(key), members.get(key)
        famille = actor.famille if actor is not None else (member.famille if member else None)
        commune = actor.commune if actor is not None else (member.commune if member else None)
        rows.append(
            [
                party.name,
                names.get(famille or "", ""),
                party.ess,
                ", ".join(found.maillon_name(p) for p in party.maillons),
                commune,
                party.contact
                if party.person is None
                else (f"@{party.username}" if party.username else None),
                party.person is not None,
                wants(key, "need"),
                wants(key, "offer"),
            ]
        )
    match_rows = [
        [
            found.parties[m.need.actor].name,
            cats[m.need.category].as_need(lang),
            m.need.detail,
            found.parties[m.offer.actor].name,
            m.offer.detail,
            (m.need.actor, m.offer.actor) in found.introduced,
        ]
        for m in found.matches
    ]
    return [
        ("acteurs", header, rows),
        (
            "mises_en_relation",
            ["cherche", "catégorie", "précision", "propose", "précision", "présentés"],
            match_rows,
        ),
    ]


async def actors_csv(uow: UnitOfWork, collective: Collective, person: Person) -> bytes:
    from bot.exports import csv_bytes

    await require_animator(uow, collective, person)
    _name, header, rows = (await sheets(uow, collective))[0]
    return csv_bytes(header, rows)


async def map_png(
    uow: UnitOfWork, collective: Collective, person: Person, lang: str
) -> tuple[bytes, int]:
    """The actors' map as a PNG, and how many actors it shows. Members and observers read it."""
    await require_role(uow, collective, person, READERS)
    return await draw_map(uow, collective, lang)


async def draw_map(uow: UnitOfWork, collective: Collective, lang: str) -> tuple[bytes, int]:
    """Read what the map shows, end the transaction, then draw in a worker thread: a large
    map takes a second or two, which must hold neither the database nor the event loop."""
    maillons, boxes, lines = await map_data(uow, collective)
    legend = tuple(
        caption(f"cartographie/legend_{w}", lang)
        for w in ("ess", "non_ess", "matched", "introduced")
    )
    none = caption("cartographie/legend_none", lang, vision=collective.vision)
    await uow.checkpoint()
    content = await asyncio.to_thread(
        _draw_one_at_a_time,
        collective.title,
        maillons,
        boxes,
        lines,
        without_maillon=none,
        legend=legend,
    )
    return content, len(boxes)


# One map drawn at a time (each takes a core for a moment); a worker thread waits, not the loop.
_DRAWING = threading.Lock()


def _draw_one_at_a_time(*args: Any, **kwargs: Any) -> bytes:
    from bot.actor_map import draw

    with _DRAWING:
        return draw(*args, **kwargs)


# --- personal data (/mes_donnees, /oublier)


async def export_person(uow: UnitOfWork, person: Person) -> list[dict[str, Any]]:
    """The introductions made by the person or about their memberships, and the imported
    entries they claimed."""
    ids = await repo(uow).membership_ids(person.id)
    found: list[dict[str, Any]] = [
        {
            "mise_en_relation": i.id,
            "cherche": i.needing,
            "propose": i.offering,
            "catégorie": i.category,
            "le": i.created_at.isoformat(),
            "faite_par_moi": i.introduced_by == person.id,
        }
        for i in await repo(uow).introductions_about(person.id, [f"member:{x}" for x in ids])
    ]
    found += [
        {"fiche_importée": a.organisation, "commune": a.commune, "contact": a.contact}
        for a in await repo(uow).claimed_by(ids)
    ]
    return found


async def forget_person(uow: UnitOfWork, person: Person, now: datetime) -> None:
    """Introductions about the person's memberships go, and so do the imported entries they
    claimed (their contact was theirs); introductions they made keep no name of theirs."""
    await repo(uow).forget(person.id, await repo(uow).membership_ids(person.id))


# --- the import question (the conversation engine): « Envoyez le fichier »

IMPORT = "carto_import"


@dataclass(frozen=True)
class ImportSubject:
    collective: Collective


async def _load(uow: UnitOfWork, conversation: Conversation) -> ImportSubject | None:
    collective = await uow.collectives.get(conversation.collective_id or 0)
    return ImportSubject(collective) if collective is not None else None


async def _guard(ctx: StepContext) -> None:
    await require_animator(ctx.uow, ctx.subject.collective, ctx.person)


async def _save_file(ctx: StepContext, value: Any) -> None:
    if not isinstance(value, SentFile):
        raise Refusal("carto_send_file")
    if not SPREADSHEET_NAMES.search(value.name):
        raise Refusal("carto_not_a_spreadsheet", file=value.name[:80])
    ctx.remember(file_id=value.file_id, file_name=value.name[:200])


IMPORT_FLOW = Flow(
    name=IMPORT,
    steps=(
        Step(
            "file",
            Kind.TEXT,
            "cartographie/ask_file",
            _save_file,
            params=lambda ctx: {"c": ctx.subject.collective},
            back=False,
            optional=True,
            skip_caption="cartographie/cancel_import",
            files=True,
        ),
    ),
    load=_load,
    guard=_guard,
    title=lambda ctx: label("cartographie/import_title", ctx.lang),
)


# --- a need or an offer the team records for an imported actor

WANT = "carto_want"


@dataclass(frozen=True)
class WantSubject:
    actor: Actor
    collective: Collective


async def _load_want(uow: UnitOfWork, conversation: Conversation) -> WantSubject | None:
    actor = await repo(uow).actor(conversation.subject_id or 0)
    collective = await uow.collectives.get(actor.collective_id) if actor is not None else None
    return WantSubject(actor, collective) if actor is not None and collective else None


async def _guard_want(ctx: StepContext) -> None:
    await require_animator(ctx.uow, ctx.subject.collective, ctx.person)


def _want_params(ctx: StepContext) -> dict[str, Any]:
    kind = ctx.data.get("kind")
    example = category_example(ctx.data.get("category"), kind, ctx.lang) if kind else ""
    return {"actor": ctx.subject.actor, "kind": kind, "example": example}


async def _save_kind(ctx: StepContext, value: str) -> None:
    if value not in ("need", "offer"):
        raise Refusal("stale_button")
    ctx.remember(kind=value)


def _category_options(ctx: StepContext) -> list[Option]:
    need = ctx.data.get("kind") == "need"
    return [
        Option(code, c.as_need(ctx.lang) if need else c.as_offer(ctx.lang))
        for code, c in categories().items()
    ]


async def _save_category(ctx: StepContext, value: str) -> None:
    if value not in categories():
        raise Refusal("stale_button")
    ctx.remember(category=value)


async def _save_detail(ctx: StepContext, value: str) -> None:
    ctx.remember(detail=value)


async def _add_want(ctx: StepContext) -> None:
    actor: Actor = ctx.subject.actor
    kind, category = ctx.data.get("kind"), ctx.data.get("category")
    if kind not in ("need", "offer") or category not in categories():
        raise Refusal("stale_button")
    # The collection is loaded with the actor: append, so the card shows it at once.
    actor.wants.append(ActorWant(kind=kind, category=category, detail=ctx.data.get("detail")))
    await journal.record(
        ctx.uow,
        actor.collective_id,
        "actor_want_added",
        ctx.now,
        actor_id=ctx.person.id,
        data={"organisation": actor.organisation, "kind": kind, "category": category},
    )
    await repo(ctx.uow).flush()


WANT_FLOW = Flow(
    name=WANT,
    steps=(
        Step(
            "kind",
            Kind.CHOICE,
            "cartographie/ask_want_kind",
            _save_kind,
            params=_want_params,
            options=lambda ctx: [
                Option("need", caption("cartographie/want_need", ctx.lang)),
                Option("offer", caption("cartographie/want_offer", ctx.lang)),
            ],
        ),
        Step(
            "category",
            Kind.CHOICE,
            "cartographie/ask_want_category",
            _save_category,
            params=_want_params,
            options=_category_options,
        ),
        Step(
            "detail",
            Kind.TEXT,
            "cartographie/ask_want_detail",
            _save_detail,
            params=_want_params,
            parse=lambda ctx, text: clean_text(text, field="detail", limit=LIMITS["detail"]),
            optional=True,
        ),
    ),
    load=_load_want,
    guard=_guard_want,
    complete=_add_want,
    title=lambda ctx: label(
        "cartographie/want_title", ctx.lang, name=ctx.subject.actor.organisation
    ),
)


async def clear_wants(uow: UnitOfWork, actor_id: int, person: Person, now: datetime) -> Actor:
    actor, collective = await actor_for_animator(uow, actor_id, person)
    actor.wants = []
    await journal.record(
        uow,
        collective.id,
        "actor_wants_cleared",
        now,
        actor_id=person.id,
        data={"organisation": actor.organisation},
    )
    await repo(uow).flush()
    return actor
