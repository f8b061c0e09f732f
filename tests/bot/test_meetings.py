"""Comités de filière: the /comite wizard, the announcement and its answers, calendar files,
changes and cancellations, the ordre du jour, and the bad input the issue lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from storage.models import AgendaItem, Meeting, MeetingParticipant
from tests.helpers import actor, journal_kinds, nb, scene, wool_collective

# Thursday 26 November 2026, 10:00 in Paris.
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def members(h: Harness, count: int = 2) -> tuple[SandboxChat, SandboxUser, list[SandboxUser]]:
    group, claire, users = await wool_collective(h, members=count)
    s = scene(h)
    for i, user in enumerate(users):
        await s.onboard(user, actor(org=f"Organisation {i}"), via_group=group)
    return group, claire, users


async def schedule(
    h: Harness,
    claire: SandboxUser,
    *,
    when: str = "10/12/2026 14h",
    kind: str = "Comité de filière",
    repeat: str = "Une seule fois",
    place: str = "Maison de l'ESS, Saint-Flour",
    agenda: str | None = "Bilan de l'enquête\nCharte",
    duration: str = "2 h",
) -> None:
    await h.say(claire, None, "/comite")
    await h.press(claire, None, "Une date fixée")
    await h.press(claire, None, kind)
    await h.press(claire, None, "Garder")
    await h.say(claire, None, when)
    await h.press(claire, None, "Oui, c'est bien ça")
    await h.press(claire, None, repeat)
    await h.press(claire, None, duration)
    await h.say(claire, None, place)
    if agenda is None:
        await h.press(claire, None, "Pas d'ordre du jour")
    else:
        await h.say(claire, None, agenda)


def shown(h: Harness, chat: SandboxChat | SandboxUser, message_id: int) -> str:
    """What a (live, edited) bot message shows now."""
    return next(m for m in h.sandbox.bot_messages(chat) if m.message_id == message_id).plain


async def only_meeting(h: Harness) -> Meeting:
    async with h.app.deps.uow() as uow:
        rows = list(await uow.session.scalars(select(Meeting)))
    assert len(rows) == 1
    return rows[0]


async def test_the_wizard_schedules_a_comite_shown_back_in_words_and_announced(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await members(h)
    await h.say(claire, None, "/comite")
    assert "Nouvelle réunion" in h.last(claire).plain
    await h.press(claire, None, "Une date fixée")
    await h.press(claire, None, "Comité de filière")
    assert h.last(claire).buttons[0] == [nb("Garder « Comité de filière »")]
    await h.press(claire, None, "Garder")
    await h.say(claire, None, "jeudi 10 décembre 14h")
    assert nb("Le jeudi 10 décembre à 14 h : c'est bien ça ?") in h.last(claire).plain
    await h.press(claire, None, "Non, je corrige")
    assert "Quel jour, à quelle heure" in h.last(claire).plain
    await h.say(claire, None, "10/12 9h30")
    assert "jeudi 10 décembre à 9 h 30" in h.last(claire).plain
    await h.press(claire, None, "Oui, c'est bien ça")
    assert h.last(claire).buttons[:4] == [
        ["Une seule fois"],
        ["Chaque semaine, le jeudi"],
        ["Toutes les deux semaines, le jeudi"],
        ["Le deuxième jeudi de chaque mois"],
    ]
    await h.press(claire, None, "Une seule fois")
    await h.press(claire, None, "2 h")
    await h.say(claire, None, "Maison de l'ESS, Saint-Flour\nhttps://visio.example.org/comite")
    await h.say(claire, None, "Bilan de l'enquête\n• Charte")
    assert "C'est programmé" in "\n".join(h.bot_texts(claire))
    meeting = await only_meeting(h)
    assert meeting.starts_at == datetime(2026, 12, 10, 8, 30, tzinfo=UTC)
    assert (meeting.place, meeting.visio_url) == (
        "Maison de l'ESS, Saint-Flour",
        "https://visio.example.org/comite",
    )
    assert meeting.duration_minutes == 120 and meeting.sequence == 0
    await h.tick()
    announcement = h.last(group)
    assert announcement.plain.startswith("📅 Comité de filière — jeudi 10 décembre à 9 h 30")
    assert "📍 Maison de l'ESS, Saint-Flour · 2 h" in announcement.plain
    assert "• Bilan de l'enquête\n• Charte" in announcement.plain
    assert announcement.buttons == [
        ["Je viens", "Peut-être", "Je ne viens pas"],
        ["📅 Ajouter à mon agenda"],
    ]
    assert "meeting_scheduled" in await journal_kinds(h, group)


async def _at_the_date_question(h: Harness, claire: SandboxUser) -> None:
    await h.say(claire, None, "/comite")
    await h.press(claire, None, "Une date fixée")
    await h.press(claire, None, "Comité de filière")
    await h.press(claire, None, "Garder")


async def test_a_bad_date_is_refused_with_a_clear_answer_and_the_question_stays(
    harness: Harness,
) -> None:
    h = harness
    group, claire, _ = await members(h)
    await _at_the_date_question(h, claire)
    # A date in the past (the parser keeps an explicit year as typed).
    await h.say(claire, None, "3/11/2026 14h")
    assert nb("Le mardi 3 novembre à 14 h est déjà passé. Écrivez une date à venir.") in (
        h.last(claire).plain
    )
    await h.say(claire, None, "aujourd'hui 9h")  # 10:00 in Paris now
    assert "est déjà passé" in h.last(claire).plain
    # An unreadable date.
    await h.say(claire, None, "la semaine des quatre jeudis")
    assert (
        nb("Je n'ai pas compris la date « la semaine des quatre jeudis »") in h.last(claire).plain
    )
    # A weekday that contradicts the date.
    await h.say(claire, None, "mardi 10 décembre 14h")
    assert "le jour ne correspond pas à la date" in h.last(claire).plain
    assert "tombe un jeudi" in h.last(claire).plain
    # A day without its time.
    await h.say(claire, None, "10 décembre")
    assert "Il me faut aussi l'heure" in h.last(claire).plain
    # A time that does not exist (the clocks go forward).
    await h.say(claire, None, "28/03/2027 2h30")
    assert "changement d'heure" in h.last(claire).plain
    # Nothing was kept, and the question is still the date's: a good answer goes on.
    async with h.app.deps.uow() as uow:
        conversation = await uow.conversations.active(
            (await uow.people.by_telegram_id(claire.id)).id  # type: ignore[union-attr]
        )
        assert conversation is not None and conversation.step == "when"
        assert "starts_at" not in conversation.data
    await h.say(claire, None, "10/12 14h")
    assert "c'est bien ça" in h.last(claire).plain
    async with h.app.deps.uow() as uow:
        assert list(await uow.session.scalars(select(Meeting))) == []


async def test_only_the_animation_team_runs_comite_and_cr(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h)
    paul = users[0]
    for command in ("/comite", "/cr", "/rappels"):
        await h.say(paul, group, command)
        assert "Seule l'équipe d'animation peut faire cela" in h.last(group).plain
        await h.say(paul, None, command)
        assert "Seule l'équipe d'animation peut faire cela" in h.last(paul).plain
    stranger = h.sandbox.add_user("Stranger")
    h.sandbox.join(stranger, group)
    await h.flush()
    await h.say(stranger, group, "/comite")
    assert "ne faites pas partie du collectif" in h.last(group).plain
    # In the group, the animator gets a link to go on in private.
    await h.say(claire, group, "/comite")
    assert h.last(group).buttons == [["Ouvrir en privé"]]
    await h.press(claire, group, "Ouvrir en privé")
    assert "Nouvelle réunion" in h.last(claire).plain


async def test_answers_update_the_live_announcement_with_the_organisations(
    harness: Harness,
) -> None:
    h = harness
    h.clock.set(START)
    group, claire, users = await members(h, 3)
    await schedule(h, claire)
    await h.tick()
    announcement = h.last(group)
    await h.press(users[0], group, "Je viens", message_id=announcement.message_id)
    assert h.sandbox.toasts[-1][1] == nb("C'est noté : vous venez.")
    await h.press(users[1], group, "Peut-être", message_id=announcement.message_id)
    await h.press(users[2], group, "Je ne viens pas", message_id=announcement.message_id)
    await h.press(claire, group, "Je viens", message_id=announcement.message_id)
    await h.tick(timedelta(seconds=30))
    edited = next(
        m for m in h.sandbox.bot_messages(group) if m.message_id == announcement.message_id
    )
    assert "Personne n'a encore répondu" in edited.plain  # less than a minute since it was posted
    await h.tick(timedelta(minutes=1))
    edited = next(
        m for m in h.sandbox.bot_messages(group) if m.message_id == announcement.message_id
    )
    assert "👥 2 viennent · 1 peut-être · 1 ne vient pas.\n" in edited.plain
    assert nb("Organisations présentes : Pôle ESS, Organisation 0.") in edited.plain
    # Changing one's answer replaces it.
    await h.press(users[0], group, "Je ne viens pas", message_id=announcement.message_id)
    meeting = await only_meeting(h)
    async with h.app.deps.uow() as uow:
        rows = list(
            await uow.session.scalars(
                select(MeetingParticipant).where(MeetingParticipant.meeting_id == meeting.id)
            )
        )
    assert sorted(r.answer or "" for r in rows) == ["maybe", "no", "no", "yes"]
    assert (await journal_kinds(h, group)).count("meeting_rsvp") == 5


async def test_observers_answer_and_non_members_cannot(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 2)
    await h.say(claire, None, "/role")
    await h.press(claire, None, "Acteur1")
    await h.press(claire, None, "Observation")
    await schedule(h, claire)
    await h.tick()
    observer = users[1]
    await h.press(observer, group, "Peut-être")
    assert "vous viendrez peut-être" in h.sandbox.toasts[-1][1]
    # Observers get the reminders too.
    h.clock.set(datetime(2026, 12, 3, 13, 0, tzinfo=UTC))
    await h.tick()
    assert h.last(observer).plain.startswith(nb("⏰ Rappel : Comité de filière"))
    stranger = h.sandbox.add_user("Stranger")
    h.sandbox.join(stranger, group)
    await h.flush()
    await h.press(stranger, group, "Je viens")
    assert "ne faites pas partie du collectif" in h.sandbox.toasts[-1][1]
    await h.press(stranger, group, "Ajouter à mon agenda")
    assert "ne faites pas partie du collectif" in h.sandbox.toasts[-1][1]
    meeting = await only_meeting(h)
    async with h.app.deps.uow() as uow:
        rows = list(
            await uow.session.scalars(
                select(MeetingParticipant).where(MeetingParticipant.meeting_id == meeting.id)
            )
        )
    assert [r.answer for r in rows] == ["maybe"]


async def test_forged_callback_data_is_refused_and_changes_nothing(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    await schedule(h, claire)
    await h.tick()
    announcement = h.last(group)
    meeting = await only_meeting(h)
    paul = users[0]
    forged = (
        f"1|mv|{meeting.id}|perhaps",
        f"1|mv|{meeting.id}",
        f"1|mv|{meeting.id + 1000}|yes",
        "1|mv|-1|yes",
        "1|mv|abc|yes",
        f"1|mv|{meeting.id}|yes|g|extra",
        f"1|mcancelok|{meeting.id}",  # not an animator
        f"1|mmove|{meeting.id}",
        "1|mpick|1|1",
        "1|modj|1|ok",
        f"1|mexp|{meeting.id}|csv",
        "1|mmute|1",
        "1|mad|1",
    )
    for data in forged:
        h.sandbox.press_data(paul, group, announcement.message_id, data)
        await h.flush()
        toast = h.sandbox.toasts[-1][1]
        assert toast.startswith(("Ce bouton n'est plus valable", "Seule l'équipe d'animation")), (
            data,
            toast,
        )
    meeting = await only_meeting(h)
    assert meeting.status == "scheduled" and meeting.sequence == 0
    async with h.app.deps.uow() as uow:
        assert list(await uow.session.scalars(select(MeetingParticipant))) == []


async def test_an_answer_to_a_cancelled_meeting_is_refused(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    await schedule(h, claire)
    await h.tick()
    announcement = h.last(group)
    await h.press(users[0], group, "Je viens")
    await h.say(claire, None, "/reunions")
    await h.press(claire, None, "Comité de filière")
    await h.press(claire, None, "Annuler la réunion")
    assert (
        nb("Annuler la réunion « Comité de filière » du jeudi 10 décembre à 14 h ?")
        in h.last(claire).plain
    )
    await h.press(claire, None, "Oui, l'annuler")
    assert "est annulée" in h.last(claire).plain
    assert h.last(group).plain.startswith(nb("❌ Réunion annulée : Comité de filière"))
    meeting = await only_meeting(h)
    assert (meeting.status, meeting.sequence) == ("cancelled", 1)
    h.sandbox.press_data(users[0], group, announcement.message_id, f"1|mv|{meeting.id}|no|g")
    await h.flush()
    assert (
        nb("« Comité de filière » est annulée : il n'y a plus de réponse")
        in (h.sandbox.toasts[-1][1])
    )
    async with h.app.deps.uow() as uow:
        rows = list(await uow.session.scalars(select(MeetingParticipant)))
    assert [r.answer for r in rows] == ["yes"]
    await h.tick(timedelta(minutes=2))
    final = next(
        m for m in h.sandbox.bot_messages(group) if m.message_id == announcement.message_id
    )
    assert final.plain.startswith("❌ Réunion annulée") and final.buttons == []
    assert "meeting_cancelled" in await journal_kinds(h, group)
    # The person who said Je viens is told in private.
    assert any(nb("Réunion annulée : Comité de filière") in t for t in h.bot_texts(users[0]))


async def test_the_agenda_takes_proposals_the_team_accepts_or_declines(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 2)
    await schedule(h, claire, agenda=None)
    await h.tick()
    announcement = h.last(group).message_id
    paul, ines = users
    await h.say(paul, group, "/odj")
    await h.press(paul, group, "Ouvrir en privé")
    assert "Quel point proposez-vous" in h.last(paul).plain
    await h.say(paul, None, "Point sur la tonte 2027")
    assert "transmise à l'équipe d'animation" in h.last(paul).plain
    await h.tick()
    proposal = h.last(claire)
    assert "Acteur0 Test propose" in proposal.plain and proposal.buttons == [
        ["Accepter", "Refuser"]
    ]
    accept = proposal.inline_buttons[0]["callback_data"]
    await h.press(claire, None, "Accepter")
    assert "Ajouté à l'ordre du jour" in h.last(claire).plain
    h.sandbox.press_data(claire, None, proposal.message_id, accept)
    await h.flush()
    assert "déjà reçu une réponse" in h.sandbox.toasts[-1][1]
    await h.tick(timedelta(minutes=2))
    assert "• Point sur la tonte 2027" in shown(h, group, announcement)
    assert "est à l'ordre du jour" in h.last(paul).plain
    await h.say(ines, None, "/odj")
    await h.say(ines, None, "Stand au salon")
    await h.tick()
    await h.press(claire, None, "Refuser")
    await h.tick()
    assert "n'a pas été retenue" in h.last(ines).plain
    # The team's own points are accepted at once.
    await h.say(claire, None, "/odj")
    await h.say(claire, None, "Budget 2027")
    assert "C'est ajouté à l'ordre du jour" in h.last(claire).plain
    async with h.app.deps.uow() as uow:
        items = list(await uow.session.scalars(select(AgendaItem).order_by(AgendaItem.id)))
    assert [(i.text, i.status) for i in items] == [
        ("Point sur la tonte 2027", "accepted"),
        ("Stand au salon", "declined"),
        ("Budget 2027", "accepted"),
    ]
    kinds = await journal_kinds(h, group)
    for kind in ("agenda_proposed", "agenda_accepted", "agenda_declined", "agenda_added"):
        assert kind in kinds


async def test_the_longest_announcement_still_fits_in_one_message(harness: Harness) -> None:
    h = harness
    group, claire, users = await wool_collective(h, members=21)
    s = scene(h)
    for i, user in enumerate(users):
        await s.onboard(
            user, actor(org=f"{i:02d} " + "Organisation au nom très long " * 6), via_group=group
        )
    agenda = "\n".join(f"{i:02d} " + "point " * 33 for i in range(10))
    await schedule(
        h,
        claire,
        kind="Groupe de travail",
        place="Salle " * 50,
        agenda=agenda,
    )
    for i in range(5):
        await h.say(claire, None, "/odj")
        await h.say(claire, None, f"{i} " + "ajout " * 33)
    await h.tick()
    announcement = h.last(group)
    for user in users:
        await h.press(user, group, "Je viens", message_id=announcement.message_id)
    await h.tick(timedelta(minutes=2))
    text = shown(h, group, announcement.message_id)
    assert "👥 21 viennent" in text and "et 1 autre." in text
    assert text.count("\n• ") == 15
    assert len(text) < 4096
