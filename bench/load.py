"""The load: listening clients that time every delivery, and the poster that drives them.

Every posted body carries its send time and a unique id as plain digits
(``t=1732400000.123456 id=42``), which survive JSON, HTML escaping and Markdown,
so one regular expression finds them in any server's frame. A delivery is one
(message, listener) pair; its latency is arrival time minus send time, both
read from ``time.time()`` in this one process.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bench.wire import WireConnection

__all__ = [
    "Client",
    "Deliveries",
    "Dialect",
    "Fleet",
    "Latency",
    "body_for",
    "post_saturating",
    "post_steady",
]

MARKER = re.compile(rb"t=(\d+\.\d+) id=(\d+)")
_FILLER = "On se retrouve au comptoir ce soir pour la belote, apportez vos cartes et vos chansons"
_ids = itertools.count(1)


def body_for(message_id: int, sent_at: float) -> str:
    """A chat message of ordinary length that says when it was sent and which one it is."""
    return f"t={sent_at:.6f} id={message_id} {_FILLER}"


class Dialect(Protocol):
    """How one server under test is spoken to: sign-in, joining the room, posting."""

    name: str
    path: str

    async def prepare(self, base_url: str, count: int) -> None:
        """Whatever must happen over HTTP before ``count`` sockets can open (sign-ups)."""
        ...

    def headers(self, index: int) -> dict[str, str]:
        """Extra handshake headers for client number ``index`` (cookies)."""
        ...

    async def join(self, client: Client, *, listen: bool) -> None:
        """Finish setting up an open socket; ``listen``: follow the room."""
        ...

    def post(self, message_id: int, body: str) -> str:
        """The text frame that posts ``body`` in the room."""
        ...

    def reply(self, data: bytes | bytearray) -> str | None:
        """An answer the protocol requires (an Engine.IO pong), else ``None``."""
        ...


Sink = Callable[[int, float, float], None]
"""Receives ``(message_id, sent_at, arrived)`` for each timed delivery."""


class Client:
    """One open socket: a listener when it has a ``sink``, else the poster."""

    def __init__(self, dialect: Dialect, sink: Sink | None) -> None:
        self.dialect = dialect
        self.sink = sink
        self.connection: WireConnection | None = None
        self.message_bytes = 0
        self.other_frames = 0
        self.other_bytes = 0
        """Bytes of the frames that are not timed chat messages (presence, acks...)."""
        self._inbox: deque[bytes] = deque(maxlen=64)
        self._arrival = asyncio.Event()

    async def open(
        self, host: str, port: int, *, headers: dict[str, str], origin: str, compression: bool
    ) -> None:
        self.connection = await WireConnection.open(
            host,
            port,
            self.dialect.path,
            on_message=self.handle,
            headers=headers,
            origin=origin,
            compression=compression,
        )

    def handle(self, data: bytes | bytearray, arrived: float) -> None:
        """Time a delivery, answer the protocol, or keep the frame for :meth:`expect`."""
        if self.sink is not None:
            found = MARKER.search(data)
            if found is not None:
                self.message_bytes = len(data)
                self.sink(int(found[2]), float(found[1]), arrived)
                return
        answer = self.dialect.reply(data)
        if answer is not None:
            self.send(answer)
            return
        self.other_frames += 1
        self.other_bytes += len(data)
        self._inbox.append(bytes(data))
        self._arrival.set()

    def send(self, text: str) -> None:
        assert self.connection is not None
        self.connection.send_text(text)

    async def expect(self, wanted: Callable[[bytes], bool], within: float = 30.0) -> bytes:
        """The first kept frame (past or future) for which ``wanted`` is true."""
        deadline = time.monotonic() + within
        while True:
            while self._inbox:
                data = self._inbox.popleft()
                if wanted(data):
                    return data
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.dialect.name}: expected frame did not come")
            self._arrival.clear()
            await asyncio.wait_for(self._arrival.wait(), remaining)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()


@dataclass(frozen=True)
class Latency:
    """Delivery latency percentiles, in milliseconds."""

    p50: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency | None:
        if not seconds:
            return None
        ordered = sorted(seconds)

        def at(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

        return cls(at(0.50), at(0.99), ordered[-1] * 1000, sum(ordered) / len(ordered) * 1000)


class Deliveries:
    """Receipts of one phase's messages at the listeners: latencies and completion."""

    def __init__(self, listeners: int) -> None:
        self.listeners = listeners
        self.posted = 0
        self.delivered = 0
        self.strays = 0
        self.first_sent: float | None = None
        self.last_arrival: float | None = None
        self.latencies: array[float] = array("d")
        self.on_complete: Callable[[], None] | None = None
        self._pending: dict[int, int] = {}
        self._drained = asyncio.Event()
        self._drained.set()

    def expect(self, message_id: int, sent_at: float) -> None:
        """Register a message just before it is posted."""
        self.posted += 1
        self.first_sent = self.first_sent or sent_at
        self._pending[message_id] = 0
        self._drained.clear()

    def record(self, message_id: int, sent_at: float, arrived: float) -> None:
        count = self._pending.get(message_id)
        if count is None:  # a late copy of an earlier phase's message
            self.strays += 1
            return
        self.delivered += 1
        self.latencies.append(arrived - sent_at)
        self.last_arrival = arrived
        count += 1
        if count < self.listeners:
            self._pending[message_id] = count
            return
        del self._pending[message_id]
        if not self._pending:
            self._drained.set()
        if self.on_complete is not None:
            self.on_complete()

    @property
    def expected(self) -> int:
        return self.posted * self.listeners

    @property
    def incomplete(self) -> int:
        """Messages that some listener has not received (yet)."""
        return len(self._pending)

    async def drained(self, within: float) -> bool:
        """Wait until every posted message reached every listener; ``False`` on timeout."""
        try:
            await asyncio.wait_for(self._drained.wait(), within)
        except TimeoutError:
            return False
        return True

    def latency(self) -> Latency | None:
        return Latency.of(self.latencies)


