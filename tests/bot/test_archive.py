"""/export and `tisserand export`: one ZIP with a CSV per table, the XLSX with a sheet per
table, the bilan de la filière and LISEZMOI.txt; every CSV and the workbook read back; member
texts kept literally and never run as formulas."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from tests.bot.survey_helpers import CLOSING, SIMPLE, answer_needs, launched, until
from tests.bot.votes_helpers import open_vote
from tests.conftest import BACKEND
from tests.helpers import actor, journal_kinds, nb, scene

HOSTILE = '=HYPERLINK("http://x") <b>{{ 7*7 }}</b>'


async def busy(h: Harness) -> tuple[SandboxChat, SandboxUser, list[SandboxUser]]:
    """Members (one with a hostile organisation name), a closed survey, a public vote."""
    group, claire, users = await launched(h, 2)
    for user in users:
        await answer_needs(h, user, group, SIMPLE)
    newcomer = h.sandbox.add_user("Nouveau", last_name="Venu")
    await h.join(newcomer, group)
    await scene(h).onboard(newcomer, actor(org=HOSTILE, consent=False), via_group=group)
    await until(h, CLOSING)
    await open_vote(h, claire, "Adhérer au réseau ?")
    await h.press(users[0], group, "Pour")
    return group, claire, users


def read_zip(content: bytes) -> tuple[zipfile.ZipFile, dict[str, list[list[str]]]]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    tables = {}
    for name in archive.namelist():
        if name.endswith(".csv") and "/" not in name:
            raw = archive.read(name)
            assert raw.startswith(b"\xef\xbb\xbf"), name
            tables[name] = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    return archive, tables


async def test_export_sends_the_archive_in_private(harness: Harness) -> None:
    h = harness
    group, claire, users = await busy(h)
    await h.say(users[0], None, "/export")
    assert "Seule l'équipe d'animation" in h.last(users[0]).plain
    # A charter: its two tables come along (and are described apart in LISEZMOI).
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Charger le modèle de charte")
    await h.say(claire, group, "/export")
    assert "je l'envoie en privé" in h.last(group).plain
    await h.say(claire, None, "/export")
    message = h.last(claire)
    assert message.document is not None
    name, content, _ = message.document
    assert name.startswith("tisserand-") and name.endswith(".zip")
    assert nb("Archive du collectif « Filière laine du Cantal »") in message.plain
    archive, tables = read_zip(content)
    names = set(archive.namelist())
    stems = {n[:-4] for n in tables}
    assert {"membres", "votes", "reunions", "actions", "journal"} <= stems
    assert any(s.startswith("enquete-") for s in stems)
    assert {"bilan-de-la-filiere.html", "LISEZMOI.txt"} <= names
    assert any(n.startswith("votes/vote-") for n in names)
    # Members: everyone, with the annuaire's consent; the hostile text neutralised.
    members = tables["membres.csv"]
    assert members[0][-3] == "annuaire (consentement)"
    hostile = next(row for row in members if HOSTILE in row[3] or "'" + HOSTILE in row[3])
    assert hostile[3] == "'" + HOSTILE and hostile[-3] == "non"
    # Every table is in the workbook, one sheet each, texts exactly as typed.
    [xlsx] = [n for n in names if n.endswith(".xlsx")]
    book = openpyxl.load_workbook(io.BytesIO(archive.read(xlsx)), read_only=True)
    assert len(book.sheetnames) == len(tables)
    for sheet_name, (csv_name, rows) in zip(book.sheetnames, tables.items(), strict=True):
        sheet = [list(r) for r in book[sheet_name].iter_rows(values_only=True)]
        assert len(sheet) == len(rows), csv_name
    sheet = [list(r) for r in book[book.sheetnames[0]].iter_rows(values_only=True)]
    assert [c for row in sheet for c in row if c == HOSTILE] == [HOSTILE]
    cell = next(
        c for row in book[book.sheetnames[0]].iter_rows() for c in row if c.value == HOSTILE
    )
    assert cell.data_type == "s"  # a string, never a formula
    # The survey's answers, the vote, the journal.
    [survey] = [rows for n, rows in tables.items() if n.startswith("enquete-")]
    assert len(survey) == 3
    votes = tables["votes.csv"]
    assert votes[1][0] == "Adhérer au réseau ?" and votes[1][-2:] == ["1", "4"]
    journal = tables["journal.csv"]
    assert any("a répondu à l'enquête" in row[2] for row in journal[1:])
    # LISEZMOI describes every file; the bilan names no person, no organisation without consent.
    readme = archive.read("LISEZMOI.txt").decode()
    assert re.search(r"Établie par Tisserand le \d\d/\d\d/\d{4} à \d{1,2} h \d\d\.", readme)
    for n in names - {"LISEZMOI.txt"}:
        assert n in readme, n
    # The two charter tables are told apart.
    about = {
        line.split(" (")[0][2:]: line.split(") : ".replace(" :", "\u202f:"), 1)[1]
        for line in readme.splitlines()
        if line.startswith("- charte-")
    }
    assert set(about) == {"charte-versions.csv", "charte-signataires.csv"}, readme
    assert about["charte-versions.csv"] != about["charte-signataires.csv"]
    assert "qui a signé la charte" in about["charte-signataires.csv"]
    bilan = archive.read("bilan-de-la-filiere.html").decode()
    assert bilan.startswith("<!doctype html>") and "http" not in bilan.replace(HOSTILE, "")
    assert "GAEC des Estives" in bilan
    assert "HYPERLINK" not in bilan and "Claire" not in bilan
    assert "archive_exported" in await journal_kinds(h, group)
    await h.say(claire, None, "/journal")
    assert "a exporté l'archive du collectif" in h.last(claire).plain


async def test_the_command_line_writes_the_archive(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.cli import main

    h = harness
    group, claire, users = await busy(h)
    async with h.app.deps.uow() as uow:
        found = await uow.collectives.by_chat(group.id)
        assert found is not None and found.slug
        slug = found.slug
    monkeypatch.setenv("TISSERAND_DATABASE_URL", h.app.deps.settings.database_url)
    out = tmp_path / "archive.zip"
    assert await asyncio.to_thread(main, ["export", slug, "--out", str(out)]) == 0
    archive, tables = read_zip(out.read_bytes())
    assert "membres.csv" in tables and len(tables["membres.csv"]) == 5
    assert await asyncio.to_thread(main, ["export", "inconnu"]) == 2


async def test_a_collective_with_no_activity_exports_empty_tables(harness: Harness) -> None:
    from tests.helpers import wool_collective

    h = harness
    group, claire, users = await wool_collective(h, members=0)
    await h.say(claire, None, "/export")
    document = h.last(claire).document
    assert document is not None
    archive, tables = read_zip(document[1])
    assert len(tables["membres.csv"]) == 2  # the header and Claire
    assert len(tables["votes.csv"]) == 1


@pytest.mark.skipif(BACKEND != "sqlite", reason="a SQLite file that is missing or not migrated")
def test_the_command_line_reads_only_a_bot_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    missing = tmp_path / "nowhere.db"
    monkeypatch.setenv("TISSERAND_DATABASE_URL", f"sqlite+aiosqlite:///{missing}")
    for command in (["export", "filiere-laine"], ["digest", "filiere-laine", "--preview"]):
        assert main(command) == 2
        error = capsys.readouterr().err.strip()
        assert error.startswith("tisserand: pas de base de données à lire ici"), error
        assert "Traceback" not in error
    assert not missing.exists()  # no empty database made on the way
    empty = tmp_path / "empty.db"
    empty.touch()  # a file no bot ever used: brought up to date, then nothing to export
    monkeypatch.setenv("TISSERAND_DATABASE_URL", f"sqlite+aiosqlite:///{empty}")
    assert main(["export", "filiere-laine"]) == 2
    assert "aucun collectif ne s'appelle" in capsys.readouterr().err
