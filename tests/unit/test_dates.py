"""Tests for bot.dates.parse_datetime and the date error templates.

Reference moment: Thursday 26 November 2026, 10:00 in Europe/Paris (UTC+1).
"""

from __future__ import annotations

import dataclasses
import re
import time as time_module
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import escape

from bot.dates import ERROR_CODES, DateParseError, ParsedDate, parse_datetime

PARIS = ZoneInfo("Europe/Paris")
NOUMEA = ZoneInfo("Pacific/Noumea")
MONTREAL = ZoneInfo("America/Montreal")
SANTIAGO = ZoneInfo("America/Santiago")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)  # a Thursday

MESSAGES = Path(__file__).resolve().parents[2] / "content" / "messages"


def parse(
    text: str, *, now: datetime = NOW, tz: tzinfo | str = PARIS, lang: str = "fr"
) -> ParsedDate:
    return parse_datetime(text, now=now, tz=tz, lang=lang)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, tz: ZoneInfo = PARIS) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz)


def fail(
    text: str, *, now: datetime = NOW, tz: tzinfo | str = PARIS, lang: str = "fr"
) -> DateParseError:
    with pytest.raises(DateParseError) as info:
        parse(text, now=now, tz=tz, lang=lang)
    return info.value


def same_instant_and_wall(actual: datetime, expected: datetime) -> None:
    """Equal instant AND equal wall-clock time/offset (== alone ignores offsets)."""
    assert actual == expected
    assert actual.replace(tzinfo=None) == expected.replace(tzinfo=None)
    assert actual.utcoffset() == expected.utcoffset()


# --------------------------------------------------------------------------
# Accepted French forms


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("14/05 14h30", at(2027, 5, 14, 14, 30), True),
        ("14/05 à 14h30", at(2027, 5, 14, 14, 30), True),
        ("14/05/2027", at(2027, 5, 14), False),
        ("14/05/27", at(2027, 5, 14), False),
        ("14-05-2027", at(2027, 5, 14), False),
        ("14.05.2027", at(2027, 5, 14), False),
        ("3/12/2027 9:00", at(2027, 12, 3, 9), True),
        ("3/12 9h", at(2026, 12, 3, 9), True),
        ("3/12 9 h 30", at(2026, 12, 3, 9, 30), True),
        ("03/12 09h00", at(2026, 12, 3, 9), True),
        ("3/12, 9h", at(2026, 12, 3, 9), True),
        ("  3/12    9h  ", at(2026, 12, 3, 9), True),
        ("3/12 9h.", at(2026, 12, 3, 9), True),
        ("3/12 à 9h !", at(2026, 12, 3, 9), True),
        ("3/12/2027 09:00:00", at(2027, 12, 3, 9), True),
        ("14/05 14 heures 30", at(2027, 5, 14, 14, 30), True),
        ("le 14/05 à midi", at(2027, 5, 14, 12), True),
    ],
)
def test_numeric_dates(text: str, expected: datetime, has_time: bool) -> None:
    result = parse(text)
    same_instant_and_wall(result.value, expected)
    assert result.has_time is has_time
    assert result.has_date is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18h", at(2026, 11, 26, 18)),  # later today
        ("9h", at(2026, 11, 27, 9)),  # already past today: tomorrow
        ("14h05", at(2026, 11, 26, 14, 5)),
        ("14:05", at(2026, 11, 26, 14, 5)),
        ("à 9h30", at(2026, 11, 27, 9, 30)),
        ("midi", at(2026, 11, 26, 12)),
        ("10h", at(2026, 11, 27, 10)),  # exactly now is not the future
        ("10h01", at(2026, 11, 26, 10, 1)),
        ("0h", at(2026, 11, 27, 0)),
        ("23:59", at(2026, 11, 26, 23, 59)),
    ],
)
def test_time_only(text: str, expected: datetime) -> None:
    result = parse(text)
    same_instant_and_wall(result.value, expected)
    assert result.has_time is True
    assert result.has_date is False


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("jeudi 3 décembre à 9h", at(2026, 12, 3, 9), True),
        ("3 décembre 2027 9h30", at(2027, 12, 3, 9, 30), True),
        ("le 3 déc. à 9h", at(2026, 12, 3, 9), True),
        ("jeudi 3 décembre", at(2026, 12, 3), False),
        ("1er mars", at(2027, 3, 1), False),
        ("1 mars 2027", at(2027, 3, 1), False),
        ("1ᵉʳ mars", at(2027, 3, 1), False),  # superscript ordinal
        ("3 decembre", at(2026, 12, 3), False),  # accents optional
        ("3 DÉCEMBRE À 9H", at(2026, 12, 3, 9), True),
        ("Jeudi, 3 Décembre, 9h", at(2026, 12, 3, 9), True),
        ("le jeudi 3 décembre 2026 à 18h", at(2026, 12, 3, 18), True),
    ],
)
def test_textual_dates(text: str, expected: datetime, has_time: bool) -> None:
    result = parse(text)
    same_instant_and_wall(result.value, expected)
    assert result.has_time is has_time
    assert result.has_date is True


