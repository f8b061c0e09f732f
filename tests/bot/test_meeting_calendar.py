"""Calendar files (RFC 5545, parsed with icalendar), changes and cancellations sent to those
who added a meeting, recurring comités created three months ahead, Europe/Paris times on both
sides of a change of clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select

from bot.sandbox.core import SandboxUser
from bot.sandbox.harness import Harness
from storage.models import Meeting, MeetingParticipant
from tests.bot.test_meetings import members, only_meeting, schedule
from tests.helpers import journal_kinds, nb

PARIS = ZoneInfo("Europe/Paris")


def calendar_of(h: Harness, user: SandboxUser) -> tuple[Calendar, str, str]:
    """The last calendar file the bot sent the user: (calendar, file name, caption)."""
    message = next(m for m in reversed(h.sandbox.bot_messages(user)) if m.document)
    assert message.document is not None
    name, content, _ = message.document
    assert content.startswith(b"BEGIN:VCALENDAR\r\n")
    return Calendar.from_ical(content), name, message.plain


def events(cal: Calendar) -> list:  # type: ignore[type-arg]
    return list(cal.walk("VEVENT"))


def check_timezone(cal: Calendar) -> None:
    zones = list(cal.walk("VTIMEZONE"))
    assert [str(z["TZID"]) for z in zones] == ["Europe/Paris"]
    kinds = {c.name for c in zones[0].subcomponents}
    assert kinds == {"STANDARD", "DAYLIGHT"}
    # The zone comes before the events that use it.
    assert cal.subcomponents[0].name == "VTIMEZONE"


async def test_add_to_calendar_sends_an_rfc5545_file_then_changes_with_the_same_uid(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await members(h, 3)
    jeanne, paul, ines = users
    await schedule(h, claire)
    await h.tick()
    await h.press(jeanne, group, "Ajouter à mon agenda")
    assert h.sandbox.toasts[-1][1] == "Je vous envoie le fichier en privé."
    cal, name, caption = calendar_of(h, jeanne)
    meeting = await only_meeting(h)
    assert name == "comite-de-filiere.ics"
    assert "ouvrez ce fichier pour l'ajouter à votre agenda" in caption
    assert (str(cal["VERSION"]), str(cal["PRODID"])) == (
        "2.0",
        "-//Tisserand//Comités de filière//FR",
    )
    check_timezone(cal)
    (event,) = events(cal)
    assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == 0
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 12, 10, 14, 0, tzinfo=PARIS)
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event.decoded("DTEND") - start == timedelta(hours=2)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Comité de filière"
    assert str(event["LOCATION"]) == "Maison de l'ESS, Saint-Flour"
    assert "• Bilan de l'enquête" in str(event["DESCRIPTION"])
    await h.press(paul, group, "Je viens")
    await h.press(ines, group, "Je ne viens pas")

    # The animator moves it: same UID, SEQUENCE + 1, to those who added it.
    await h.say(claire, None, "/reunions")
    await h.press(claire, None, "Comité de filière")
    await h.press(claire, None, "Changer la date")
    assert "Elle est prévue le jeudi 10 décembre à 14 h" in h.last(claire).plain
    await h.say(claire, None, "vendredi 11 décembre 10h")
    await h.press(claire, None, "Oui, c'est bien ça")
    assert "C'est changé" in h.last(claire).plain
    # Two sentences, two lines (a `{% endif %}` ending a line used to glue them).
    assert (
        "a lieu le vendredi 11 décembre à 10 h.\nJe l'annonce dans le groupe"
        in h.last(claire).plain
    )
    moved = h.last(group).plain
    assert moved.startswith("📅 Comité de filière change de date")
    assert "vendredi 11 décembre à 10 h (au lieu du jeudi 10 décembre à 14 h)" in moved
    before = len(h.bot_texts(ines))
    await h.tick()
    cal, _, caption = calendar_of(h, jeanne)
    (event,) = events(cal)
    assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == datetime(2026, 12, 11, 10, 0, tzinfo=PARIS)
    assert "remplacez l'événement dans votre agenda" in caption
    assert nb("change de date : le vendredi 11 décembre à 10 h") in h.last(paul).plain
    assert nb("(au lieu du jeudi 10 décembre à 14 h).\nVotre réponse reste la même ;") in (
        h.last(paul).plain
    )
    assert len(h.bot_texts(ines)) == before  # she is not coming and has no file
    await h.tick(timedelta(minutes=5))
    assert len([m for m in h.sandbox.bot_messages(jeanne) if m.document]) == 2  # sent once

    # A new place: a new file again.
    await h.say(claire, None, "/reunions")
    await h.press(claire, None, "Comité de filière")
    await h.press(claire, None, "Changer le lieu")
    await h.say(claire, None, "https://visio.example.org/comite")
    assert h.last(group).plain.startswith("📍 Comité de filière change de lieu")
    await h.tick()
    cal, _, _ = calendar_of(h, jeanne)
    (event,) = events(cal)
    assert int(event["SEQUENCE"]) == 2 and str(event["URL"]) == "https://visio.example.org/comite"

    # Cancelled: STATUS:CANCELLED, SEQUENCE + 1.
    await h.say(claire, None, "/reunions")
    await h.press(claire, None, "Comité de filière")
    await h.press(claire, None, "Annuler la réunion")
    await h.press(claire, None, "Oui, l'annuler")
    await h.tick()
    cal, _, caption = calendar_of(h, jeanne)
    (event,) = events(cal)
    assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == 3
    assert str(event["STATUS"]) == "CANCELLED"
    assert nb("Réunion annulée : Comité de filière") in caption
    async with h.app.deps.uow() as uow:
        row = await uow.session.get(MeetingParticipant, (meeting.id, 2))
        assert row is not None and row.ics_sequence == 3
    kinds = await journal_kinds(h, group)
    assert {"meeting_moved", "meeting_changed", "meeting_cancelled"} <= set(kinds)


async def test_a_person_who_never_opened_the_private_chat_gets_a_link_instead(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    await schedule(h, claire)
    await h.tick()
    h.sandbox.block_bot(users[0])
    await h.flush()
    await h.press(users[0], group, "Ajouter à mon agenda")
    assert "je ne peux pas encore vous écrire en privé" in h.last(group).plain
    assert h.last(group).buttons == [["Ouvrir en privé"]]
    h.sandbox.unblock_bot(users[0])
    await h.flush()
    await h.press(users[0], group, "Ouvrir en privé")
    cal, _, _ = calendar_of(h, users[0])
    assert len(events(cal)) == 1


async def test_a_recurring_comite_every_first_tuesday_three_months_ahead_each_on_its_own(
    harness: Harness,
) -> None:
    h = harness
    h.clock.set(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))  # Monday 4 January 2027
    group, claire, users = await members(h, 1)
    await schedule(h, claire, when="5/01/2027 14h", repeat="Le premier mardi de chaque mois")
    assert "le premier mardi de chaque mois" in "\n".join(h.bot_texts(claire))

    async def starts() -> list[datetime]:
        async with h.app.deps.uow() as uow:
            rows = await uow.session.scalars(
                select(Meeting).where(Meeting.status == "scheduled").order_by(Meeting.starts_at)
            )
            return [m.starts_at.astimezone(PARIS).replace(tzinfo=None) for m in rows]

    assert await starts() == [
        datetime(2027, 1, 5, 14, 0),
        datetime(2027, 2, 2, 14, 0),
        datetime(2027, 3, 2, 14, 0),
    ]
    # On a rolling basis: 6 April enters the three months a few hours later.
    await h.tick(timedelta(hours=4))
    assert (await starts())[-1] == datetime(2027, 4, 6, 14, 0)  # summer time, still 14 h
    await h.tick(timedelta(minutes=30))
    assert len(await starts()) == 4  # created once
    await h.say(claire, None, "/journal")
    assert nb("Nouvelle date de la réunion régulière « Comité de filière » : le mardi 6 avril") in (
        h.last(claire).plain
    )
    # Only the first is announced now; the next one two weeks before.
    await h.tick()
    assert len([m for m in h.sandbox.bot_messages(group) if m.plain.startswith("📅 Comité")]) == 1
    await h.tick(timedelta(days=16))
    await h.tick()  # the live message is posted by the next round of due work
    announced = [m for m in h.sandbox.bot_messages(group) if m.plain.startswith("📅 Comité")]
    assert len(announced) == 2 and "mardi 2 février à 14 h" in announced[-1].plain
    assert "🔁 le premier mardi de chaque mois" in announced[-1].plain

    # One occurrence changes or is cancelled on its own.
    await h.say(claire, None, "/reunions")
    await h.press(claire, None, "mar. 2 févr.")
    await h.press(claire, None, "Changer la date")
    await h.say(claire, None, "3/02 9h")
    await h.press(claire, None, "Oui, c'est bien ça")
    await h.say(claire, None, "/reunions")
    await h.press(claire, None, "mar. 2 mars")
    await h.press(claire, None, "Annuler la réunion")
    await h.press(claire, None, "Oui, l'annuler")
    remaining = await starts()
    assert remaining[:2] == [datetime(2027, 1, 5, 14, 0), datetime(2027, 2, 3, 9, 0)]
    assert datetime(2027, 3, 2, 14, 0) not in remaining
    assert datetime(2027, 4, 6, 14, 0) in remaining
    # The moved occurrence is never created again by the series.
    await h.tick(timedelta(days=40))
    assert (await starts()).count(datetime(2027, 2, 3, 9, 0)) <= 1


async def test_calendar_times_are_right_on_both_sides_of_a_change_of_clocks(
    harness: Harness,
) -> None:
    h = harness
    h.clock.set(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    group, claire, users = await members(h, 1)
    # Every Thursday at 14 h from 18 March; the clocks go forward on Sunday 28 March 2027.
    await schedule(h, claire, when="18/03 14h", repeat="Chaque semaine, le jeudi")
    await h.say(users[0], None, "/reunions")
    await h.press(users[0], None, "jeu. 18 mars")
    await h.press(users[0], None, "Toutes les dates dans mon agenda")
    cal, _, caption = calendar_of(h, users[0])
    check_timezone(cal)
    found = events(cal)
    assert len(found) == 11 and "Les 11 prochaines dates" in caption
    assert len({str(e["UID"]) for e in found}) == 11  # one VEVENT per occurrence
    by_day = {e.decoded("DTSTART").date().isoformat(): e.decoded("DTSTART") for e in found}
    assert by_day["2027-03-25"].utcoffset() == timedelta(hours=1)
    assert by_day["2027-04-01"].utcoffset() == timedelta(hours=2)
    for start in by_day.values():
        assert (start.hour, start.minute) == (14, 0) and str(start.tzinfo) == "Europe/Paris"
    assert by_day["2027-03-25"].astimezone(UTC).hour == 13
    assert by_day["2027-04-01"].astimezone(UTC).hour == 12
    # reunions.ics: every upcoming meeting of the collective.
    await h.say(users[0], None, "/reunions")
    await h.press(users[0], None, "Toutes les réunions dans mon agenda")
    cal, name, _ = calendar_of(h, users[0])
    assert name == "reunions.ics" and len(events(cal)) == 11
    assert str(cal["X-WR-CALNAME"]) == "Filière laine du Cantal"


async def test_every_other_week_and_the_last_weekday_of_the_month(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    group, claire, _ = await members(h, 1)
    # Thursday 28 January 2027 is the last Thursday of January (and its fourth).
    await h.say(claire, None, "/comite")
    await h.press(claire, None, "Une date fixée")
    await h.press(claire, None, "Café ESS")
    await h.press(claire, None, "Garder")
    await h.say(claire, None, "28/01 18h")
    await h.press(claire, None, "Oui, c'est bien ça")
    assert h.last(claire).buttons[:5] == [
        ["Une seule fois"],
        ["Chaque semaine, le jeudi"],
        ["Toutes les deux semaines, le jeudi"],
        ["Le quatrième jeudi de chaque mois"],
        ["Le dernier jeudi de chaque mois"],
    ]
    await h.press(claire, None, "Le dernier jeudi de chaque mois")
    await h.press(claire, None, "1 h")
    await h.say(claire, None, "Café associatif, Murat")
    await h.press(claire, None, "Pas d'ordre du jour")
    await schedule(h, claire, when="7/01 9h", kind="Groupe de travail", repeat="Toutes les deux")

    async with h.app.deps.uow() as uow:
        rows = list(await uow.session.scalars(select(Meeting).order_by(Meeting.starts_at)))
    cafe = [m.starts_at.astimezone(PARIS).date().isoformat() for m in rows if m.kind == "cafe_ess"]
    work = [m.starts_at.astimezone(PARIS).date().isoformat() for m in rows if m.kind != "cafe_ess"]
    assert cafe == ["2027-01-28", "2027-02-25", "2027-03-25"]  # 25 March: the last, not the 4th
    assert work == [
        "2027-01-07",
        "2027-01-21",
        "2027-02-04",
        "2027-02-18",
        "2027-03-04",
        "2027-03-18",
        "2027-04-01",
    ]


async def test_an_animator_demoted_half_way_cannot_schedule(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    await h.say(claire, None, "/role")
    await h.press(claire, None, "Acteur0")
    await h.press(claire, None, "Équipe d'animation")
    await h.say(users[0], None, "/comite")
    await h.press(users[0], None, "Une date fixée")
    await h.say(claire, None, "/role")
    await h.press(claire, None, "Acteur0")
    await h.press(claire, None, "Membre")
    await h.press(users[0], None, "Comité de filière")
    assert "Seule l'équipe d'animation" in h.sandbox.toasts[-1][1]
    async with h.app.deps.uow() as uow:
        assert list(await uow.session.scalars(select(Meeting))) == []
