"""Chat retention: what is older than ``chat_retention_days`` is erased by the running server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

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
    ) -> None:
        self.db = db
        self.clock = clock
        self.days = days
        self.every = every
        self.sleep = sleep

    async def once(self) -> int:
        """Erase what has passed its time; returns how many messages went (0 when off)."""
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
        """Run for the server's lifetime (nothing to do while retention is off)."""
        if self.days is None:
            return
        while True:
            try:
                await self.once()
            except Exception:  # a database hiccup: try again next round, keep serving
                log.exception("chat retention failed; trying again later")
            await self.sleep(self.every)