@pytest.mark.parametrize(
    ("month", "number"),
    [
        ("janv.", 1),
        ("janvier", 1),
        ("févr.", 2),
        ("fév", 2),
        ("fevrier", 2),
        ("mars", 3),
        ("avr.", 4),
        ("mai", 5),
        ("juin", 6),
        ("juil.", 7),
        ("juillet", 7),
        ("août", 8),
        ("aout", 8),
        ("sept.", 9),
        ("septembre", 9),
        ("oct.", 10),
        ("nov.", 11),
        ("déc.", 12),
    ],
)
def test_month_names_and_abbreviations(month: str, number: int) -> None:
    # The 20th of every month from December on is still ahead in 2026.
    expected_year = 2026 if number == 12 else 2027
    assert parse(f"20 {month} 14h").value == at(expected_year, number, 20, 14)


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("aujourd'hui 18h", at(2026, 11, 26, 18), True),
        ("aujourd’hui 18h", at(2026, 11, 26, 18), True),  # typographic apostrophe
        ("aujourdhui 18h", at(2026, 11, 26, 18), True),
        ("demain 18h", at(2026, 11, 27, 18), True),
        ("Demain à 18 h", at(2026, 11, 27, 18), True),
        ("après-demain 9h", at(2026, 11, 28, 9), True),
        ("apres demain 9h", at(2026, 11, 28, 9), True),
        ("demain", at(2026, 11, 27), False),
        ("pour demain midi", at(2026, 11, 27, 12), True),
        # An explicit day is never moved, even when the moment is past.
        ("aujourd'hui 9h", at(2026, 11, 26, 9), True),
    ],
)
def test_relative_days(text: str, expected: datetime, has_time: bool) -> None:
    result = parse(text)
    same_instant_and_wall(result.value, expected)
    assert result.has_time is has_time
    assert result.has_date is True


# --------------------------------------------------------------------------
# "lundi" semantics: the next such weekday strictly after today.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lundi", at(2026, 11, 30)),
        ("lundi 14h", at(2026, 11, 30, 14)),
        ("lundi prochain à 14h", at(2026, 11, 30, 14)),
        ("vendredi", at(2026, 11, 27)),
        ("dimanche 9h", at(2026, 11, 29, 9)),
        ("mercredi", at(2026, 12, 2)),
        # Today is Thursday: "jeudi" is next week, even with a time later today.
        ("jeudi", at(2026, 12, 3)),
        ("jeudi 18h", at(2026, 12, 3, 18)),
        ("jeudi prochain", at(2026, 12, 3)),
    ],
)
def test_weekday_is_strictly_after_today(text: str, expected: datetime) -> None:
    result = parse(text)
    same_instant_and_wall(result.value, expected)
    assert result.has_date is True


