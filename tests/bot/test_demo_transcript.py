"""The demo's transcript, by its content: a story in captioned sections, every action shown,
one onboarding in full and the others in a table, no dead end, and an HTML page to read on a
phone or print."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.demo import play_demo
from bot.transcript import Line, Transcript
from tests.helpers import nb


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Transcript:
    import asyncio

    out = tmp_path_factory.mktemp("demo")
    return asyncio.run(play_demo(out))


def _sections(lines: list[Line]) -> list[tuple[Line, list[Line]]]:
    sections: list[tuple[Line, list[Line]]] = []
    for line in lines:
        if line.kind == "section":
            sections.append((line, []))
        else:
            assert sections, f"a line before the first section: {line}"
            sections[-1][1].append(line)
    return sections


def test_every_section_has_a_caption_naming_a_command_and_is_not_empty(demo: Transcript) -> None:
    sections = _sections(demo.lines)
    assert len(sections) >= 10
    for title, body in sections:
        assert title.caption, title.text
        # The command at work, or the Telegram action when there is none.
        assert re.search(r"/[a-zé]+|Modifier|Sans commande", title.caption), title.caption
        assert any(line.kind not in ("aside",) for line in body), title.text


def test_every_question_asked_is_answered(demo: Transcript) -> None:
    lines = demo.lines
    for n, line in enumerate(lines):
        asks = line.is_bot and line.kind == "message" and line.chat.startswith("privé")
        if not asks or not any(row.rstrip().endswith("?") for row in line.text.splitlines()):
            continue
        answered = any(
            later.chat == line.chat and later.kind in ("message", "press") and not later.is_bot
            for later in lines[n + 1 :]
        )
        assert answered, f"unanswered: {line.text[:80]}"


def test_presses_and_edits_are_shown_once(demo: Transcript) -> None:
    lines = demo.lines
    vision = next(n for n, line in enumerate(lines) if "Comment voyez-vous la filière" in line.text)
    press, edit = lines[vision + 1], lines[vision + 2]
    assert demo.sentence(press) == nb("Claire appuie sur « Chaîne de valeur »")
    assert (edit.kind, edit.text) == ("edit", nb("Votre réponse : Chaîne de valeur"))
    toggles = [
        line for line in lines if line.kind == "markup" and line.text and "Nadia" in line.chat
    ]
    assert toggles and toggles[-1].text == "✅ Production, ✅ Sensibilisation"
    assert not any(line.kind == "message" and line.text.startswith("/start ") for line in lines)
    assert any(line.kind == "open" for line in lines)


def test_one_onboarding_in_full_then_a_table(demo: Transcript) -> None:
    firsts = [line for line in demo.lines if line.text.startswith("Question 1 sur 5")]
    assert len(firsts) == 2  # Claire's, in full; Nadia's, over two days
    table = next(line for line in demo.lines if line.kind == "table")
    header, *rows = table.rows
    assert header[:3] == ("Acteur", "Organisation", "Famille")
    assert len(rows) == 9 and table.text.startswith("9 acteurs rejoignent")
    karim = next(row for row in rows if row[0] == "Karim Haddad")
    assert karim[2] == "Entreprise de l'ESS (ESUS, insertion…)" and karim[-1] == "non"


def test_the_departure_and_the_pause_are_told(demo: Transcript) -> None:
    sections = dict((title.text, body) for title, body in _sections(demo.lines))
    hugo = sections["Hugo quitte le groupe Telegram"]
    assert [line.kind for line in hugo[:2]] == ["leave", "message"]
    assert "vous ne faites donc plus partie du collectif" in hugo[1].text
    food = sections["Un second collectif, l'alimentation durable"]
    assert any(line.kind == "aside" and "Nadia s'arrête là" in line.text for line in food)
    later = sections["Le lendemain, Nadia termine son profil"]
    assert nb("Nadia appuie sur « Collectivité ou acteur public »") == demo.sentence(later[0])


def test_the_html_page(demo: Transcript, tmp_path: Path) -> None:
    demo.write(tmp_path)
    page = (tmp_path / "transcript.html").read_text(encoding="utf-8")
    assert '<meta name="viewport"' in page and "@media print" in page
    anchors = re.findall(r'<section id="([^"]+)">', page)
    assert len(anchors) == len(demo.sections)
    for anchor in anchors:
        assert f'<a href="#{anchor}">' in page
    assert '<div class="t"><b>Bonjour, je suis Tisserand.</b>' in page
    assert "<table>" in page and "<th>Acteur</th>" in page
    markdown = (tmp_path / "transcript.md").read_text(encoding="utf-8")
    assert "## Sommaire" in markdown and "| Acteur | Organisation |" in markdown
