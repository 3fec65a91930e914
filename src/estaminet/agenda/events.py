"""An event and its dates: the model, reading rows, who may load it, the queries.

An event is a *series* (see ``recurrence.py``); its rows are ``agenda_events``
and ``agenda_overrides``. The write path is in ``actions.py`` (and
``answers.py``, ``edits.py``); this module only reads, and turns a form into
row values.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.agenda.recurrence import (
    FIRST_YEAR,
    LAST_YEAR,
    Frequency,
    Occurrence,
    Override,
    Recurrence,
    Series,
    expand,
    first_and_last,
    local_to_utc,
    series_in_range,
)
from estaminet.agenda.rules import (
    EventKind,
    Status,
    Visibility,
    can_manage_events,
    can_see_event,
    visible_levels,
)
from estaminet.agenda.schema import agenda_events, agenda_overrides
from estaminet.kernel.errors import Conflict, Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.people.model import User

__all__ = [
    "LOCAL_FORMAT",
    "EventData",
    "EventInfo",
    "access_event",
    "bounds",
    "check_manager",
    "events_between",
    "events_for_feed",
    "get_event",
    "occurrences",
    "override_rows",
    "row_values",
    "upcoming_occurrences",
]

log = logging.getLogger(__name__)

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
"""How a naive local time is stored (``start_local``)."""


@dataclass(frozen=True)
class EventData:
    """A checked event form."""

    title: str
    description: str
    kind: EventKind
    room_slug: str | None
    visibility: Visibility
    capacity: int | None
    waitlist: bool
    start: datetime
    """Naive, local to the venue's zone."""
    duration: timedelta
    recurrence: Recurrence = field(default_factory=Recurrence)
    picture: str | None = None


@dataclass(frozen=True)
class EventInfo:
    id: int
    uid: str
    title: str
    description: str
    kind: EventKind
    room_slug: str | None
    visibility: Visibility
    capacity: int | None
    waitlist: bool
    picture: str | None
    status: Status
    series: Series
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    sequence: int

    @property
    def cancelled(self) -> bool:
        return self.status is Status.CANCELLED

    @property
    def recurring(self) -> bool:
        return self.series.recurrence.frequency is not Frequency.NONE


def _local(text: str) -> datetime:
    return datetime.strptime(text, LOCAL_FORMAT)


def _event(row: Any, overrides: dict[str, Override]) -> EventInfo:
    recurrence = Recurrence(Frequency(row.frequency), row.until, row.count)
    series = Series(
        _local(row.start_local), timedelta(minutes=row.duration_minutes), recurrence, overrides
    )
    return EventInfo(
        id=row.id,
        uid=row.uid,
        title=row.title,
        description=row.description,
        kind=EventKind(row.kind),
        room_slug=row.room_slug,
        visibility=Visibility(row.visibility),
        capacity=row.capacity,
        waitlist=bool(row.waitlist),
        picture=row.picture,
        status=Status(row.status),
        series=series,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        sequence=row.sequence,
    )


async def _overrides(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, dict[str, Override]]:
    wanted = list(ids)
    found: dict[int, dict[str, Override]] = {i: {} for i in wanted}
    if not wanted:
        return found
    rows = await conn.execute(
        select(agenda_overrides).where(agenda_overrides.c.event_id.in_(wanted))
    )
    for row in rows:
        found[row.event_id][row.occurrence] = Override(
            cancelled=bool(row.cancelled),
            start=_local(row.start_local) if row.start_local else None,
            duration=timedelta(minutes=row.duration_minutes) if row.duration_minutes else None,
        )
    return found