def test_weekday_just_before_midnight() -> None:
    late = datetime(2026, 11, 29, 23, 59, tzinfo=PARIS)  # Sunday
    assert parse("lundi 8h", now=late).value == at(2026, 11, 30, 8)


# --------------------------------------------------------------------------
# ISO 8601


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("2027-12-03", at(2027, 12, 3), False),
        ("2027-12-03 09:00", at(2027, 12, 3, 9), True),
        ("2027-12-03T09:00", at(2027, 12, 3, 9), True),
        ("2027-12-03T09:00:00", at(2027, 12, 3, 9), True),
        ("2027-12-03T09:00:00+01:00", at(2027, 12, 3, 9), True),
        ("2027-12-03T09:00:00Z", at(2027, 12, 3, 10), True),
        ("2027-12-03T09:00:00.123+0100", at(2027, 12, 3, 9), True),
        # An explicit offset is honoured, then converted to the zone.
        ("2027-06-03T09:00:00-04:00", at(2027, 6, 3, 15), True),
        ("2027-12-03T09:00:00+11:00", at(2027, 12, 2, 23), True),
        # An exact instant inside the DST gap is fine: 01:30 UTC is 03:30 CEST.
        ("2027-03-28T02:30:00+01:00", at(2027, 3, 28, 3, 30), True),
        ("2027-12-03 9:00", at(2027, 12, 3, 9), True),  # not strict ISO, still read
    ],
)
def test_iso(text: str, expected: datetime, has_time: bool) -> None:
    result = parse(text)
    same_instant_and_wall(result.value, expected)
    assert result.has_time is has_time
    assert result.value.tzinfo is PARIS


@pytest.mark.parametrize(
    "text", ["2027-02-30", "2027-12-03T25:00", "2027-12-03T09:60", "2027-12-03T09:00+25:00"]
)
def test_iso_invalid(text: str) -> None:
    assert fail(text).code == "invalid_date"


# --------------------------------------------------------------------------
# Dates without a year


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14/05", at(2027, 5, 14)),
        ("26/11 9h", at(2026, 11, 26, 9)),  # 9h today is past: today (the caller refuses it)
        ("26/11 18h", at(2026, 11, 26, 18)),  # later today: today
        ("26/11", at(2026, 11, 26)),  # today without a time is not past
        ("25/11", at(2027, 11, 25)),
        ("26 novembre 10h", at(2026, 11, 26, 10)),  # exactly now: today, never a year away
        ("31/12 23h59", at(2026, 12, 31, 23, 59)),
        ("1/1", at(2027, 1, 1)),
        ("29/02", at(2028, 2, 29)),  # next leap year
        # A year given explicitly is kept, even in the past.
        ("14/05/2020", at(2020, 5, 14)),
    ],
)
def test_year_rollover(text: str, expected: datetime) -> None:
    same_instant_and_wall(parse(text).value, expected)


def test_leap_day_skips_to_next_leap_year() -> None:
    now = datetime(2028, 2, 29, 10, tzinfo=PARIS)
    assert parse("28/02 9h", now=now).value == at(2029, 2, 28, 9)
    assert parse("29/02 9h", now=now).value == at(2028, 2, 29, 9)  # today, past: as typed
    assert parse("29/02 11h", now=now).value == at(2028, 2, 29, 11)


def test_now_in_another_zone_is_converted() -> None:
    now_utc = NOW.astimezone(UTC)
    assert parse("26/11 18h", now=now_utc).value == at(2026, 11, 26, 18)
    assert parse("9h", now=now_utc).value == at(2026, 11, 27, 9)


# --------------------------------------------------------------------------
# Weekday that contradicts the date


