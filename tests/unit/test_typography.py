"""French typography in every French template and in the shipped French charter: a narrow
no-break space (U+202F) before : ; ! ? and inside « », the straight apostrophe, and no time
written « 12:04 »."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.catalog import CONTENT
from bot.texts import MESSAGES

FRENCH = sorted((MESSAGES / "fr").rglob("*.j2"))
CHARTERS = CONTENT / "charters"


def _prose(path: object) -> str:
    source = path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    source = re.sub(r"{#.*?#}", "", source, flags=re.S)
    return re.sub(r"<code>.*?</code>", "", source)  # examples to type are exempt


@pytest.mark.parametrize("path", FRENCH, ids=lambda p: str(p.relative_to(MESSAGES / "fr")))
def test_french_typography(path: object) -> None:
    _typeset(_prose(path))


def _typeset(prose: str) -> None:
    assert not re.search(r"[ \u00a0][:;!?](?!=)", prose), "a plain space before : ; ! ?"
    assert not re.search(r"(\d|}}) %(?!})", prose), "a plain space before %"
    assert not re.search("«(?!\u202f)", prose), "« without U+202F after it"
    assert not re.search("(?<!\u202f)»", prose), "» without U+202F before it"
    assert "\u2019" not in prose, "typographic apostrophe: the templates use '"
    assert not re.search(r"\b\d{1,2}:\d\d\b", prose), "a time written 12:04, not « 12 h 04 »"


def test_the_french_charter_model_is_typeset() -> None:
    """The charter the animation team starts from, and the French words of its exports (the
    string before `if fr` in the bilingual templates)."""
    _typeset((CHARTERS / "fr.md").read_text(encoding="utf-8"))
    for export in sorted(CHARTERS.glob("export.*.j2")):
        words = re.findall(r'"([^"]*)" if fr\b', export.read_text(encoding="utf-8"))
        assert words, export
        _typeset(" ".join(words))


def _french_values(found: Any, path: Path, key: str = "") -> list[str]:
    """The French texts of a catalogue: keys `fr` and `*_fr`, and a survey template's words."""
    if isinstance(found, dict):
        return [t for k, v in found.items() for t in _french_values(v, path, k)]
    if isinstance(found, list):
        return [t for v in found for t in _french_values(v, path, key)]
    french = key == "fr" or key.endswith("_fr")
    french |= path.parent.name == "surveys" and key in ("title", "label", "hint")
    return [found] if isinstance(found, str) and french else []


@pytest.mark.parametrize(
    "path", sorted(CONTENT.rglob("*.toml")), ids=lambda p: str(p.relative_to(CONTENT))
)
def test_the_french_words_of_the_catalogues_are_typeset(path: Path) -> None:
    """What the bot shows from content/*.toml: the guide's actions, needs and offers, leviers,
    familles, the survey templates."""
    for text in _french_values(tomllib.loads(path.read_text(encoding="utf-8")), path):
        _typeset(text)
