"""How consent and majority decisions are counted: pure functions, no I/O.

A vote's figures come in groups: one per college when the vote uses colleges, else a single
group for the whole electorate. Each group knows how many could vote (fixed at opening), how
many took part (abstentions and proxies included) and the count of each choice.

- Quorum: the share of eligible voters who took part; with colleges it applies to each college,
  and one college below it makes the vote fail its quorum.
- Majority: counted on Pour and Contre only. With colleges, each college's share of Pour is
  weighted by the college's weight; a college with no Pour and no Contre is left out and the
  other weights are renormalised. « More than half », or « at least two thirds ».
- Consent: weights play no part; any objection in any college blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction


class Threshold(StrEnum):
    HALF = "half"  # more than half of Pour + Contre
    TWO_THIRDS = "two_thirds"  # at least two thirds of Pour + Contre


POUR, CONTRE, ABSTENTION = "pour", "contre", "abstention"
NO_OBJECTION, OBJECTION, ABSTAIN = "ok", "objection", "abstain"


@dataclass(frozen=True)
class Group:
    name: str | None  # the college's name; None for the whole electorate
    weight: int  # the college's weight (any unit: only ratios count); 0 without colleges
    eligible: int
    participants: int
    counts: Mapping[str, int]

    def count(self, choice: str) -> int:
        return int(self.counts.get(choice, 0))


@dataclass(frozen=True)
class Quorum:
    required: int  # percent of eligible voters; 0 means none
    met: bool
    below: tuple[str | None, ...]  # groups below the quorum


def quorum(groups: Sequence[Group], required: int) -> Quorum:
    """Met when every group with eligible voters reached `required` percent of them."""
    below = tuple(
        g.name
        for g in groups
        if g.eligible > 0 and Fraction(g.participants, g.eligible) < Fraction(required, 100)
    )
    return Quorum(required, not below, below)


@dataclass(frozen=True)
class CollegeShare:
    name: str | None
    share: Fraction  # Pour among Pour + Contre, in that college
    weight: Fraction  # the weight it counted with, renormalised over the counted colleges


@dataclass(frozen=True)
class MajorityResult:
    adopted: bool
    quorum: Quorum
    share: Fraction | None  # weighted share of Pour; None when nobody said Pour or Contre
    counted: tuple[CollegeShare, ...]
    left_out: tuple[str | None, ...]  # colleges with no Pour and no Contre


def passes(share: Fraction, threshold: Threshold) -> bool:
    if threshold == Threshold.TWO_THIRDS:
        return share >= Fraction(2, 3)
    return share > Fraction(1, 2)


def majority(
    groups: Sequence[Group], threshold: Threshold, required_quorum: int = 0
) -> MajorityResult:
    """A majority decision; `groups` are the colleges (weights used) or a single group."""
    met = quorum(groups, required_quorum)
    expressed = [g for g in groups if g.count(POUR) + g.count(CONTRE) > 0]
    left_out = tuple(g.name for g in groups if g not in expressed)
    if not expressed:
        return MajorityResult(False, met, None, (), left_out)
    weighted = len(groups) > 1
    total_weight = sum(Fraction(g.weight) for g in expressed) if weighted else Fraction(1)
    if weighted and total_weight == 0:
        # Every expressed college weighs nothing: count them equally rather than divide by 0.
        weighted, total_weight = False, Fraction(len(expressed))
    counted = tuple(
        CollegeShare(
            g.name,
            Fraction(g.count(POUR), g.count(POUR) + g.count(CONTRE)),
            Fraction(g.weight) / total_weight if weighted else Fraction(1, len(expressed)),
        )
        for g in expressed
    )
    if len(groups) > 1:
        share = sum((c.share * c.weight for c in counted), Fraction(0))
    else:
        only = expressed[0]
        share = Fraction(only.count(POUR), only.count(POUR) + only.count(CONTRE))
    return MajorityResult(met.met and passes(share, threshold), met, share, counted, left_out)


@dataclass(frozen=True)
class ConsentResult:
    adopted: bool
    quorum: Quorum
    objections: int


def consent(groups: Sequence[Group], required_quorum: int = 0) -> ConsentResult:
    """Adopted when nobody objects and the quorum is met (in every college)."""
    met = quorum(groups, required_quorum)
    objections = sum(g.count(OBJECTION) for g in groups)
    return ConsentResult(met.met and objections == 0, met, objections)


def percent(value: Fraction) -> int:
    """A share as a whole percentage, rounded half up (2/3 → 67)."""
    return int((value * 100 + Fraction(1, 2)) // 1)


def percent_of(part: int, whole: int) -> int:
    """`part` of `whole` as a whole percentage, rounded half up like every percentage shown
    (1 in 8 → 13, 3 in 8 → 38: never Python's round half to even); 0 of nothing."""
    return percent(Fraction(part, whole)) if whole else 0
