"""The animator's export archive: one ZIP with a CSV per table, one XLSX workbook with a sheet
per table, the « bilan de la filière » as HTML, the charter's files, each vote's detailed
results, and LISEZMOI.txt describing every file.

The tables come from providers `async (uow, collective) -> list[(stem, headers, rows)]`,
listed in `ARCHIVE_PROVIDERS`; another feature adds its own tables (resources, actors) by
appending to it. The bilan is the synthèse's sections over the collective's whole life
(`bot.services.digest.PROVIDERS`), so a section added there shows in the bilan too.
"""

from __future__ import annotations

import contextvars
import io
import tempfile
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from bot import catalog
from bot.digests import plain_text, sections_html
from bot.exports import Cell, Sheet, write_csv, write_xlsx
from bot.services import digest as digest_svc
from bot.services import roadmap as roadmap_svc
from bot.services import surveys as surveys_svc
from bot.services.collectives import slugify
from bot.texts import caption, environment, render
from storage.models import Collective
from storage.repos.archive import ArchiveRepo
from storage.uow import UnitOfWork

Table = tuple[str, list[str], list[list[Cell]]]
SheetProvider = Callable[[UnitOfWork, Collective], Awaitable[list[Table]]]

# The moment the archive is made (the providers' signature carries no clock).
_now: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("archive_now", default=None)


def now() -> datetime:
    return _now.get() or datetime.now(UTC)


def _local(moment: datetime | None, collective: Collective) -> datetime | None:
    return moment.astimezone(ZoneInfo(collective.timezone)) if moment is not None else None


def _cols(name: str, lang: str) -> list[str]:
    return caption(f"archive/{name}", lang).split("|")


# --- the tables


async def members_tables(uow: UnitOfWork, collective: Collective) -> list[Table]:
    """Everyone, for the animator's own archive, with whether they consented to the annuaire."""
    lang = collective.language
    r = uow.repo(ArchiveRepo)
    maillons = await r.maillons_of_members(collective.id)
    familles = catalog.familles()
    rows: list[list[Cell]] = [
        [
            m.person.display_name,
            caption(f"role_{m.role.value}", lang) if m.role else None,
            caption(f"archive/status_{m.status.value}", lang),
            m.organisation,
            familles[m.famille].label(lang) if m.famille in familles else m.famille,
            m.famille_ess,
            ", ".join(maillons.get(m.id, [])),
            m.commune,
            m.directory_consent,
            _local(m.joined_at, collective),
            _local(m.left_at, collective),
        ]
        for m in await r.memberships(collective.id)
    ]
    return [("membres", _cols("cols_members", lang), rows)]


async def surveys_tables(uow: UnitOfWork, collective: Collective) -> list[Table]:
    """Each closed survey's responses (an anonymous survey's stay anonymous)."""
    lang = collective.language
    tables: list[Table] = []
    for survey_id in await uow.repo(ArchiveRepo).closed_surveys(collective.id):
        found = await surveys_svc.answers_table(uow, survey_id, lang)
        if found is None:
            continue
        survey, header, rows = found
        tables.append((f"enquete-{survey_id}-{slugify(survey.title)[:30]}", header, rows))
    return tables


async def votes_tables(uow: UnitOfWork, collective: Collective) -> list[Table]:
    lang = collective.language
    rows: list[list[Cell]] = []
    for vote, voters, electors in await uow.repo(ArchiveRepo).votes(collective.id):
        rows.append(
            [
                vote.title,
                caption(f"archive/vote_kind_{vote.kind}", lang),
                caption(f"votes/method_{vote.method}", lang),
                caption("votes/secret" if vote.anonymous else "votes/public", lang),
                caption(f"votes/status_{vote.status}", lang),
                caption(f"votes/outcome_{vote.outcome}", lang) if vote.outcome else None,
                _local(vote.opened_at, collective),
                _local(vote.closed_at, collective),
                int(voters or 0),
                int(electors or 0),
            ]
        )
    return [("votes", _cols("cols_votes", lang), rows)]


