"""Read a date and time typed by a user in a chat ("demain 18h", "jeudi 3 décembre à 9h").

This module is pure: no I/O, no Telegram, no database.  The single entry point is
:func:`parse_datetime`, which turns free text into a timezone-aware datetime or
raises :class:`DateParseError` whose ``code`` selects the message template
``content/messages/<lang>/date/<code>.j2`` (rendered with ``text`` plus
``details``).

Accepted forms (case and accents optional, extra spaces and final punctuation
ignored), combined freely as [weekday] [date] [time]:

* dates: "14/05", "14/05/2027", "14/05/27", "14-05-2027", "14.05.2027",
  "3 décembre [2027]", "1er mars", "le 3 déc.", "2027-12-03";
* days: "aujourd'hui", "demain", "après-demain", "lundi [prochain]";
* times: "9h", "14h05", "9 h 30", "14:05", "midi";
* English (lang "en"): "today", "tomorrow", "day after tomorrow",
  "[next] monday", "Dec 3", "December 3rd, 2027", "3rd of December", "6pm",
  "9:30 a.m.", "12am", "noon";
* ISO 8601 alone: "2027-12-03T09:00", "2027-12-03T09:00:00+01:00", "...Z".

Conventions (the bot serves French territories, so French comes first):

* French forms are always accepted; English forms ("tomorrow 6pm", "Dec 3",
  "next monday") only when ``lang`` starts with ``"en"``.  English words such as
  "mar" (March) would otherwise be mistaken for French abbreviations.
* Numeric dates are ALWAYS day/month[/year], in both languages: "12/03" is the
  12th of March, never December 3rd.  Two-digit years mean 20xx.
* A date without a year is the next such day from today on: a day already over
  this year is next year's (29/02 jumps to the next leap year). Today stays
  today, even with a time already past ("3 décembre 12h" typed on 3 December at
  17h): the caller says that moment is past, rather than a year away.
* A time alone ("18h") is today at that time if still in the future, otherwise
  tomorrow.
* A weekday alone ("lundi", "lundi prochain", "next monday") is the next such
  weekday strictly after today: "lundi" typed on a Monday means in 7 days,
  even with a time later today.  "prochain"/"next" change nothing.
* Explicit days are never moved: "aujourd'hui 9h" at 10:00, or a full date with
  a year in the past, are returned as typed; the caller decides whether a past
  moment is acceptable.
* A weekday that contradicts the date raises ``weekday_mismatch``; we never
  guess which of the two the user meant.
* Times are wall-clock times in ``tz``.  A time inside a daylight-saving gap
  raises ``nonexistent_time``; a repeated time (fall back) takes its first
  occurrence (``fold=0``, i.e. summer time).  A date without a time is at 00:00,
  or at the first existing instant of that day if midnight itself is skipped.
* "minuit"/"midnight" raise ``ambiguous``: people use them for both the start
  and the end of a day.
* ISO 8601 ("2027-12-03T09:00:00+01:00") is accepted; an explicit offset is
  honoured and the instant converted to ``tz``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Final
from zoneinfo import ZoneInfo

__all__ = ["ERROR_CODES", "MAX_TEXT_LENGTH", "DateParseError", "ParsedDate", "parse_datetime"]

MAX_TEXT_LENGTH: Final = 200

ERROR_CODES: Final = (
    "unreadable",
    "invalid_date",
    "weekday_mismatch",
    "nonexistent_time",
    "ambiguous",
)


class DateParseError(ValueError):
    """The text is not a usable date; ``code`` names the message template.

    ``details`` holds the extra template variables for that code:

    * ``unreadable``, ``invalid_date``: none.
    * ``weekday_mismatch``: ``weekday`` (as typed, localized), ``actual_weekday``
      (localized), ``date`` (a :class:`datetime.date`), ``date_text`` (localized).
    * ``nonexistent_time``: ``date``, ``date_text``, ``time_text`` (localized).
    * ``ambiguous``: ``word`` (the ambiguous word, e.g. "minuit").
    """

    code: str
    text: str
    details: dict[str, object]

    def __init__(self, code: str, text: str, details: Mapping[str, object] | None = None) -> None:
        super().__init__(f"{code}: {text!r}")
        self.code = code
        self.text = text
        self.details = dict(details or {})


@dataclass(frozen=True)
class ParsedDate:
    """A successfully read date and/or time."""

    value: datetime  # timezone-aware, in the requested tz
    has_time: bool  # False: only a date was typed, value is at 00:00 local
    has_date: bool  # False: only a time was typed ("18h", "à 9h30")


# --------------------------------------------------------------------------
# Vocabulary.  Keys are normalized: lower case, without accents.

_FR_MONTHS: Final[dict[str, int]] = {
    "janvier": 1, "janv": 1,
    "fevrier": 2, "fevr": 2, "fev": 2,
    "mars": 3,
    "avril": 4, "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7, "juil": 7,
    "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
}  # fmt: skip
_EN_MONTHS: Final[dict[str, int]] = {
    "january": 1, "jan": 1,
    "february": 2, "feb": 2,
    "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "may": 5,
    "june": 6, "jun": 6,
    "july": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_FR_WEEKDAYS: Final[dict[str, int]] = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3,
    "vendredi": 4, "samedi": 5, "dimanche": 6,
}  # fmt: skip
_EN_WEEKDAYS: Final[dict[str, int]] = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1,
    "wednesday": 2, "wed": 2, "thursday": 3, "thurs": 3, "thur": 3, "thu": 3,
    "friday": 4, "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip

# Display names for error messages.
_WEEKDAY_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTH_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet",
           "août", "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December"),
}  # fmt: skip


# --------------------------------------------------------------------------
# Parsing state.


class _Fail(Exception):
    """Internal failure; parse_datetime adds the user's text."""

    def __init__(self, code: str, details: Mapping[str, object] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.details: dict[str, object] = dict(details or {})


@dataclass
class _Parts:
    """What the scanner found; each slot may be filled only once."""

    day: tuple[int, int, int | None] | None = None  # (day, month, year or None)
    relative: int | None = None  # days after today
    weekday: int | None = None
    clock: time | None = None

    def set_day(self, day: int, month: int, year: int | None) -> None:
        if self.day is not None or self.relative is not None:
            raise _Fail("unreadable")  # two dates in one text: do not pick one
        self.day = (day, month, year)

    def set_relative(self, offset: int) -> None:
        if self.day is not None or self.relative is not None:
            raise _Fail("unreadable")
        self.relative = offset

    def set_weekday(self, weekday: int) -> None:
        if self.weekday is not None:
            raise _Fail("unreadable")
        self.weekday = weekday

    def set_clock(self, hour: int, minute: int, second: int = 0) -> None:
        if self.clock is not None:
            raise _Fail("unreadable")
        self.clock = _make_time(hour, minute, second)


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _Fail("invalid_date") from None


def _make_time(hour: int, minute: int, second: int = 0) -> time:
    # "24h00" is rejected too: it would silently move the date to the next day.
    try:
        return time(hour, minute, second)
    except ValueError:
        raise _Fail("invalid_date") from None


_Handler = Callable[["re.Match[str]", _Parts], None]
_Pieces = list[tuple["re.Pattern[str]", _Handler]]


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    return 2000 + int(raw) if len(raw) == 2 else int(raw)


def _alternation(words: Mapping[str, int]) -> str:
    # Longest first so that "septembre" is tried before "sept".
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


def _numeric_date(m: re.Match[str], parts: _Parts) -> None:
    parts.set_day(int(m["d"]), int(m["m"]), _year(m["y"]))


def _textual_date(months: Mapping[str, int]) -> _Handler:
    def handle(m: re.Match[str], parts: _Parts) -> None:
        parts.set_day(int(m["d"]), months[m["mon"]], _year(m["y"]))

    return handle


def _clock_24h(m: re.Match[str], parts: _Parts) -> None:
    second = m.groupdict().get("s")
    parts.set_clock(int(m["h"]), int(m["mi"] or 0), int(second or 0))


def _clock_12h(m: re.Match[str], parts: _Parts) -> None:
    hour, minute = int(m["h"]), int(m["mi"] or 0)
    if not 1 <= hour <= 12:
        raise _Fail("invalid_date")
    # 12am is midnight, 12pm is noon.
    hour = hour % 12 + (12 if m["ap"] == "p" else 0)
    parts.set_clock(hour, minute)


def _fixed_clock(hour: int) -> _Handler:
    def handle(m: re.Match[str], parts: _Parts) -> None:
        parts.set_clock(hour, 0)

    return handle


def _ambiguous(m: re.Match[str], parts: _Parts) -> None:
    raise _Fail("ambiguous", {"word": m[0]})


def _relative(offset: int) -> _Handler:
    def handle(m: re.Match[str], parts: _Parts) -> None:
        parts.set_relative(offset)

    return handle


def _weekday(names: Mapping[str, int]) -> _Handler:
    def handle(m: re.Match[str], parts: _Parts) -> None:
        parts.set_weekday(names[m["wd"]])

    return handle


def _ignore(m: re.Match[str], parts: _Parts) -> None:
    pass


# Every piece must end on a word boundary, so "14/0514h" or "9h5" never match
# partially.  re.ASCII keeps \d to 0-9.
_END: Final = r"(?![a-z0-9])"


def _piece(pattern: str, handler: _Handler) -> tuple[re.Pattern[str], _Handler]:
    return re.compile(f"(?:{pattern}){_END}", re.ASCII), handler


_FR_MONTH_RE: Final = _alternation(_FR_MONTHS)
_EN_MONTH_RE: Final = _alternation(_EN_MONTHS | _FR_MONTHS)
_YEAR_TAIL: Final = r"(?:,?\s+(?P<y>\d{4}))?"

_COMMON_DATES: Final = [
    # 2027-12-03, 2027/12/03
    _piece(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})", _numeric_date),
    # 14/05, 14/05/27, 14-05-2027, 14.05.2027: always day first.
    _piece(
        r"(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?:(?P=sep)(?P<y>\d{4}|\d{2}))?",
        _numeric_date,
    ),
]
_COMMON_CLOCKS: Final = [
    # 9h, 14h05, 9 h 30, 9 heures 30
    _piece(r"(?P<h>\d{1,2})\s*h(?:eures?)?(?:\s*(?P<mi>\d{2}))?", _clock_24h),
    # 14:05, 09:00:00
    _piece(r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?", _clock_24h),
]

_FR_PIECES: Final[_Pieces] = [
    *_COMMON_DATES,
    # 3 décembre, 1er mars 2027, 3 déc.
    _piece(
        rf"(?P<d>\d{{1,2}})(?:er|ere)?\s*(?P<mon>{_FR_MONTH_RE})\.?{_YEAR_TAIL}",
        _textual_date(_FR_MONTHS),
    ),
    *_COMMON_CLOCKS,
    _piece(r"midi", _fixed_clock(12)),
    _piece(r"minuit", _ambiguous),
    _piece(r"aujourd'?\s?hui", _relative(0)),
    _piece(r"apres[- ]?demain", _relative(2)),
    _piece(r"demain", _relative(1)),
    _piece(rf"(?P<wd>{_alternation(_FR_WEEKDAYS)})(?:\s+prochaine?)?", _weekday(_FR_WEEKDAYS)),
    _piece(r"le|a|pour", _ignore),
]

_EN_PIECES: Final[_Pieces] = [
    *_COMMON_DATES,
    # 3 December, 3rd of Dec 2027, 1er mars
    _piece(
        rf"(?P<d>\d{{1,2}})(?:er|ere|st|nd|rd|th)?(?:\s+of)?\s*(?P<mon>{_EN_MONTH_RE})\.?"
        + _YEAR_TAIL,
        _textual_date(_EN_MONTHS | _FR_MONTHS),
    ),
    # December 3, Dec 3rd, 2027
    _piece(
        rf"(?P<mon>{_EN_MONTH_RE})\.?\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?{_YEAR_TAIL}",
        _textual_date(_EN_MONTHS | _FR_MONTHS),
    ),
    # 6pm, 9:30 am, 12 a.m.  Before the 24h forms so "9:30am" is read whole.
    _piece(r"(?P<h>\d{1,2})(?::(?P<mi>\d{2}))?\s*(?P<ap>[ap])\.?\s?m\.?", _clock_12h),
    *_COMMON_CLOCKS,
    _piece(r"midi|noon|midday", _fixed_clock(12)),
    _piece(r"minuit|midnight", _ambiguous),
    _piece(r"aujourd'?\s?hui|today", _relative(0)),
    _piece(r"apres[- ]?demain|(?:the\s+)?day\s+after\s+tomorrow", _relative(2)),
    _piece(r"demain|tomorrow|tmrw", _relative(1)),
    _piece(
        rf"(?P<wd>{_alternation(_FR_WEEKDAYS)})(?:\s+prochaine?)?",
        _weekday(_FR_WEEKDAYS),
    ),
    _piece(rf"(?:next\s+)?(?P<wd>{_alternation(_EN_WEEKDAYS)})", _weekday(_EN_WEEKDAYS)),
    _piece(r"le|a|pour|at|on|the", _ignore),
]

# Full ISO 8601, the only form with a "T" separator or a UTC offset.
_ISO: Final = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[t ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d{1,6})?)?"
    r"\s*(?P<off>z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII,
)

