"""iCalendar feeds (RFC 5545) written with the ``icalendar`` library.

One VEVENT per event with its RRULE; a cancelled occurrence is an EXDATE; a
moved one is a second VEVENT with the same UID and a RECURRENCE-ID. Times
are local to the venue's zone (TZID, with its VTIMEZONE); UNTIL is in UTC
as the RFC requires. UIDs are stable, SEQUENCE grows with each change, and
a cancelled event says STATUS:CANCELLED.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from estaminet.agenda.events import EventInfo
from estaminet.agenda.recurrence import (
    Frequency,
    local_to_utc,
    nth_weekday,
    parse_key,
    series_in_range,
)
from estaminet.agenda.rules import Status

__all__ = ["CONTENT_TYPE", "calendar"]

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _rrule(event: EventInfo, zone: ZoneInfo) -> dict[str, object] | None:
    series = event.series
    rule = series.recurrence
    if rule.frequency is Frequency.NONE:
        return None
    found: dict[str, object] = {"FREQ": "MONTHLY"}
    start = series.start
    if rule.frequency in (Frequency.WEEKLY, Frequency.BIWEEKLY):
        found = {"FREQ": "WEEKLY"}
        if rule.frequency is Frequency.BIWEEKLY:
            found["INTERVAL"] = 2
    elif rule.frequency is Frequency.MONTHLY_DATE:
        found["BYMONTHDAY"] = start.day
    else:
        found["BYDAY"] = f"{nth_weekday(start.date())}{_DAYS[start.weekday()]}"
    if rule.count is not None:
        found["COUNT"] = rule.count
    if rule.until is not None:
        found["UNTIL"] = local_to_utc(
            datetime.combine(rule.until, time(23, 59, 59)), zone, strict=False
        )
    return found


def _common(
    vevent: Event,
    event: EventInfo,
    *,
    base_url: str,
    room_names: Mapping[str, str],
    stamp: datetime,
) -> None:
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", stamp)
    vevent.add("last-modified", event.updated_at)
    vevent.add("sequence", event.sequence)
    vevent.add("summary", event.title)
    if event.description:
        vevent.add("description", event.description)
    if event.room_slug:
        vevent.add("location", room_names.get(event.room_slug, event.room_slug))
    vevent.add("url", f"{base_url.rstrip('/')}/agenda/{event.id}")
    single_cancelled = not event.recurring and any(
        o.cancelled for o in event.series.overrides.values()
    )
    cancelled = event.status is Status.CANCELLED or single_cancelled
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("categories", [event.kind.value.upper().replace("_", "-")])


def calendar(
    events: Sequence[EventInfo],
    *,
    zone: ZoneInfo,
    base_url: str,
    name: str,
    room_names: Mapping[str, str],
    stamp: datetime,
) -> bytes:
    """A VCALENDAR holding ``events`` (whole series, with their overrides)."""
    cal = Calendar()
    cal.add("prodid", "-//Estaminet//Agenda//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone.key)
    shown: list[EventInfo] = []
    for event in events:
        # One event that cannot be written (dates outside the agenda's years, a row written
        # by hand) is left out and logged: it never takes the whole feed down.
        if not series_in_range(event.series):
            log.warning(
                "agenda event %s has dates outside the agenda's years: not in the feed", event.id
            )
            continue
        try:
            components = _components(
                event, zone, base_url=base_url, room_names=room_names, stamp=stamp
            )
        except Exception:
            log.exception("agenda event %s could not be written to a feed: left out", event.id)
            continue
        for component in components:
            cal.add_component(component)
        shown.append(event)
    starts = [e.series.start.date() for e in shown]
    first = min(starts, default=stamp.date()) - timedelta(days=366)
    last = max(starts, default=stamp.date()) + timedelta(days=4 * 366)
    cal.add_missing_timezones(first_date=first, last_date=last)
    _one_rdate_per_line(cal)
    text: bytes = cal.to_ical()
    return text


def _components(
    event: EventInfo,
    zone: ZoneInfo,
    *,
    base_url: str,
    room_names: Mapping[str, str],
    stamp: datetime,
) -> list[Event]:
    """The VEVENTs of one event: the series, then one per moved date."""
    found: list[Event] = []
    series = event.series
    master = Event()
    _common(master, event, base_url=base_url, room_names=room_names, stamp=stamp)
    master.add("dtstart", series.start.replace(tzinfo=zone))
    master.add("dtend", (series.start + series.duration).replace(tzinfo=zone))
    rule = _rrule(event, zone)
    if rule is not None:
        master.add("rrule", rule)
    cancelled = sorted(k for k, o in series.overrides.items() if o.cancelled)
    if cancelled and rule is not None:
        master.add("exdate", [parse_key(k).replace(tzinfo=zone) for k in cancelled])
    found.append(master)
    for key, override in sorted(series.overrides.items()):
        if override.cancelled or override.start is None:
            continue
        moved = Event()
        _common(moved, event, base_url=base_url, room_names=room_names, stamp=stamp)
        moved.add("recurrence-id", parse_key(key).replace(tzinfo=zone))
        moved.add("dtstart", override.start.replace(tzinfo=zone))
        moved.add(
            "dtend",
            (override.start + (override.duration or series.duration)).replace(tzinfo=zone),
        )
        found.append(moved)
    return found


def _one_rdate_per_line(cal: Calendar) -> None:
    """Write each VTIMEZONE transition as its own RDATE line.

    Both forms are valid RFC 5545, but some readers (vobject among them) keep
    only the first date of a comma-separated list and get summer time wrong.
    """
    for zone in cal.walk("VTIMEZONE"):
        for rule in zone.subcomponents:
            found = rule.pop("RDATE", None)
            if found is None:
                continue
            for value in found if isinstance(found, list) else [found]:
                for moment in value.dts:
                    rule.add("rdate", moment.dt)
