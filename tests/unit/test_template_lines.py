"""Line breaks in the message templates. The environment trims the newline after a block tag
(`trim_blocks`), so a line of text ending with `{% endif %}` or `{% endfor %}` is glued to the
next line. Where the next line is meant to start a new line, the template either ends the line
with text (the period after the `{% endif %}`) or writes `{% endif +%}`, which keeps the newline.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.texts import LANGUAGES, MESSAGES, render

TEMPLATES = sorted(p for lang in LANGUAGES for p in (MESSAGES / lang).rglob("*.j2"))
_CLOSING = re.compile(r"{%-?\s*(?:endif|endfor)\s*%}$")
_TAGS = re.compile(r"^(?:\s*{%.*?%})+")


def glued_lines(source: str) -> list[int]:
    """Line numbers of text ending with a closing tag whose newline is lost, when the next line
    does not go on with a space (« …répondu. Elle est dans votre agenda. » is one line)."""
    lines = source.split("\n")
    glued = []
    for number, (line, after) in enumerate(itertools.pairwise(lines), start=1):
        line = line.rstrip()
        if not _CLOSING.search(line) or not re.sub(r"{%.*?%}", "", line).strip():
            continue
        if not after.strip():
            continue
        rest = _TAGS.sub("", after)
        if rest.startswith(" ") and rest.strip():
            continue
        glued.append(number)
    return glued


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(MESSAGES)))
def test_no_line_of_text_is_glued_to_the_next(path: Path) -> None:
    assert not glued_lines(path.read_text(encoding="utf-8"))


def test_the_check_finds_the_glued_line() -> None:
    assert glued_lines("{% if a %}A.{% else %}B.{% endif %}\nNext.") == [1]
    assert glued_lines("{% if a %}A{% else %}B{% endif %}.\nNext.") == []
    assert glued_lines("{% for x in xs %}\n• {{ x }}{% if y %} y{% endif %}\n{% endfor %}") == [2]
    assert glued_lines("Answer.{% endif %}\n{% if added %} In your calendar.{% endif %}") == []


NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
C = SimpleNamespace(timezone="Europe/Paris", title="Laine d'Auvergne")


def _meeting(**extra: object) -> SimpleNamespace:
    fields: dict[str, object] = {
        "title": "Comité de filière",
        "starts_at": datetime(2026, 12, 18, 9, 0, tzinfo=UTC),
        "place": "Saint-Flour",
        "visio_url": None,
    }
    return SimpleNamespace(**(fields | extra))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_changed_meeting_says_its_two_sentences_on_two_lines(lang: str) -> None:
    for change in ("moved", "place"):
        m = SimpleNamespace(meeting=_meeting())
        text = render("meetings/changed", lang, m=m, c=C, change=change)
        assert len(text.split("\n")) == 2 and text.split("\n")[0].endswith("."), text
        before = "jeudi 17 décembre à 9 h 30"
        for ics in (False, True):
            text = render(
                "meetings/change_private", lang, m=m, c=C, change=change, ics=ics, before=before
            )
            assert len(text.split("\n")) == 2 and text.split("\n")[0].endswith("."), text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_actors_wants_are_one_a_line(lang: str) -> None:
    actor = SimpleNamespace(
        organisation="Filature", membership_id=None, invite_token=None, contact=None, commune=None
    )
    wants = [("need", "Laine lavée", "1 t"), ("offer", "Transport", None)]
    text = render(
        "cartographie/actor", lang, actor=actor, famille="Transformation", maillons=[], wants=wants
    )
    lines = text.split("\n")
    assert lines[-3].endswith("."), text
    assert [line.split()[0] for line in lines[-2:]] in (
        ["Cherche", "Propose"],
        ["Looking", "Offers:"],
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_question_card_gives_its_options_on_their_own_line(lang: str) -> None:
    q = SimpleNamespace(
        label="Vos besoins ?",
        type="single",
        answerable=True,
        required=True,
        source=None,
        options=[SimpleNamespace(label="Laine")],
        condition=None,
    )
    text = render("surveys/question_card", lang, q=q)
    assert len(text.split("\n")) == 3 and text.split("\n")[2].startswith("• "), text
