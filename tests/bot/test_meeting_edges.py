"""The comités feature's other refusals, and the journal's sentences for every event."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.sandbox.harness import Harness
from storage.models import Collective, Meeting, RoadmapAction
from tests.bot.test_date_polls import answer
from tests.bot.test_meetings import START, members, schedule
from tests.bot.test_roadmap import AFTER, held, report
from tests.helpers import nb


async def test_refusals_of_the_wizard_odj_and_feuille_de_route(harness: Harness) -> None:
    h = harness
    h.clock.set(START)
    group, claire, users = await members(h, 1)
    paul = users[0]
    # /odj with nothing scheduled.
    await h.say(paul, None, "/odj")
    assert "Aucune réunion n'est programmée" in h.last(paul).plain
    # Two visio links; too many agenda lines.
    await h.say(claire, None, "/comite")
    await h.press(claire, None, "Une date fixée")
    await h.press(claire, None, "Groupe de travail")
    await h.say(claire, None, "Tonte")
    await h.say(claire, None, "10/12 14h")
    await h.press(claire, None, "Oui, c'est bien ça")
    await h.press(claire, None, "Une seule fois")
    await h.press(claire, None, "1 h 30")
    await h.say(claire, None, "https://a.example.org/x https://b.example.org/y")
    assert "Je n'ai besoin que d'un lien de visio" in h.last(claire).plain
    await h.say(claire, None, "https://a.example.org/x")
    await h.say(claire, None, "\n".join(f"Point {i}" for i in range(11)))
    assert nb("C'est beaucoup de points : 10 au plus.") in h.last(claire).plain
    await h.say(claire, None, "Point 1")
    await schedule(h, claire, when="11/12 9h", kind="Café ESS", agenda=None)
    # /odj with two meetings asks which one.
    await h.say(paul, None, "/odj")
    assert "Pour quelle réunion" in h.last(paul).plain
    assert h.last(paul).buttons[:2] == [
        [nb("jeu. 10 déc., 14 h — Tonte")],
        [nb("ven. 11 déc., 9 h — Café ESS")],
    ]
    await h.press(paul, None, "Café ESS")
    await h.say(paul, None, "Présentation de la CRESS")
    assert "transmise à l'équipe d'animation" in h.last(paul).plain
    # /cr on a meeting still to come (an old or forged button).
    async with h.app.deps.uow() as uow:
        meeting = (await uow.session.scalars(select(Meeting).order_by(Meeting.id))).first()
        collective = (await uow.session.scalars(select(Collective))).one()
    assert meeting is not None
    last = h.last(claire)
    h.sandbox.press_data(claire, None, last.message_id, f"1|mcr|{meeting.id}")
    await h.flush()
    assert "n'a pas encore eu lieu" in h.sandbox.toasts[-1][1]
    # A member with no action to mark.
    h.sandbox.press_data(paul, None, h.last(paul).message_id, f"1|mam|{collective.id}")
    await h.flush()
    assert "Vous ne portez aucune action en cours" in h.sandbox.toasts[-1][1]


async def test_an_action_is_marked_done_once(harness: Harness) -> None:
    h = harness
    group, claire, users = await held(h)
    h.clock.set(AFTER)
    await report(h, claire, group, users)
    async with h.app.deps.uow() as uow:
        action = (
            await uow.session.scalars(select(RoadmapAction).order_by(RoadmapAction.id))
        ).first()
    assert action is not None
    for _ in range(2):
        h.sandbox.press_data(claire, None, h.last(claire).message_id, f"1|mad|{action.id}")
        await h.flush()
    assert "déjà marquée comme faite" in h.sandbox.toasts[-1][1]


async def test_the_journal_tells_every_event_of_the_comites(harness: Harness) -> None:
    h = harness
    group, claire, users = await held(h)
    jeanne, paul, ines = users
    # The ordre du jour: proposed, accepted, declined; the team's own point.
    await h.say(paul, None, "/odj")
    await h.say(paul, None, "Tonte 2027")
    await h.tick()
    await h.press(claire, None, "Accepter")
    await h.say(ines, None, "/odj")
    await h.say(ines, None, "Salon")
    await h.tick()
    await h.press(claire, None, "Refuser")
    await h.say(claire, None, "/odj")
    await h.say(claire, None, "Budget")
    # Reminders; a date poll; a second meeting moved, changed, cancelled.
    await h.say(claire, None, "/rappels")
    await h.press(claire, None, "Valider")
    await h.say(claire, None, "/comite")
    await h.press(claire, None, "Proposer plusieurs dates")
    await h.press(claire, None, "Café ESS")
    await h.press(claire, None, "Garder")
    await h.say(claire, None, "15/12 18h")
    await h.say(claire, None, "16/12 18h")
    await h.press(claire, None, "C'est tout")
    await h.press(claire, None, "1 h")
    await h.say(claire, None, "Café associatif, Murat")
    await h.press(claire, None, "Pas d'ordre du jour")
    await h.tick()
    await answer(h, jeanne, group, ("Oui", "Non"))
    await h.press(claire, None, "Voir le tableau et choisir")
    await h.press(claire, None, "mar. 15 déc.")
    await h.say(claire, None, "/reunions")
    await h.press(claire, None, "Café ESS")
    await h.press(claire, None, "Changer la date")
    await h.say(claire, None, "17/12 18h")
    await h.press(claire, None, "Oui, c'est bien ça")
    await h.say(claire, None, "/reunions")
    await h.press(claire, None, "Café ESS")
    await h.press(claire, None, "Changer le lieu")
    await h.say(claire, None, "Bar de la gare, Murat")
    await h.say(claire, None, "/reunions")
    await h.press(claire, None, "Café ESS")
    await h.press(claire, None, "Annuler la réunion")
    await h.press(claire, None, "Oui, l'annuler")
    # The minutes, and an action done.
    h.clock.set(AFTER)
    await report(h, claire, group, users)
    await h.say(jeanne, None, "/actions")
    await h.press(jeanne, None, "Marquer une action comme faite")
    await h.press(jeanne, None, "Rédiger la charte")

    await h.say(claire, None, "/journal")
    lines: list[str] = []
    while True:
        page = h.last(claire)
        lines += page.plain.splitlines()
        if not any("Plus anciens" in b for row in page.buttons for b in row):
            break
        await h.press(claire, None, "Plus anciens", message_id=page.message_id)
        h.clock.advance(timedelta(seconds=1))
    journal = "\n".join(lines)
    for sentence in (
        "Claire Morel a programmé « Comité de filière » le jeudi 10 décembre à 14 h",
        "Acteur0 Test a répondu « Je viens » pour « Comité de filière »",
        "Acteur1 Test a proposé « Tonte 2027 » pour l'ordre du jour de « Comité de filière »",
        "Claire Morel a accepté « Tonte 2027 » à l'ordre du jour de « Comité de filière »",
        "Claire Morel a refusé « Salon » pour « Comité de filière »",
        "Claire Morel a ajouté « Budget » à l'ordre du jour de « Comité de filière »",
        "Claire Morel a changé les rappels des réunions",
        "Claire Morel a ouvert un sondage de date pour « Café ESS » (2 dates)",
        "Acteur0 Test a répondu au sondage de date « Café ESS »",
        "Claire Morel a retenu le mardi 15 décembre à 18 h pour « Café ESS »",
        "Claire Morel a déplacé « Café ESS » au jeudi 17 décembre à 18 h (au lieu du mardi 15",
        "Claire Morel a changé le lieu de « Café ESS »",
        "Claire Morel a annulé « Café ESS »",
        "compte rendu de « Comité de filière » (2 présences, 2 décisions, 3 actions)",
        "Décision de « Comité de filière » : Adopter la charte de la filière",
        "a confié une action à Acteur0 Test : « Rédiger la charte », pour le 15 janvier 2027",
        "Acteur0 Test a marqué comme faite : « Rédiger la charte »",
    ):
        assert nb(sentence) in journal, sentence
