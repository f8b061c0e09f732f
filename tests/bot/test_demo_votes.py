"""The demo's decisions scene: the charter adopted by consent after an objection, an amendment
and a second round, and signed; a majority judgment for the lieu totem; a majority vote by
colleges with a proxy; the files it writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.demo import run_demo


async def test_the_demo_adopts_signs_decides_and_exports(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert await run_demo(out, quiet=True) == 0
    md = (out / "charte.md").read_text(encoding="utf-8")
    page = (out / "charte.html").read_text(encoding="utf-8")
    csvs = sorted(p.name for p in out.glob("vote-*.csv"))
    assert len(csvs) == 3
    assert md.startswith("# Charte de la filière laine du Cantal")
    assert "un paiement à 15 jours au plus" in md  # Paul's amendment, merged
    assert "Jeanne Roux — GAEC des Estives" in md and "<h2>Article 4" in page
    transcript = (out / "transcript.md").read_text(encoding="utf-8").replace("\u202f", " ")
    for line in (
        "Pas adoptée à ce tour : 1 objection.",
        "La charte est adoptée.",
        "Charte adoptée — version 1",
        "« La Grange aux laines » l'emporte, avec la mention « Bien ».",
        "dont 1 par procuration",
        "collèges pondérés",
    ):
        assert line in transcript, line
    with sqlite3.connect(out / "demo.db") as db:
        versions = db.execute("SELECT number, pin FROM charter_versions").fetchall()
        signatures = db.execute("SELECT count(*) FROM charter_signatures").fetchone()[0]
        rounds = db.execute("SELECT number, outcome FROM vote_rounds WHERE vote_id = 1").fetchall()
    assert versions == [(1, "pinned")] and signatures == 5
    assert rounds == [(1, "objections"), (2, "adopted")]
