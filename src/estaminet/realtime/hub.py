"""The hub: publish frames to topics, deliver them to local subscribers.

The interface is what a Redis-backed hub implements too: ``publish`` may cross
processes, ``subscribe`` registers a local listener, ``next_seq`` numbers
ephemeral topics and ``recent`` serves resumes from a bounded buffer.

Those numbers live as long as the hub does (this process, or Redis's memory): a hub that
starts again numbers from 1 again. Its ``era`` tells one life of the numbers from another:
a page resuming a topic with a number from another era gets the topic's whole state, not
the changes of this era laid over what it showed (``topics.HubNumbered``; docs/protocol.md).
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Protocol

from estaminet.realtime.frames import LOCALES, Frame

__all__ = ["Hub", "Listener", "MemoryHub", "new_era"]

log = logging.getLogger(__name__)

Listener = Callable[[Frame], None]
"""Called synchronously for each frame; must not block (connections enqueue)."""


def new_era() -> str:
    """A name for one life of a hub's numbers: random, so that no two lives share it."""
    return secrets.token_hex(6)


class Hub(Protocol):
    @property
    def era(self) -> str:
        """This life of the ephemeral topics' numbers (see the module's docstring)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, frame: Frame, *, buffer: bool = False) -> None:
        """Deliver ``frame`` to every subscriber of its topic, on every instance.

        ``buffer`` keeps it for resumes (ephemeral topics: their history lives nowhere else).
        """
        ...

    def subscribe(self, topic: str, listener: Listener) -> Callable[[], None]:
        """Register ``listener`` for ``topic`` here; returns the function that unsubscribes."""
        ...

    async def next_seq(self, topic: str) -> int:
        """The next sequence number of an ephemeral topic."""
        ...

    async def current_seq(self, topic: str) -> int:
        """The last sequence number given on an ephemeral topic (0 if none)."""
        ...

    async def recent(self, topic: str, after: int) -> list[Frame] | None:
        """Buffered frames with ``seq > after``, or ``None`` when some are gone (resync)."""
        ...

    def health(self) -> str | None:
        """``None`` when the hub works fully, else what is wrong (shown by ``/healthz``)."""
        ...


class MemoryHub:
    """The embedded hub: one process, no broker."""

    def __init__(
        self, buffer_size: int = 512, buffer_bytes: int = 262_144, *, era: str | None = None
    ) -> None:
        self.era = era or new_era()
        """Numbers start again with each process: each process is an era of its own."""
        self._listeners: dict[str, list[Listener]] = defaultdict(list)
        self._seqs: dict[str, int] = defaultdict(int)
        self._buffers: dict[str, deque[tuple[Frame, int]]] = {}
        self._buffered_bytes: dict[str, int] = defaultdict(int)
        self._buffer_size = buffer_size
        self._buffer_bytes = buffer_bytes

    async def start(self) -> None:
        return None

    def health(self) -> str | None:
        return None

    async def stop(self) -> None:
        self._listeners.clear()

    async def publish(self, frame: Frame, *, buffer: bool = False) -> None:
        if buffer:
            self._remember(frame)
        self.deliver(frame)

    def deliver(self, frame: Frame) -> None:
        """Hand ``frame`` to this process's listeners (also used by the Redis hub)."""
        for listener in tuple(self._listeners.get(frame.topic, ())):
            try:
                listener(frame)
            except Exception:  # one broken listener must not starve the others
                log.exception("listener failed on %s", frame.topic)

    def _remember(self, frame: Frame) -> None:
        """Keep ``frame`` for resumes: at most ``buffer_size`` frames and ``buffer_bytes``
        bytes of text per topic (measured on the first language), the oldest dropped first."""
        if self._buffer_size <= 0:
            return
        topic = frame.topic
        buf = self._buffers.get(topic)
        if buf is None:
            buf = self._buffers[topic] = deque()
        size = len(frame.text(LOCALES[0]).encode())
        buf.append((frame, size))
        self._buffered_bytes[topic] += size
        while buf and (
            len(buf) > self._buffer_size or self._buffered_bytes[topic] > self._buffer_bytes
        ):
            _, dropped = buf.popleft()
            self._buffered_bytes[topic] -= dropped

    def buffered(self, topic: str) -> tuple[int, int]:
        """How many frames and bytes ``topic`` keeps for resumes."""
        return len(self._buffers.get(topic, ())), self._buffered_bytes.get(topic, 0)

    def subscribe(self, topic: str, listener: Listener) -> Callable[[], None]:
        self._listeners[topic].append(listener)
        return _Unsubscribe(self._listeners, topic, listener)

    def subscriber_count(self, topic: str) -> int:
        return len(self._listeners.get(topic, ()))

    async def next_seq(self, topic: str) -> int:
        self._seqs[topic] += 1
        return self._seqs[topic]

    async def current_seq(self, topic: str) -> int:
        return self._seqs.get(topic, 0)

    async def recent(self, topic: str, after: int) -> list[Frame] | None:
        current = self._seqs.get(topic, 0)
        if after == current:
            return []
        if after > current:  # the client saw numbers we never gave (a restart): resync
            return None
        buf = self._buffers.get(topic)
        if not buf or buf[0][0].seq > after + 1:
            return None
        return [frame for frame, _ in buf if frame.seq > after]


class _Unsubscribe:
    """What :meth:`MemoryHub.subscribe` returns: three slots rather than a closure and its
    cells (each idle socket keeps one per topic it follows)."""

    __slots__ = ("listener", "listeners", "topic")

    def __init__(self, listeners: dict[str, list[Listener]], topic: str, listener: Listener):
        self.listeners = listeners
        self.topic = topic
        self.listener = listener

    def __call__(self) -> None:
        listeners = self.listeners.get(self.topic)
        if listeners and self.listener in listeners:
            listeners.remove(self.listener)
            if not listeners:
                del self.listeners[self.topic]