async def charter_tables(uow: UnitOfWork, collective: Collective) -> list[Table]:
    from bot.services import charter as charter_svc
    from storage.repos.votes import CharterRepo

    lang = collective.language
    if await uow.repo(CharterRepo).of_collective(collective.id) is None:
        return []
    _, records = await charter_svc.history(uow, collective)
    versions: list[list[Cell]] = [
        [r.version.number, _local(r.version.adopted_at, collective), r.version.change]
        for r in records
    ]
    signed: list[list[Cell]] = [
        [s.version, s.name, s.organisation, _local(s.signed_at, collective)]
        for r in records
        for s in r.signatories
    ]
    return [
        ("charte-versions", _cols("cols_charter_versions", lang), versions),
        ("charte-signataires", _cols("cols_charter_signatories", lang), signed),
    ]


async def meetings_tables(uow: UnitOfWork, collective: Collective) -> list[Table]:
    header, rows = await roadmap_svc.meetings_table(uow, collective, collective.language, now())
    return [("reunions", header, rows)]


async def actions_tables(uow: UnitOfWork, collective: Collective) -> list[Table]:
    header, rows = await roadmap_svc.actions_table(uow, collective, now(), collective.language)
    return [("actions", header, rows)]


async def journal_tables(uow: UnitOfWork, collective: Collective) -> list[Table]:
    """The journal, each event as the animator reads it in /journal (anonymous answers carry
    no one, here as there)."""
    from bot.services.journal import JournalLine

    lang = collective.language
    r = uow.repo(ArchiveRepo)
    names: dict[int, str] = {}
    rows: list[list[Cell]] = []
    async for chunk in r.journal(collective.id):
        wanted = {i for e in chunk for i in (e.actor_id, e.subject_id) if i and i not in names}
        for person_id, person in (await uow.people.many(list(wanted))).items():
            names[person_id] = person.display_name
        for e in chunk:
            actor = names.get(e.actor_id) if e.actor_id else None
            subject = names.get(e.subject_id) if e.subject_id else None
            line = JournalLine(e.at, e.kind, actor, subject, dict(e.data or {}))
            rows.append([_local(e.at, collective), e.kind, _sentence(line, lang), actor, subject])
    return [("journal", _cols("cols_journal", lang), rows)]


def _sentence(line: Any, lang: str) -> str:
    from jinja2 import TemplateNotFound

    try:
        html = render(f"journal/kinds/{line.kind}", lang, l=line)
    except TemplateNotFound:
        html = render("journal/kinds/other", lang, l=line)
    if "<" not in html and "&" not in html:
        return html.strip()
    return plain_text(html).strip()


async def resources_tables(uow: UnitOfWork, collective: Collective) -> list[Table]:
    """The toolbox's resources and where the collective stands on the guide's checklist."""
    from bot.services import toolbox

    return await toolbox.sheets(uow, collective)


async def actors_tables(uow: UnitOfWork, collective: Collective) -> list[Table]:
    """The cartographie: actors (imported, and members in the annuaire) and suggested matches."""
    from bot.services import cartographie

    return await cartographie.sheets(uow, collective)


# In the order of the workbook's sheets. Another feature appends its own provider here.
ARCHIVE_PROVIDERS: list[SheetProvider] = [
    members_tables,
    surveys_tables,
    votes_tables,
    charter_tables,
    meetings_tables,
    actions_tables,
    resources_tables,
    actors_tables,
    journal_tables,
]


# --- the archive


@dataclass
class Archive:
    collective: Collective
    made_at: datetime
    tables: list[Table]
    files: dict[str, bytes]  # other files, by path in the ZIP
    bilan: str  # the bilan de la filière, HTML

    @property
    def stem(self) -> str:
        return (
            f"{self.collective.slug or 'collectif'}-{_local(self.made_at, self.collective):%Y%m%d}"
        )

    @property
    def zip_name(self) -> str:
        return f"tisserand-{self.stem}.zip"


