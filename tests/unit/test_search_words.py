"""The search's normalisation: lowercase, no accents, ligatures opened, punctuation dropped,
French plurals folded the same way for what is indexed and what is typed."""

from __future__ import annotations

import pytest

from bot.catalog import leviers
from bot.services.search import as_text, fold, query_words, words
from bot.services.toolbox import guide


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Laines", ["laine"]),
        ("LAVÂGE écologique", ["lavage", "ecologique"]),
        ("Œuvre cœur", ["oeuvre", "coeur"]),
        ("chevaux, locaux", ["cheval", "local"]),
        ("bureaux eaux", ["bureau", "eau"]),
        ("l'ESS", ["l", "ess"]),
        ("100% _local_ * NEAR OR", ["100", "local", "near", "or"]),
        ("'; DROP TABLE x; --", ["drop", "table", "x"]),
        ("prix", ["pri"]),
        ("bus", ["bus"]),  # three letters or fewer: kept as typed
        ("classe", ["classe"]),
        ("", []),
        ("%_*\"'", []),
    ],
)
def test_words(typed: str, expected: list[str]) -> None:
    assert words(typed) == expected


def test_singular_and_plural_meet() -> None:
    for singular, plural in (("laine", "laines"), ("filature", "filatures"), ("cheval", "chevaux")):
        assert fold(words(singular)[0]) == words(plural)[0]


def test_stop_words_dropped_unless_alone() -> None:
    assert query_words("le guide de la laine") == ["guide", "laine"]
    assert query_words("de la") == ["de", "la"]
    assert query_words("laine laines Laine") == ["laine"]


def test_stored_text_has_spaces_at_both_ends() -> None:
    assert as_text(["laine", "brute"]) == " laine brute "
    assert as_text([]) == " "


def test_the_guide_lists_every_action_under_the_six_leviers() -> None:
    actions = guide()
    assert len(actions) == 41
    assert {a.levier for a in actions.values()} == set(leviers())
    for action in actions.values():
        assert action.code.startswith(action.levier + ".")
        assert action.label("fr") and action.label("en")
        assert "/" in action.how_to("fr") and "/" in action.how_to("en")
        assert len(action.code) <= 40  # travels in a button's callback data
