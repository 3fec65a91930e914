"""Durable notices, delivered once: reminders, "it's starting", cancellations, promotions, changes.

Each notice is a row of ``agenda_notices`` written by the write path. The
loop takes the rows that are due, *claims* each one with a single
conditional update (``claimed_at IS NULL``) and only then delivers it: a row
is delivered by at most one process, at most once — after a restart, the
rows that fell due while the server was down are delivered late, once
(when still worth it: see :func:`rules.should_deliver`), and a second start
finds nothing left to send. A crash between the claim and the delivery
loses that notice rather than sending it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from estaminet.agenda.events import EventInfo, get_event
from estaminet.agenda.recurrence import Occurrence, local_to_utc, occurrence_at, parse_key
from estaminet.agenda.rules import Notice, can_see_event, should_deliver
from estaminet.agenda.tables import agenda_notices
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


class Reminders:
    """Finds due notices, claims them atomically, hands each to ``deliver`` once."""

    def __init__(
        self,
        db: Database,
        zone: ZoneInfo,
        deliver: Callable[[Delivery], Awaitable[None]],
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.zone = zone
        self.deliver = deliver
        self.clock = clock
        self.changed = asyncio.Event()

    def wake(self) -> None:
        """Something was scheduled: look again now."""
        self.changed.set()

    async def _claim(self, notice_id: int, now: datetime) -> bool:
        async with self.db.begin() as conn:
            claimed = await conn.execute(
                update(agenda_notices)
                .where(agenda_notices.c.id == notice_id, agenda_notices.c.claimed_at.is_(None))
                .values(claimed_at=now)
            )
        return claimed.rowcount == 1

    async def fire_due(self, now: datetime | None = None) -> int:
        """Deliver every notice due at ``now`` (each once); returns how many were delivered."""
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
        for row in due:
            if not await self._claim(row.id, now):
                continue  # another instance took it
            try:
                delivery = await self._delivery(row, now)
                if delivery is not None:
                    await self.deliver(delivery)
                    delivered += 1
            except Exception:
                log.exception("agenda notice %s could not be delivered", row.id)
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
        return Delivery(notice, event, occurrence, user)

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
