"""What passes its time, in the running server: chat older than ``chat_retention_days`` is
erased, and sign-ins older than ``session_max_age_days`` end (their open sockets close)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from estaminet.people.actions import end_old_sessions
from estaminet.store import Database
from estaminet.tables import chat as table_chat
from estaminet.venue import chat

__all__ = ["Retention"]

log = logging.getLogger(__name__)


class Retention:
    """Erases room and table chat past its retention, now and then every ``every`` seconds.

    The clock and the sleep are injected: tests drive both, nobody waits in real time.
    """

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        days: int | None,
        every: float,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        *,
        session_max_age: timedelta | None = None,
        session_ended: Callable[[str, str], Awaitable[object]] | None = None,
    ) -> None:
        self.db = db
        self.session_max_age = session_max_age
        self.session_ended = session_ended
        self.clock = clock
        self.days = days
        self.every = every
        self.sleep = sleep

    async def once(self) -> int:
        """Erase what has passed its time; returns how many messages went (0 when off)."""
        if self.session_max_age is not None:
            for user_id, session in await end_old_sessions(
                self.db, self.clock(), self.session_max_age
            ):
                if self.session_ended is not None:
                    await self.session_ended(user_id, session)
        if self.days is None:
            return 0
        cutoff = self.clock() - timedelta(days=self.days)
        async with self.db.begin() as conn:
            gone = await chat.purge_before(conn, cutoff)
            gone += await table_chat.purge_before(conn, cutoff)
        if gone:
            log.info("chat retention: %d messages older than %d days erased", gone, self.days)
        return gone

    async def run(self) -> None:
        """Run for the server's lifetime (nothing to do while both are off)."""
        if self.days is None and self.session_max_age is None:
            return
        while True:
            try:
                await self.once()
            except Exception:  # a database hiccup: try again next round, keep serving
                log.exception("chat retention failed; trying again later")
            await self.sleep(self.every)
