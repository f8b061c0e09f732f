"""What the group reads of a survey's results: a number question's figures said once when
there is nothing to compare, and percentages rounded half up everywhere."""

from __future__ import annotations

from typing import Any

from bot.services.counting import percent_of
from bot.surveys.model import NO, YES, Question, SurveyDef
from bot.surveys.results import Tally, tally
from bot.texts import environment, render

NB, NBSP = "\u202f", "\u00a0"
VOLUMES = Question(id="volumes", type="number", label="Volumes", unit="t")
GROUP = Question(id="groupe", type="yesno", label="Groupe de travail ?")


def tallied(question: Question, values: list[Any], lang: str = "fr") -> Tally:
    (found,) = tally(SurveyDef("", (question,)), [{question.id: v} for v in values], lang)
    return found


def block(found: Tally, lang: str = "fr") -> str:
    return render("surveys/results_block", lang, t=found)


def test_a_single_number_is_said_once() -> None:
    said = block(tallied(VOLUMES, [2.5]))
    assert f"1 réponse{NB}: 2,5{NBSP}t." in said, said
    assert "moyenne" not in said and " à " not in said
    assert f"1 answer: 2.5{NBSP}t." in block(tallied(VOLUMES, [2.5], "en"), "en")


def test_equal_numbers_are_not_a_range() -> None:
    said = block(tallied(VOLUMES, [2.5, 2.5, 2.5]))
    assert f"3 réponses, toutes de 2,5{NBSP}t{NB}: total 7,5{NBSP}t." in said, said
    assert " à " not in said


def test_different_numbers_keep_mean_range_and_total() -> None:
    said = block(tallied(VOLUMES, [7.5, 12.5]))
    expected = f"2 réponses{NB}: moyenne 10{NBSP}t, de 7,5{NBSP}t à 12,5{NBSP}t, total 20{NBSP}t."
    assert expected in said, said


def test_percentages_round_half_up() -> None:
    assert [percent_of(n, 8) for n in (1, 3, 5, 7)] == [13, 38, 63, 88]
    assert (percent_of(1, 3), percent_of(2, 3), percent_of(0, 0)) == (33, 67, 0)
    # 5 in 8 is 62,5 % and 3 in 8 is 37,5 %: both go up, as people round.
    found = tallied(GROUP, [YES] * 5 + [NO] * 3)
    assert {c.label: c.percent for c in found.counts} == {"Oui": 63, "Non": 38}
    found = tallied(GROUP, [YES] + [NO] * 7)
    assert {c.label: c.percent for c in found.counts} == {"Oui": 13, "Non": 88}
    said = block(found)
    assert f"Oui{NB}: 1 (13{NB}%)" in said and f"Non{NB}: 7 (88{NB}%)" in said, said
    # The templates' own percentages (a vote's turnout) go through the same rounding.
    assert environment().from_string("{{ 1 | percent_of(8) }}").render() == "13"
