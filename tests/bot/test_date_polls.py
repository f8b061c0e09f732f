"""Sondages de date: 2 to 6 slots; Oui / Si besoin / Non for each, in private from
« Répondre »; the group's live table; the animator's table and choice, which creates the
meeting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from storage.models import DatePoll, DatePollAnswer, Meeting
from tests.bot.test_meetings import START, members, shown
from tests.helpers import journal_kinds, nb


async def open_poll(h: Harness, claire: SandboxUser, slots: tuple[str, ...]) -> None:
    await h.say(claire, None, "/comite")
    await h.press(claire, None, "Proposer plusieurs dates")
    await h.press(claire, None, "Comité de filière")
    await h.say(claire, None, "Comité de lancement")
    for slot in slots:
        await h.say(claire, None, slot)
    if len(slots) < 6:
        await h.press(claire, None, "C'est tout")
    await h.press(claire, None, "2 h")
    await h.say(claire, None, "Maison de l'ESS, Saint-Flour")
    await h.say(claire, None, "Tour de table\nFeuille de route")


async def answer(
    h: Harness, user: SandboxUser, group: SandboxChat, answers: tuple[str, ...]
) -> None:
    await h.press(user, group, "Répondre")
    for value in answers:
        await h.press(user, None, value)


def edits(h: Harness, group: SandboxChat) -> int:
    return len(
        [
            1
            for name, params in h.sandbox.calls
            if name == "editMessageText" and str(params.get("chat_id")) == str(group.id)
        ]
    )


async def test_a_date_poll_from_the_wizard_to_the_meeting(harness: Harness) -> None:
    h = harness
    h.clock.set(START)
    group, claire, users = await members(h, 3)
    jeanne, paul, ines = users
    await h.say(claire, None, "/comite")
    await h.press(claire, None, "Proposer plusieurs dates")
    await h.press(claire, None, "Comité de filière")
    await h.say(claire, None, "Comité de lancement")
    assert "Première date à proposer" in h.last(claire).plain
    await h.say(claire, None, "10/12 14h")
    assert h.last(claire).buttons == [["◀ Précédent"]]  # at least two dates
    await h.say(claire, None, "10 décembre à 14 h")
    assert nb("Le jeudi 10 décembre à 14 h est déjà proposé") in h.last(claire).plain
    await h.say(claire, None, "11/12 9h")
    assert "• jeudi 10 décembre à 14 h\n• vendredi 11 décembre à 9 h" in h.last(claire).plain
    assert ["◀ Précédent", "C'est tout"] in h.last(claire).buttons
    await h.say(claire, None, "1/11/2026 9h")
    assert "est déjà passé" in h.last(claire).plain
    await h.say(claire, None, "14/12 14h")
    await h.press(claire, None, "C'est tout")
    # A button of its own is a choice, echoed as such (not « Vous avez passé cette question »).
    echoed = h.bot_texts(claire)[-2]
    assert echoed.endswith(nb("Votre réponse : C'est tout")), echoed
    assert "Combien de temps" in h.last(claire).plain
    await h.press(claire, None, "2 h")
    await h.say(claire, None, "Maison de l'ESS, Saint-Flour")
    await h.say(claire, None, "Tour de table\nFeuille de route")
    assert nb("Le sondage de date est ouvert : Comité de lancement") in h.last(claire).plain
    table_button = h.last(claire)
    await h.tick()
    live = h.last(group)
    assert live.plain.startswith("📅 Sondage de date — Comité de lancement")
    assert live.buttons == [["Répondre"]]
    assert "0 réponse." in live.plain

    # Members answer in private, slot by slot.
    await h.press(jeanne, group, "Répondre")
    assert h.sandbox.toasts[-1][1] == "Je vous pose les questions en privé."
    question = h.last(jeanne)
    assert "date 1 sur 3" in question.plain and "jeudi 10 décembre à 14 h" in question.plain
    assert question.buttons == [["Oui"], ["Si besoin"], ["Non"]]
    for value in ("Oui", "Non", "Si besoin"):
        await h.press(jeanne, None, value)
    assert "vos réponses sont enregistrées" in h.last(jeanne).plain
    await h.tick(timedelta(seconds=10))
    await answer(h, paul, group, ("Oui", "Oui", "Non"))
    await answer(h, ines, group, ("Si besoin", "Oui", "Non"))
    await h.tick(timedelta(seconds=20))
    assert edits(h, group) == 0  # less than a minute since it was posted
    await h.tick(timedelta(seconds=45))
    assert edits(h, group) == 1
    table = shown(h, group, live.message_id)
    assert nb("jeudi 10 décembre à 14 h — oui : 2 · si besoin : 1 · non : 0") in table
    assert nb("vendredi 11 décembre à 9 h — oui : 2 · si besoin : 0 · non : 1") in table
    assert "3 réponses." in table
    await h.tick(timedelta(minutes=3))
    assert edits(h, group) == 1  # nothing changed: no edit
    # Answering again shows the current answer and replaces it.
    await h.press(paul, group, "Répondre")
    assert nb("(Votre réponse actuelle : Oui.)") in h.last(paul).plain
    for value in ("Non", "Oui", "Non"):
        await h.press(paul, None, value)
    async with h.app.deps.uow() as uow:
        answers = list(await uow.session.scalars(select(DatePollAnswer)))
    assert len(answers) == 9

    # The animator's table, with names, then the choice.
    await h.press(claire, None, "Voir le tableau et choisir", message_id=table_button.message_id)
    results = h.last(claire)
    assert "3 personnes ont répondu" in results.plain
    assert nb("oui : 2 (Acteur1 Test, Acteur2 Test)") in results.plain  # 11 December
    assert results.buttons[:3] == [
        [nb("Retenir : jeu. 10 déc., 14 h")],
        [nb("Retenir : ven. 11 déc., 9 h")],
        [nb("Retenir : lun. 14 déc., 14 h")],
    ]
    assert "⭐ vendredi 11 décembre à 9 h" in results.plain
    await h.press(claire, None, "ven. 11 déc.")
    assert nb("Date retenue : vendredi 11 décembre à 9 h.") in h.last(claire).plain
    async with h.app.deps.uow() as uow:
        meeting = (await uow.session.scalars(select(Meeting))).one()
        poll = (await uow.session.scalars(select(DatePoll))).one()
    assert meeting.starts_at == datetime(2026, 12, 11, 8, 0, tzinfo=UTC)
    assert (meeting.title, meeting.poll_id, poll.status) == (
        "Comité de lancement",
        poll.id,
        "closed",
    )
    await h.tick(timedelta(minutes=2))
    announcement = [m for m in h.sandbox.bot_messages(group) if m.plain.startswith("📅 Comité")]
    assert len(announcement) == 1 and "• Tour de table\n• Feuille de route" in announcement[0].plain
    closed = next(m for m in h.sandbox.bot_messages(group) if m.message_id == live.message_id)
    assert "✅ vendredi 11 décembre à 9 h" in closed.plain and closed.buttons == []
    # The poll is closed: answering is refused.
    h.sandbox.press_data(jeanne, group, live.message_id, f"1|mpa|{poll.id}")
    await h.flush()
    assert "est clos" in h.sandbox.toasts[-1][1]
    kinds = await journal_kinds(h, group)
    assert {"date_poll_opened", "date_poll_answered", "date_poll_closed"} <= set(kinds)


async def test_six_dates_at_most_and_non_members_cannot_answer(harness: Harness) -> None:
    h = harness
    h.clock.set(START)
    group, claire, users = await members(h, 1)
    await h.say(claire, None, "/comite")
    await h.press(claire, None, "Proposer plusieurs dates")
    await h.press(claire, None, "Café ESS")
    await h.press(claire, None, "Garder")
    for day in range(7, 13):
        await h.say(claire, None, f"{day}/12 18h")
    assert "Combien de temps" in h.last(claire).plain  # the sixth date was the last
    await h.press(claire, None, "1 h")
    await h.say(claire, None, "https://visio.example.org/cafe")
    await h.press(claire, None, "Pas d'ordre du jour")
    await h.tick()
    stranger = h.sandbox.add_user("Stranger")
    h.sandbox.join(stranger, group)
    await h.flush()
    await h.press(stranger, group, "Répondre")
    assert "ne faites pas partie du collectif" in h.sandbox.toasts[-1][1]
    # A member who blocked the bot gets a link to open the private chat.
    h.sandbox.block_bot(users[0])
    await h.flush()
    await h.press(users[0], group, "Répondre")
    assert "je ne peux pas encore vous écrire en privé" in h.last(group).plain
    h.sandbox.unblock_bot(users[0])
    await h.press(users[0], group, "Ouvrir en privé")
    assert "date 1 sur 6" in h.last(users[0]).plain
    # Only the animation team sees the table with names and chooses.
    async with h.app.deps.uow() as uow:
        poll = (await uow.session.scalars(select(DatePoll))).one()
    await h.say(users[0], None, "/reunions")
    h.sandbox.press_data(users[0], None, h.last(users[0]).message_id, f"1|mpt|{poll.id}")
    await h.flush()
    assert "Seule l'équipe d'animation" in h.sandbox.toasts[-1][1]
