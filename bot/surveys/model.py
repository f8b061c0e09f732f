"""What a survey is: a title, questions, the days before closing when members are reminded.

One shape for every source: the TOML templates of `content/surveys/`, an XLSForm an animator
sends, a copy edited in the chat, and the frozen copy a launched survey keeps. `read` checks a
definition and lists every problem it finds (the question, what is wrong) as `Problem`s, which
`content/messages/<lang>/surveys/problem.j2` puts into words.

Question types:
- `single`: one choice; `multiple`: several, with « Valider » — both may add « Autre »
  (`other`, then a typed précision) and a « précisez » per chosen option (`detail`);
- `text`: typed, at most `max_length` characters;
- `number`: typed, with a `unit`, between `min` and `max`, `integer` or not;
- `scale`: 1 to 5; `yesno`: oui or non; `note`: a text shown before the next question.

Options are written out, or come from a shared list (`source`): the categories of needs
(`needs`) or of offers (`offers`) of `content/categories.toml`, the familles d'acteurs
(`familles`), or the collective's maillons (`maillons`). A launched survey has them written out
(`resolve`), so that its wording stays as it was when people answered.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.catalog import CONTENT, categories, familles
from bot.surveys import conditions

log = logging.getLogger(__name__)

SURVEYS = CONTENT / "surveys"

TYPES = ("single", "multiple", "text", "number", "scale", "yesno", "note")
CHOICE_TYPES = ("single", "multiple")
SOURCES = ("needs", "offers", "maillons", "familles")
OTHER = "other"  # the value of « Autre » (XLSForm's or_other)
YES, NO = "oui", "non"
SCALE = (1, 2, 3, 4, 5)

MAX_QUESTIONS = 60
MAX_OPTIONS = 30
MAX_TITLE = 200
MAX_LABEL = 500
MAX_HINT = 300
MAX_OPTION_LABEL = 100
MAX_TEXT_LIMIT = 2000
DEFAULT_TEXT_LIMIT = 500
DETAIL_LIMIT = 200
DEFAULT_REMINDERS = (3, 1)

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,29}")
_VALUE = re.compile(r"[^\s:'\"]{1,40}")


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: str
    hint: str = ""
    required: bool = True
    options: tuple[Option, ...] = ()
    source: str = ""
    other: bool = False
    detail: bool = False
    max_length: int = DEFAULT_TEXT_LIMIT
    unit: str = ""
    min: float | None = None
    max: float | None = None
    integer: bool = False
    condition: str = ""
    # Asked only in anonymous surveys (a named survey knows it from the profile).
    anonymous_only: bool = False

    @property
    def is_choice(self) -> bool:
        return self.type in CHOICE_TYPES

    @property
    def answerable(self) -> bool:
        return self.type != "note"

    def choices(self) -> tuple[Option, ...]:
        """The options a person picks from (« Autre » last)."""
        if self.type == "yesno":
            return (Option(YES, "Oui"), Option(NO, "Non"))
        if self.type == "scale":
            return tuple(Option(str(n), str(n)) for n in SCALE)
        return self.options + ((Option(OTHER, "Autre"),) if self.other else ())

    def label_of(self, value: str) -> str:
        for option in self.choices():
            if option.value == value:
                return option.label
        return value


@dataclass(frozen=True)
class SurveyDef:
    title: str
    questions: tuple[Question, ...]
    reminders: tuple[int, ...] = DEFAULT_REMINDERS

    def question(self, question_id: str) -> Question | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON for the database; defaults left out, so equal surveys give equal JSON."""
        return {
            "title": self.title,
            "reminders": list(self.reminders),
            "questions": [_question_dict(q) for q in self.questions],
        }


def _question_dict(question: Question) -> dict[str, Any]:
    defaults = {f.name: f.default for f in fields(Question)}
    out: dict[str, Any] = {}
    for key, value in asdict(question).items():
        if key in ("id", "type", "label") or value != defaults.get(key):
            out[key] = [dict(o) for o in value] if key == "options" else value
    return out


