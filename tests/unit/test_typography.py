"""French typography in every French template: a narrow no-break space (U+202F) before
: ; ! ? and inside « », the straight apostrophe, and no time written « 12:04 »."""

from __future__ import annotations

import re

import pytest

from bot.texts import MESSAGES

FRENCH = sorted((MESSAGES / "fr").rglob("*.j2"))


def _prose(path: object) -> str:
    source = path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    source = re.sub(r"{#.*?#}", "", source, flags=re.S)
    return re.sub(r"<code>.*?</code>", "", source)  # examples to type are exempt


@pytest.mark.parametrize("path", FRENCH, ids=lambda p: str(p.relative_to(MESSAGES / "fr")))
def test_french_typography(path: object) -> None:
    prose = _prose(path)
    assert not re.search(r"[ \u00a0][:;!?](?!=)", prose), "a plain space before : ; ! ?"
    assert not re.search("«(?!\u202f)", prose), "« without U+202F after it"
    assert not re.search("(?<!\u202f)»", prose), "» without U+202F before it"
    assert "\u2019" not in prose, "typographic apostrophe: the templates use '"
    assert not re.search(r"\b\d{1,2}:\d\d\b", prose), "a time written 12:04, not « 12 h 04 »"
