"""iCalendar output read back by a second parser (vobject): times, rules, overrides, status."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import vobject

from estaminet.agenda.events import EventInfo
from estaminet.agenda.feeds import calendar
from estaminet.agenda.recurrence import Frequency, Override, Recurrence, Series
from estaminet.agenda.rules import EventKind, Status, Visibility

BRUSSELS = ZoneInfo("Europe/Brussels")
STAMP = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def event(series: Series, **changes: object) -> EventInfo:
    made = EventInfo(
        id=7,
        uid="abc@estaminet",
        title="Soirée jeux",
        description="On joue.",
        kind=EventKind.GAME_NIGHT,
        room_slug="jeux",
        visibility=Visibility.PUBLIC,
        capacity=None,
        waitlist=True,
        picture=None,
        status=Status.CONFIRMED,
        series=series,
        created_by=None,
        created_at=STAMP,
        updated_at=STAMP,
        sequence=2,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def parse(*events: EventInfo) -> vobject.base.Component:
    text = calendar(
        list(events),
        zone=BRUSSELS,
        base_url="https://lab.example.be",
        name="le LAB",
        room_names={"jeux": "La salle de jeux"},
        stamp=STAMP,
    ).decode()
    return vobject.readOne(text)


def test_feeds_weekly_event_keeps_local_time_across_dst_with_overrides() -> None:
    series = Series(
        datetime(2026, 3, 20, 20, 0),
        timedelta(hours=3),
        Recurrence(Frequency.WEEKLY, until=date(2026, 4, 10)),
        {
            "20260327T2000": Override(cancelled=True),
            "20260403T2000": Override(start=datetime(2026, 4, 4, 18, 0)),
        },
    )
    parsed = parse(event(series))
    master, moved = sorted(parsed.vevent_list, key=lambda e: hasattr(e, "recurrence_id"))
    assert master.uid.value == moved.uid.value == "abc@estaminet"
    assert master.location.value == "La salle de jeux" and master.sequence.value == "2"
    assert master.status.value == "CONFIRMED"
    assert "UNTIL=20260410T215959Z" in master.rrule.value
    starts = [
        s.astimezone(BRUSSELS)
        for s in master.getrruleset().between(
            datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
        )
    ]
    assert [(s.day, s.hour) for s in starts] == [(20, 20), (3, 20), (10, 20)]  # 27 excluded
    assert [s.utcoffset() for s in starts] == [timedelta(hours=1), *[timedelta(hours=2)] * 2]
    assert moved.recurrence_id.value.astimezone(BRUSSELS) == datetime(
        2026, 4, 3, 20, tzinfo=BRUSSELS
    )
    assert moved.dtstart.value.astimezone(BRUSSELS).hour == 18
    assert hasattr(parsed, "vtimezone") and parsed.vtimezone.tzid.value == "Europe/Brussels"


def test_feeds_monthly_on_the_first_friday_and_cancelled_events() -> None:
    monthly = Series(
        datetime(2026, 12, 4, 20, 0),
        timedelta(hours=2),
        Recurrence(Frequency.MONTHLY_WEEKDAY, count=3),
    )
    single = Series(datetime(2026, 12, 12, 15, 0), timedelta(hours=1), Recurrence())
    parsed = parse(
        event(monthly),
        event(single, uid="one@estaminet", status=Status.CANCELLED, sequence=1),
    )
    by_uid = {e.uid.value: e for e in parsed.vevent_list}
    assert "BYDAY=1FR" in by_uid["abc@estaminet"].rrule.value
    assert by_uid["one@estaminet"].status.value == "CANCELLED"
    assert not hasattr(by_uid["one@estaminet"], "rrule")