async def build(
    uow: UnitOfWork,
    collective: Collective,
    at: datetime,
    providers: list[SheetProvider] | None = None,
) -> Archive:
    """Everything read from the database; `write_zip` then needs no database (run it in a
    thread, outside the transaction)."""
    token = _now.set(at)
    try:
        tables: list[Table] = []
        for provider in ARCHIVE_PROVIDERS if providers is None else providers:
            tables += await provider(uow, collective)
        files = await _extra_files(uow, collective, at)
        digest = digest_svc.Digest(
            collective,
            collective.created_at,
            at,
            [
                s
                for p in digest_svc.PROVIDERS
                if (s := await p(uow, collective, collective.created_at, at)) is not None
            ],
        )
        sections = sections_html(digest, collective.language, at)
        bilan = render(
            "archive/bilan",
            collective.language,
            c=collective,
            d=digest,
            sections=sections,
            tables=[(stem, len(rows)) for stem, _, rows in tables],
            tz=collective.timezone,
            now=at,
        )
        return Archive(collective, at, tables, files, bilan)
    finally:
        _now.reset(token)


async def _extra_files(uow: UnitOfWork, collective: Collective, at: datetime) -> dict[str, bytes]:
    """The charter's text (Markdown, HTML) and each vote's detailed results, as the features
    export them."""
    from bot.services.vote_files import charter_files, results_csv
    from storage.repos.votes import CharterRepo

    files: dict[str, bytes] = {}
    if await uow.repo(CharterRepo).of_collective(collective.id) is not None:
        for name, content in (await charter_files(uow, collective, at)).items():
            files[f"charte/{name}"] = content
    for vote, _, _ in await uow.repo(ArchiveRepo).votes(collective.id):
        content = await results_csv(uow, vote, collective, collective.language)
        files[f"votes/vote-{vote.id}-{slugify(vote.title)[:30]}.csv"] = content
    return files


def readme(archive: Archive) -> str:
    lang = archive.collective.language
    env = environment(html=False)
    template = env.get_template(f"{lang}/archive/lisezmoi.j2")
    about = []
    for stem, header, rows in archive.tables:
        # A table described on its own (charte-versions, charte-signataires), else by family
        # (enquete-<slug>).
        kind = stem.replace("-", "_")
        if kind not in _DESCRIBED:
            kind = stem.split("-")[0]
        known = kind in _DESCRIBED
        about.append(
            (
                f"{stem}.csv",
                caption(f"archive/about_{kind}", lang) if known else None,
                len(rows),
                len(header),
            )
        )
    return (
        template.render(
            c=archive.collective,
            a=archive,
            tables=about,
            files=sorted(archive.files),
            made=_local(archive.made_at, archive.collective),
        ).strip()
        + "\n"
    )


_DESCRIBED = {
    "membres",
    "enquete",
    "votes",
    "charte_versions",
    "charte_signataires",
    "reunions",
    "actions",
    "ressources",
    "guide_checklist",
    "acteurs",
    "mises_en_relation",
    "journal",
}


def write_zip(archive: Archive, target: IO[bytes]) -> None:
    """The ZIP, each CSV streamed into it, the workbook written row by row to a temporary
    file (XlsxWriter's constant-memory mode) then added."""
    # Fast compression: CSV shrinks well even at level 1; the workbook is a ZIP already.
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for stem, header, rows in archive.tables:
            with zf.open(f"{stem}.csv", "w") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                write_csv(text, header, rows)
                text.flush()
                text.detach()
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as workbook:
            write_xlsx(
                workbook.name,
                (Sheet(stem, header, rows) for stem, header, rows in archive.tables),
            )
            zf.write(workbook.name, f"{archive.stem}.xlsx", compress_type=zipfile.ZIP_STORED)
        for name, content in archive.files.items():
            zf.writestr(name, content)
        zf.writestr("bilan-de-la-filiere.html", archive.bilan.encode("utf-8"))
        zf.writestr("LISEZMOI.txt", readme(archive).encode("utf-8"))


def zip_bytes(archive: Archive) -> bytes:
    buffer = io.BytesIO()
    write_zip(archive, buffer)
    return buffer.getvalue()


__all__ = ["ARCHIVE_PROVIDERS", "Archive", "Markup", "SheetProvider", "Table", "build"]
