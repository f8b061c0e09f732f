"""Majority judgment, a pure function: worked examples from the published literature, and
properties (order independence, monotonicity, exact ties) checked with Hypothesis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.judgment import (
    GRADES,
    LEVELS,
    judge,
    majority_value,
    median,
    profile_of,
    rank,
)

# --- worked examples


def test_the_majority_values_of_balinski_and_laraki() -> None:
    # Majority Judgment (Balinski & Laraki, MIT Press 2011), §1.5, grades on a numeric scale,
    # as MieuxVoter's Python library quotes them.
    assert majority_value(profile_of([7, 11, 9, 9, 11], levels=12)) == (9, 9, 11, 7, 11)
    assert majority_value(profile_of([8, 11, 9, 9, 10], levels=12)) == (9, 9, 10, 8, 11)


POOR, FAIR, GOOD, EXCELLENT = range(4)


def test_the_tie_break_example_of_the_encyclopaedia() -> None:
    # X: Good, Good, Fair, Poor — Y: Excellent, Fair, Fair, Fair. Both have the (lower) median
    # Fair; removing one Fair leaves X at Good and Y at Fair: X wins.
    x = profile_of([GOOD, GOOD, FAIR, POOR], levels=4)
    y = profile_of([EXCELLENT, FAIR, FAIR, FAIR], levels=4)
    assert median(x) == median(y) == FAIR
    ranked = rank({"X": x, "Y": y})
    assert [(r.option, r.rank) for r in ranked] == [("X", 1), ("Y", 2)]


def test_the_condorcet_example_elects_the_best_median() -> None:
    # 35 voters: A excellent, B fair, C poor; 34: C excellent, B fair, A poor; 31: B excellent,
    # C good, A fair. B is the Condorcet winner, but majority judgment elects C (median good).
    ballots = (
        [{"A": EXCELLENT, "B": FAIR, "C": POOR}] * 35
        + [{"A": POOR, "B": FAIR, "C": EXCELLENT}] * 34
        + [{"A": FAIR, "B": EXCELLENT, "C": GOOD}] * 31
    )
    ranked = judge(ballots, ["A", "B", "C"], levels=4)
    assert ranked[0].option == "C" and ranked[0].grade == GOOD
    assert {r.option: r.grade for r in ranked} == {"A": FAIR, "B": FAIR, "C": GOOD}


def test_the_lower_median_on_an_even_count() -> None:
    assert median(profile_of([0, 4], levels=5)) == 0
    assert median(profile_of([1, 2, 3, 4], levels=5)) == 2
    # MieuxVoter's library: A = 3 3 3 0 0 0 1 1 2 2, B = 0 0 1 1 2 2 2 2 3 3 → B first.
    a = profile_of([3, 3, 3, 0, 0, 0, 1, 1, 2, 2], levels=4)
    b = profile_of([0, 0, 1, 1, 2, 2, 2, 2, 3, 3], levels=4)
    assert [r.option for r in rank({"A": a, "B": b})] == ["B", "A"]


def test_an_ungraded_option_counts_as_a_rejeter() -> None:
    ranked = judge([{"a": 6}, {"a": 6, "b": 6}, {"b": 6}], ["a", "b"])
    assert [r.profile for r in ranked] == [(1, 0, 0, 0, 0, 0, 2)] * 2
    assert GRADES[0] == "a_rejeter" and GRADES[-1] == "excellent"


def test_a_profile_with_no_vote_and_unequal_profiles() -> None:
    assert median((0,) * LEVELS) == 0
    assert majority_value((0,) * LEVELS) == ()
    try:
        rank({"a": profile_of([1]), "b": profile_of([1, 2])})
    except ValueError:
        pass
    else:
        raise AssertionError("profiles of different sizes must be refused")


# --- properties

grades = st.integers(min_value=0, max_value=LEVELS - 1)


@st.composite
def elections(draw: st.DrawFn) -> tuple[list[str], list[dict[str, int]]]:
    options = [f"o{i}" for i in range(draw(st.integers(2, 5)))]
    ballots = draw(
        st.lists(st.fixed_dictionaries({o: grades for o in options}), min_size=1, max_size=12)
    )
    return options, ballots


def ranks(options: list[str], ballots: list[dict[str, int]]) -> dict[str, int]:
    return {r.option: r.rank for r in judge(ballots, options)}


@settings(max_examples=200, deadline=None)
@given(elections(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_ballots_or_options(
    election: tuple[list[str], list[dict[str, int]]], rnd: object
) -> None:
    options, ballots = election
    shuffled_ballots, shuffled_options = list(ballots), list(options)
    rnd.shuffle(shuffled_ballots)  # type: ignore[attr-defined]
    rnd.shuffle(shuffled_options)  # type: ignore[attr-defined]
    assert ranks(shuffled_options, shuffled_ballots) == ranks(options, ballots)


@settings(max_examples=300, deadline=None)
@given(elections(), st.data())
def test_raising_one_grade_never_lowers_the_option(
    election: tuple[list[str], list[dict[str, int]]], data: st.DataObject
) -> None:
    options, ballots = election
    before = ranks(options, ballots)
    voter = data.draw(st.integers(0, len(ballots) - 1))
    option = data.draw(st.sampled_from(options))
    if ballots[voter][option] == LEVELS - 1:
        return
    raised = [dict(b) for b in ballots]
    raised[voter][option] += 1
    assert ranks(options, raised)[option] <= before[option]


@settings(max_examples=200, deadline=None)
@given(elections())
def test_identical_profiles_tie(election: tuple[list[str], list[dict[str, int]]]) -> None:
    options, ballots = election
    # A twin of the first option: the same grades, ballot by ballot, hence the same profile.
    twin = [{**b, "twin": b[options[0]]} for b in ballots]
    result = ranks([*options, "twin"], twin)
    assert result["twin"] == result[options[0]]


@settings(max_examples=200, deadline=None)
@given(st.lists(grades, min_size=1, max_size=30))
def test_the_majority_value_is_the_grades_reordered_and_starts_at_the_median(
    values: list[int],
) -> None:
    p = profile_of(values)
    value = majority_value(p)
    assert sorted(value) == sorted(values)
    assert value[0] == median(p) == sorted(values)[(len(values) - 1) // 2]