async def get_event(
    conn: AsyncConnection, event_id: int, *, lock: bool = False, any_dates: bool = False
) -> EventInfo:
    """One event; one whose stored dates lie outside the agenda's years is refused with a
    clear message (``agenda/stored_out_of_range``) unless ``any_dates`` (to cancel it)."""
    query = select(agenda_events).where(agenda_events.c.id == event_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound("agenda/unknown", N_("This event does not exist."))
    event = _event(row, (await _overrides(conn, [event_id]))[event_id])
    if not any_dates and not series_in_range(event.series):
        raise Conflict(
            "agenda/stored_out_of_range",
            N_(
                "This event has a date outside the years %(first)s to %(last)s: "
                "it cannot be shown or changed. It can still be cancelled."
            ),
            first=str(FIRST_YEAR),
            last=str(LAST_YEAR),
        )
    return event


async def access_event(
    conn: AsyncConnection,
    user: User | None,
    event_id: int,
    *,
    lock: bool = False,
    any_dates: bool = False,
) -> EventInfo:
    """The only way to load an event for a person: it exists and they may see it.

    An event someone may not see is "not found" for them (its title stays secret).
    """
    event = await get_event(conn, event_id, lock=lock, any_dates=any_dates)
    if not can_see_event(user, event.visibility):
        raise NotFound("agenda/unknown", N_("This event does not exist."))
    return event


async def events_between(
    conn: AsyncConnection,
    user: User | None,
    zone: ZoneInfo,
    after: datetime,
    before: datetime,
    *,
    levels: Sequence[Visibility] | None = None,
) -> list[tuple[EventInfo, Occurrence]]:
    """The occurrences ``user`` may see overlapping ``[after, before)``, sorted by start."""
    allowed = [v.value for v in (levels if levels is not None else visible_levels(user))]
    if not allowed:
        return []
    rows = (
        await conn.execute(
            select(agenda_events).where(
                agenda_events.c.first_start < before,
                agenda_events.c.last_end > after,
                agenda_events.c.visibility.in_(allowed),
            )
        )
    ).all()
    overrides = await _overrides(conn, [row.id for row in rows])
    found: list[tuple[EventInfo, Occurrence]] = []
    for row in rows:
        event = _event(row, overrides[row.id])
        if not series_in_range(event.series):
            log.warning("agenda event %s has dates outside the agenda's years: skipped", row.id)
            continue
        found.extend((event, o) for o in expand(event.series, zone, after, before))
    found.sort(key=lambda pair: (pair[1].start, pair[0].title))
    return found


async def events_for_feed(
    conn: AsyncConnection, levels: Sequence[Visibility], since: datetime, limit: int = 500
) -> list[EventInfo]:
    """Whole series at these visibilities that end after ``since`` (for calendar feeds)."""
    if not levels:
        return []
    rows = (
        await conn.execute(
            select(agenda_events)
            .where(
                agenda_events.c.last_end > since,
                agenda_events.c.visibility.in_([v.value for v in levels]),
            )
            .order_by(agenda_events.c.first_start)
            .limit(limit)
        )
    ).all()
    overrides = await _overrides(conn, [row.id for row in rows])
    return [_event(row, overrides[row.id]) for row in rows]


def check_manager(user: User) -> None:
    if not can_manage_events(user):
        raise Forbidden(
            "agenda/not_animator", N_("Only an animator (or above) can plan and change events.")
        )


# -- a series' dates -------------------------------------------------------------------------


def bounds(series: Series, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first start and the last end of a series, moved dates included (UTC)."""
    first, last = first_and_last(series)
    starts = [first, last]
    ends = [last + series.duration]
    for override in series.overrides.values():
        if override.start is not None:
            starts.append(override.start)
            ends.append(override.start + (override.duration or series.duration))
    return (
        local_to_utc(min(starts), zone, strict=False),
        local_to_utc(max(ends), zone, strict=False),
    )


def occurrences(series: Series, zone: ZoneInfo, after: datetime | None = None) -> list[Occurrence]:
    """Every occurrence of a series (not yet over at ``after``, if given), in order.

    Bounded: a series always ends, and it is expanded a window at a time.
    """
    first, last = bounds(series, zone)
    found: dict[str, Occurrence] = {}
    start = first if after is None else after
    while start <= last:
        end = start + timedelta(days=100)
        for occurrence in expand(series, zone, start, end):
            found.setdefault(occurrence.key, occurrence)
        start = end
    return sorted(found.values(), key=lambda o: (o.start, o.key))


def upcoming_occurrences(event: EventInfo, zone: ZoneInfo, now: datetime) -> list[Occurrence]:
    """Every occurrence not yet over, in order (bounded: a series always ends)."""
    return occurrences(event.series, zone, after=now)


# -- rows ----------------------------------------------------------------------------------


def row_values(data: EventData, series: Series, zone: ZoneInfo) -> dict[str, Any]:
    """The ``agenda_events`` values a form sets (with these times)."""
    first, last = bounds(series, zone)
    return {
        "title": data.title,
        "description": data.description,
        "kind": data.kind.value,
        "room_slug": data.room_slug,
        "visibility": data.visibility.value,
        "capacity": data.capacity,
        "start_local": series.start.strftime(LOCAL_FORMAT),
        "duration_minutes": int(series.duration.total_seconds() // 60),
        "frequency": series.recurrence.frequency.value,
        "until": series.recurrence.until,
        "count": series.recurrence.count,
        "first_start": first,
        "last_end": last,
    }


def override_rows(event_id: int, overrides: dict[str, Override]) -> list[dict[str, Any]]:
    """The ``agenda_overrides`` rows of moved or cancelled dates."""
    return [
        {
            "event_id": event_id,
            "occurrence": key,
            "cancelled": override.cancelled,
            "start_local": override.start.strftime(LOCAL_FORMAT) if override.start else None,
            "duration_minutes": int(override.duration.total_seconds() // 60)
            if override.duration
            else None,
        }
        for key, override in overrides.items()
    ]
