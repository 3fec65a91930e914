"""The agenda's write path and its queries.

Every change happens in one transaction; notices for people (reminders,
"it's starting", cancellations, promotions from the waiting list) are durable
rows in ``agenda_notices`` written in that same transaction, and delivered
after commit by the reminder loop (``reminders.py``), which the caller wakes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.agenda.recurrence import (
    Frequency,
    Occurrence,
    Override,
    Recurrence,
    Series,
    check_series,
    expand,
    first_and_last,
    local_to_utc,
    occurrence_at,
    parse_key,
    rekey,
)
from estaminet.agenda.rules import (
    Answer,
    EventKind,
    Notice,
    Seating,
    Status,
    Visibility,
    can_manage_events,
    can_see_event,
    change_is_notable,
    check_can_answer,
    promotions,
    reminder_schedule,
    seat_answer,
    visible_levels,
)
from estaminet.agenda.tables import (
    agenda_answers,
    agenda_events,
    agenda_notices,
    agenda_overrides,
)
from estaminet.kernel.errors import BadInput, Conflict, Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.people.model import User
from estaminet.people.queries import users_by_ids
from estaminet.store import Database

__all__ = [
    "AnswerSummary",
    "Edited",
    "EventData",
    "EventInfo",
    "access_event",
    "answer",
    "answers_for",
    "cancel_event",
    "change_occurrence",
    "check_manager",
    "create_event",
    "edit_event",
    "editable_series",
    "events_between",
    "events_for_feed",
    "get_event",
    "upcoming_occurrences",
]

_LOCAL = "%Y-%m-%dT%H:%M"


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


@dataclass(frozen=True)
class AnswerSummary:
    counts: dict[Answer, int]
    names: dict[Answer, list[str]]
    """Display names by answer, the waiting list in its order."""
    mine: Answer | None = None
    position: int | None = None
    """My place on the waiting list."""
    ids: dict[Answer, list[str]] = field(default_factory=dict)


def _local(text: str) -> datetime:
    return datetime.strptime(text, _LOCAL)


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


async def get_event(conn: AsyncConnection, event_id: int, *, lock: bool = False) -> EventInfo:
    query = select(agenda_events).where(agenda_events.c.id == event_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound("agenda/unknown", N_("This event does not exist."))
    return _event(row, (await _overrides(conn, [event_id]))[event_id])


async def access_event(conn: AsyncConnection, user: User | None, event_id: int) -> EventInfo:
    """The only way to load an event for a person: it exists and they may see it.

    An event someone may not see is "not found" for them (its title stays secret).
    """
    event = await get_event(conn, event_id)
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
        found.extend((event, o) for o in expand(event.series, zone, after, before))
    found.sort(key=lambda pair: (pair[1].start, pair[0].title))
    return found


def _bounds(series: Series, zone: ZoneInfo) -> tuple[datetime, datetime]:
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


def check_manager(user: User) -> None:
    if not can_manage_events(user):
        raise Forbidden(
            "agenda/not_animator", N_("Only an animator (or above) can plan and change events.")
        )


async def create_event(
    db: Database, user: User, data: EventData, now: datetime, zone: ZoneInfo
) -> int:
    """Create an event (animators and above). Returns its id."""
    check_manager(user)
    series = Series(data.start, data.duration, data.recurrence)
    check_series(series)
    local_to_utc(data.start, zone)  # a start that does not exist is refused
    local_to_utc(data.start + data.duration, zone)
    first, last = _bounds(series, zone)
    async with db.begin() as conn:
        result = await conn.execute(
            insert(agenda_events).values(
                uid=f"{uuid.uuid4().hex}@estaminet",
                title=data.title,
                description=data.description,
                kind=data.kind.value,
                room_slug=data.room_slug,
                visibility=data.visibility.value,
                capacity=data.capacity,
                waitlist=data.waitlist,
                picture=data.picture,
                status=Status.CONFIRMED.value,
                start_local=data.start.strftime(_LOCAL),
                duration_minutes=int(data.duration.total_seconds() // 60),
                frequency=data.recurrence.frequency.value,
                until=data.recurrence.until,
                count=data.recurrence.count,
                first_start=first,
                last_end=last,
                created_by=user.id,
                created_at=now,
                updated_at=now,
                sequence=0,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


# -- answers --------------------------------------------------------------------------------


async def _answer_rows(conn: AsyncConnection, event_id: int, key: str) -> list[Any]:
    return list(
        (
            await conn.execute(
                select(agenda_answers)
                .where(agenda_answers.c.event_id == event_id, agenda_answers.c.occurrence == key)
                .order_by(agenda_answers.c.at, agenda_answers.c.user_id)
            )
        ).all()
    )


async def _schedule(
    conn: AsyncConnection,
    event_id: int,
    key: str,
    user_id: str,
    planned: Iterable[tuple[Notice, datetime]],
) -> None:
    """Add notices, each kind at most once per person and occurrence (even after a change of mind)."""
    existing = set(
        (
            await conn.execute(
                select(agenda_notices.c.kind).where(
                    agenda_notices.c.event_id == event_id,
                    agenda_notices.c.occurrence == key,
                    agenda_notices.c.user_id == user_id,
                )
            )
        ).scalars()
    )
    for notice, due in planned:
        if notice.value in existing:
            continue
        await conn.execute(
            insert(agenda_notices).values(
                event_id=event_id, occurrence=key, user_id=user_id, kind=notice.value, due_at=due
            )
        )


async def _unschedule(
    conn: AsyncConnection, event_id: int, key: str | None, user_id: str | None = None
) -> None:
    """Drop reminders not yet sent (a change of mind, a move, a cancellation)."""
    condition = [
        agenda_notices.c.event_id == event_id,
        agenda_notices.c.claimed_at.is_(None),
        agenda_notices.c.kind.in_(
            [n.value for n in (Notice.DAY_BEFORE, Notice.SOON, Notice.STARTING)]
        ),
    ]
    if key is not None:
        condition.append(agenda_notices.c.occurrence == key)
    if user_id is not None:
        condition.append(agenda_notices.c.user_id == user_id)
    await conn.execute(delete(agenda_notices).where(*condition))


async def answer(
    db: Database,
    user: User,
    event_id: int,
    key: str,
    wanted: Answer,
    now: datetime,
    zone: ZoneInfo,
) -> Seating:
    """Record *je viens / peut-être / je ne viens pas* for one occurrence.

    A *yes* to a full event lands on the waiting list (or is refused without
    one); a seat freed by someone else moves the first waiting person up, who
    is notified.
    """
    async with db.begin() as conn:
        event = await get_event(conn, event_id, lock=True)
        if not can_see_event(user, event.visibility):
            raise NotFound("agenda/unknown", N_("This event does not exist."))
        occurrence = occurrence_at(event.series, zone, key)
        check_can_answer(
            cancelled=event.cancelled or occurrence.cancelled, end=occurrence.end, now=now
        )
        rows = await _answer_rows(conn, event_id, key)
        current = next((Answer(r.answer) for r in rows if r.user_id == user.id), None)
        going = sum(1 for r in rows if r.answer == Answer.YES.value)
        waiting = [r.user_id for r in rows if r.answer == Answer.WAITING.value]
        if wanted is Answer.YES and current is Answer.WAITING:
            return Seating(Answer.WAITING, waiting.index(user.id) + 1)
        seating = seat_answer(
            wanted,
            capacity=event.capacity,
            going=going,
            already_going=current is Answer.YES,
            waiting=len(waiting),
            waitlist=event.waitlist,
        )
        if seating.answer is current:
            return seating
        values = {"answer": seating.answer.value, "at": now}
        if current is None:
            await conn.execute(
                insert(agenda_answers).values(
                    event_id=event_id, occurrence=key, user_id=user.id, **values
                )
            )
        else:
            await conn.execute(
                update(agenda_answers)
                .where(
                    agenda_answers.c.event_id == event_id,
                    agenda_answers.c.occurrence == key,
                    agenda_answers.c.user_id == user.id,
                )
                .values(**values)
            )
        await _unschedule(conn, event_id, key, user.id)
        await _schedule(
            conn, event_id, key, user.id, reminder_schedule(occurrence.start, seating.answer, now)
        )
        if current is Answer.YES:
            remaining = [w for w in waiting if w != user.id]
            for promoted in promotions(event.capacity, going - 1, remaining):
                await _promote(conn, event_id, key, promoted, occurrence, now)
        return seating


async def _promote(
    conn: AsyncConnection,
    event_id: int,
    key: str,
    user_id: str,
    occurrence: Occurrence,
    now: datetime,
) -> None:
    await conn.execute(
        update(agenda_answers)
        .where(
            agenda_answers.c.event_id == event_id,
            agenda_answers.c.occurrence == key,
            agenda_answers.c.user_id == user_id,
        )
        .values(answer=Answer.YES.value)
    )
    await _schedule(
        conn,
        event_id,
        key,
        user_id,
        [(Notice.PROMOTED, now), *reminder_schedule(occurrence.start, Answer.YES, now)],
    )


async def answers_for(
    conn: AsyncConnection, event_id: int, key: str, viewer: User | None
) -> AnswerSummary:
    rows = await _answer_rows(conn, event_id, key)
    people = await users_by_ids(conn, {row.user_id for row in rows})
    counts = dict.fromkeys(Answer, 0)
    names: dict[Answer, list[str]] = {a: [] for a in Answer}
    ids: dict[Answer, list[str]] = {a: [] for a in Answer}
    mine, position = None, None
    for row in rows:
        kind = Answer(row.answer)
        counts[kind] += 1
        person = people.get(row.user_id)
        names[kind].append(person.display_name if person else "?")
        ids[kind].append(row.user_id)
        if viewer is not None and row.user_id == viewer.id:
            mine = kind
            if kind is Answer.WAITING:
                position = len(ids[kind])
    return AnswerSummary(counts, names, mine, position, ids)


# -- cancelling and moving -------------------------------------------------------------------


async def _notify_cancelled(
    conn: AsyncConnection, event_id: int, keys: Sequence[str] | None, now: datetime
) -> None:
    """A cancellation notice for everyone who said yes (or waits) to the occurrences."""
    query = select(agenda_answers.c.occurrence, agenda_answers.c.user_id).where(
        agenda_answers.c.event_id == event_id,
        agenda_answers.c.answer.in_([Answer.YES.value, Answer.WAITING.value]),
    )
    if keys is not None:
        query = query.where(agenda_answers.c.occurrence.in_(list(keys)))
    for key, user_id in (await conn.execute(query)).all():
        await _schedule(conn, event_id, key, user_id, [(Notice.CANCELLED, now)])


async def cancel_event(
    db: Database, user: User, event_id: int, now: datetime, zone: ZoneInfo
) -> None:
    """Cancel a whole event: it stays visible as cancelled; those who said yes are told."""
    check_manager(user)
    async with db.begin() as conn:
        event = await get_event(conn, event_id, lock=True)
        if event.cancelled:
            return
        await conn.execute(
            update(agenda_events)
            .where(agenda_events.c.id == event_id)
            .values(status=Status.CANCELLED.value, updated_at=now, sequence=event.sequence + 1)
        )
        await _unschedule(conn, event_id, None)
        upcoming = [o.key for o in upcoming_occurrences(event, zone, now)]
        await _notify_cancelled(conn, event_id, upcoming, now)


def upcoming_occurrences(event: EventInfo, zone: ZoneInfo, now: datetime) -> list[Occurrence]:
    """Every occurrence not yet over, in order (bounded: a series always ends)."""
    found: list[Occurrence] = []
    after = now
    last = _bounds(event.series, zone)[1]
    while after < last:
        before = min(last + timedelta(minutes=1), after + timedelta(days=100))
        found.extend(
            o
            for o in expand(event.series, zone, after, before)
            if o.key not in {f.key for f in found}
        )
        after = before
    return found


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
    """Cancel or move one occurrence, leaving the others as they are (RECURRENCE-ID)."""
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
            check_series(Series(start, duration))
            local_to_utc(start, zone)
            local_to_utc(start + duration, zone)
            changed = Override(cancelled=False, start=start, duration=duration)
        await conn.execute(
            delete(agenda_overrides).where(
                agenda_overrides.c.event_id == event_id, agenda_overrides.c.occurrence == key
            )
        )
        await conn.execute(
            insert(agenda_overrides).values(
                event_id=event_id,
                occurrence=key,
                cancelled=changed.cancelled,
                start_local=changed.start.strftime(_LOCAL) if changed.start else None,
                duration_minutes=int(changed.duration.total_seconds() // 60)
                if changed.duration
                else None,
            )
        )
        series = replace(event.series, overrides={**event.series.overrides, key: changed})
        first, last = _bounds(series, zone)
        await conn.execute(
            update(agenda_events)
            .where(agenda_events.c.id == event_id)
            .values(first_start=first, last_end=last, updated_at=now, sequence=event.sequence + 1)
        )
        await _unschedule(conn, event_id, key)
        if cancel:
            await _notify_cancelled(conn, event_id, [key], now)
            return
        await _reschedule(conn, event_id, occurrence_at(series, zone, key), now)


async def _reschedule(
    conn: AsyncConnection, event_id: int, occurrence: Occurrence, now: datetime
) -> None:
    """The reminders of everyone who answered a date that moved: the old ones go, new ones come."""
    key = occurrence.key
    for row in await _answer_rows(conn, event_id, key):
        await _unschedule(conn, event_id, key, row.user_id)
        await _schedule(
            conn,
            event_id,
            key,
            row.user_id,
            reminder_schedule(occurrence.start, Answer(row.answer), now),
        )


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


# -- editing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edited:
    event_id: int
    """The event to show: a new one when a series was split (its past dates stay in the old one)."""
    dropped_picture: str | None = None
    """A picture file no event uses any more (to delete after commit)."""


def _occurrences(series: Series, zone: ZoneInfo) -> list[Occurrence]:
    """Every occurrence of a series, in order (bounded: a series always ends)."""
    first, last = _bounds(series, zone)
    found: dict[str, Occurrence] = {}
    after = first
    while after <= last:
        before = after + timedelta(days=100)
        for occurrence in expand(series, zone, after, before):
            found.setdefault(occurrence.key, occurrence)
        after = before
    return sorted(found.values(), key=lambda o: (o.start, o.key))


def editable_series(event: EventInfo, zone: ZoneInfo, now: datetime) -> Series:
    """The times the edit form shows: the whole series, or its dates to come once one has begun.

    Editing the times of a series changes "this and the following dates": the
    form starts at the first date that has not begun, and a count becomes the
    number of dates left.
    """
    series = event.series
    if not event.recurring:
        return series
    occurrences = _occurrences(series, zone)
    if not any(o.start <= now for o in occurrences):
        return series
    coming = sorted(parse_key(o.key) for o in occurrences if o.start > now)
    if not coming:
        return series
    rule = series.recurrence
    count = None
    if rule.count is not None:
        count = rule.count - sum(1 for o in occurrences if parse_key(o.key) < coming[0])
    return Series(coming[0], series.duration, Recurrence(rule.frequency, rule.until, count))


def _stored_overrides(event_id: int, overrides: dict[str, Override]) -> list[dict[str, Any]]:
    return [
        {
            "event_id": event_id,
            "occurrence": key,
            "cancelled": override.cancelled,
            "start_local": override.start.strftime(_LOCAL) if override.start else None,
            "duration_minutes": int(override.duration.total_seconds() // 60)
            if override.duration
            else None,
        }
        for key, override in overrides.items()
    ]


def _row_values(data: EventData, series: Series, zone: ZoneInfo) -> dict[str, Any]:
    first, last = _bounds(series, zone)
    return {
        "title": data.title,
        "description": data.description,
        "kind": data.kind.value,
        "room_slug": data.room_slug,
        "visibility": data.visibility.value,
        "capacity": data.capacity,
        "start_local": series.start.strftime(_LOCAL),
        "duration_minutes": int(series.duration.total_seconds() // 60),
        "frequency": series.recurrence.frequency.value,
        "until": series.recurrence.until,
        "count": series.recurrence.count,
        "first_start": first,
        "last_end": last,
    }


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
        if event.cancelled:
            raise Conflict(
                "agenda/edit_cancelled", N_("This event is cancelled: it cannot be changed.")
            )
        old = event.series
        occurrences = _occurrences(old, zone)
        by_key = {o.key: o for o in occurrences}
        started = [o for o in occurrences if o.start <= now]
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
            check_series(wanted)
            new_start = local_to_utc(data.start, zone)  # a start that does not exist is refused
            local_to_utc(data.start + data.duration, zone)
            if split and new_start <= now:
                raise BadInput(
                    "agenda/edit_from_past",
                    N_(
                        "Some dates are over: new times apply to the dates to come. "
                        "Choose a start after now."
                    ),
                )
            moving = [o.key for o in occurrences if not split or o.start > now]
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
        values = _row_values(data, target, zone)
        new_picture = picture if replace_picture else event.picture
        dropped_picture = None
        if split:
            first, last = _bounds(kept_old, zone)
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
            result = await conn.execute(
                insert(agenda_events).values(
                    uid=f"{uuid.uuid4().hex}@estaminet",
                    waitlist=event.waitlist,
                    picture=new_picture,
                    status=Status.CONFIRMED.value,
                    created_by=event.created_by,
                    created_at=now,
                    updated_at=now,
                    sequence=0,
                    **values,
                )
            )
            inserted = result.inserted_primary_key
            assert inserted is not None
            target_id = int(inserted[0])
        else:
            target_id = event_id
            if event.picture and event.picture != new_picture:
                dropped_picture = event.picture
            await conn.execute(
                update(agenda_events)
                .where(agenda_events.c.id == event_id)
                .values(picture=new_picture, updated_at=now, sequence=event.sequence + 1, **values)
            )
        if retimed:
            await _move_dates(conn, event_id, target_id, mapping, target, by_key, now)
            await _retime_notices(
                conn, target_id, mapping, target, by_key, event.room_slug, data.room_slug, zone, now
            )
        elif data.room_slug != event.room_slug:
            same: dict[str, str | None] = {o.key: o.key for o in occurrences if o.start > now}
            await _retime_notices(
                conn, target_id, same, target, by_key, event.room_slug, data.room_slug, zone, now
            )
        if data.capacity != event.capacity:
            await _fill_places(conn, target_id, target, data.capacity, zone, now)
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
            insert(agenda_overrides), _stored_overrides(target_id, dict(target.overrides))
        )
    dropped = [k for k, new in mapping.items() if new is None]
    live = [k for k in dropped if not before[k].cancelled and before[k].start > now]
    if live:
        await _notify_cancelled(conn, event_id, live, now)
    for key in dropped:
        await _unschedule(conn, event_id, key)
        await conn.execute(
            delete(agenda_answers).where(
                agenda_answers.c.event_id == event_id, agenda_answers.c.occurrence == key
            )
        )
    for key, new_key in mapping.items():
        if new_key is None or (new_key == key and target_id == event_id):
            continue
        for table in (agenda_answers, agenda_notices):
            await conn.execute(
                update(table)
                .where(table.c.event_id == event_id, table.c.occurrence == key)
                .values(event_id=target_id, occurrence=new_key)
            )


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
    answered = await _answered_dates(conn, target_id)
    moved = sorted(
        ((k, n) for k, n in mapping.items() if n is not None and n in answered),
        key=lambda pair: pair[1],
    )
    for key, new_key in moved:
        occurrence = occurrence_at(target, zone, new_key)
        if occurrence.start <= now:
            continue
        await _reschedule(conn, target_id, occurrence, now)
        old = before[key]
        notable = change_is_notable(
            (old.start, old.end, old_room), (occurrence.start, occurrence.end, new_room)
        )
        if not notable or occurrence.cancelled:
            continue
        for row in await _answer_rows(conn, target_id, new_key):
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
            await _schedule(conn, target_id, new_key, row.user_id, [(Notice.CHANGED, now)])


async def _answered_dates(
    conn: AsyncConnection, event_id: int, answer: Answer | None = None
) -> set[str]:
    """The dates of an event that someone answered (only answers of one kind, if given)."""
    query = select(agenda_answers.c.occurrence).where(agenda_answers.c.event_id == event_id)
    if answer is not None:
        query = query.where(agenda_answers.c.answer == answer.value)
    return set((await conn.execute(query.distinct())).scalars())


async def _fill_places(
    conn: AsyncConnection,
    event_id: int,
    series: Series,
    capacity: int | None,
    zone: ZoneInfo,
    now: datetime,
) -> None:
    """After a change of capacity: people move up from the waiting lists of the dates to come."""
    waiting_on = await _answered_dates(conn, event_id, Answer.WAITING)
    for occurrence in _occurrences(series, zone):
        if occurrence.end <= now or occurrence.cancelled or occurrence.key not in waiting_on:
            continue
        rows = await _answer_rows(conn, event_id, occurrence.key)
        going = sum(1 for r in rows if r.answer == Answer.YES.value)
        waiting = [r.user_id for r in rows if r.answer == Answer.WAITING.value]
        for promoted in promotions(capacity, going, waiting):
            await _promote(conn, event_id, occurrence.key, promoted, occurrence, now)
