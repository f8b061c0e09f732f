"""What the answers say: which questions applied, each answer as it reads, counts and
percentages, breakdowns by maillon and by famille, the table of the exports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.exports import Cell
from bot.services.counting import percent_of
from bot.surveys import conditions
from bot.surveys.model import NO, OTHER, YES, Question, SurveyDef, asked
from bot.surveys.numbers import show
from bot.texts import caption

# An anonymous survey shows no breakdown group smaller than this.
MIN_GROUP = 5


def colon(lang: str) -> str:
    """« : » as French writes it (a narrow no-break space before), or English."""
    return ": " if lang == "en" else "\u202f: "


def _holds(question: Question, answers: dict[str, Any]) -> bool:
    return not question.condition or conditions.holds(conditions.parse(question.condition), answers)


def applicable(survey: SurveyDef, answers: dict[str, Any], anonymous: bool) -> set[str]:
    """The questions that apply, given the answers before each (an answer to a question
    that no longer applies counts for nothing)."""
    found: set[str] = set()
    kept: dict[str, Any] = {}
    for question in survey.questions:
        if not asked(question, anonymous) or not _holds(question, kept):
            continue
        found.add(question.id)
        if answers.get(question.id) is not None:
            kept[question.id] = answers[question.id]
    return found


def effective(survey: SurveyDef, answers: dict[str, Any], anonymous: bool) -> dict[str, Any]:
    """What is sent: the answers to the questions that apply, with their « Autre » and
    « précisez » texts when the option they belong to is chosen."""
    out: dict[str, Any] = {}
    for question in survey.questions:
        if not question.answerable or not asked(question, anonymous):
            continue
        if not _holds(question, out):
            continue
        value = answers.get(question.id)
        if value is None:
            continue
        out[question.id] = value
        chosen = value if isinstance(value, list) else [value]
        if question.detail:
            for option in question.options:
                detail = answers.get(f"{question.id}:{option.value}")
                if option.value in chosen and detail:
                    out[f"{question.id}:{option.value}"] = detail
        if question.other and OTHER in chosen and answers.get(f"{question.id}:{OTHER}"):
            out[f"{question.id}:{OTHER}"] = answers[f"{question.id}:{OTHER}"]
    return out


def choice_label(question: Question, value: str, lang: str) -> str:
    if question.type == "yesno":
        return caption("yes" if value == YES else "no", lang) if value in (YES, NO) else value
    if value == OTHER and question.other:
        return caption("surveys/other", lang)
    return question.label_of(value)


def reads(question: Question, answers: dict[str, Any], lang: str) -> str | None:
    """The answer as a person reads it (« Du financement (2 t de laine brute), Autre : … »)."""
    value = answers.get(question.id)
    if value is None:
        return None
    if question.type == "number":
        return show(value, lang, question.unit)
    if question.type == "text":
        return str(value)
    chosen = value if isinstance(value, list) else [value]
    parts = []
    for item in chosen:
        text = choice_label(question, str(item), lang)
        extra = answers.get(f"{question.id}:{item}")
        if extra:
            text += f"{colon(lang)}{extra}" if item == OTHER else f" ({extra})"
        parts.append(text)
    return ", ".join(parts) if parts else caption("none_chosen", lang)


# --- counts


@dataclass(frozen=True)
class Count:
    label: str
    count: int
    percent: int


@dataclass
class Tally:
    question: Question
    answered: int = 0  # respondents who answered it
    counts: list[Count] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # typed answers, « Autre », précisions
    mean: float | None = None
    low: float | None = None
    high: float | None = None
    total: float | None = None
    # The same, written for people (« 1 500 t », « 3,4 »).
    figures: dict[str, str] = field(default_factory=dict)

    @property
    def is_chart(self) -> bool:
        return self.question.type in ("single", "multiple", "yesno", "scale") and self.answered > 0


def tally(survey: SurveyDef, answers: Sequence[dict[str, Any]], lang: str) -> list[Tally]:
    """One tally per question, in the survey's order (notes left out)."""
    tallies = []
    for question in survey.questions:
        if not question.answerable:
            continue
        found = Tally(question)
        values = [a[question.id] for a in answers if a.get(question.id) is not None]
        found.answered = len(values)
        if question.type in ("single", "multiple", "yesno", "scale"):
            counts = {o.value: 0 for o in question.choices()}
            for value in values:
                for item in value if isinstance(value, list) else [value]:
                    counts[str(item)] = counts.get(str(item), 0) + 1
            found.counts = [
                Count(choice_label(question, v, lang), n, percent_of(n, len(values)))
                for v, n in counts.items()
            ]
            if question.type == "scale" and values:
                found.mean = sum(float(v) for v in values) / len(values)
        if question.type == "number" and values:
            numbers = [float(v) for v in values]
            found.mean, found.low, found.high = (
                sum(numbers) / len(numbers),
                min(numbers),
                max(numbers),
            )
            found.total = sum(numbers)
        unit = question.unit if question.type == "number" else ""
        for name in ("mean", "low", "high", "total"):
            value = getattr(found, name)
            if value is not None:
                found.figures[name] = show(round(value, 1), lang, unit)
        if question.type == "text":
            found.texts = [str(v) for v in values]
        for a in answers:
            for key, text in a.items():
                if key.startswith(f"{question.id}:") and text:
                    item = key.split(":", 1)[1]
                    found.texts.append(f"{choice_label(question, item, lang)}{colon(lang)}{text}")
        tallies.append(found)
    return tallies


# --- breakdowns by maillon and by famille