@pytest.mark.parametrize(
    ("text", "lang", "typed", "actual", "day", "date_text"),
    [
        (
            "vendredi 3 décembre 2026",
            "fr",
            "vendredi",
            "jeudi",
            date(2026, 12, 3),
            "3 décembre 2026",
        ),
        ("vendredi 3/12/2026 9h", "fr", "vendredi", "jeudi", date(2026, 12, 3), "3 décembre 2026"),
        # Today stays today, even at a time past (2026-11-26 is a Thursday).
        ("vendredi 26/11 9h", "fr", "vendredi", "jeudi", date(2026, 11, 26), "26 novembre 2026"),
        ("jeudi 1er mars", "fr", "jeudi", "lundi", date(2027, 3, 1), "1er mars 2027"),
        ("demain samedi", "fr", "samedi", "vendredi", date(2026, 11, 27), "27 novembre 2026"),
        (
            "Friday December 3 2026",
            "en",
            "Friday",
            "Thursday",
            date(2026, 12, 3),
            "December 3, 2026",
        ),
    ],
)
def test_weekday_mismatch(
    text: str, lang: str, typed: str, actual: str, day: date, date_text: str
) -> None:
    error = fail(text, lang=lang)
    assert error.code == "weekday_mismatch"
    assert error.text == text
    assert error.details == {
        "weekday": typed,
        "actual_weekday": actual,
        "date": day,
        "date_text": date_text,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jeudi 26/11 9h", at(2026, 11, 26, 9)),
        ("demain vendredi 18h", at(2026, 11, 27, 18)),
        ("jeudi 3/12", at(2026, 12, 3)),
    ],
)
def test_matching_weekday_is_accepted(text: str, expected: datetime) -> None:
    assert parse(text).value == expected


# --------------------------------------------------------------------------
# Invalid and unreadable input


@pytest.mark.parametrize(
    "text",
    [
        "31/02",
        "31/02/2027",
        "29/02/2027",
        "32/13",
        "0/5",
        "25h70",
        "14/05 24h",
        "14/05 9h60",
        "31 avril",
        "3/12/2027 9:00:61",
    ],
)
def test_invalid_date(text: str) -> None:
    error = fail(text)
    assert error.code == "invalid_date"
    assert error.text == text
    assert error.details == {}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "n'importe quoi",
        "<b>32/13",
        "le",
        "à",
        "9",
        "à 9",
        "9h5",
        "14/0514h",
        "14/05/027",
        "3 decembr",
        "ce soir",
        "demain demain",
        "demain 3/12",
        "3/12 4/12",
        "9h 10h",
        "lundi mardi",
        "2027-12",
        # English forms are not read for French users ("mar" could be mardi).
        "tomorrow 6pm",
        "mar 3",
        "6pm",
        "next monday",
    ],
)
def test_unreadable(text: str) -> None:
    error = fail(text)
    assert error.code == "unreadable"
    assert error.text == text
    assert error.details == {}


def test_long_input_is_rejected_quickly() -> None:
    assert fail("demain 18h" + " " * 191).code == "unreadable"  # 201 characters
    start = time_module.perf_counter()
    for text in ("1" * 100_000, "1 " * 50_000, "9h" * 50_000):
        assert fail(text).code == "unreadable"
    # Rejected before any pattern runs: far under a second, where a backtracking pattern
    # would take minutes.
    assert time_module.perf_counter() - start < 2.0


def test_input_of_exactly_200_characters_is_read() -> None:
    text = "demain 18h".ljust(200)
    assert len(text) == 200
    assert parse(text).value == at(2026, 11, 27, 18)


@pytest.mark.parametrize("text", ["1 " * 100, "9" * 200, "1/" * 100, "demain " * 28, "a " * 100])
def test_pathological_input_under_limit_is_fast(text: str) -> None:
    start = time_module.perf_counter()
    with pytest.raises(DateParseError):
        parse(text)
    assert time_module.perf_counter() - start < 1.0  # catastrophic backtracking takes minutes


@pytest.mark.parametrize(
    ("text", "lang", "word"),
    [("minuit", "fr", "minuit"), ("demain minuit", "fr", "minuit"), ("Midnight", "en", "midnight")],
)
def test_midnight_is_ambiguous(text: str, lang: str, word: str) -> None:
    error = fail(text, lang=lang)
    assert error.code == "ambiguous"
    assert error.details == {"word": word}


