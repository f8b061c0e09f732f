"""Calendar files (RFC 5545) for meetings: one VEVENT per occurrence, a stable UID, a SEQUENCE
that goes up at every change, local times with their VTIMEZONE.

No METHOD property: the file is imported by hand (iTIP's PUBLISH and CANCEL would ask for an
organizer's address we do not have). A cancelled meeting is STATUS:CANCELLED with a higher
SEQUENCE; the message that carries the file asks people to replace the event, since calendar
apps do not all update an imported event by themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

PRODID = "-//Tisserand//Comités de filière//FR"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    start: datetime  # aware
    minutes: int
    summary: str
    location: str | None = None
    url: str | None = None
    description: str | None = None
    cancelled: bool = False
    created: datetime | None = None
    modified: datetime | None = None


def calendar_bytes(
    events: Sequence[CalendarEvent], timezone: str, now: datetime, *, name: str | None = None
) -> bytes:
    """A VCALENDAR with the zone's VTIMEZONE first, then one VEVENT per event."""
    zone = ZoneInfo(timezone)
    # Loaded when a calendar is made, not at start (20 ms).
    from icalendar import Calendar, Event, Timezone

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", timezone)
    starts = [e.start for e in events] or [now]
    if timezone not in ("UTC", "Etc/UTC"):
        first = date(min(starts).year - 1, 1, 1)
        last = date(max(starts).year + 2, 1, 1)
        cal.add_component(Timezone.from_tzid(timezone, first_date=first, last_date=last))
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", now.astimezone(UTC))
        event.add("sequence", item.sequence)
        local = item.start.astimezone(zone)
        event.add("dtstart", local)
        event.add(
            "dtend", (local.astimezone(UTC) + timedelta(minutes=item.minutes)).astimezone(zone)
        )
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        if item.url:
            event.add("url", item.url)
        if item.description:
            event.add("description", item.description)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        if item.created is not None:
            event.add("created", item.created.astimezone(UTC))
        if item.modified is not None:
            event.add("last-modified", item.modified.astimezone(UTC))
        cal.add_component(event)
    return cal.to_ical()