@dataclass(frozen=True)
class Problem:
    """Something wrong in a definition: `code` names the sentence (surveys/problem.j2)."""

    code: str
    question: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


class DefinitionError(ValueError):
    def __init__(self, problems: Sequence[Problem], where: str = "") -> None:
        super().__init__("; ".join(p.code for p in problems))
        self.problems = list(problems)
        self.where = where


# --- reading and checking


_KNOWN = {f.name for f in fields(Question)} | {"options"}


def read(data: dict[str, Any]) -> SurveyDef:
    """A checked definition from plain data (TOML, JSON); DefinitionError lists every problem."""
    problems: list[Problem] = []
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem("no_title"))
        title = ""
    elif len(title) > MAX_TITLE:
        problems.append(Problem("title_too_long", params={"limit": MAX_TITLE}))
    for key in data:
        if key not in ("title", "reminders", "questions", "question"):
            problems.append(Problem("unknown_key", params={"key": str(key)}))
    reminders = _reminders(data.get("reminders", list(DEFAULT_REMINDERS)), problems)
    raw = data.get("questions", data.get("question"))
    questions: list[Question] = []
    if not isinstance(raw, list) or not raw:
        problems.append(Problem("no_questions"))
        raw = []
    elif len(raw) > MAX_QUESTIONS:
        problems.append(Problem("too_many_questions", params={"limit": MAX_QUESTIONS}))
    seen: set[str] = set()
    for index, entry in enumerate(raw, start=1):
        question = _question(entry, index, problems)
        if question is None:
            continue
        if question.id in seen:
            problems.append(Problem("duplicate_id", question.id))
            continue
        seen.add(question.id)
        questions.append(question)
    _check_conditions(questions, problems)
    if questions and not any(q.answerable for q in questions):
        problems.append(Problem("no_questions"))
    if problems:
        raise DefinitionError(problems)
    return SurveyDef(title.strip(), tuple(questions), reminders)


def _reminders(value: Any, problems: list[Problem]) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 60 for v in value
    ):
        problems.append(Problem("bad_reminders"))
        return DEFAULT_REMINDERS
    return tuple(sorted(set(value), reverse=True))


def _text(
    entry: dict[str, Any], key: str, qid: str, problems: list[Problem], limit: int
) -> str | None:
    value = entry.get(key, "")
    if not isinstance(value, str):
        problems.append(Problem("not_text", qid, {"key": key}))
        return None
    if len(value) > limit:
        problems.append(Problem("text_too_long", qid, {"key": key, "limit": limit}))
        return None
    return value.strip()


def _number(entry: dict[str, Any], key: str, qid: str, problems: list[Problem]) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(Problem("not_number", qid, {"key": key}))
        return None
    return float(value)


def _flag(
    entry: dict[str, Any], key: str, qid: str, problems: list[Problem], default: bool
) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        problems.append(Problem("not_flag", qid, {"key": key}))
        return default
    return value