# --------------------------------------------------------------------------
# Daylight saving time in Europe/Paris


@pytest.mark.parametrize(
    "text", ["28/03/2027 2h30", "28/03/2027 2h00", "28/03 2h59", "2027-03-28T02:30"]
)
def test_spring_forward_gap_is_nonexistent(text: str) -> None:
    error = fail(text)
    assert error.code == "nonexistent_time"
    assert error.details["date"] == date(2027, 3, 28)
    assert error.details["date_text"] == "28 mars 2027"


def test_spring_forward_details() -> None:
    assert fail("28/03/2027 2h30").details["time_text"] == "2h30"
    error = fail("28/03/2027 2:30am", lang="en")
    assert error.details == {
        "date": date(2027, 3, 28),
        "date_text": "March 28, 2027",
        "time_text": "2:30 AM",
    }


@pytest.mark.parametrize(
    "now",
    [
        datetime(2027, 3, 28, 1, 0, tzinfo=PARIS),  # later today
        datetime(2027, 3, 27, 12, 0, tzinfo=PARIS),  # tomorrow
    ],
)
def test_time_only_in_gap_is_nonexistent(now: datetime) -> None:
    assert fail("2h30", now=now).code == "nonexistent_time"


@pytest.mark.parametrize(
    ("text", "offset_hours"),
    [
        ("28/03/2027 1h59", 1),
        ("28/03/2027 3h", 2),
        ("28/03/2027", 1),  # date only: midnight exists
    ],
)
def test_around_spring_forward(text: str, offset_hours: int) -> None:
    assert parse(text).value.utcoffset() == timedelta(hours=offset_hours)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        # Repeated hour: first occurrence (summer time, UTC+2).
        ("25/10/2026 2h30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("31/10/2027 2h30", datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
        ("31/10/2027 2h00", datetime(2027, 10, 31, 0, 0, tzinfo=UTC)),
        ("31/10/2027 3h", datetime(2027, 10, 31, 2, 0, tzinfo=UTC)),
        ("31/10/2027 1h59", datetime(2027, 10, 30, 23, 59, tzinfo=UTC)),
    ],
)
def test_fall_back_takes_first_occurrence(text: str, utc: datetime) -> None:
    now = datetime(2026, 10, 1, 12, tzinfo=PARIS)
    value = parse(text, now=now).value
    # Compare in UTC: Python's == is always False between zones for a time in
    # the repeated hour (PEP 495).
    assert value.astimezone(UTC) == utc
    assert value.fold == 0


def test_time_only_on_fall_back_day() -> None:
    now = datetime(2027, 10, 31, 1, 0, tzinfo=PARIS)
    value = parse("2h30", now=now).value
    assert value.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_time_only_during_second_pass_of_repeated_hour() -> None:
    # 02:15 winter time: the first 02:30 (summer time) is already past, so the
    # first-occurrence rule gives tomorrow, never a moment in the past.
    now = datetime(2027, 10, 31, 2, 15, fold=1, tzinfo=PARIS)
    value = parse("2h30", now=now).value
    assert value.astimezone(UTC) > now.astimezone(UTC)
    assert value.replace(tzinfo=None) == datetime(2027, 11, 1, 2, 30)


# --------------------------------------------------------------------------
# Other time zones


def test_times_are_read_in_the_given_zone() -> None:
    # 10:00 in Paris is 20:00 in Nouméa (UTC+11, no DST): 18h has passed there.
    assert parse("18h", tz=NOUMEA).value == at(2026, 11, 27, 18, tz=NOUMEA)
    assert parse("18h", tz=PARIS).value == at(2026, 11, 26, 18)
    assert parse("18h", tz="Pacific/Noumea").value.utcoffset() == timedelta(hours=11)


