"""Editing an event after its creation: one transaction, dates that follow by day, a split.

See ``docs/agenda.md`` (*Editing an event*). New times for a series apply to
the dates that have not begun; a date keeps its answers, reminders and
override when the new times still have one that day (``recurrence.rekey``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.agenda.actions import check_times, insert_event
from estaminet.agenda.answers import answer_rows, answered_dates, fill_places, reschedule
from estaminet.agenda.events import (
    EventData,
    EventInfo,
    bounds,
    check_manager,
    get_event,
    occurrences,
    override_rows,
    row_values,
)
from estaminet.agenda.notices import notify_cancelled, schedule, unschedule
from estaminet.agenda.recurrence import (
    Frequency,
    Occurrence,
    Override,
    Recurrence,
    Series,
    occurrence_at,
    parse_key,
    rekey,
)
from estaminet.agenda.rules import Answer, Notice, change_is_notable
from estaminet.agenda.schema import (
    agenda_answers,
    agenda_events,
    agenda_moves,
    agenda_notices,
    agenda_overrides,
)
from estaminet.kernel.errors import BadInput, Conflict
from estaminet.kernel.i18n import N_
from estaminet.people.model import User
from estaminet.store import Database

__all__ = ["Edited", "check_editable", "edit_event", "editable_series", "moved_to"]


@dataclass(frozen=True)
class Edited:
    event_id: int
    """The event to show: a new one when a series was split (its past dates stay in the old one)."""
    dropped_picture: str | None = None
    """A picture file no event uses any more (to delete after commit)."""


def editable_series(event: EventInfo, zone: ZoneInfo, now: datetime) -> Series:
    """The times the edit form shows: the whole series, or its dates to come once one has begun.

    Editing the times of a series changes "this and the following dates": the
    form starts at the first date that has not begun, and a count becomes the
    number of dates left.
    """
    series = event.series
    if not event.recurring:
        return series
    dates = occurrences(series, zone)
    if not any(o.start <= now for o in dates):
        return series
    coming = sorted(parse_key(o.key) for o in dates if o.start > now)
    if not coming:
        return series
    rule = series.recurrence
    count = None
    if rule.count is not None:
        count = rule.count - sum(1 for o in dates if parse_key(o.key) < coming[0])
    return Series(coming[0], series.duration, Recurrence(rule.frequency, rule.until, count))


def check_editable(event: EventInfo) -> None:
    """An event cancelled as a whole cannot be edited."""
    if event.cancelled:
        raise Conflict(
            "agenda/edit_cancelled", N_("This event is cancelled: it cannot be changed.")
        )


async def edit_event(
    db: Database,
    user: User,
    event_id: int,
    data: EventData,
    now: datetime,
    zone: ZoneInfo,
    *,
    version: int,
    picture: str | None = None,
    replace_picture: bool = False,
) -> Edited:
    """Change an event after its creation (animators and up), in one transaction.

    ``version`` is the event's SEQUENCE when the form was shown: an event
    changed meanwhile is refused (``agenda/stale``), nothing saved. New times
    for a series apply to the dates that have not begun: when some have, the
    series is split (the old event keeps the past dates and their answers,
    a new one takes the rest). A date keeps its answers, reminders and
    override when the new times still have one that day (see
    :func:`recurrence.rekey`); people coming to a date that disappears are
    told it is cancelled, those coming to one whose time or room changed
    get one "it changed" notice. More places move people up from the waiting
    list, in order; fewer places keep everyone already coming.
    """
    check_manager(user)
    async with db.begin() as conn:
        event = await get_event(conn, event_id, lock=True)
        if event.sequence != version:
            raise Conflict(
                "agenda/stale",
                N_(
                    "Someone changed this event while you were editing it. Nothing was saved: "
                    "your changes are still below, check them and save again."
                ),
            )
        check_editable(event)
        old = event.series
        dates = occurrences(old, zone)
        by_key = {o.key: o for o in dates}
        started = [o for o in dates if o.start <= now]
        shown = editable_series(event, zone, now)
        wanted = Series(data.start, data.duration, data.recurrence)
        retimed = (wanted.start, wanted.duration, wanted.recurrence) != (
            shown.start,
            shown.duration,
            shown.recurrence,
        )
        split = retimed and event.recurring and bool(started)
        target = old
        kept_old = old
        mapping: dict[str, str | None] = {}
        if retimed:
            new_start = check_times(wanted, zone)
            if split and new_start <= now:
                raise BadInput(
                    "agenda/edit_from_past",
                    N_(
                        "Some dates are over: new times apply to the dates to come. "
                        "Choose a start after now."
                    ),
                )
            moving = [o.key for o in dates if not split or o.start > now]
            mapping = rekey(old, wanted, moving)
            carried: dict[str, Override] = {}
            for key, override in old.overrides.items():
                new_key = mapping.get(key)
                if new_key is None:
                    continue
                if wanted.recurrence.frequency is Frequency.NONE and override.start is not None:
                    continue  # a one-off's new times replace its earlier move
                carried[new_key] = override
            target = replace(wanted, overrides=carried)
            if split:
                last_started = max(parse_key(o.key) for o in started)
                kept_old = Series(
                    old.start,
                    old.duration,
                    Recurrence(old.recurrence.frequency, last_started.date(), None),
                    {k: v for k, v in old.overrides.items() if k not in mapping},
                )
        values = row_values(data, target, zone)
        new_picture = picture if replace_picture else event.picture
        dropped_picture = None
        if split:
            first, last = bounds(kept_old, zone)
            await conn.execute(
                update(agenda_events)
                .where(agenda_events.c.id == event_id)
                .values(
                    until=kept_old.recurrence.until,
                    count=None,
                    first_start=first,
                    last_end=last,
                    updated_at=now,
                    sequence=event.sequence + 1,
                )
            )
            target_id = await insert_event(
                conn,
                values,
                waitlist=data.waitlist,
                picture=new_picture,
                created_by=event.created_by,
                now=now,
            )
        else:
            target_id = event_id
            if event.picture and event.picture != new_picture:
                dropped_picture = event.picture
            await conn.execute(
                update(agenda_events)
                .where(agenda_events.c.id == event_id)
                .values(
                    picture=new_picture,
                    waitlist=data.waitlist,
                    updated_at=now,
                    sequence=event.sequence + 1,
                    **values,
                )
            )
        if retimed:
            await _move_dates(conn, event_id, target_id, mapping, target, by_key, now)
            await _retime_notices(
                conn, target_id, mapping, target, by_key, event.room_slug, data.room_slug, zone, now
            )
        elif data.room_slug != event.room_slug:
            same: dict[str, str | None] = {o.key: o.key for o in dates if o.start > now}
            await _retime_notices(
                conn, target_id, same, target, by_key, event.room_slug, data.room_slug, zone, now
            )
        if data.capacity != event.capacity:
            await fill_places(conn, target_id, target, data.capacity, zone, now)
        return Edited(target_id, dropped_picture)


async def _move_dates(
    conn: AsyncConnection,
    event_id: int,
    target_id: int,
    mapping: dict[str, str | None],
    target: Series,
    before: dict[str, Occurrence],
    now: datetime,
) -> None:
    """Overrides, answers and notices follow their date to its new key; vanished dates go."""
    keys = list(mapping)
    await conn.execute(
        delete(agenda_overrides).where(
            agenda_overrides.c.event_id == event_id, agenda_overrides.c.occurrence.in_(keys)
        )
    )
    if target.overrides:
        await conn.execute(
            insert(agenda_overrides), override_rows(target_id, dict(target.overrides))
        )
    dropped = [k for k, new in mapping.items() if new is None]
    live = [k for k in dropped if not before[k].cancelled and before[k].start > now]
    if live:
        await notify_cancelled(conn, event_id, live, now)
    for key in dropped:
        await unschedule(conn, event_id, key)
        await conn.execute(
            delete(agenda_answers).where(
                agenda_answers.c.event_id == event_id, agenda_answers.c.occurrence == key
            )
        )
    moved = {
        key: new_key
        for key, new_key in mapping.items()
        if new_key is not None and (new_key != key or target_id != event_id)
    }
    for key, new_key in moved.items():
        for table in (agenda_answers, agenda_notices):
            await conn.execute(
                update(table)
                .where(table.c.event_id == event_id, table.c.occurrence == key)
                .values(event_id=target_id, occurrence=new_key)
            )
    await _record_moves(conn, event_id, target_id, moved, dropped)


async def _record_moves(
    conn: AsyncConnection,
    event_id: int,
    target_id: int,
    moved: dict[str, str],
    dropped: list[str],
) -> None:
    """Keep every earlier address of a moved date leading to it, in one hop.

    The date's address before this edit leads to its new one; addresses that
    led to it already follow it; those that led to a date that vanished are
    forgotten (that date was cancelled). An address that is a date again is
    no longer a move.
    """
    if not moved and not dropped:
        return
    moves = agenda_moves.c
    leading = (
        await conn.execute(
            select(moves.event_id, moves.occurrence, moves.to_occurrence).where(
                moves.to_event_id == event_id,
                moves.to_occurrence.in_([*moved, *dropped]),
            )
        )
    ).all()
    rows = {(event_id, key): (target_id, new) for key, new in moved.items()}
    for row in leading:  # decided before anything is written: one hop, whatever the order
        new = moved.get(row.to_occurrence)
        if new is not None:
            rows[row.event_id, row.occurrence] = (target_id, new)
    await conn.execute(
        delete(agenda_moves).where(
            or_(
                and_(moves.to_event_id == event_id, moves.to_occurrence.in_([*moved, *dropped])),
                and_(moves.event_id == event_id, moves.occurrence.in_(list(moved))),
                and_(moves.event_id == target_id, moves.occurrence.in_(list(moved.values()))),
            )
        )
    )
    fresh = [
        {"event_id": src[0], "occurrence": src[1], "to_event_id": dst[0], "to_occurrence": dst[1]}
        for src, dst in rows.items()
        if src != dst  # an address that is a date again is no longer a move
    ]
    if fresh:
        await conn.execute(insert(agenda_moves), fresh)


async def moved_to(conn: AsyncConnection, event_id: int, key: str) -> tuple[int, str] | None:
    """Where the date that had address ``key`` in event ``event_id`` is now, if an edit moved it."""
    moves = agenda_moves.c
    row = (
        await conn.execute(
            select(moves.to_event_id, moves.to_occurrence).where(
                moves.event_id == event_id, moves.occurrence == key
            )
        )
    ).first()
    return None if row is None else (int(row.to_event_id), str(row.to_occurrence))


async def _retime_notices(
    conn: AsyncConnection,
    target_id: int,
    mapping: dict[str, str | None],
    target: Series,
    before: dict[str, Occurrence],
    old_room: str | None,
    new_room: str | None,
    zone: ZoneInfo,
    now: datetime,
) -> None:
    """Reminders follow the new times; each person coming gets one "it changed" notice."""
    told: set[str] = set()
    answered = await answered_dates(conn, target_id)
    moved = sorted(
        ((k, n) for k, n in mapping.items() if n is not None and n in answered),
        key=lambda pair: pair[1],
    )
    for key, new_key in moved:
        occurrence = occurrence_at(target, zone, new_key)
        if occurrence.start <= now:
            continue
        await reschedule(conn, target_id, occurrence, now)
        old = before[key]
        notable = change_is_notable(
            (old.start, old.end, old_room), (occurrence.start, occurrence.end, new_room)
        )
        if not notable or occurrence.cancelled:
            continue
        for row in await answer_rows(conn, target_id, new_key):
            if row.answer != Answer.YES.value or row.user_id in told:
                continue
            told.add(row.user_id)
            await conn.execute(
                delete(agenda_notices).where(
                    agenda_notices.c.event_id == target_id,
                    agenda_notices.c.occurrence == new_key,
                    agenda_notices.c.user_id == row.user_id,
                    agenda_notices.c.kind == Notice.CHANGED.value,
                    agenda_notices.c.claimed_at.is_not(None),
                )
            )
            await schedule(conn, target_id, new_key, row.user_id, [(Notice.CHANGED, now)])