@dataclass(frozen=True)
class Respondent:
    answers: dict[str, Any]
    maillons: tuple[str, ...] = ()  # names
    ess: bool | None = None  # None: famille not known
    name: str = ""  # named surveys only
    organisation: str = ""
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Group:
    name: str
    size: int
    counts: list[Count] | None  # None: too few respondents to show (anonymous)


@dataclass(frozen=True)
class Breakdown:
    question: Question
    by_maillon: list[Group]
    by_famille: list[Group]


def breakdowns(
    survey: SurveyDef,
    respondents: Sequence[Respondent],
    *,
    anonymous: bool,
    maillon_names: Sequence[str],
    lang: str,
) -> list[Breakdown]:
    """Each choice question by maillon (in chain order) and by famille (ESS, hors ESS).
    In an anonymous survey a group of fewer than MIN_GROUP respondents is not detailed."""
    found = []
    ess_names = (caption("surveys/ess", lang), caption("surveys/non_ess", lang))
    for question in survey.questions:
        if question.type not in ("single", "multiple", "yesno", "scale") or question.source in (
            "maillons",
            "familles",
        ):
            continue
        by_maillon = [
            _group(question, name, [r for r in respondents if name in r.maillons], anonymous, lang)
            for name in maillon_names
        ]
        by_famille = [
            _group(question, label, [r for r in respondents if r.ess is ess], anonymous, lang)
            for ess, label in zip((True, False), ess_names, strict=True)
        ]
        found.append(
            Breakdown(
                question, [g for g in by_maillon if g.size], [g for g in by_famille if g.size]
            )
        )
    return found


def _group(
    question: Question, name: str, members: list[Respondent], anonymous: bool, lang: str
) -> Group:
    if anonymous and len(members) < MIN_GROUP:
        return Group(name, len(members), None)
    answers = [r.answers for r in members]
    (counted,) = tally(SurveyDef("", (question,)), answers, lang)
    return Group(name, len(members), [c for c in counted.counts if c.count])


def anonymous_profile(
    survey: SurveyDef, answers: dict[str, Any]
) -> tuple[tuple[str, ...], bool | None]:
    """Maillons and ESS or not, from the survey's own questions (never from the profile)."""
    from bot.catalog import familles

    maillons: tuple[str, ...] = ()
    ess: bool | None = None
    for question in survey.questions:
        value = answers.get(question.id)
        if value is None:
            continue
        chosen = value if isinstance(value, list) else [value]
        if question.source == "maillons":
            maillons += tuple(question.label_of(v) for v in chosen)
        elif question.source == "familles" and chosen:
            famille = familles().get(str(chosen[0]))
            ess = famille.ess if famille is not None else None
    return maillons, ess


# --- the exports' table


def table(
    survey: SurveyDef, respondents: Sequence[Respondent], *, named: bool, lang: str
) -> tuple[list[str], list[list[Cell]]]:
    """One row per respondent, one column per question; a multiple choice is one column per
    option (1 chosen, 0 not), with its « Autre » and « précisez » texts beside."""
    header: list[str] = []
    if named:
        header += [
            caption("surveys/col_name", lang),
            caption("surveys/col_organisation", lang),
            caption("surveys/col_sent", lang),
        ]
    columns: list[tuple[Question, str, str]] = []  # question, what, option value
    for question in survey.questions:
        if not question.answerable:
            continue
        if question.type == "multiple":
            for option in question.choices():
                columns.append((question, "option", option.value))
                header.append(f"{question.label} — {choice_label(question, option.value, lang)}")
        else:
            columns.append((question, "value", ""))
            header.append(question.label)
        if question.other:
            columns.append((question, "extra", OTHER))
            header.append(f"{question.label} — {caption('surveys/other_detail', lang)}")
        if question.detail:
            for option in question.options:
                columns.append((question, "extra", option.value))
                header.append(
                    f"{question.label} — {option.label} — {caption('surveys/detail', lang)}"
                )
    rows: list[list[Cell]] = []
    for respondent in respondents:
        row: list[Cell] = []
        if named:
            row += [respondent.name, respondent.organisation, respondent.sent_at]
        answers = respondent.answers
        for question, what, value in columns:
            answer = answers.get(question.id)
            if what == "extra":
                row.append(answers.get(f"{question.id}:{value}"))
            elif what == "option":
                row.append(None if answer is None else int(value in answer))
            elif answer is None:
                row.append(None)
            elif question.type in ("number", "scale"):
                row.append(answer if question.type == "number" else int(answer))
            elif question.type == "text":
                row.append(str(answer))
            else:
                row.append(choice_label(question, str(answer), lang))
        rows.append(row)
    return header, rows


def free_texts(
    survey: SurveyDef, respondents: Sequence[Respondent], *, named: bool, lang: str
) -> list[tuple[str, list[str]]]:
    """The typed answers, question by question (with « Autre » and the précisions), signed
    with the member's name in a named survey."""
    found: list[tuple[str, list[str]]] = []
    for question in survey.questions:
        if not question.answerable:
            continue
        lines: list[str] = []
        for respondent in respondents:
            answers = respondent.answers
            texts: list[str] = []
            if question.type == "text" and answers.get(question.id):
                texts.append(str(answers[question.id]))
            for key, text in answers.items():
                if key.startswith(f"{question.id}:") and text:
                    item = key.split(":", 1)[1]
                    texts.append(f"{choice_label(question, item, lang)}{colon(lang)}{text}")
            who = respondent.name + (
                f" ({respondent.organisation})" if respondent.organisation else ""
            )
            lines += [f"{who}{colon(lang)}{t}" if named and who else t for t in texts]
        if lines:
            found.append((question.label, lines))
    return found
