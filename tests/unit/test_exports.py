"""The export rules every feature's files follow: CSV for French spreadsheets, XLSX as typed."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

from bot.exports import Sheet, csv_bytes, xlsx_bytes

HOSTILE = ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rx", "<b>Ferme</b> & {{ x }}"]


def test_csv_opens_in_french_spreadsheets_and_runs_no_formula() -> None:
    data = csv_bytes(
        ["Réponse", "Quantité", "Prix", "Quand"],
        [[text, 3, 12.5, datetime(2026, 12, 3, 9, 30, tzinfo=UTC)] for text in HOSTILE]
        + [["", -2, Decimal("0.25"), None]],
    )
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Réponse", "Quantité", "Prix", "Quand"]
    cells = [row[0] for row in rows[1:-1]]
    assert cells[:6] == ["'=1+1", "'+33 6", "'-2", "'@SUM(A1)", "'\tx", "'\rx"]
    assert cells[6] == "<b>Ferme</b> & {{ x }}"
    assert rows[1][1:] == ["3", "12,5", "2026-12-03 09:30"]
    # A number stays a number, negative included; only text is neutralised.
    assert rows[-1] == ["", "-2", "0,25", ""]


def test_xlsx_keeps_member_texts_as_string_cells() -> None:
    data = xlsx_bytes([Sheet("Réponses", ["Texte", "Nombre"], [[t, 1] for t in HOSTILE])])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        strings = (
            archive.read("xl/sharedStrings.xml").decode()
            if ("xl/sharedStrings.xml" in archive.namelist())
            else sheet
        )
    assert "<f>" not in sheet  # no formula anywhere
    assert "=1+1" in strings and "@SUM(A1)" in strings
    assert 't="s"' in sheet or 't="inlineStr"' in sheet
    assert "<v>1</v>" in sheet  # the number as a number


def test_a_bar_chart_is_a_png_of_a_sensible_size() -> None:
    from bot.charts import bar_chart
    from bot.sandbox.rules import image_size

    data = bar_chart("Besoins", ["Débouchés", "Foncier et locaux", "Formation"], [12, 5, 0], "%")
    assert data.startswith(b"\x89PNG")
    width, height = image_size(data)  # type: ignore[misc]
    assert 400 < width < 1200 and 150 < height < 800
