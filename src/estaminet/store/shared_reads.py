"""Reads of one thing asked for together, made once for all who asked (and never stale).

Five hundred spectators of a game come back after a restart: each socket's subscription
reads the table (everyone at it, hundreds of rows) to decide what it may see, and again
to draw it. Read apart, that is quadratic. :class:`SharedReads` lets the callers who ask
for the same key while a read of it has not begun yet share that read; whoever asks
while one is running waits for the next, which begins after it ends. So every caller
gets what a read begun after its own call found, as fresh as reading alone (a person
who just sat down, an access just taken away: a read begun earlier could miss it), and
a burst of callers costs a read per read's duration instead of a read each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from estaminet.store.database import Database

__all__ = ["SharedReads"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedReads(Generic[K, V]):
    """``await shared(key)``: ``read(key)``, shared with the callers of the same moment.

    ``read`` must depend on ``key`` alone (not on who asks: the read runs once, in a task
    of its own, for all of them), and what it returns must not be changed by a caller
    (they all get the same object: a frozen dataclass, a tuple).
    """

    def __init__(self, db: Database, read: Callable[[K], Awaitable[V]]) -> None:
        self._db = db
        self._read = read
        self._waiting: dict[K, asyncio.Task[V]] = {}
        """For each key, the read that has not begun yet (callers join it)."""
        self._running: dict[K, asyncio.Task[V]] = {}
        """For each key, the read under way (a caller now waits for the next one)."""

    async def __call__(self, key: K) -> V:
        if self._db.holding():
            # Inside a read or a unit of work, this task holds one of the database's
            # connections: a shared read might wait for that very place. Read here.
            return await self._read(key)
        task = self._waiting.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._next(key))
            task.add_done_callback(_retrieved)
            self._waiting[key] = task
        # A caller that gives up (its socket closed) does not end the read of the others.
        return await asyncio.shield(task)

    async def _next(self, key: K) -> V:
        previous = self._running.get(key)
        if previous is not None:
            await asyncio.wait([previous])  # whatever its end: this read begins after it
        me = asyncio.current_task()
        assert me is not None
        if self._waiting.get(key) is me:
            del self._waiting[key]  # from here on, a new caller waits for the next read
        self._running[key] = me
        try:
            return await self._read(key)
        finally:
            if self._running.get(key) is me:
                del self._running[key]


def _retrieved(task: asyncio.Task[object]) -> None:
    """Its callers got its error; if all of them gave up, nobody is left to be told."""
    if not task.cancelled():
        task.exception()
