"""XLSForms in and out: the spreadsheet format of KoboToolbox and ODK, read with pyxform.

What is understood, and nothing else (everything else is listed back, and nothing is created):
- types `select_one`, `select_multiple` (with `or_other`), `text`, `integer`, `decimal`,
  `range`, `note`; `start`, `end`, `today` and `deviceid` rows are metadata and are skipped;
- `required`; `constraint` of the form `. >= a and . <= b` (or one half) on numbers, and
  `string-length(.) <= n` on texts;
- `relevant` of the simple forms `${q} = 'v'`, `selected(${q}, 'v')`, with `and`, `or`;
- labels (and hints) from `label` or a French column such as `label::Français (fr)`; other
  languages are ignored;
- `parameters` of a `range` (`start`, `end`, `step`): 1 to 5 by 1 is a 1–5 scale;
- a `select_one` whose list holds exactly `oui` and `non` (or `yes` and `no`) is a yes/no;
- a `tisserand` column for what XLSForm has no word for: `unit=t`, `source=needs` (offers,
  familles, maillons), `detail=yes`, `anonymous_only=yes`; in the settings sheet,
  `form_title` and a `tisserand` column with `reminders=3,1`.

`write` produces such a file from a survey, so that sending it back gives the same survey.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.surveys import conditions
from bot.surveys.model import (
    DEFAULT_TEXT_LIMIT,
    NO,
    OTHER,
    YES,
    DefinitionError,
    Option,
    Problem,
    Question,
    SurveyDef,
    read,
    source_options,
)

MAX_BYTES = 1_000_000
MAX_UNPACKED = 20_000_000
MAX_ROWS = 500
LABEL = "label::Français (fr)"
HINT = "hint::Français (fr)"
METADATA = ("start", "end", "today", "deviceid")
UNDERSTOOD = ("text", "integer", "int", "decimal", "range", "note")
SURVEY_COLUMNS = ("type", "name", "label", "hint", "required", "constraint", "relevant")
SURVEY_COLUMNS_MORE = ("parameters", "tisserand")
YES_NO = ({"oui", "non"}, {"yes", "no"})
_NUM = r"(-?\d+(?:[.,]\d+)?)"
_RANGE_LOW_HIGH = re.compile(rf"\.\s*>=\s*{_NUM}\s+and\s+\.\s*<=\s*{_NUM}")
_RANGE_HIGH_LOW = re.compile(rf"\.\s*<=\s*{_NUM}\s+and\s+\.\s*>=\s*{_NUM}")
_AT_LEAST = re.compile(rf"\.\s*>=\s*{_NUM}")
_AT_MOST = re.compile(rf"\.\s*<=\s*{_NUM}")
_LENGTH = re.compile(r"string-length\(\s*\.\s*\)\s*<=\s*(\d+)")
_SELECT = re.compile(
    r"(select_one|select one|select_multiple|select multiple|select all that apply)\s+"
    r"([A-Za-z_][A-Za-z0-9_.-]*)(\s+or_other)?"
)
TRUE = ("yes", "true", "true()", "1", "oui")
FALSE = ("", "no", "false", "false()", "0", "non")


@dataclass(frozen=True)
class Imported:
    survey: SurveyDef
    skipped: int  # metadata rows left out


def _french(column: str, base: str) -> bool:
    if column == base:
        return True
    prefix = base + "::"
    if not column.startswith(prefix):
        return False
    language = column[len(prefix) :].strip().casefold()
    return language.endswith("(fr)") or language in ("fr", "français", "francais", "french")


def _pick(row: dict[str, Any], columns: list[str], base: str) -> str:
    """The French text of `base` (label, hint): a French column first, then the plain one."""
    french = [c for c in columns if c != base and _french(c, base)]
    for column in [*french, base]:
        value = row.get(column)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _cell(row: dict[str, Any], column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _pairs(text: str) -> dict[str, str] | None:
    """`key=value` pairs separated by `;` or spaces (`start=1 end=5`); None if not."""
    found: dict[str, str] = {}
    parts = [p for p in re.split(r";|\s(?=[A-Za-z_]+\s*=)", text) if p.strip()]
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            return None
        found[key.strip().casefold()] = value.strip()
    return found


def _columns(header: Any) -> list[str]:
    if not header:
        return []
    first = header[0] if isinstance(header, list) else header
    return [str(c) for c in first if c is not None]


def _unknown_columns(
    rows: list[dict[str, Any]], columns: list[str], known: Iterable[str], sheet: str
) -> list[Problem]:
    known = tuple(known)
    problems = []
    for column in columns:
        base = column.split("::", 1)[0]
        if column in known or ("::" in column and base in ("label", "hint")):
            continue
        if any(_cell(row, column) for row in rows):
            problems.append(Problem("xls_column", params={"column": column, "sheet": sheet}))
    return problems


def _unpacked_size(content: bytes) -> int:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return 0  # not a zip: pyxform says what it is not


def read_xlsform(content: bytes, filename: str) -> Imported:
    """The survey an XLSForm describes; DefinitionError lists all that was not understood."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json
    from pyxform.xls2json_backends import get_xlsform

    if len(content) > MAX_BYTES:
        raise DefinitionError([Problem("xls_too_big", params={"limit": MAX_BYTES // 1000})])
    suffix = ".xls" if filename.lower().endswith(".xls") else ".xlsx"
    if suffix == ".xlsx" and _unpacked_size(content) > MAX_UNPACKED:
        # An .xlsx is a zip: a small file may unpack into gigabytes (a « zip bomb »).
        raise DefinitionError([Problem("xls_too_big", params={"limit": MAX_BYTES // 1000})])
    try:
        workbook = get_xlsform(content, file_type=suffix)
    except Exception:
        raise DefinitionError([Problem("xls_unreadable")]) from None
    rows = [dict(r) for r in (workbook.survey or [])]
    if not rows:
        raise DefinitionError([Problem("xls_no_survey")])
    if len(rows) > MAX_ROWS:
        raise DefinitionError([Problem("xls_too_many_rows", params={"limit": MAX_ROWS})])
    columns = _columns(workbook.survey_header)
    choice_rows = [dict(r) for r in (workbook.choices or [])]
    choice_columns = _columns(workbook.choices_header)
    settings = dict((workbook.settings or [{}])[0])
    problems = _unknown_columns(
        rows, columns, SURVEY_COLUMNS + SURVEY_COLUMNS_MORE, "survey"
    ) + _unknown_columns(choice_rows, choice_columns, ("list_name", "name", "label"), "choices")
    lists = _lists(choice_rows, choice_columns, problems)
    questions: list[dict[str, Any]] = []
    yesno: set[str] = set()
    skipped = 0
    for number, row in enumerate(rows, start=2):
        kind = " ".join(_cell(row, "type").split())
        if not kind:
            continue
        if kind in METADATA:
            skipped += 1
            continue
        question = _row(row, columns, number, kind, lists, problems)
        if question is not None:
            if question.pop("_yesno", False):
                yesno.add(question["id"])
            questions.append(question)
    for question in questions:
        if question.get("condition"):
            question["condition"] = _yes_no_values(question["condition"], yesno)
    title = _cell(settings, "form_title") or filename.rsplit(".", 1)[0][:200]
    definition: dict[str, Any] = {"title": title, "questions": questions}
    extra = _pairs(_cell(settings, "tisserand")) if _cell(settings, "tisserand") else {}
    if extra is None or set(extra) - {"reminders"}:
        problems.append(Problem("xls_tisserand", params={"text": _cell(settings, "tisserand")}))
    elif "reminders" in extra:
        try:
            definition["reminders"] = [int(d) for d in re.split(r"[,\s]+", extra["reminders"]) if d]
        except ValueError:
            problems.append(Problem("xls_tisserand", params={"text": extra["reminders"]}))
    if problems:
        raise DefinitionError(problems)
    survey = read(definition)
    try:
        workbook_to_json(workbook_dict=workbook, form_name="data", warnings=[])
    except PyXFormError as exc:
        raise DefinitionError([Problem("xls_pyxform", params={"error": str(exc)[:300]})]) from None
    except Exception as exc:  # pyxform failing on a form it should refuse: refused all the same
        problem = Problem("xls_pyxform", params={"error": type(exc).__name__})
        raise DefinitionError([problem]) from None
    return Imported(survey, skipped)


def _lists(
    rows: list[dict[str, Any]], columns: list[str], problems: list[Problem]
) -> dict[str, list[Option]]:
    lists: dict[str, list[Option]] = {}
    for number, row in enumerate(rows, start=2):
        name, value = _cell(row, "list_name"), _cell(row, "name")
        if not name and not value:
            continue
        label = _pick(row, columns, "label")
        if not name or not value or not label:
            problems.append(Problem("xls_choice", params={"row": number}))
            continue
        lists.setdefault(name, []).append(Option(value, label))
    return lists


def _row(
    row: dict[str, Any],
    columns: list[str],
    number: int,
    kind: str,
    lists: dict[str, list[Option]],
    problems: list[Problem],
) -> dict[str, Any] | None:
    name = _cell(row, "name")
    if not _SELECT.fullmatch(kind) and kind not in UNDERSTOOD:
        problems.append(Problem("xls_type", name or None, {"row": number, "type": kind}))
        return None
    if not name:
        problems.append(Problem("xls_no_name", params={"row": number}))
        return None
    before = len(problems)
    here = {"row": number}
    question: dict[str, Any] = {"id": name, "label": _pick(row, columns, "label")}
    hint = _pick(row, columns, "hint")
    if hint:
        question["hint"] = hint
    required = _cell(row, "required").casefold()
    if required not in TRUE + FALSE:
        problems.append(Problem("xls_required", name, {**here, "value": required}))
    question["required"] = required in TRUE
    relevant = _cell(row, "relevant")
    if relevant:
        try:
            conditions.parse(relevant)
            question["condition"] = relevant
        except conditions.ConditionError:
            problems.append(Problem("xls_relevant", name, {**here, "text": relevant}))
    extra_text = _cell(row, "tisserand")
    extra = _pairs(extra_text) if extra_text else {}
    if extra is None or set(extra) - {"unit", "source", "detail", "anonymous_only"}:
        problems.append(Problem("xls_tisserand", name, {**here, "text": extra_text}))
        extra = {}
    for flag in ("detail", "anonymous_only"):
        if flag in extra:
            question[flag] = extra[flag].casefold() in TRUE
    if "unit" in extra:
        question["unit"] = extra["unit"]
    constraint = _cell(row, "constraint")
    parameters = _cell(row, "parameters")
    select = _SELECT.fullmatch(kind)
    if select is not None:
        multiple = "one" not in select[1]
        list_name = select[2]
        question["type"] = "multiple" if multiple else "single"
        if select[3]:
            question["other"] = True
        source = extra.get("source", "")
        if source:
            question["source"] = source
        else:
            options = lists.get(list_name)
            if options is None:
                problems.append(Problem("xls_list", name, {**here, "list": list_name}))
                options = []
            values = {o.value.casefold() for o in options}
            if not multiple and not select[3] and values in YES_NO:
                question["type"] = "yesno"
                question["_yesno"] = True
            else:
                question["options"] = [{"value": o.value, "label": o.label} for o in options]
        if constraint:
            problems.append(Problem("xls_constraint", name, {**here, "text": constraint}))
    elif kind == "text":
        question["type"] = "text"
        if constraint:
            length = _LENGTH.fullmatch(constraint)
            if length is None:
                problems.append(Problem("xls_constraint", name, {**here, "text": constraint}))
            else:
                question["max_length"] = int(length[1])
    elif kind in ("integer", "int", "decimal"):
        question["type"] = "number"
        question["integer"] = kind != "decimal"
        if constraint:
            bounds = _bounds(constraint)
            if bounds is None:
                problems.append(Problem("xls_constraint", name, {**here, "text": constraint}))
            else:
                low, high = bounds
                if low is not None:
                    question["min"] = low
                if high is not None:
                    question["max"] = high
    elif kind == "range":
        found = _pairs(parameters) if parameters else {}
        try:
            start = _number(found["start"]) if found and "start" in found else 1.0
            end = _number(found["end"]) if found and "end" in found else 10.0
            step = _number(found["step"]) if found and "step" in found else 1.0
            if found is None or set(found) - {"start", "end", "step"}:
                raise ValueError(parameters)
        except ValueError:
            problems.append(Problem("xls_parameters", name, {**here, "text": parameters}))
            start, end, step = 1.0, 5.0, 1.0
        if (start, end, step) == (1.0, 5.0, 1.0):
            question["type"] = "scale"
        else:
            question["type"] = "number"
            question["min"], question["max"] = start, end
            question["integer"] = step == int(step) and start == int(start)
        if constraint:
            problems.append(Problem("xls_constraint", name, {**here, "text": constraint}))
    elif kind == "note":
        question["type"] = "note"
        question.pop("required", None)
    else:
        problems.append(Problem("xls_type", name, {**here, "type": kind}))
    if parameters and kind != "range":
        problems.append(Problem("xls_parameters", name, {**here, "text": parameters}))
    if question.get("type") == "note" and not question["label"]:
        problems.append(Problem("xls_no_label", name, here))
    return question if len(problems) == before else None


def _bounds(constraint: str) -> tuple[float | None, float | None] | None:
    text = " ".join(constraint.split())
    for pattern, swapped in ((_RANGE_LOW_HIGH, False), (_RANGE_HIGH_LOW, True)):
        match = pattern.fullmatch(text)
        if match is not None:
            first, second = _number(match[1]), _number(match[2])
            return (second, first) if swapped else (first, second)
    if (match := _AT_LEAST.fullmatch(text)) is not None:
        return _number(match[1]), None
    if (match := _AT_MOST.fullmatch(text)) is not None:
        return None, _number(match[1])
    return None


def _yes_no_values(condition: str, yesno: set[str]) -> str:
    """Conditions on a yes/no question compare with oui/non, whatever the file wrote."""
    try:
        tree = conditions.parse(condition)
    except conditions.ConditionError:
        return condition

    def fix(node: conditions.Condition) -> conditions.Condition:
        if isinstance(node, conditions.All):
            return conditions.All(tuple(fix(p) for p in node.parts))
        if isinstance(node, conditions.Any_):
            return conditions.Any_(tuple(fix(p) for p in node.parts))
        if node.question in yesno:
            value = {"yes": YES, "no": NO}.get(node.value.casefold(), node.value.casefold())
            return type(node)(node.question, value)
        return node

    fixed = fix(tree)
    return condition if fixed == tree else conditions.write(fixed)


# --- writing


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def write(survey: SurveyDef, *, maillons: tuple[Option, ...] = (), lang: str = "fr") -> bytes:
    """The survey as an XLSForm (.xlsx) that Kobo, ODK and this bot read."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"strings_to_numbers": False, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    header = ["type", "name", LABEL, HINT, "required", "constraint", "relevant", "parameters"]
    header.append("tisserand")
    survey_rows: list[list[str]] = []
    choice_rows: list[list[str]] = []
    lists_written: set[str] = set()
    for question in survey.questions:
        survey_rows.append(_question_row(question))
        list_name = _list_name(question)
        if list_name and list_name not in lists_written:
            lists_written.add(list_name)
            for option in _written_options(question, maillons, lang):
                choice_rows.append([list_name, option.value, option.label])
    sheets = (
        ("survey", header, survey_rows),
        ("choices", ["list_name", "name", LABEL], choice_rows),
        (
            "settings",
            ["form_title", "form_id", "tisserand"],
            [[survey.title, "tisserand", "reminders=" + ",".join(map(str, survey.reminders))]],
        ),
    )
    for name, columns, rows in sheets:
        sheet = book.add_worksheet(name)
        for column, title in enumerate(columns):
            sheet.write_string(0, column, title, bold)
        for row_number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if value:
                    sheet.write_string(row_number, column, value)
    book.close()
    return buffer.getvalue()


def _list_name(question: Question) -> str:
    if question.type == "yesno":
        return "oui_non"
    return question.id if question.is_choice else ""


def _written_options(
    question: Question, maillons: tuple[Option, ...], lang: str
) -> tuple[Option, ...]:
    if question.type == "yesno":
        return (Option(YES, "Oui"), Option(NO, "Non"))
    if question.source:
        found = source_options(question.source, lang, maillons)
        # A list may not be empty: the collective's maillons come when it is launched.
        return found or (Option("maillon", "Maillon"),)
    return question.options


def _question_row(question: Question) -> list[str]:
    kind, constraint, parameters = question.type, "", ""
    extra: list[str] = []
    if question.is_choice:
        kind = ("select_multiple " if question.type == "multiple" else "select_one ") + question.id
        if question.other:
            kind += " or_other"
    elif question.type == "yesno":
        kind = "select_one oui_non"
    elif question.type == "text":
        constraint = f"string-length(.) <= {question.max_length or DEFAULT_TEXT_LIMIT}"
    elif question.type == "number":
        kind = "integer" if question.integer else "decimal"
        bounds = []
        if question.min is not None:
            bounds.append(f". >= {_num(question.min)}")
        if question.max is not None:
            bounds.append(f". <= {_num(question.max)}")
        constraint = " and ".join(bounds)
    elif question.type == "scale":
        kind, parameters = "range", "start=1 end=5 step=1"
    if question.unit:
        extra.append(f"unit={question.unit}")
    if question.source:
        extra.append(f"source={question.source}")
    if question.detail:
        extra.append("detail=yes")
    if question.anonymous_only:
        extra.append("anonymous_only=yes")
    required = "yes" if question.required and question.type != "note" else ""
    return [
        kind,
        question.id,
        question.label,
        question.hint,
        required,
        constraint,
        question.condition,
        parameters,
        "; ".join(extra),
    ]


__all__ = ["OTHER", "Imported", "read_xlsform", "write"]
