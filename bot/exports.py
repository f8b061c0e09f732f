"""Tables as files the animator's partners open: CSV for French spreadsheets, and XLSX.

One set of rules for every export (surveys, votes, meetings, actions, resources, the archive):
- CSV in UTF-8 with a BOM and `;` separators, so French Excel and LibreOffice open it right;
  numbers stay numbers (decimals with a comma); a text cell that a spreadsheet would run as a
  formula (it begins with =, +, -, @, a tab or a carriage return) is neutralised with a
  leading apostrophe.
- XLSX written by XlsxWriter, streamed row by row (bounded memory), with every text written as
  a string cell exactly as typed: `=1+1` typed by a member stays the text `=1+1`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

Cell = str | int | float | Decimal | bool | date | datetime | None
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will show as text, never run."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return format(value, "f").rstrip("0").rstrip(".").replace(".", ",") if value else "0"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def write_csv(stream: IO[str], header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    """Stream a table as CSV (the caller opened `stream` with newline="")."""
    stream.write("\ufeff")
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([csv_value(v) for v in row])


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO(newline="")
    write_csv(buffer, header, rows)
    return buffer.getvalue().encode("utf-8")


@dataclass
class Sheet:
    name: str  # 31 characters at most, no []:*?/\
    header: Sequence[str]
    rows: Iterable[Sequence[Cell]]


_WORKBOOK_OPTIONS = {
    # Stream rows to a temporary file instead of holding the whole sheet in memory.
    "constant_memory": True,
    # Member texts are strings as typed, never formulas, numbers or links.
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def write_xlsx(target: str | Path | IO[bytes], sheets: Iterable[Sheet]) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, _WORKBOOK_OPTIONS)
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    used: set[str] = set()
    for sheet in sheets:
        worksheet = workbook.add_worksheet(_sheet_name(sheet.name, used))
        for column, title in enumerate(sheet.header):
            worksheet.write_string(0, column, title, bold)
        for row_number, row in enumerate(sheet.rows, start=1):
            for column, value in enumerate(row):
                _write(worksheet, row_number, column, value, when, day)
    workbook.close()


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    return buffer.getvalue()


def _write(sheet: Any, row: int, column: int, value: Cell, when: Any, day: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, column, float(value))
    elif isinstance(value, datetime):
        sheet.write_datetime(row, column, value.replace(tzinfo=None), when)
    elif isinstance(value, date):
        sheet.write_datetime(row, column, datetime(value.year, value.month, value.day), day)
    else:
        sheet.write_string(row, column, str(value))


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join("_" if c in "[]:*?/\\" else c for c in name)[:31] or "Feuille"
    candidate, n = clean, 2
    while candidate.casefold() in used:
        suffix = f" ({n})"
        candidate, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.casefold())
    return candidate