_APOSTROPHES: Final = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def _normalize(text: str) -> str:
    """Lower case, no accents, single spaces, no trailing punctuation."""
    # NFKD splits accents off ("é" -> "e" + U+0301), turns no-break spaces into
    # spaces and "1ᵉʳ" into "1er".
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().split()).strip(" .,;:!?")


def _skip_separators(s: str, pos: int) -> int:
    while pos < len(s) and s[pos] in " ,":
        pos += 1
    return pos


def _scan(s: str, pieces: _Pieces) -> _Parts:
    """Consume ``s`` piece by piece, left to right; anything unknown fails."""
    parts = _Parts()
    pos = _skip_separators(s, 0)
    while pos < len(s):
        for pattern, handler in pieces:
            m = pattern.match(s, pos)
            if m:
                handler(m, parts)
                pos = _skip_separators(s, m.end())
                break
        else:
            raise _Fail("unreadable")
    if parts == _Parts():
        raise _Fail("unreadable")  # only filler words such as "le" or "à"
    return parts


# --------------------------------------------------------------------------
# Resolution against "now".


def _exists(naive: datetime, tz: tzinfo) -> bool:
    """False when the wall-clock time falls in a gap (spring forward)."""
    aware = naive.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == naive


def _localize(day: date, clock: time, tz: tzinfo) -> datetime:
    # fold=0: a repeated time (fall back) is its first occurrence, summer time.
    return datetime.combine(day, clock, tzinfo=tz)


