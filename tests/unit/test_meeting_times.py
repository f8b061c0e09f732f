"""Meeting times in the collective's zone: reminders across a change of clocks, the n-th
weekday of a month, what a first date can repeat as."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.meetings import nth_weekday, reminder_time, repeat_choices, rule_of

PARIS = ZoneInfo("Europe/Paris")


def test_a_day_before_is_the_same_local_time_and_hours_are_real_hours() -> None:
    # Sunday 28 March 2027 at 14 h, after the clocks went forward that night.
    start = datetime(2027, 3, 28, 14, 0, tzinfo=PARIS)
    assert reminder_time(start, "1d", PARIS) == datetime(2027, 3, 27, 13, 0, tzinfo=UTC)
    assert start - reminder_time(start, "1d", PARIS) == timedelta(hours=23)
    assert reminder_time(start, "7d", PARIS).astimezone(PARIS).hour == 14
    assert start - reminder_time(start, "2h", PARIS) == timedelta(hours=2)
    # Sunday 31 October 2027 at 14 h, after the clocks went back: 25 real hours.
    autumn = datetime(2027, 10, 31, 14, 0, tzinfo=PARIS)
    assert autumn - reminder_time(autumn, "1d", PARIS) == timedelta(hours=25)


def test_a_day_before_a_time_the_clocks_skip_lands_just_after_the_change() -> None:
    # Monday 29 March 2027 at 2 h 30: 2 h 30 does not exist on Sunday 28.
    start = datetime(2027, 3, 29, 2, 30, tzinfo=PARIS)
    before = reminder_time(start, "1d", PARIS).astimezone(PARIS)
    assert (before.day, before.hour, before.minute) == (28, 3, 30)


def test_nth_weekday_of_a_month() -> None:
    assert nth_weekday(2027, 1, 1, 1) == date(2027, 1, 5)  # first Tuesday
    assert nth_weekday(2027, 2, 1, 1) == date(2027, 2, 2)
    assert nth_weekday(2027, 3, 3, -1) == date(2027, 3, 25)  # last Thursday
    assert nth_weekday(2027, 4, 3, -1) == date(2027, 4, 29)
    assert nth_weekday(2027, 4, 3, 4) == date(2027, 4, 22)


def test_what_a_first_date_can_repeat_as() -> None:
    assert repeat_choices(datetime(2027, 1, 5, 13, 0, tzinfo=UTC), PARIS) == [
        "once",
        "weekly",
        "biweekly",
        "m1",
    ]
    # 29 April: the fifth Thursday is the last one only.
    assert repeat_choices(datetime(2027, 4, 29, 12, 0, tzinfo=UTC), PARIS)[-1] == "mlast"
    assert "m5" not in repeat_choices(datetime(2027, 4, 29, 12, 0, tzinfo=UTC), PARIS)
    assert rule_of("mlast") == ("monthly", -1) and rule_of("m2") == ("monthly", 2)
    assert rule_of("biweekly") == ("biweekly", 0)
