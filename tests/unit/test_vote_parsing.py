"""What people type when setting decisions up, and the charter template: read strictly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.services.charter import parse_template, plain_paragraphs
from bot.services.colleges import parse_colleges
from bot.services.errors import Refusal
from bot.services.votes import parse_closing, parse_options, parse_quorum
from handlers.charter import parts

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a Thursday


def refused(code: str, call: object, *args: object) -> dict[str, object]:
    with pytest.raises(Refusal) as caught:
        call(*args)  # type: ignore[operator]
    assert caught.value.code == code
    return caught.value.params


def test_colleges_are_read_in_every_usual_way() -> None:
    assert parse_colleges("Producteurs 40\nTransformateurs : 30 %\n• Collectivités (30%)") == [
        ("Producteurs", 40),
        ("Transformateurs", 30),
        ("Collectivités", 30),
    ]
    assert parse_colleges("A 50, B 50") == [("A", 50), ("B", 50)]
    assert refused("colleges_total", parse_colleges, "A 50\nB 40") == {"total": 90}
    refused("colleges_few", parse_colleges, "A 100")
    refused("colleges_twice", parse_colleges, "A 50\na 50")
    refused("colleges_unreadable", parse_colleges, "A\nB 100")
    refused("colleges_unreadable", parse_colleges, "A 0\nB 100")
    refused("colleges_many", parse_colleges, "\n".join(f"C{i} 10" for i in range(10)))


def test_options_quorum_and_closing_dates() -> None:
    assert parse_options("• La Grange\n- Le Moulin; La Grange") == ["La Grange", "Le Moulin"]
    refused("vote_options_few", parse_options, "Seule")
    assert parse_quorum(" 50 % ") == 50
    for text in ("0", "101", "moitié", "50.5"):
        refused("vote_quorum_invalid", parse_quorum, text)
    closing = parse_closing("jeudi 3 décembre", NOW, "Europe/Paris", "fr")
    assert closing == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)  # 18 h in Paris
    refused("vote_date_past", parse_closing, "26/11/2026 10h", NOW, "Europe/Paris", "fr")
    refused("vote_date_far", parse_closing, "3/12/2028", NOW, "Europe/Paris", "fr")
    params = refused("vote_date", parse_closing, "31/02", NOW, "Europe/Paris", "fr")
    assert params["date_code"] == "invalid_date"


def test_the_charter_template_and_long_texts() -> None:
    template = parse_template("# Titre\n\nPréambule.\n\n## Objet\n\nUn.\n\nDeux.\n## Fin\nTrois.")
    assert template.title == "Titre" and template.preamble == "Préambule."
    assert template.articles == [("Objet", "Un.\n\nDeux."), ("Fin", "Trois.")]
    assert plain_paragraphs("Un.\n\n  \nDeux.") == ["Un.", "Deux."]
    blocks = ["a" * 1500, "b" * 1500, "c" * 1500, "d" * 10]
    packed = parts(blocks, limit=3100)
    assert packed == ["a" * 1500 + "\n\n" + "b" * 1500, "c" * 1500 + "\n\n" + "d" * 10]