def _question(entry: Any, index: int, problems: list[Problem]) -> Question | None:
    if not isinstance(entry, dict):
        problems.append(Problem("not_a_question", str(index)))
        return None
    qid = entry.get("id")
    if not isinstance(qid, str) or not _ID.fullmatch(qid):
        problems.append(Problem("bad_id", str(qid) if qid else str(index)))
        return None
    before = len(problems)
    for key in entry:
        if key not in _KNOWN:
            problems.append(Problem("unknown_key", qid, {"key": str(key)}))
    kind = entry.get("type")
    if kind not in TYPES:
        problems.append(Problem("unknown_type", qid, {"type": str(kind)}))
        return None
    label = _text(entry, "label", qid, problems, MAX_LABEL)
    if label is not None and not label:
        problems.append(Problem("no_label", qid))
    hint = _text(entry, "hint", qid, problems, MAX_HINT) or ""
    condition = _text(entry, "condition", qid, problems, 1000) or ""
    unit = _text(entry, "unit", qid, problems, 20) or ""
    source = entry.get("source", "")
    if source and (source not in SOURCES or kind not in CHOICE_TYPES):
        problems.append(Problem("bad_source", qid, {"source": str(source)}))
    options = _options(entry.get("options", []), qid, problems)
    if kind in CHOICE_TYPES and not source and len(options) < 2:
        problems.append(Problem("few_options", qid))
    # A launched survey keeps the options of its shared lists written out, with the source.
    if options and kind not in CHOICE_TYPES:
        problems.append(Problem("options_not_here", qid))
    other = _flag(entry, "other", qid, problems, False)
    detail = _flag(entry, "detail", qid, problems, False)
    if (other or detail) and kind not in CHOICE_TYPES:
        problems.append(Problem("other_not_here", qid))
    if other and any(o.value == OTHER for o in options):
        problems.append(Problem("other_twice", qid))
    max_length = entry.get("max_length", DEFAULT_TEXT_LIMIT)
    if (
        isinstance(max_length, bool)
        or not isinstance(max_length, int)
        or not 1 <= max_length <= MAX_TEXT_LIMIT
    ):
        problems.append(Problem("bad_max_length", qid, {"limit": MAX_TEXT_LIMIT}))
        max_length = DEFAULT_TEXT_LIMIT
    low, high = _number(entry, "min", qid, problems), _number(entry, "max", qid, problems)
    if low is not None and high is not None and low > high:
        problems.append(Problem("min_above_max", qid))
    if kind != "number" and (low is not None or high is not None or unit):
        problems.append(Problem("number_keys_not_here", qid))
    if kind != "text" and "max_length" in entry:
        problems.append(Problem("max_length_not_here", qid))
    question = Question(
        id=qid,
        type=kind,
        label=label or "",
        hint=hint,
        required=_flag(entry, "required", qid, problems, True) if kind != "note" else False,
        options=options,
        source=source if source in SOURCES else "",
        other=other,
        detail=detail,
        max_length=max_length,
        unit=unit,
        min=low,
        max=high,
        integer=_flag(entry, "integer", qid, problems, False),
        condition=condition,
        anonymous_only=_flag(entry, "anonymous_only", qid, problems, False),
    )
    return question if len(problems) == before else None


def _options(raw: Any, qid: str, problems: list[Problem]) -> tuple[Option, ...]:
    if not isinstance(raw, list):
        problems.append(Problem("bad_options", qid))
        return ()
    if len(raw) > MAX_OPTIONS:
        problems.append(Problem("too_many_options", qid, {"limit": MAX_OPTIONS}))
        return ()
    options: list[Option] = []
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"value", "label"}:
            problems.append(Problem("bad_options", qid))
            return ()
        value, text = item.get("value"), item.get("label")
        if not isinstance(value, str) or not _VALUE.fullmatch(value):
            problems.append(Problem("bad_option_value", qid, {"value": str(value)[:40]}))
            continue
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_OPTION_LABEL:
            problems.append(
                Problem("bad_option_label", qid, {"value": value, "limit": MAX_OPTION_LABEL})
            )
            continue
        if any(o.value == value for o in options):
            problems.append(Problem("duplicate_option", qid, {"value": value}))
            continue
        options.append(Option(value, text.strip()))
    return tuple(options)


def source_values(source: str) -> set[str] | None:
    """The values a shared list can take; None when they depend on the collective."""
    if source in ("needs", "offers"):
        return set(categories())
    if source == "familles":
        return set(familles())
    return None