def test_today_is_the_local_day() -> None:
    # 16:00 in Paris on the 26th is 02:00 on the 27th in Nouméa.
    now = datetime(2026, 11, 26, 16, tzinfo=PARIS)
    assert parse("aujourd'hui", now=now, tz=NOUMEA).value == at(2026, 11, 27, tz=NOUMEA)
    assert parse("demain 9h", now=now, tz=NOUMEA).value == at(2026, 11, 28, 9, tz=NOUMEA)
    assert parse("demain 9h", now=now, tz=PARIS).value == at(2026, 11, 27, 9)
    # Already Friday in Nouméa, still Thursday in Paris.
    assert parse("vendredi", now=now, tz=NOUMEA).value == at(2026, 12, 4, tz=NOUMEA)
    assert parse("vendredi", now=now, tz=PARIS).value == at(2026, 11, 27)


def test_tz_name_and_zoneinfo_are_equivalent() -> None:
    by_name = parse("3/12 9h", tz="America/Montreal").value
    assert by_name == parse("3/12 9h", tz=MONTREAL).value == at(2026, 12, 3, 9, tz=MONTREAL)
    assert by_name.utcoffset() == timedelta(hours=-5)


def test_montreal_dst() -> None:
    # Gap in Montreal, not in Paris.
    assert fail("14/03/2027 2h30", tz=MONTREAL).code == "nonexistent_time"
    assert parse("14/03/2027 2h30", tz=PARIS).value == at(2027, 3, 14, 2, 30)
    # Fall back on 1 November 2026: first 1:30 is EDT (UTC-4).
    value = parse("1/11/2026 1h30", tz=MONTREAL).value
    assert value.utcoffset() == timedelta(hours=-4)


def test_skipped_midnight_gives_first_instant_of_day() -> None:
    # Chile moves 00:00 -> 01:00 on 6 September 2026.
    result = parse("6/9/2026", tz=SANTIAGO)
    assert result.has_time is False
    assert result.value.replace(tzinfo=None) == datetime(2026, 9, 6, 1, 0)
    assert result.value.utcoffset() == timedelta(hours=-3)
    assert fail("6/9/2026 0h30", tz=SANTIAGO).code == "nonexistent_time"


def test_fixed_offset_tzinfo_is_accepted() -> None:
    tz = timezone(timedelta(hours=-3))
    assert parse("3/12 9h", tz=tz).value == datetime(2026, 12, 3, 9, tzinfo=tz)


# --------------------------------------------------------------------------
# English


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("tomorrow 6pm", at(2026, 11, 27, 18), True),
        ("today at 18:00", at(2026, 11, 26, 18), True),
        ("Thursday December 3 at 9am", at(2026, 12, 3, 9), True),
        ("Dec 3 9:30am", at(2026, 12, 3, 9, 30), True),
        ("3 December 2027 9:00", at(2027, 12, 3, 9), True),
        ("next monday 2pm", at(2026, 11, 30, 14), True),
        ("monday", at(2026, 11, 30), False),
        ("December 3rd, 2027 at 9 a.m.", at(2027, 12, 3, 9), True),
        ("on the 3rd of December", at(2026, 12, 3), False),
        ("day after tomorrow 9am", at(2026, 11, 28, 9), True),
        ("Mar 3", at(2027, 3, 3), False),
        ("tomorrow at noon", at(2026, 11, 27, 12), True),
        ("12pm", at(2026, 11, 26, 12), True),
        ("12am", at(2026, 11, 27, 0), True),
        ("11:59 PM", at(2026, 11, 26, 23, 59), True),
        # Slashed dates are always day/month, in English too.
        ("12/03", at(2027, 3, 12), False),
        ("3/12/2027 9:00", at(2027, 12, 3, 9), True),
        # French forms are accepted whatever the language.
        ("demain 18h", at(2026, 11, 27, 18), True),
        ("jeudi 3 décembre à 9h", at(2026, 12, 3, 9), True),
    ],
)
def test_english_forms(text: str, expected: datetime, has_time: bool) -> None:
    result = parse(text, lang="en")
    same_instant_and_wall(result.value, expected)
    assert result.has_time is has_time


