"""One browser tab's WebSocket: a bounded send queue, its subscriptions, its writer.

Sending takes one of two paths, and order is the same on both:

* **at once**: when nothing is waiting in the queue and the server offers a
  direct write (:class:`DirectSend`, an ASGI extension our uvicorn protocol
  adds, see :mod:`estaminet.web.wsserver`), a text is written to the socket's
  transport inside :meth:`Connection.push`, without waking a task. The server
  refuses when the transport is flow-controlled (the client reads slowly) or
  closing; the text then takes the queued path.
* **queued**: otherwise the text joins the connection's queue and a writer task
  (started on demand, gone when the queue is empty) sends it through the ASGI
  ``send``, which waits while the transport is paused. As long as the queue is
  not empty or the writer is busy, every new text queues behind it.

Memory per connection is bounded: when a client reads too slowly and its queue
fills, the queue is emptied and the client is told to resync (it re-subscribes
with the last sequence numbers it saw and gets what it missed). A client that
keeps overflowing is disconnected (close code 4008). An idle connection holds no
task, no queue and no buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from estaminet.kernel.ratelimit import Monotonic
from estaminet.realtime.frames import Encoding, Frame, encode

__all__ = ["CLOSE_TOO_SLOW", "DIRECT_SEND", "Connection", "DirectSend", "Principal", "Socket"]

log = logging.getLogger(__name__)

CLOSE_TOO_SLOW = 4008
_MAX_OVERFLOWS = 3
_OVERFLOW_WINDOW = 60.0

DIRECT_SEND = "estaminet.direct_send"
"""The key of the :class:`DirectSend` extension in an ASGI WebSocket scope's ``extensions``."""


class Socket(Protocol):
    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class DirectSend(Protocol):
    """A server's way to write one text frame now, without awaiting.

    Both methods return ``False``, having written nothing, when they cannot
    write at once (the transport is paused by flow control, the socket is
    closing or not open): the caller then goes through the ordinary ASGI send.
    """

    @property
    def shared_encoding(self) -> Encoding | None:
        """How frames given to :meth:`try_send_frame` must be serialised.

        ``None`` when this connection's frames cannot be shared (an extension
        that keeps state across messages). Fixed once the handshake is done.
        """
        ...

    def try_send_frame(self, framed: bytes) -> bool:
        """Write a text frame serialised once for every connection (``shared_encoding``)."""
        ...

    def try_send_text(self, text: str) -> bool:
        """Write ``text`` as a text frame (the server frames it, e.g. compressed)."""
        ...


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is on the other end, as far as the gateway needs to know."""

    user_id: str
    display_name: str
    role: str
    session: str | None = None
    """A key of the sign-in session behind the socket (never the cookie itself): signing
    out closes that session's sockets and no other."""


_CLOSE = object()


