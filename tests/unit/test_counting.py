"""Consent and majority counting: quorum, thresholds, colleges and their weights."""

from __future__ import annotations

from fractions import Fraction

from bot.services.counting import (
    ABSTENTION,
    CONTRE,
    OBJECTION,
    POUR,
    Group,
    Threshold,
    consent,
    majority,
    percent,
    quorum,
)


def g(name: str | None, weight: int, eligible: int, **counts: int) -> Group:
    return Group(name, weight, eligible, sum(counts.values()), counts)


def test_abstentions_count_only_for_the_quorum() -> None:
    group = g(None, 0, 10, pour=3, contre=2, abstention=3)
    result = majority([group], Threshold.HALF, 90)
    assert result.share == Fraction(3, 5)  # 3 Pour of 5 Pour + Contre
    assert not result.quorum.met and not result.adopted  # 8 took part of 10 < 90 %
    result = majority([group], Threshold.HALF, 80)
    assert result.quorum.met and result.adopted


def test_more_than_half_and_two_thirds() -> None:
    even = g(None, 0, 10, pour=2, contre=2)
    assert not majority([even], Threshold.HALF).adopted
    two_thirds = g(None, 0, 10, pour=2, contre=1)
    assert majority([two_thirds], Threshold.TWO_THIRDS).adopted
    below = g(None, 0, 10, pour=3, contre=2)
    assert majority([below], Threshold.HALF).adopted
    assert not majority([below], Threshold.TWO_THIRDS).adopted
    nobody = g(None, 0, 10, abstention=4)
    assert majority([nobody], Threshold.HALF).share is None


def test_colleges_are_weighted_and_an_empty_college_is_left_out() -> None:
    producers = g("Producteurs", 40, 5, pour=1, contre=3)  # 25 % Pour
    makers = g("Transformateurs", 30, 4, pour=3, contre=0)  # 100 %
    towns = g("Collectivités", 30, 3, abstention=2)  # no Pour, no Contre
    result = majority([producers, makers, towns], Threshold.HALF)
    assert result.left_out == ("Collectivités",)
    # 40/70 × 1/4 + 30/70 × 1 = 10/70 + 30/70 = 4/7 > 1/2
    assert result.share == Fraction(4, 7) and result.adopted
    assert [c.weight for c in result.counted] == [Fraction(4, 7), Fraction(3, 7)]
    # Counted head by head it would fail: 4 Pour, 3 Contre… counted by college it passes.
    assert percent(result.share) == 57


def test_a_college_below_quorum_fails_the_vote() -> None:
    producers = g("Producteurs", 50, 10, pour=6)
    towns = g("Collectivités", 50, 4, pour=1)
    result = majority([producers, towns], Threshold.HALF, 50)
    assert not result.quorum.met and result.quorum.below == ("Collectivités",)
    assert not result.adopted
    assert quorum([g("x", 1, 0)], 50).met  # a college nobody could vote in does not count


def test_consent_blocks_on_any_objection_whatever_the_weights() -> None:
    big = g("Producteurs", 90, 10, ok=9)
    small = g("Collectivités", 10, 3, ok=2, objection=1)
    assert consent([big, small]).objections == 1
    assert not consent([big, small]).adopted
    assert consent([big, g("Collectivités", 10, 3, ok=2, abstain=1)]).adopted
    assert not consent([g(None, 0, 10, ok=2)], 50).adopted  # quorum not met
    assert OBJECTION == "objection"
    assert (POUR, CONTRE, ABSTENTION) == ("pour", "contre", "abstention")


def test_percent_rounds_half_up() -> None:
    assert percent(Fraction(2, 3)) == 67
    assert percent(Fraction(1, 2)) == 50
    assert percent(Fraction(1, 8)) == 13
