"""The demo's comité: a date poll, an agenda, reminders across a restart, minutes and
actions; it writes reunions.ics, reunions.csv and actions.csv."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.demo import run_demo


async def test_the_demo_plays_the_comite_and_writes_the_three_files(tmp_path: Path) -> None:
    await run_demo(tmp_path, quiet=True)
    transcript = (tmp_path / "transcript.md").read_text(encoding="utf-8")
    for seen in (
        "Sondage de date — Comité de lancement de la filière",
        "Date retenue",
        "Mutualiser les tondeurs pour la tonte 2027",
        "le premier mardi de chaque mois",
        "Rappel : Comité de lancement de la filière, jeudi 14 janvier à 14 h",
        "Rappel : Comité de lancement de la filière, demain à 14 h",
        "Rappel : Comité de lancement de la filière, aujourd'hui à 14 h",
        "Compte rendu — Comité de lancement de la filière",
        "C'est fait : « Chercher un local de stockage pour la laine »",
    ):
        assert seen.replace(" :", "\u202f:").replace("« ", "«\u202f").replace(" »", "\u202f»") in (
            transcript
        ), seen
    # Each reminder once, across the restart between the first and the second.
    assert transcript.count("Rappel\u202f: Comité de lancement de la filière, demain") == 6
    calendar = Calendar.from_ical((tmp_path / "reunions.ics").read_bytes())
    starts = [e.decoded("DTSTART") for e in calendar.walk("VEVENT")]
    assert datetime(2027, 2, 2, 14, 0, tzinfo=ZoneInfo("Europe/Paris")) in starts
    meetings = list(
        csv.reader(io.StringIO((tmp_path / "reunions.csv").read_text("utf-8-sig")), delimiter=";")
    )
    assert "Comité de lancement de la filière" in [row[3] for row in meetings[1:]]
    actions = list(
        csv.reader(io.StringIO((tmp_path / "actions.csv").read_text("utf-8-sig")), delimiter=";")
    )
    assert len(actions) == 4 and sorted(row[5] for row in actions[1:]) == [
        "en cours",
        "en cours",
        "faite",
    ]