class Connection:
    __slots__ = (
        "_close_code",
        "_direct",
        "_encoding",
        "_holding",
        "_monotonic",
        "_overflows",
        "_queue",
        "_writer",
        "closed",
        "id",
        "locale",
        "on_control",
        "principal",
        "queue_size",
        "socket",
        "subscriptions",
    )

    def __init__(
        self,
        socket: Socket,
        principal: Principal,
        locale: str,
        *,
        queue_size: int = 256,
        id: int = 0,
        direct: DirectSend | None = None,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self.socket = socket
        self.principal = principal
        self.locale = locale
        self.queue_size = queue_size
        self.id = id
        self.subscriptions: dict[str, Callable[[], None]] = {}
        self.on_control: Callable[[Connection, Frame], None] | None = None
        self.closed = False
        self._direct = direct
        self._monotonic = monotonic
        self._encoding = direct.shared_encoding if direct is not None else None
        self._close_code = 1000
        # Created on first use: most connections never need them.
        self._queue: deque[str | object] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._holding: dict[str, list[Frame]] | None = None
        self._overflows: deque[float] | None = None

    # -- sending -------------------------------------------------------------

    def push(self, text: str) -> None:
        """Send ``text`` without waiting: at once if possible, else queued; overflow resyncs."""
        if self.closed:
            return
        direct = self._direct
        if direct is not None and self._writer is None:
            try:
                if direct.try_send_text(text):
                    return
            except Exception:  # the socket broke under us: the queued path finds out and closes
                log.debug("direct send failed on connection %s", self.id, exc_info=True)
        self._enqueue(text)

    def push_json(self, payload: Mapping[str, object]) -> None:
        self.push(encode(payload))

    def push_catch_up(self, topic: str, seq: int, ops: list[dict[str, Any]], **extra: Any) -> None:
        """Bring this connection up to date on ``topic`` in one ``catch_up`` frame (a resume)."""
        self.push_json(
            {"type": "event", "topic": topic, "seq": seq, "kind": "catch_up", "ops": ops, **extra}
        )

    def deliver(self, frame: Frame) -> None:
        """The hub listener: send the frame in this connection's language."""
        if frame.control is not None:
            if self.on_control is not None:
                self.on_control(self, frame)
            return
        if self._holding is not None:
            held = self._holding.get(frame.topic)
            if held is not None:
                held.append(frame)
                return
        encoding = self._encoding
        if encoding is not None and self._writer is None and not self.closed:
            # The hot path of a broadcast: the frame's bytes, built once, straight to the socket.
            try:
                if self._direct.try_send_frame(frame.framed(self.locale, encoding)):  # type: ignore[union-attr]
                    return
            except Exception:
                log.debug("direct send failed on connection %s", self.id, exc_info=True)
        self.push(frame.text(self.locale))

    def _enqueue(self, text: str) -> None:
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        if len(queue) >= self.queue_size:
            self._overflow()
            return
        queue.append(text)
        self._start_writer()

    def _overflow(self) -> None:
        now = self._monotonic()
        overflows = self._overflows
        if overflows is None:
            overflows = self._overflows = deque()
        overflows.append(now)
        while overflows and now - overflows[0] > _OVERFLOW_WINDOW:
            overflows.popleft()
        assert self._queue is not None
        self._queue.clear()
        if len(overflows) >= _MAX_OVERFLOWS:
            log.info("closing connection %s: too slow", self.id)
            self.close_soon(CLOSE_TOO_SLOW)
            return
        self._queue.append(encode({"type": "resync", "topics": sorted(self.subscriptions)}))
        self._start_writer()

    def close_soon(self, code: int = 1000) -> None:
        """Stop sending and close the socket from the writer task."""
        if self._queue is None:
            self._queue = deque()
        self._queue.clear()
        self._queue.append(_CLOSE)
        self._close_code = code
        self._start_writer()

    def _start_writer(self) -> None:
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_queued())

    async def _write_queued(self) -> None:
        """Send queued texts in order through the ASGI send; end when the queue is empty."""
        queue = self._queue
        assert queue is not None
        try:
            while queue:
                item = queue.popleft()
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
        finally:
            self._writer = None
            if not queue:
                self._queue = None  # an idle connection keeps no queue

    async def stop(self) -> None:
        """Stop sending (the socket is gone): cancel the writer if it is running."""
        self.closed = True
        writer = self._writer
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    @property
    def queued(self) -> int:
        return len(self._queue) if self._queue is not None else 0

    @property
    def sending(self) -> bool:
        """Whether texts are waiting for the writer (the client is behind)."""
        return self._writer is not None

    # -- subscriptions -------------------------------------------------------

    def hold(self, topic: str) -> None:
        """Keep live frames of ``topic`` aside while its catch-up is computed."""
        if self._holding is None:
            self._holding = {}
        self._holding[topic] = []

    def release(self, topic: str, after: int) -> None:
        """Send the held frames newer than ``after`` and go live."""
        if self._holding is None:
            return
        held = self._holding.pop(topic, [])
        if not self._holding:
            self._holding = None
        for frame in held:
            if frame.seq > after:
                self.deliver(frame)  # its topic is no longer held: sent
