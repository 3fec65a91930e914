"""One browser tab's WebSocket: a bounded send queue, its subscriptions, its writer.

Memory per connection is bounded: when a client reads too slowly and its queue
fills, the queue is emptied and the client is told to resync (it re-subscribes
with the last sequence numbers it saw and gets what it missed). A client that
keeps overflowing is disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from estaminet.realtime.frames import Frame, encode

__all__ = ["Connection", "Principal", "Socket"]

log = logging.getLogger(__name__)

CLOSE_TOO_SLOW = 4008
_MAX_OVERFLOWS = 3
_OVERFLOW_WINDOW = 60.0


class Socket(Protocol):
    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass(frozen=True)
class Principal:
    """Who is on the other end, as far as the gateway needs to know."""

    user_id: str
    display_name: str
    role: str


_CLOSE = object()


@dataclass(eq=False)
class Connection:
    socket: Socket
    principal: Principal
    locale: str
    queue_size: int = 256
    id: int = 0
    subscriptions: dict[str, Callable[[], None]] = field(default_factory=dict)
    on_control: Callable[[Connection, Frame], None] | None = None
    _queue: deque[str | object] = field(default_factory=deque)
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    _holding: dict[str, list[Frame]] = field(default_factory=dict)
    _overflows: deque[float] = field(default_factory=deque)
    closed: bool = False
    _close_code: int = 1000

    # -- sending -------------------------------------------------------------

    def push(self, text: str) -> None:
        """Queue ``text`` for sending without waiting; overflow triggers a resync."""
        if self.closed:
            return
        if len(self._queue) >= self.queue_size:
            self._overflow()
            return
        self._queue.append(text)
        self._wakeup.set()

    def push_json(self, payload: dict[str, Any]) -> None:
        self.push(encode(payload))

    def deliver(self, frame: Frame) -> None:
        """The hub listener: queue the frame in this connection's language."""
        if frame.control is not None:
            if self.on_control is not None:
                self.on_control(self, frame)
            return
        held = self._holding.get(frame.topic)
        if held is not None:
            held.append(frame)
            return
        self.push(frame.text(self.locale))

    def _overflow(self) -> None:
        now = time.monotonic()
        self._overflows.append(now)
        while self._overflows and now - self._overflows[0] > _OVERFLOW_WINDOW:
            self._overflows.popleft()
        self._queue.clear()
        if len(self._overflows) >= _MAX_OVERFLOWS:
            log.info("closing connection %s: too slow", self.id)
            self.close_soon(CLOSE_TOO_SLOW)
            return
        self._queue.append(encode({"type": "resync", "topics": sorted(self.subscriptions)}))
        self._wakeup.set()

    def close_soon(self, code: int = 1000) -> None:
        """Stop sending and close the socket from the writer task."""
        self._queue.clear()
        self._queue.append(_CLOSE)
        self._close_code = code
        self._wakeup.set()

    async def run_writer(self) -> None:
        """Send queued texts until the connection closes."""
        try:
            while True:
                while not self._queue:
                    self._wakeup.clear()
                    await self._wakeup.wait()
                item = self._queue.popleft()
                if item is _CLOSE:
                    self.closed = True
                    with contextlib.suppress(Exception):
                        await self.socket.close(self._close_code)
                    return
                assert isinstance(item, str)
                await self.socket.send_text(item)
        except (asyncio.CancelledError, Exception) as exc:
            self.closed = True
            if isinstance(exc, asyncio.CancelledError):
                raise

    @property
    def queued(self) -> int:
        return len(self._queue)

    # -- subscriptions -------------------------------------------------------

    def hold(self, topic: str) -> None:
        """Keep live frames of ``topic`` aside while its catch-up is computed."""
        self._holding[topic] = []

    def release(self, topic: str, after: int) -> None:
        """Send the held frames newer than ``after`` and go live."""
        for frame in self._holding.pop(topic, []):
            if frame.seq > after:
                self.push(frame.text(self.locale))