def _is_future(moment: datetime, now: datetime) -> bool:
    # Compare in UTC: between two datetimes sharing a tzinfo, Python compares
    # wall-clock times and would ignore fold during the repeated hour.
    return moment.astimezone(UTC) > now.astimezone(UTC)


def _start_of_day(day: date, tz: tzinfo) -> datetime:
    # Midnight is skipped in a few zones (e.g. America/Santiago): take the first
    # instant of the day rather than failing on a time nobody typed.
    return _localize(day, time(0), tz).astimezone(UTC).astimezone(tz)


def _format_date(day: date, lang: str) -> str:
    month = _MONTH_NAMES[lang][day.month - 1]
    if lang == "en":
        return f"{month} {day.day}, {day.year}"
    return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"


def _format_time(clock: time, lang: str) -> str:
    if lang == "en":
        return f"{(clock.hour - 1) % 12 + 1}:{clock.minute:02d} {'AM' if clock.hour < 12 else 'PM'}"
    return f"{clock.hour}h{clock.minute:02d}"


def _wall_clock(day: date, clock: time, tz: tzinfo, lang: str) -> datetime:
    """The aware datetime for a local time, refusing times skipped by DST."""
    if not _exists(datetime.combine(day, clock), tz):
        raise _Fail(
            "nonexistent_time",
            {
                "date": day,
                "date_text": _format_date(day, lang),
                "time_text": _format_time(clock, lang),
            },
        )
    return _localize(day, clock, tz)


