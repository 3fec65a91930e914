"""Planning notices: the durable ``agenda_notices`` rows the write path adds and removes.

Each function runs inside the caller's transaction; the reminder loop
(``reminders.py``) delivers the rows after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.agenda.rules import Answer, Notice, reminder_schedule
from estaminet.agenda.schema import agenda_answers, agenda_notices

__all__ = ["notify_cancelled", "notify_moved", "replan", "schedule", "unschedule"]


async def schedule(
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


async def unschedule(
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


async def replan(
    conn: AsyncConnection,
    event_id: int,
    key: str,
    user_id: str,
    start: datetime,
    answer: Answer,
    now: datetime,
) -> None:
    """One person's reminders for a date, planned again: after a new answer, or new times."""
    await unschedule(conn, event_id, key, user_id)
    await schedule(conn, event_id, key, user_id, reminder_schedule(start, answer, now))


async def notify_cancelled(
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
        await schedule(conn, event_id, key, user_id, [(Notice.CANCELLED, now)])


async def notify_moved(conn: AsyncConnection, event_id: int, key: str, now: datetime) -> None:
    """A "this date moved" notice for everyone coming (or waiting); a new move tells again."""
    people = (
        await conn.execute(
            select(agenda_answers.c.user_id).where(
                agenda_answers.c.event_id == event_id,
                agenda_answers.c.occurrence == key,
                agenda_answers.c.answer.in_([Answer.YES.value, Answer.WAITING.value]),
            )
        )
    ).scalars()
    for user_id in people:
        # The notice of an earlier move (sent or not) gives way: one for the date as it is now.
        await conn.execute(
            delete(agenda_notices).where(
                agenda_notices.c.event_id == event_id,
                agenda_notices.c.occurrence == key,
                agenda_notices.c.user_id == user_id,
                agenda_notices.c.kind == Notice.MOVED.value,
            )
        )
        await schedule(conn, event_id, key, user_id, [(Notice.MOVED, now)])
