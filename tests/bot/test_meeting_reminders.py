"""Meeting reminders: 7 days, 1 day and 2 hours before by default, to the group and in private
to Je viens / Peut-être; muted from /moi; per collective (/rappels); the same local time across
a change of clocks; quiet hours never past the start; restarts and downtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.config import Settings
from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from storage.models import DueWork
from tests.bot.test_meetings import START, members, schedule
from tests.helpers import journal_kinds, nb

# The meeting: Thursday 10 December 2026, 14 h in Paris (13:00 UTC).
MEETING = datetime(2026, 12, 10, 13, 0, tzinfo=UTC)


def reminders(h: Harness, chat: SandboxChat | SandboxUser) -> list[str]:
    return [m.plain for m in h.sandbox.bot_messages(chat) if m.plain.startswith("⏰ Rappel")]


async def at(h: Harness, moment: datetime) -> None:
    """Move the clock to `moment` and run what is due, as the periodic job would."""
    h.clock.set(moment)
    await h.tick()


async def answered(h: Harness) -> tuple[SandboxChat, SandboxUser, list[SandboxUser]]:
    """A comité on 10 December at 14 h: Acteur0 comes, Acteur1 maybe, Acteur2 does not."""
    h.clock.set(START)
    group, claire, users = await members(h, 3)
    await schedule(h, claire)
    await h.tick()
    for user, label in zip(users, ("Je viens", "Peut-être", "Je ne viens pas"), strict=True):
        await h.press(user, group, label)
    return group, claire, users


async def test_reminders_go_to_the_group_and_to_those_coming_7_days_1_day_2_hours_before(
    harness: Harness,
) -> None:
    h = harness
    group, claire, (coming, maybe, not_coming) = await answered(h)
    await at(h, MEETING - timedelta(days=7, seconds=1))
    assert reminders(h, group) == []
    await at(h, MEETING - timedelta(days=7))
    (first,) = reminders(h, group)
    assert first.startswith(nb("⏰ Rappel : Comité de filière, jeudi 10 décembre à 14 h"))
    assert nb("Ordre du jour : Bilan de l'enquête ; Charte.") in first
    assert nb("👥 1 vient · 1 peut-être · 1 ne vient pas. Pas encore répondu ?") in first
    assert h.last(group).buttons == [["Je viens", "Peut-être", "Je ne viens pas"]]
    assert len(reminders(h, coming)) == 1 and len(reminders(h, maybe)) == 1
    assert nb("Vous avez répondu : Peut-être.") in reminders(h, maybe)[0]
    assert reminders(h, not_coming) == []
    await at(h, MEETING - timedelta(days=1))
    assert nb("Rappel : Comité de filière, demain à 14 h") in reminders(h, group)[-1]
    await at(h, MEETING - timedelta(hours=2))
    assert nb("Rappel : Comité de filière, aujourd'hui à 14 h") in reminders(h, group)[-1]
    assert len(reminders(h, group)) == 3 and len(reminders(h, coming)) == 3
    # From a private reminder, one can change one's answer.
    await h.press(coming, None, "Je ne viens pas")
    assert "vous ne venez pas" in h.sandbox.toasts[-1][1]
    assert h.last(coming).buttons == [["Je viens", "Peut-être", "✅ Je ne viens pas"]]
    await at(h, MEETING + timedelta(hours=1))
    assert len(reminders(h, group)) == 3
    await h.press(coming, None, "Je viens")
    assert "a déjà commencé" in h.sandbox.toasts[-1][1]
    # Days later, an old button of the announcement: it has taken place.
    await at(h, MEETING + timedelta(days=3))
    await h.press(maybe, group, "Je viens")
    assert h.sandbox.toasts[-1][1] == nb(
        "La réunion « Comité de filière » a eu lieu le jeudi 10 décembre à 14 h : vous ne "
        "pouvez plus y répondre ni la changer."
    )


async def test_the_count_reads_naturally_with_nobody_or_nobody_coming(harness: Harness) -> None:
    h = harness
    h.clock.set(START)
    group, claire, users = await members(h, 3)
    await schedule(h, claire)
    await h.tick()
    announcement = h.last(group)
    assert announcement.plain.endswith("👥 Personne n'a encore répondu.")
    await at(h, MEETING - timedelta(days=7))
    (first,) = reminders(h, group)
    assert nb("👥 Personne n'a encore répondu : touchez un bouton") in first
    assert "0 vient" not in first
    await h.press(users[0], group, "Peut-être", message_id=announcement.message_id)
    for user in users[1:]:
        await h.press(user, group, "Je ne viens pas", message_id=announcement.message_id)
    await at(h, MEETING - timedelta(days=1))
    assert "👥 1 peut-être · 2 ne viennent pas. Pas encore" in reminders(h, group)[-1]
    edited = next(
        m for m in h.sandbox.bot_messages(group) if m.message_id == announcement.message_id
    )
    assert edited.plain.endswith("👥 1 peut-être · 2 ne viennent pas.")


async def test_a_member_mutes_private_reminders_in_moi(harness: Harness) -> None:
    h = harness
    group, claire, (coming, maybe, _) = await answered(h)
    await h.say(coming, None, "/moi")
    await h.press(coming, None, "Couper les rappels des réunions")
    assert "Vous ne recevrez plus les rappels des réunions en privé" in h.sandbox.toasts[-1][1]
    assert ["🔔 Recevoir les rappels des réunions"] in h.last(coming).buttons
    await at(h, MEETING - timedelta(days=7))
    assert len(reminders(h, group)) == 1 and len(reminders(h, maybe)) == 1
    assert reminders(h, coming) == []
    await h.press(coming, None, "Recevoir les rappels des réunions")
    await at(h, MEETING - timedelta(days=1))
    assert len(reminders(h, coming)) == 1


async def test_each_collective_chooses_its_reminders(harness: Harness) -> None:
    h = harness
    group, claire, _ = await answered(h)
    await h.say(claire, None, "/rappels")
    assert "Rappels des réunions" in h.last(claire).plain
    assert h.last(claire).buttons[:5] == [
        ["✅ 7 jours avant"],
        ["3 jours avant"],
        ["✅ 1 jour avant"],
        ["✅ 2 h avant"],
        ["1 h avant"],
    ]
    await h.press(claire, None, "7 jours avant")
    await h.press(claire, None, "2 h avant")
    await h.press(claire, None, "3 jours avant")
    await h.press(claire, None, "Valider")
    expected = "Je rappellerai les réunions de « Filière laine du Cantal » : 3 jours avant, 1 jour"
    assert nb(expected) in h.last(claire).plain
    # The comité already scheduled follows the new settings.
    await at(h, MEETING - timedelta(days=7))
    assert reminders(h, group) == []
    await at(h, MEETING - timedelta(days=3))
    assert nb("Rappel : Comité de filière, jeudi 10 décembre à 14 h") in reminders(h, group)[-1]
    await at(h, MEETING - timedelta(days=1))
    await at(h, MEETING - timedelta(hours=2))
    assert len(reminders(h, group)) == 2
    assert "meeting_reminders_set" in await journal_kinds(h, group)


async def test_one_day_before_keeps_the_local_time_across_a_change_of_clocks(
    harness: Harness,
) -> None:
    h = harness
    h.clock.set(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    group, claire, users = await members(h, 1)
    # Sunday 28 March 2027, 14 h: the clocks went forward at 2 h that morning (12:00 UTC).
    await schedule(h, claire, when="28/03/2027 14h")
    await h.tick()
    await h.press(users[0], group, "Je viens")
    meeting = datetime(2027, 3, 28, 12, 0, tzinfo=UTC)
    # « 7 jours avant »: Sunday 21 March at 14 h, winter time (13:00 UTC).
    await at(h, datetime(2027, 3, 21, 12, 59, tzinfo=UTC))
    assert reminders(h, group) == []
    await at(h, datetime(2027, 3, 21, 13, 0, tzinfo=UTC))
    assert len(reminders(h, group)) == 1
    # « 1 jour avant »: Saturday 27 March at 14 h local, 23 real hours before, not 24.
    await at(h, meeting - timedelta(hours=24))
    assert len(reminders(h, group)) == 1
    await at(h, meeting - timedelta(hours=23, seconds=1))
    assert len(reminders(h, group)) == 1
    await at(h, meeting - timedelta(hours=23))
    assert len(reminders(h, group)) == 2
    assert "demain à 14 h" in reminders(h, users[0])[-1]
    # « 2 h avant »: two real hours.
    await at(h, meeting - timedelta(hours=2, seconds=1))
    assert len(reminders(h, group)) == 2
    await at(h, meeting - timedelta(hours=2))
    assert "aujourd'hui à 14 h" in reminders(h, group)[-1]


async def test_one_day_before_in_autumn_is_25_real_hours(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2027, 10, 1, 9, 0, tzinfo=UTC))
    group, claire, _ = await members(h, 1)
    # Sunday 31 October 2027, 14 h: winter time again since 3 h that morning (13:00 UTC).
    await schedule(h, claire, when="31/10/2027 14h")
    meeting = datetime(2027, 10, 31, 13, 0, tzinfo=UTC)
    await at(h, datetime(2027, 10, 24, 12, 0, tzinfo=UTC))  # 7 days before, summer time
    assert len(reminders(h, group)) == 1
    await at(h, meeting - timedelta(hours=25, seconds=1))
    assert len(reminders(h, group)) == 1
    await at(h, meeting - timedelta(hours=25))  # Saturday 14 h, summer time
    assert len(reminders(h, group)) == 2
    assert "demain à 14 h" in reminders(h, group)[-1]


async def test_after_downtime_only_the_latest_reminder_still_due_is_sent(harness: Harness) -> None:
    h = harness
    group, claire, (coming, _, _) = await answered(h)
    # The bot is down from before the 7-day reminder until after the 1-day one.
    await at(h, MEETING - timedelta(hours=20))
    (only,) = reminders(h, group)
    assert "demain à 14 h" in only
    assert len(reminders(h, coming)) == 1
    async with h.app.deps.uow() as uow:
        rows = list(
            await uow.session.scalars(select(DueWork).where(DueWork.kind == "meeting_reminder"))
        )
    assert sorted(r.status for r in rows) == ["done", "done", "pending"]
    # Down again until the meeting has started: nothing is sent once it has.
    await at(h, MEETING + timedelta(minutes=1))
    assert len(reminders(h, group)) == 1


async def test_quiet_hours_never_push_a_reminder_past_the_start(harness: Harness) -> None:
    h = harness
    h.clock.set(START)
    group, claire, users = await members(h, 1)
    # At 9 h 30, the 2-hour reminder (7 h 30) waits for the end of quiet hours: 8 h.
    await schedule(h, claire, when="10/12/2026 9h30")
    # At 7 h 30, waiting until 8 h would be past the start: its 2-hour reminder goes at 5 h 30.
    await schedule(h, claire, when="11/12/2026 7h30", kind="Café ESS", agenda=None)
    await h.tick()
    await at(h, datetime(2026, 12, 10, 6, 30, tzinfo=UTC))  # 7 h 30 in Paris: quiet
    assert reminders(h, group) == []
    await at(h, datetime(2026, 12, 10, 6, 59, tzinfo=UTC))
    assert reminders(h, group) == []
    await at(h, datetime(2026, 12, 10, 7, 0, tzinfo=UTC))  # 8 h
    sent = reminders(h, group)
    assert len(sent) == 2
    assert any(nb("Rappel : Comité de filière, aujourd'hui à 9 h 30") in r for r in sent)
    assert any(nb("Rappel : Café ESS, demain à 7 h 30") in r for r in sent)
    await at(h, datetime(2026, 12, 11, 4, 30, tzinfo=UTC))  # 5 h 30, quiet hours
    assert nb("Rappel : Café ESS, aujourd'hui à 7 h 30") in reminders(h, group)[-1]


async def test_a_restart_between_the_due_time_and_the_sending_sends_it_once(
    settings: Settings,
) -> None:
    first = Harness(settings, migrate=False)
    await first.start()
    group, claire, (coming, maybe, _) = await answered(first)
    # The reminder becomes due; the private message to one person meets a flood wait, the
    # rest went out; then the process stops.
    first.clock.set(MEETING - timedelta(days=7))
    first.sandbox.fail_next("sendMessage", "retry_after", chat_id=maybe.id, retry_after=30)
    await first.tick()
    assert len(reminders(first, group)) == 1 and len(reminders(first, coming)) == 1
    assert reminders(first, maybe) == []
    await first.stop()

    second = Harness(settings, migrate=False, sandbox=first.sandbox, clock=first.clock)
    second._offset = first._offset
    await second.start()
    try:
        await at(second, MEETING - timedelta(days=7) + timedelta(minutes=1))
        await at(second, MEETING - timedelta(days=7) + timedelta(minutes=5))
        assert len(reminders(second, group)) == 1
        assert len(reminders(second, coming)) == 1
        assert len(reminders(second, maybe)) == 1
    finally:
        await second.stop()


async def test_a_reminder_due_while_the_bot_is_stopped_is_sent_once_after_the_restart(
    settings: Settings,
) -> None:
    first = Harness(settings, migrate=False)
    await first.start()
    group, claire, (coming, _, _) = await answered(first)
    await first.stop()
    first.clock.set(MEETING - timedelta(days=7) + timedelta(minutes=10))
    second = Harness(settings, migrate=False, sandbox=first.sandbox, clock=first.clock)
    second._offset = first._offset
    await second.start()
    try:
        await second.tick()
        await second.tick(timedelta(minutes=1))
        assert len(reminders(second, group)) == 1 and len(reminders(second, coming)) == 1
    finally:
        await second.stop()