def _next_date(day: int, month: int, today: date) -> date:
    """The next (day, month) from today on; see the module docstring."""
    _make_date(2000, month, day)  # a leap year: rejects 31/02, 32/13, keeps 29/02
    # 29/02 may be up to 8 years away (2096 -> 2104).
    for year in range(today.year, min(today.year + 9, 10000)):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise _Fail("invalid_date")  # only reachable near year 9999


def _resolve(parts: _Parts, now: datetime, tz: tzinfo, lang: str) -> ParsedDate:
    today = now.date()
    clock = parts.clock
    if parts.day is not None:
        d, m, y = parts.day
        day = _make_date(y, m, d) if y is not None else _next_date(d, m, today)
    elif parts.relative is not None:
        day = today + timedelta(days=parts.relative)
    elif parts.weekday is not None:
        # Strictly after today: 1 to 7 days ahead.
        day = today + timedelta(days=(parts.weekday - today.weekday() - 1) % 7 + 1)
    else:
        assert clock is not None  # _scan guarantees at least one component
        day = today
        if not _is_future(_localize(day, clock, tz), now):
            day += timedelta(days=1)

    if parts.weekday is not None and day.weekday() != parts.weekday:
        names = _WEEKDAY_NAMES[lang]
        raise _Fail(
            "weekday_mismatch",
            {
                "weekday": names[parts.weekday],
                "actual_weekday": names[day.weekday()],
                "date": day,
                "date_text": _format_date(day, lang),
            },
        )

    has_date = parts.day is not None or parts.relative is not None or parts.weekday is not None
    if clock is None:
        return ParsedDate(value=_start_of_day(day, tz), has_time=False, has_date=True)
    return ParsedDate(value=_wall_clock(day, clock, tz, lang), has_time=True, has_date=has_date)