def test_english_time_only_has_no_date() -> None:
    assert parse("6pm", lang="en").has_date is False


@pytest.mark.parametrize("text", ["13pm", "0am", "12:60pm"])
def test_english_invalid_times(text: str) -> None:
    assert fail(text, lang="en").code == "invalid_date"


def test_english_region_codes_are_english() -> None:
    assert parse("tomorrow 6pm", lang="en-GB").value == at(2026, 11, 27, 18)


# --------------------------------------------------------------------------
# API contract


def test_parsed_date_is_frozen() -> None:
    result = parse("demain 18h")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = NOW  # type: ignore[misc]


def test_error_is_a_value_error_with_fields() -> None:
    error = fail("32/13")
    assert isinstance(error, ValueError)
    assert (error.code, error.text, error.details) == ("invalid_date", "32/13", {})


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError) as info:
        parse("demain", now=datetime(2026, 11, 26, 10))
    assert not isinstance(info.value, DateParseError)


# --------------------------------------------------------------------------
# Message templates

TEMPLATE_SAMPLES: dict[str, dict[str, str]] = {
    "unreadable": {"fr": "<b>32/13", "en": "<b>32/13"},
    "invalid_date": {"fr": "31/02 à 9h", "en": "31/02"},
    "weekday_mismatch": {"fr": "vendredi 3 décembre 2026", "en": "Friday December 3 2026"},
    "nonexistent_time": {"fr": "28/03/2027 2h30", "en": "28/03/2027 2:30am"},
    "ambiguous": {"fr": "demain minuit", "en": "tomorrow midnight"},
}
ALLOWED_TAGS = {"b", "i", "code"}
NNBSP = "\u202f"


@pytest.fixture(scope="module")
def env() -> Environment:
    return Environment(
        loader=FileSystemLoader(MESSAGES),
        autoescape=True,
        undefined=StrictUndefined,
    )


def test_every_code_has_templates() -> None:
    assert set(TEMPLATE_SAMPLES) == set(ERROR_CODES)
    for lang in ("fr", "en"):
        names = {path.stem for path in (MESSAGES / lang / "date").glob("*.j2")}
        assert names == set(ERROR_CODES)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("code", ERROR_CODES)
def test_template_renders_error(env: Environment, code: str, lang: str) -> None:
    text = TEMPLATE_SAMPLES[code][lang]
    error = fail(text, lang=lang)
    assert error.code == code
    rendered = env.get_template(f"{lang}/date/{code}.j2").render(text=error.text, **error.details)
    assert str(escape(text)) in rendered
    assert ("3/12/2027 à 9 h 30" if lang == "fr" else "3/12/2027 9:30am") in rendered
    if lang == "fr":
        assert "14/05 14h30" in rendered
    tags = set(re.findall(r"</?([a-zA-Z]+)", rendered))
    assert tags <= ALLOWED_TAGS
    assert rendered.count("<code>") == rendered.count("</code>") >= 3


def test_user_markup_is_escaped(env: Environment) -> None:
    error = fail("<b>32/13")
    rendered = env.get_template("fr/date/unreadable.j2").render(text=error.text, **error.details)
    assert "&lt;b&gt;32/13" in rendered
    assert "<b>32/13" not in rendered


@pytest.mark.parametrize("code", ERROR_CODES)
def test_french_typography(code: str) -> None:
    source = (MESSAGES / "fr" / "date" / f"{code}.j2").read_text(encoding="utf-8")
    prose = re.sub(r"<code>.*?</code>", "", source)  # examples such as 9:00 are exempt
    for match in re.finditer(r"[:;!?»]", prose):
        assert prose[match.start() - 1] == NNBSP, f"missing U+202F before {match.group()!r}"
    for match in re.finditer("«", prose):
        assert prose[match.end()] == NNBSP
    assert "\u2019" not in prose  # the straight apostrophe, as in every other template
    assert "vous" in prose.lower()  # vouvoiement
