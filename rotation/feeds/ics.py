"""Serialise a feed with ``icalendar``, in the form real calendar clients need (feeds.md).

All-day events (``VALUE=DATE``, exclusive DTEND), ``TRANSP:TRANSPARENT`` so duty does not
block the day in Outlook, a UID from the slot, and SEQUENCE / LAST-MODIFIED / DTSTAMP from the
published state, so an unchanged event serialises to the same bytes every time. No
calendar-level UID (vdirsyncer would merge every event into one item).
"""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event, vDuration

from .events import Feed
from .state import Revision

PRODID = "-//rotation//intake feeds//EN"
REFRESH = timedelta(hours=1)


def render(feed: Feed, revisions: dict[str, Revision]) -> bytes:
    calendar = Calendar.new(name=feed.name, prodid=PRODID)
    if "UID" in calendar:
        del calendar["UID"]
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("REFRESH-INTERVAL", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    for item in feed.events:
        revision = revisions[item.uid]
        event = Event()
        event.add("UID", item.uid)
        event.add("DTSTAMP", revision.modified)
        event.add("DTSTART", item.start)
        event.add("DTEND", item.end)
        event.add("SUMMARY", item.summary)
        if item.description:
            event.add("DESCRIPTION", item.description)
        event.add("TRANSP", "TRANSPARENT")
        event.add("SEQUENCE", revision.sequence)
        event.add("LAST-MODIFIED", revision.modified)
        calendar.add_component(event)
    return calendar.to_ical()