class Fleet:
    """The listeners, all in this process; deliveries go to the current phase's tracker."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.listeners: list[Client] = []
        self.deliveries: Deliveries | None = None

    def received_bytes(self) -> int:
        """Bytes every listener has read from its socket so far."""
        return sum(c.connection.received for c in self.listeners if c.connection is not None)

    def record(self, message_id: int, sent_at: float, arrived: float) -> None:
        if self.deliveries is not None:
            self.deliveries.record(message_id, sent_at, arrived)

    async def connect(
        self,
        host: str,
        port: int,
        count: int,
        *,
        compression: bool,
        concurrency: int = 64,
        first_index: int = 1,
    ) -> None:
        """Open ``count`` listeners, ``concurrency`` handshakes at a time, and join the room."""
        gate = asyncio.Semaphore(concurrency)
        origin = f"http://{host}:{port}"

        async def one(index: int) -> Client:
            client = Client(self.dialect, self.record)
            async with gate:
                await client.open(
                    host,
                    port,
                    headers=self.dialect.headers(index),
                    origin=origin,
                    compression=compression,
                )
                await self.dialect.join(client, listen=True)
            return client

        tasks = [asyncio.create_task(one(first_index + i)) for i in range(count)]
        try:
            self.listeners = list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    def track(self) -> Deliveries:
        """Start a new phase: a fresh tracker for the messages posted from now on."""
        self.deliveries = Deliveries(len(self.listeners))
        return self.deliveries

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.listeners), return_exceptions=True)


def _post(poster: Client, deliveries: Deliveries) -> None:
    message_id = next(_ids)
    sent_at = time.time()
    deliveries.expect(message_id, sent_at)
    poster.send(poster.dialect.post(message_id, body_for(message_id, sent_at)))


async def post_steady(poster: Client, deliveries: Deliveries, rate: float, duration: float) -> None:
    """Post ``rate`` messages per second for ``duration`` seconds, on a fixed schedule."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index in range(max(1, round(rate * duration))):
        delay = start + index / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        _post(poster, deliveries)


async def post_saturating(
    poster: Client, deliveries: Deliveries, window: int, duration: float, stall: float = 10.0
) -> bool:
    """Keep ``window`` messages in flight (posted, not yet at every listener) for ``duration``.

    Returns ``False`` if the server stalled: no message completed for ``stall`` seconds.
    """
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(window)
    deliveries.on_complete = slots.release
    end = loop.time() + duration
    try:
        while (remaining := end - loop.time()) > 0:
            try:
                await asyncio.wait_for(slots.acquire(), min(remaining, stall))
            except TimeoutError:
                if loop.time() < end:
                    return False
                break
            _post(poster, deliveries)
    finally:
        deliveries.on_complete = None
    return True
