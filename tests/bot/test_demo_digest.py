"""The demo's last scene: the communauté de communes subscribes, the synthèse goes out on
Monday, Claire exports the archive; the files it writes."""

from __future__ import annotations

import email
import io
import zipfile
from email import policy
from pathlib import Path

from bot.demo import run_demo


async def test_the_demo_writes_the_synthese_and_the_archive(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert await run_demo(out, quiet=True) == 0
    page = (out / "synthese.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "Synthèse de la semaine" in page
    mail = email.message_from_bytes((out / "synthese.eml").read_bytes(), policy=policy.default)
    assert (
        mail["List-Unsubscribe"] == "<mailto:animation@filiere-laine.example?subject=unsubscribe>"
    )
    assert {p.get_content_type() for p in mail.walk()} >= {"text/plain", "text/html"}
    archive = zipfile.ZipFile(io.BytesIO((out / "export.zip").read_bytes()))
    names = set(archive.namelist())
    assert {"membres.csv", "votes.csv", "journal.csv", "LISEZMOI.txt"} <= names
    assert "bilan-de-la-filiere.html" in names
    transcript = (out / "transcript.md").read_text(encoding="utf-8").replace("\u202f", " ")
    # Hugo, back in the group, fills his profile again and keeps his maillon.
    hugo = next(
        line
        for line in (out / "acteurs.csv").read_text(encoding="utf-8-sig").splitlines()
        if line.startswith("Boutique Laine & Co;")
    )
    assert hugo.split(";")[3] == "Vente", hugo
    # The charter's drafting, marked done once the draft is published: never late.
    assert "C'est fait : « Rédiger le projet de charte »" in transcript
    assert "Échéance dans 2 jours (le 29 janvier)" not in transcript
    assert "en retard" not in page and "en retard" not in transcript
    assert "C'est enregistré : ce groupe recevra la synthèse hebdomadaire" in transcript
    assert "Aperçu de la synthèse" in transcript
