"""Every message exists in French and English, and both render with the same variables."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.catalog import categories
from bot.texts import MESSAGES, format_day, format_when, label, render, template_names


def test_every_message_exists_in_both_languages() -> None:
    assert template_names("fr") == template_names("en")
    assert len(template_names("fr")) > 50


def test_labels_define_the_same_macros_in_both_languages() -> None:
    def macros(lang: str) -> dict[str, list[str]]:
        return {
            str(path.relative_to(MESSAGES / lang)): re.findall(
                r"{% macro (\w+\([^)]*\))", path.read_text(encoding="utf-8")
            )
            for path in sorted((MESSAGES / lang).rglob("labels.j2"))
        }

    assert macros("fr") == macros("en")
    assert label("keep", "fr", value="x") == "Garder «\u202fx\u202f»"
    assert label("keep", "en", value="x") != label("keep", "fr", value="x")


def test_dates_are_written_the_french_way() -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    meeting = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)
    assert format_when(meeting, "Europe/Paris", "fr", now=now) == "jeudi 3 décembre à 9 h 30"
    assert format_when(meeting.replace(year=2027), "Europe/Paris", "fr", now=now).endswith(
        "2027 à 9 h 30"
    )
    first = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    assert format_when(first, "Europe/Paris", "fr", now=first) == "lundi 1er février à 10 h"
    assert format_day(first, "Europe/Paris", "fr", now=first) == "1er févr. à 10 h 00"
    assert format_when(first, "Europe/Paris", "en", now=first) == "Monday 1 February at 10:00 AM"


def test_reminder_days_each_have_their_unit() -> None:
    said = {
        (3, 1): ("3 jours et 1 jour avant", "3 days and 1 day before"),
        (1,): ("1 jour avant", "1 day before"),
        (2,): ("2 jours avant", "2 days before"),
        (5, 3, 1): ("5 jours, 3 jours et 1 jour avant", "5 days, 3 days and 1 day before"),
    }
    for days, (fr, en) in said.items():
        assert label("surveys/days_before", "fr", days=list(days)) == fr
        assert label("surveys/days_before", "en", days=list(days)) == en


def test_a_precision_without_a_category_gets_a_generic_example() -> None:
    """Every need and offer has an example of its own, in both languages; an option of the
    survey's own has none, and the question says what a précision may hold."""
    for category in categories().values():
        for kind in ("need", "offer"):
            assert category.example(kind, "fr") and category.example(kind, "en"), category.code
    asked = render("surveys/ask_detail", "fr", q=None, option="Laine brute", example="")
    assert "Par exemple ce dont il s'agit, la quantité, le délai." in asked
    asked = render("surveys/ask_detail", "en", q=None, option="Raw wool", example="")
    assert "For example what it is, the quantity, when." in asked


def test_the_guide_has_six_leviers_in_its_order() -> None:
    from bot.catalog import leviers

    assert [lev.label("fr") for lev in leviers().values()] == [
        "Diagnostic territorial",
        "Organisation interne",
        "Animation du collectif",
        "Financement",
        "Communication",
        "Soutien au développement économique",
    ]


def test_de_and_que_are_elided_before_a_vowel_not_before_h() -> None:
    from jinja2 import Environment

    from bot.texts import environment

    html = environment()
    for name, de in (
        ("Ahmed", "d'Ahmed"),
        ("Élise", "d'Élise"),
        ("Yvon", "d'Yvon"),
        ("Hugo", "de Hugo"),
        ("Claire", "de Claire"),
        ("<b>Ines", "de &lt;b&gt;Ines"),
    ):
        assert html.from_string("{{ n | elide }}").render(n=name) == de
    assert html.from_string('{{ n | elide("que") }}').render(n="Inès") == "qu'Inès"
    assert html.from_string("{{ n | elide }}").render(n="Ève & co") == "d'Ève &amp; co"
    plain: Environment = environment(False)
    assert plain.from_string("{{ n | elide }}").render(n="Ève & co") == "d'Ève & co"


def test_shorten_cuts_at_a_word_with_an_ellipsis() -> None:
    from bot.textsafety import shorten

    assert shorten("Engagements réciproques", 40) == "Engagements réciproques"
    assert shorten("Engagements réciproques des acteurs", 22) == "Engagements…"
    assert shorten("Anticonstitutionnellement", 10) == "Anticonst…"
    assert shorten("Charte, statuts et règlement", 18) == "Charte, statuts…"
    assert all(len(shorten("mot " * 30, n)) <= n for n in range(2, 60))