def _check_conditions(questions: list[Question], problems: list[Problem]) -> None:
    earlier: dict[str, Question] = {}
    for question in questions:
        if question.condition:
            try:
                tree = conditions.parse(question.condition)
            except conditions.ConditionError:
                problems.append(
                    Problem("bad_condition", question.id, {"condition": question.condition})
                )
                tree = None
            for leaf in conditions.references(tree) if tree is not None else []:
                target = earlier.get(leaf.question)
                if target is None:
                    problems.append(
                        Problem("condition_unknown", question.id, {"ref": leaf.question})
                    )
                    continue
                if not target.answerable:
                    problems.append(
                        Problem("condition_unknown", question.id, {"ref": leaf.question})
                    )
                    continue
                if isinstance(leaf, conditions.Selected) and not target.is_choice:
                    problems.append(
                        Problem("condition_selected", question.id, {"ref": leaf.question})
                    )
                    continue
                if isinstance(leaf, conditions.Equals) and target.type == "multiple":
                    problems.append(
                        Problem("condition_equals_multiple", question.id, {"ref": leaf.question})
                    )
                    continue
                allowed = _values(target)
                if allowed is not None and leaf.value not in allowed:
                    problems.append(
                        Problem(
                            "condition_value",
                            question.id,
                            {"ref": leaf.question, "value": leaf.value},
                        )
                    )
        earlier[question.id] = question


def _values(question: Question) -> set[str] | None:
    if question.type in ("text", "number"):
        return None
    if question.source:
        found = source_values(question.source)
        if found is None:
            return None
        return found | ({OTHER} if question.other else set())
    return {o.value for o in question.choices()}


# --- the templates shipped in content/surveys/


@dataclass(frozen=True)
class Template:
    code: str  # the file's name without .toml
    survey: SurveyDef


def read_file(path: Path) -> SurveyDef:
    """One template file; DefinitionError names it (and the question, and the problem)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DefinitionError(
            [Problem("unreadable_file", params={"error": str(exc)[:200]})],
            f"content/surveys/{path.name}",
        ) from None
    try:
        return read(data)
    except DefinitionError as exc:
        exc.where = f"content/surveys/{path.name}"
        raise


@lru_cache(maxsize=1)
def builtin_templates() -> dict[str, Template]:
    """The templates of content/surveys/, by code. A malformed file is left out, and said so
    in the log: the file, the question, what is wrong."""
    from bot.texts import render

    found: dict[str, Template] = {}
    for path in sorted(SURVEYS.glob("*.toml")):
        try:
            found[path.stem] = Template(path.stem, read_file(path))
        except DefinitionError as exc:
            log.error("%s", render("surveys/problems", "fr", error=exc))
    return found


# --- writing options out


@dataclass(frozen=True)
class Maillon:
    id: int
    name: str


def resolve(survey: SurveyDef, maillons: Iterable[Maillon], lang: str) -> SurveyDef:
    """The survey with the shared lists written out as options (categories, familles, the
    collective's maillons). A maillon question in a collective without maillons is dropped."""
    maillon_options = tuple(Option(f"m{m.id}", m.name[:MAX_OPTION_LABEL]) for m in maillons)
    questions: list[Question] = []
    for question in survey.questions:
        if question.source:
            options = source_options(question.source, lang, maillon_options)
            if not options:
                continue
            question = replace(question, options=options)
        questions.append(question)
    return replace(survey, questions=tuple(questions))


def source_options(source: str, lang: str, maillons: tuple[Option, ...] = ()) -> tuple[Option, ...]:
    if source == "needs":
        return tuple(Option(c.code, c.as_need(lang)) for c in categories().values())
    if source == "offers":
        return tuple(Option(c.code, c.as_offer(lang)) for c in categories().values())
    if source == "familles":
        return tuple(Option(f.code, f.label(lang)) for f in familles().values())
    return maillons


def from_json(data: dict[str, Any]) -> SurveyDef:
    """A definition stored by the bot (checked when it was made)."""
    return SurveyDef(
        title=data["title"],
        reminders=tuple(data.get("reminders", DEFAULT_REMINDERS)),
        questions=tuple(
            Question(
                **{
                    **{k: v for k, v in q.items() if k != "options"},
                    "options": tuple(Option(**o) for o in q.get("options", [])),
                }
            )
            for q in data["questions"]
        ),
    )


def asked(question: Question, anonymous: bool) -> bool:
    """Whether the question is part of a survey that is anonymous or not."""
    return anonymous or not question.anonymous_only
