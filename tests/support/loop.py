"""Watching the event loop from a test."""

from __future__ import annotations

import asyncio

__all__ = ["Turns"]


class Turns:
    """Counts the event loop's turns while the block runs (a task that yields each ``every``)."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.count = 0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            self.count += 1
            await asyncio.sleep(self.every)

    async def __aenter__(self) -> Turns:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
