"""Durable notices, delivered once: reminders, "it's starting", cancellations, promotions, changes.

Each notice is a row of ``agenda_notices`` written by the write path. The
loop takes the rows that are due and, for each, in **one transaction**,
*claims* it with a single conditional update (``claimed_at IS NULL``) and
*records* it (``record``: the person's inbox row, and the e-mail in the
outbox). Only after that commit is it shown (``deliver``: a toast on the
person's tabs). So a row is recorded by at most one process, exactly once:
a crash before the commit leaves it unclaimed (done again at the next start),
a crash after it leaves it in the inbox, where a tab that comes back finds it.
Rows that fell due while the server was down go out late, once, when still
worth it (see :func:`rules.should_deliver`); a second start finds nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.agenda.events import EventInfo, get_event
from estaminet.agenda.recurrence import Occurrence, local_to_utc, occurrence_at, parse_key
from estaminet.agenda.rules import Notice, can_see_event, should_deliver
from estaminet.agenda.schema import agenda_notices
from estaminet.kernel.errors import EstaminetError, NotFound
from estaminet.people.model import User
from estaminet.people.queries import user_by_id
from estaminet.store import Database

__all__ = ["Delivery", "Reminders"]

log = logging.getLogger(__name__)
_BATCH = 200


@dataclass(frozen=True)
class Delivery:
    notice: Notice
    event: EventInfo
    occurrence: Occurrence
    user: User
    notice_id: int = 0
    """The ``agenda_notices`` row (the inbox's once-only key)."""
    recorded: Any = None
    """What ``record`` returned, in the claim's transaction (the inbox row)."""


Record = Callable[[AsyncConnection, Delivery], Awaitable[Any]]


class Reminders:
    """Finds due notices, claims and records each in one transaction, then ``deliver`` once."""

    def __init__(
        self,
        db: Database,
        zone: ZoneInfo,
        deliver: Callable[[Delivery], Awaitable[None]],
        clock: Callable[[], datetime],
        record: Record | None = None,
    ) -> None:
        self.db = db
        self.zone = zone
        self.deliver = deliver
        self.clock = clock
        self.record = record
        self.changed = asyncio.Event()

    def wake(self) -> None:
        """Something was scheduled: look again now."""
        self.changed.set()

    async def _claim(
        self, notice_id: int, now: datetime, delivery: Delivery | None
    ) -> tuple[bool, Any]:
        """Claim the row and record its delivery in one transaction: both, or neither."""
        async with self.db.begin() as conn:
            claimed = await conn.execute(
                update(agenda_notices)
                .where(agenda_notices.c.id == notice_id, agenda_notices.c.claimed_at.is_(None))
                .values(claimed_at=now)
            )
            if claimed.rowcount != 1:
                return False, None  # another instance took it
            if delivery is None or self.record is None:
                return True, None
            return True, await self.record(conn, delivery)

    async def fire_due(self, now: datetime | None = None) -> int:
        """Deliver every notice due at ``now`` (each once); returns how many were delivered.

        A row that fails (its record could not be written) stays unclaimed, the others
        go on, and the failure is raised at the end: the loop looks again after a pause.
        """
        now = now or self.clock()
        async with self.db.read() as conn:
            due = (
                await conn.execute(
                    select(agenda_notices)
                    .where(agenda_notices.c.claimed_at.is_(None), agenda_notices.c.due_at <= now)
                    .order_by(agenda_notices.c.due_at, agenda_notices.c.id)
                    .limit(_BATCH)
                )
            ).all()
        delivered = 0
        failed: Exception | None = None
        for row in due:
            try:
                delivery = await self._delivery(row, now)
                claimed, recorded = await self._claim(row.id, now, delivery)
            except Exception as error:
                log.exception(
                    "agenda notice %s could not be recorded; it will be tried again", row.id
                )
                failed = error
                continue
            if not claimed or delivery is None:
                continue
            try:
                await self.deliver(replace(delivery, recorded=recorded))
            except Exception:
                # Recorded all the same: a tab finds it in the inbox when it comes back.
                log.exception("agenda notice %s could not be shown", row.id)
            delivered += 1
        if failed is not None:
            raise failed
        return delivered

    async def _delivery(self, row: Any, now: datetime) -> Delivery | None:
        notice = Notice(row.kind)
        async with self.db.read() as conn:
            try:
                event = await get_event(conn, row.event_id)
                occurrence = self._occurrence(event, row.occurrence, notice)
            except EstaminetError:
                return None
            user = await user_by_id(conn, row.user_id)
        if user is None or user.banned or not can_see_event(user, event.visibility):
            return None
        if notice is not Notice.CANCELLED and (event.cancelled or occurrence.cancelled):
            return None
        if not should_deliver(notice, start=occurrence.start, end=occurrence.end, now=now):
            return None
        return Delivery(notice, event, occurrence, user, notice_id=row.id)

    def _occurrence(self, event: EventInfo, key: str, notice: Notice) -> Occurrence:
        """The notice's date; a date that an edit removed is still told as cancelled."""
        try:
            return occurrence_at(event.series, self.zone, key)
        except NotFound:
            if notice is not Notice.CANCELLED:
                raise
        start = local_to_utc(parse_key(key), self.zone, strict=False)
        return Occurrence(key, start, start + event.series.duration, cancelled=True)

    async def next_due(self) -> datetime | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(agenda_notices.c.due_at)
                    .where(agenda_notices.c.claimed_at.is_(None))
                    .order_by(agenda_notices.c.due_at)
                    .limit(1)
                )
            ).first()
        return None if row is None else row[0]

    async def run(
        self,
        *,
        idle: float = 30.0,
        retry: float = 1.0,
        tick: Callable[[datetime], Awaitable[datetime | None]] | None = None,
    ) -> None:
        """The server's loop: deliver what is due, call ``tick`` (lit rooms), sleep until next.

        After a failure (say the database was busy) it looks again after ``retry``
        seconds, doubling while it keeps failing, up to ``idle``: the due notices are
        still there, and waiting the idle time would tell "a seat is free" half a
        minute late.
        """
        failures = 0
        while True:
            self.changed.clear()
            wake_at: list[datetime] = []
            wait = idle
            try:
                now = self.clock()
                await self.fire_due(now)
                due = await self.next_due()
                if due is not None:
                    wake_at.append(due)
                if tick is not None:
                    change = await tick(now)
                    if change is not None:
                        wake_at.append(change)
                failures = 0
            except Exception:
                log.exception("agenda loop failed; retrying")
                failures += 1
                wait = min(idle, retry * 2 ** (failures - 1))
            if wake_at:
                wait = max(0.0, min(wait, (min(wake_at) - self.clock()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=wait + 0.01)
