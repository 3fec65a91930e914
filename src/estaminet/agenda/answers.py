"""Answers to a date (*je viens / peut-être / je ne viens pas*) and the waiting list.

A *yes* to a full date lands on the waiting list, in order of answer; a seat
that frees up moves the first waiting person up in the same transaction, with
a ``promoted`` notice. Reminders follow each answer (``notices.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.agenda.events import access_event, occurrences
from estaminet.agenda.notices import replan, schedule
from estaminet.agenda.recurrence import Occurrence, Series, occurrence_at
from estaminet.agenda.rules import (
    Answer,
    Notice,
    Seating,
    check_can_answer,
    promotions,
    reminder_schedule,
    seat_answer,
)
from estaminet.agenda.schema import agenda_answers, agenda_events
from estaminet.people.model import User
from estaminet.people.queries import users_by_ids
from estaminet.store import Database

__all__ = [
    "AnswerSummary",
    "answer",
    "answer_rows",
    "answered_dates",
    "answers_by",
    "answers_for",
    "fill_places",
    "reschedule",
]


@dataclass(frozen=True)
class AnswerSummary:
    counts: dict[Answer, int]
    names: dict[Answer, list[str]]
    """Display names by answer, the waiting list in its order."""
    mine: Answer | None = None
    position: int | None = None
    """My place on the waiting list."""
    ids: dict[Answer, list[str]] = field(default_factory=dict)


async def answer_rows(conn: AsyncConnection, event_id: int, key: str) -> list[Any]:
    """A date's answers, in the order they were given (the waiting list's order)."""
    return list(
        (
            await conn.execute(
                select(agenda_answers)
                .where(agenda_answers.c.event_id == event_id, agenda_answers.c.occurrence == key)
                .order_by(agenda_answers.c.at, agenda_answers.c.user_id)
            )
        ).all()
    )


def _one(event_id: int, key: str, user_id: str) -> tuple[ColumnElement[bool], ...]:
    """The conditions that pick one person's answer to one date."""
    return (
        agenda_answers.c.event_id == event_id,
        agenda_answers.c.occurrence == key,
        agenda_answers.c.user_id == user_id,
    )


def _seats(rows: list[Any]) -> tuple[int, list[str]]:
    """How many are coming, and who waits (in order)."""
    going = sum(1 for r in rows if r.answer == Answer.YES.value)
    waiting = [r.user_id for r in rows if r.answer == Answer.WAITING.value]
    return going, waiting


async def answered_dates(
    conn: AsyncConnection, event_id: int, answer: Answer | None = None
) -> set[str]:
    """The dates of an event that someone answered (only answers of one kind, if given)."""
    query = select(agenda_answers.c.occurrence).where(agenda_answers.c.event_id == event_id)
    if answer is not None:
        query = query.where(agenda_answers.c.answer == answer.value)
    return set((await conn.execute(query.distinct())).scalars())


async def answer(
    db: Database,
    user: User,
    event_id: int,
    key: str,
    wanted: Answer,
    now: datetime | Callable[[], datetime],
    zone: ZoneInfo,
) -> Seating:
    """Record *je viens / peut-être / je ne viens pas* for one occurrence.

    A *yes* to a full event lands on the waiting list (or is refused without
    one); a seat freed by someone else moves the first waiting person up, who
    is notified. ``now`` is the answer's time or, from the edge, the clock: it is
    then read once the event is locked, so the order of the answers' times is the
    order in which seats were given (two people answering at once, on PostgreSQL).
    """
    async with db.begin() as conn:
        event = await access_event(conn, user, event_id, lock=True)
        if callable(now):
            now = now()
        occurrence = occurrence_at(event.series, zone, key)
        check_can_answer(
            cancelled=event.cancelled or occurrence.cancelled, end=occurrence.end, now=now
        )
        rows = await answer_rows(conn, event_id, key)
        current = next((Answer(r.answer) for r in rows if r.user_id == user.id), None)
        going, waiting = _seats(rows)
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
                update(agenda_answers).where(*_one(event_id, key, user.id)).values(**values)
            )
        await replan(conn, event_id, key, user.id, occurrence.start, seating.answer, now)
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
        update(agenda_answers).where(*_one(event_id, key, user_id)).values(answer=Answer.YES.value)
    )
    await schedule(
        conn,
        event_id,
        key,
        user_id,
        [(Notice.PROMOTED, now), *reminder_schedule(occurrence.start, Answer.YES, now)],
    )


async def fill_places(
    conn: AsyncConnection,
    event_id: int,
    series: Series,
    capacity: int | None,
    zone: ZoneInfo,
    now: datetime,
) -> None:
    """After a change of capacity: people move up from the waiting lists of the dates to come."""
    waiting_on = await answered_dates(conn, event_id, Answer.WAITING)
    for occurrence in occurrences(series, zone):
        if occurrence.end <= now or occurrence.cancelled or occurrence.key not in waiting_on:
            continue
        going, waiting = _seats(await answer_rows(conn, event_id, occurrence.key))
        for promoted in promotions(capacity, going, waiting):
            await _promote(conn, event_id, occurrence.key, promoted, occurrence, now)


async def reschedule(
    conn: AsyncConnection, event_id: int, occurrence: Occurrence, now: datetime
) -> None:
    """The reminders of everyone who answered a date that moved: the old ones go, new ones come."""
    key = occurrence.key
    for row in await answer_rows(conn, event_id, key):
        await replan(conn, event_id, key, row.user_id, occurrence.start, Answer(row.answer), now)


async def answers_for(
    conn: AsyncConnection, event_id: int, key: str, viewer: User | None
) -> AnswerSummary:
    rows = await answer_rows(conn, event_id, key)
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


async def answers_by(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """Every answer ``user_id`` gave in the agenda (their export)."""
    rows = await conn.execute(
        select(agenda_events.c.title, agenda_answers.c.occurrence, agenda_answers.c.answer,
               agenda_answers.c.at)
        .select_from(agenda_answers.join(
            agenda_events, agenda_events.c.id == agenda_answers.c.event_id))
        .where(agenda_answers.c.user_id == user_id)
        .order_by(agenda_answers.c.at)
    )  # fmt: skip
    return [dict(row._mapping) for row in rows]
