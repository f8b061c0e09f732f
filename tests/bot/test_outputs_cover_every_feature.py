"""The animator's outputs report on every feature: the weekly synthèse shows the resources
published in the week and the guide's checklist when the team marked an action; the archive
holds the toolbox's and the cartographie's tables, each described in LISEZMOI.txt; /journal
files the toolbox's events under « Ressources »."""

from __future__ import annotations

import zipfile
from datetime import timedelta

from bot.sandbox.core import SandboxUser
from bot.sandbox.harness import Harness
from tests.bot.test_archive import read_zip
from tests.bot.test_digest import START, collective_with_members
from tests.bot.test_toolbox import add_link
from tests.helpers import nb


async def mark_done(h: Harness, claire: SandboxUser) -> None:
    await h.say(claire, None, "/boite")
    await h.press(claire, None, "Où en est notre filière")
    await h.press(claire, None, "Diagnostic territorial")
    await h.press(claire, None, "Dresser une cartographie")
    await h.press(claire, None, "Fait")


async def test_the_synthese_tells_the_toolbox_and_the_checklist(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with_members(h)
    await add_link(h, users[0], title="Guide du lavage de la laine")
    await mark_done(h, claire)
    # The clock has not moved since: the preview still shows what happened at this instant.
    await h.say(claire, None, "/resume")
    synthese = next(
        m.plain for m in reversed(h.sandbox.bot_messages(claire)) if "Synthèse" in m.plain
    )
    lines = synthese.splitlines()
    # One line each (a block tag at a line's end would join them).
    assert nb("• « Guide du lavage de la laine » — Soutien au développement économique") in lines
    assert nb("• Diagnostic territorial : 1 faite sur 5") in lines
    assert nb("• Organisation interne : 0 faite sur 5") in lines
    assert "Acteur0" not in synthese  # the resource's author is never named
    # A week later, nothing new in the toolbox: neither section.
    h.clock.set(START + timedelta(days=9))
    await h.say(claire, None, "/resume")
    later = h.sandbox.bot_messages(claire)[-2].plain
    assert "Boîte à outils" not in later and "Diagnostic territorial" not in later


async def test_the_archive_holds_the_toolbox_and_the_cartographie(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with_members(h)
    await add_link(h, users[0], title="=Guide du lavage")
    await mark_done(h, claire)
    await h.say(claire, None, "/export")
    document = h.last(claire).document
    assert document is not None
    archive, tables = read_zip(document[1])
    assert isinstance(archive, zipfile.ZipFile)
    resources = tables["ressources.csv"]
    assert "'=Guide du lavage" in [cell for row in resources for cell in row]
    checklist = tables["guide_checklist.csv"]
    assert any("Dresser une cartographie des acteurs" in " ".join(row) for row in checklist)
    actors = tables["acteurs.csv"]
    assert any("GAEC des Estives" in row for row in actors)  # in the annuaire
    assert not any("Filature secrète" in row for row in actors)  # no consent, not listed
    assert "mises_en_relation.csv" in tables
    readme = archive.read("LISEZMOI.txt").decode("utf-8")
    assert "les ressources de la boîte à outils" in readme
    assert "les actions du guide et où en est la filière" in readme
    assert nb("la cartographie : les acteurs importés") in readme


async def test_the_journal_files_the_toolbox_under_ressources(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with_members(h)
    await add_link(h, users[0], title="Guide du lavage de la laine")
    await mark_done(h, claire)
    await h.say(claire, None, "/journal")
    await h.press(claire, None, "Ressources")
    page = h.last(claire).plain
    assert "Guide du lavage de la laine" in page
    assert "Dresser une cartographie" in page
    assert "a rejoint le collectif" not in page


async def test_the_synthese_names_the_option_a_majority_judgment_retained(
    harness: Harness,
) -> None:
    from tests.bot.votes_helpers import collective_with, follow, open_vote

    h = harness
    group, claire, users = await collective_with(h, 2)
    await open_vote(
        h,
        claire,
        "Nom du lieu totem",
        method="Jugement majoritaire",
        options="La Grange\nLe Moulin",
    )
    for user, grades in ((users[0], ("Excellent", "Passable")), (users[1], ("Bien", "Bien"))):
        await h.press(user, group, "Voter (en privé)")
        await follow(h, user)
        for grade in grades:
            await h.press(user, None, grade)
        await h.press(user, None, "Valider mon vote")
    await h.tick(timedelta(days=2))
    await h.say(claire, None, "/resume")
    synthese = next(m.plain for m in reversed(h.sandbox.bot_messages(claire)) if "Votes" in m.plain)
    assert nb("« Nom du lieu totem » : option retenue : « La Grange »") in synthese
