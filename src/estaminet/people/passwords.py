"""Password hashing and checking (argon2id), off the event loop and bounded.

One argon2 check takes tens of milliseconds of CPU on purpose: run on the
event loop, a few concurrent sign-ins would stall every socket and page. Here
each runs in a small pool of threads (argon2-cffi releases the GIL while it
hashes), and at most ``queue`` checks wait for a thread: beyond that, the
sign-in is refused with "try again in a moment" rather than queueing work
without end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from estaminet.kernel.errors import RateLimited
from estaminet.kernel.i18n import N_

__all__ = ["Hasher", "PasswordWork", "configure", "configure_size", "work"]

T = TypeVar("T")


class Hasher(Protocol):
    """What we use of ``argon2.PasswordHasher`` (tests pass a slow fake)."""

    def hash(self, password: str) -> str: ...

    def verify(self, hash: str, password: str) -> bool: ...

    def check_needs_rehash(self, hash: str) -> bool: ...


class PasswordWork:
    """Hash and verify in ``workers`` threads, with at most ``queue`` calls waiting."""

    def __init__(self, hasher: Hasher | None = None, *, workers: int = 2, queue: int = 16) -> None:
        self.hasher: Hasher = hasher or PasswordHasher()
        self.workers, self.queue = workers, queue
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self._limit = workers + queue
        self._pending = 0

    async def _run(self, call: Callable[[], T]) -> T:
        if self._pending >= self._limit:
            raise RateLimited(
                "people/busy", N_("Many people are signing in right now. Try again in a moment.")
            )
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, call)
        finally:
            self._pending -= 1

    async def hash(self, password: str) -> str:
        return await self._run(lambda: self.hasher.hash(password))

    async def verify(self, hashed: str | None, password: str) -> bool:
        """Whether ``password`` matches ``hashed``; with no hash, spends the same time and says no."""
        if not hashed:
            await self.hash("timing-equaliser")
            return False

        def check() -> bool:
            try:
                return bool(self.hasher.verify(hashed, password))
            except (VerificationError, InvalidHashError):
                return False

        return await self._run(check)

    def needs_rehash(self, hashed: str) -> bool:
        return self.hasher.check_needs_rehash(hashed)


_work = PasswordWork()


def work() -> PasswordWork:
    """The process's password work (see :func:`configure`)."""
    return _work


def configure(work: PasswordWork) -> PasswordWork:
    """Use ``work`` from now on (tests pass a fake hasher); returns the one it replaces."""
    global _work
    previous, _work = _work, work
    return previous


def configure_size(workers: int, queue: int) -> None:
    """Size the pool as the settings say (kept as is, hasher included, when it already is)."""
    if (_work.workers, _work.queue) != (workers, queue):
        configure(PasswordWork(_work.hasher, workers=workers, queue=queue))