def _parse_iso(m: re.Match[str], tz: tzinfo, lang: str) -> ParsedDate:
    day = _make_date(int(m["y"]), int(m["m"]), int(m["d"]))
    if m["h"] is None:
        return ParsedDate(value=_start_of_day(day, tz), has_time=False, has_date=True)
    clock = _make_time(int(m["h"]), int(m["mi"]), int(m["s"] or 0))
    offset = m["off"]
    if offset is None:
        value = _wall_clock(day, clock, tz, lang)
        return ParsedDate(value=value, has_time=True, has_date=True)
    if offset == "z":
        fixed: tzinfo = UTC
    else:
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            raise _Fail("invalid_date")
        delta = timedelta(hours=hours, minutes=minutes)
        fixed = timezone(-delta if offset[0] == "-" else delta)
    # An explicit offset names an exact instant: no gap check, just convert.
    value = _localize(day, clock, fixed).astimezone(tz)
    return ParsedDate(value=value, has_time=True, has_date=True)


def parse_datetime(text: str, *, now: datetime, tz: tzinfo | str, lang: str = "fr") -> ParsedDate:
    """Read a user's date/time in ``tz``, relative to ``now``.

    ``now`` must be timezone-aware (any zone; it is converted to ``tz``).
    ``tz`` is a tzinfo or an IANA name.  ``lang`` starting with "en" enables
    English forms; anything else means French only.  See the module docstring
    for the rules.  Raises :class:`DateParseError` for user errors, plain
    :class:`ValueError` for a naive ``now`` and ``ZoneInfoNotFoundError`` for an
    unknown zone name (both programming errors).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    zone: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
    lang = "en" if lang.lower().startswith("en") else "fr"
    now = now.astimezone(zone)

    # Checked on the raw text, before any regex runs.
    if len(text) > MAX_TEXT_LENGTH:
        raise DateParseError("unreadable", text)
    s = _normalize(text)
    try:
        if not s:
            raise _Fail("unreadable")
        iso = _ISO.fullmatch(s)
        if iso:
            return _parse_iso(iso, zone, lang)
        parts = _scan(s, _EN_PIECES if lang == "en" else _FR_PIECES)
        return _resolve(parts, now, zone, lang)
    except _Fail as fail:
        raise DateParseError(fail.code, text, fail.details) from None
