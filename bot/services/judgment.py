"""Majority judgment (jugement majoritaire, Balinski & Laraki): a pure function, no I/O.

Every voter grades every option on one scale, « À rejeter » to « Excellent »; an option a
voter left ungraded counts as « À rejeter ». Each option's grades form its merit profile (how
many of each grade). Its majority value is the sequence of median grades obtained by taking
the median grade, removing one vote of that grade, and starting again until no vote is left;
with an even number of votes the median is the lower of the two middle grades (as MieuxVoter's
libraries do). Options are ranked by comparing their majority values lexicographically, best
first; two options with the same profile have the same majority value and tie exactly.

Grades are integers here, 0 the worst (« À rejeter »), `LEVELS - 1` the best (« Excellent »).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

# Worst first: a grade's index is its value.
GRADES = (
    "a_rejeter",
    "insuffisant",
    "passable",
    "assez_bien",
    "bien",
    "tres_bien",
    "excellent",
)
LEVELS = len(GRADES)
REJECT = 0

K = TypeVar("K", bound=Hashable)

Profile = tuple[int, ...]  # how many votes of each grade, worst grade first


def profile_of(grades: Iterable[int], levels: int = LEVELS) -> Profile:
    """The merit profile of a list of grades."""
    counts = [0] * levels
    for grade in grades:
        if not 0 <= grade < levels:
            raise ValueError(f"grade {grade} outside 0..{levels - 1}")
        counts[grade] += 1
    return tuple(counts)


def median(profile: Profile) -> int:
    """The majority grade: the median, the lower one when the number of votes is even.
    A profile with no vote has the worst grade."""
    total = sum(profile)
    if total == 0:
        return REJECT
    position = (total - 1) // 2  # in ascending order, counted from 0
    seen = 0
    for grade, count in enumerate(profile):
        seen += count
        if seen > position:
            return grade
    raise AssertionError("unreachable")


def majority_value(profile: Profile) -> tuple[int, ...]:
    """The successive median grades, removing one vote of the median grade each time."""
    if any(count < 0 for count in profile):
        raise ValueError("a profile counts votes: no negative count")
    counts = list(profile)
    value: list[int] = []
    while sum(counts):
        grade = median(tuple(counts))
        value.append(grade)
        counts[grade] -= 1
    return tuple(value)


@dataclass(frozen=True)
class Ranked(Generic[K]):
    option: K
    rank: int  # 1 is the best; options that tie share their rank (1, 1, 3…)
    grade: int  # majority grade
    profile: Profile


def rank(profiles: Mapping[K, Profile]) -> list[Ranked[K]]:
    """Options ranked best first. All profiles must count the same number of votes (every
    voter grades every option). Options that tie keep the order they were given in."""
    sizes = {sum(p) for p in profiles.values()}
    if len(sizes) > 1:
        raise ValueError("every option must be graded by every voter (ungraded = à rejeter)")
    values = {option: majority_value(p) for option, p in profiles.items()}
    order = {option: i for i, option in enumerate(profiles)}
    ranked = sorted(profiles, key=lambda o: (tuple(-g for g in values[o]), order[o]))
    result: list[Ranked[K]] = []
    for position, option in enumerate(ranked, start=1):
        tied = result and values[result[-1].option] == values[option]
        place = result[-1].rank if tied else position
        result.append(Ranked(option, place, median(profiles[option]), profiles[option]))
    return result


def judge(
    ballots: Iterable[Mapping[K, int]], options: Sequence[K], levels: int = LEVELS
) -> list[Ranked[K]]:
    """Rank `options` from ballots (option → grade); an ungraded option is « À rejeter »."""
    counts: dict[K, list[int]] = {option: [0] * levels for option in options}
    for ballot in ballots:
        for option in options:
            grade = ballot.get(option, REJECT)
            if not 0 <= grade < levels:
                raise ValueError(f"grade {grade} outside 0..{levels - 1}")
            counts[option][grade] += 1
    return rank({option: tuple(c) for option, c in counts.items()})
