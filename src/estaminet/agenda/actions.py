"""The agenda's write path: creating, cancelling and moving events (entry to the rest).

Every change happens in one transaction; notices for people (reminders,
"it's starting", cancellations, promotions from the waiting list) are durable
rows in ``agenda_notices`` written in that same transaction (``notices.py``),
and delivered after commit by the reminder loop (``reminders.py``), which the
caller wakes. Answers and the waiting list are in ``answers.py``, editing an
event in ``edits.py``; reading events in ``events.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.agenda.answers import reschedule
from estaminet.agenda.events import (
    EventData,
    bounds,
    check_manager,
    get_event,
    override_rows,
    row_values,
    upcoming_occurrences,
)
from estaminet.agenda.notices import notify_cancelled, notify_moved, unschedule
from estaminet.agenda.recurrence import (
    Override,
    Series,
    check_series,
    local_to_utc,
    occurrence_at,
    series_in_range,
)
from estaminet.agenda.rules import Status
from estaminet.agenda.schema import agenda_events, agenda_overrides
from estaminet.people.model import User
from estaminet.store import Database

__all__ = [
    "cancel_event",
    "change_occurrence",
    "check_times",
    "create_event",
    "insert_event",
]


def check_times(series: Series, zone: ZoneInfo) -> datetime:
    """Refuse a bad series or a start or end that does not exist in the zone; the start in UTC."""
    check_series(series)
    start = local_to_utc(series.start, zone)
    local_to_utc(series.start + series.duration, zone)
    return start


async def insert_event(
    conn: AsyncConnection,
    values: dict[str, Any],
    *,
    waitlist: bool,
    picture: str | None,
    created_by: str | None,
    now: datetime,
) -> int:
    """A new confirmed event (a new UID) with these :func:`events.row_values`; its id."""
    result = await conn.execute(
        insert(agenda_events).values(
            uid=f"{uuid.uuid4().hex}@estaminet",
            waitlist=waitlist,
            picture=picture,
            status=Status.CONFIRMED.value,
            created_by=created_by,
            created_at=now,
            updated_at=now,
            sequence=0,
            **values,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


async def create_event(
    db: Database, user: User, data: EventData, now: datetime, zone: ZoneInfo
) -> int:
    """Create an event (animators and above). Returns its id."""
    check_manager(user)
    series = Series(data.start, data.duration, data.recurrence)
    check_times(series, zone)
    values = row_values(data, series, zone)
    async with db.begin() as conn:
        return await insert_event(
            conn,
            values,
            waitlist=data.waitlist,
            picture=data.picture,
            created_by=user.id,
            now=now,
        )


async def cancel_event(
    db: Database, user: User, event_id: int, now: datetime, zone: ZoneInfo
) -> None:
    """Cancel a whole event: it stays visible as cancelled; those who said yes are told."""
    check_manager(user)
    async with db.begin() as conn:
        # Even an event whose stored dates lie outside the agenda's years can be cancelled.
        event = await get_event(conn, event_id, lock=True, any_dates=True)
        if event.cancelled:
            return
        await conn.execute(
            update(agenda_events)
            .where(agenda_events.c.id == event_id)
            .values(status=Status.CANCELLED.value, updated_at=now, sequence=event.sequence + 1)
        )
        await unschedule(conn, event_id, None)
        if not series_in_range(event.series):
            return  # no date of it can be told
        upcoming = [o.key for o in upcoming_occurrences(event, zone, now)]
        await notify_cancelled(conn, event_id, upcoming, now)


async def change_occurrence(
    db: Database,
    user: User,
    event_id: int,
    key: str,
    now: datetime,
    zone: ZoneInfo,
    *,
    cancel: bool = False,
    start: datetime | None = None,
    duration: timedelta | None = None,
) -> None:
    """Cancel or move one occurrence, leaving the others as they are (RECURRENCE-ID).

    The people coming (or waiting) are told: a ``cancelled`` or a ``moved`` notice,
    in their inbox and by e-mail as they chose.
    """
    check_manager(user)
    async with db.begin() as conn:
        event = await get_event(conn, event_id, lock=True)
        occurrence_at(event.series, zone, key)
        previous = event.series.overrides.get(key, Override())
        if cancel:
            changed = replace(previous, cancelled=True)
        else:
            assert start is not None
            assert duration is not None
            check_times(Series(start, duration), zone)
            changed = Override(cancelled=False, start=start, duration=duration)
        await conn.execute(
            delete(agenda_overrides).where(
                agenda_overrides.c.event_id == event_id, agenda_overrides.c.occurrence == key
            )
        )
        await conn.execute(insert(agenda_overrides), override_rows(event_id, {key: changed}))
        series = replace(event.series, overrides={**event.series.overrides, key: changed})
        first, last = bounds(series, zone)
        await conn.execute(
            update(agenda_events)
            .where(agenda_events.c.id == event_id)
            .values(first_start=first, last_end=last, updated_at=now, sequence=event.sequence + 1)
        )
        await unschedule(conn, event_id, key)
        if cancel:
            await notify_cancelled(conn, event_id, [key], now)
            return
        moved = occurrence_at(series, zone, key)
        await reschedule(conn, event_id, moved, now)
        if moved.end > now:  # people coming are told where the date went
            await notify_moved(conn, event_id, key, now)
