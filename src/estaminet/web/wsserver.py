"""uvicorn's sans-I/O WebSocket protocol, plus a way to write a frame without awaiting.

Through ASGI, every text a server sends is an awaited ``send`` coroutine
through the middleware stack, and a broadcast to 1,000 sockets wakes a writer
task for each. uvicorn's sans-I/O protocol writes to the transport
synchronously unless the transport is paused by flow control, so this
subclass offers that synchronous write directly, as the ASGI extension
``estaminet.direct_send`` (see :class:`estaminet.realtime.connection.DirectSend`):
the gateway's connections use it when nothing is queued, and fall back to the
ordinary ``send`` (which waits for the transport) whenever it says no.

It also keeps an idle connection smaller: uvicorn's receive queue and its
"writable" flag are an ``asyncio.Queue`` and an ``asyncio.Event``, five deques
(about 3.8 KB) for one consumer that rarely waits; here they are a list and a
future made only while someone waits.

With permessage-deflate on, it negotiates *no context takeover* both ways
(RFC 7692, 7.1.1.1 and 7.1.1.2; a server may do so whatever the client
offered): each message is compressed on its own, so a frame broadcast to many
connections is compressed once for all of them
(:class:`estaminet.realtime.frames.Encoding`) instead of once per connection,
and an idle connection keeps neither a compressor nor a decompressor (what a
browser sends, small actions, gains little from a context). The window sizes
and zlib settings are uvicorn's.

Nothing keeps the handshake's request once it is answered. websockets' request
parser, ``ServerProtocol.parse``, reads the request then ``yield from``s the
frame parser for the connection's whole life, its ``request`` local (the
headers as websockets parsed them, about 3 KB with a browser's cookies) with
it; uvicorn keeps the request and the 101 response as attributes and never
reads them again. As soon as that generator waits for a frame's first byte
with nothing buffered, it is swapped for a fresh frame parser, which is then
in exactly the same state (what a frame parser carries from one frame to the
next, such as a fragmented message's size, lives on the connection, not in the
generator); otherwise it is left alone until a later packet. uvicorn's
``request`` goes with the ``websocket.connect`` event, its ``response`` once
the 101 is written. The ASGI scope's ``headers`` are the app's: the gateway
empties them once the socket is accepted (:mod:`estaminet.realtime.gateway`).

uvicorn's protocol sets 37 attributes on each connection, 13 of them to the same
values on every connection of a server (its config, app, loop, logger, shared sets
and timings). Above 29 attributes CPython 3.11 stops sharing an instance
dictionary's keys between the instances of a class, and each connection's
dictionary grows from about 0.3 KB to 1.6 KB. Those 13 are kept once per server
here, by descriptors (:class:`_SameEverywhere`), so a connection's own attributes
stay under the limit.

Keepalive pings are uvicorn's, but due by the tick of one timer for the whole
server rather than one timer per connection (:class:`_Pings`).

Everything else is uvicorn's: handshake, ping and pong, close, flow control.
"""

from __future__ import annotations

import asyncio
import functools
import math
import weakref
import zlib
from types import GeneratorType
from typing import Any, Generic, TypeVar

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.http11 import Request
from websockets.protocol import Protocol, State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader

from estaminet.realtime.connection import DIRECT_SEND
from estaminet.realtime.frames import PLAIN, Encoding

__all__ = ["WebSocketProtocol", "uvicorn_ws"]

T = TypeVar("T")

_WINDOW_BITS = 12
_MEM_LEVEL = 5
"""uvicorn's (and websockets') permessage-deflate settings."""


@functools.cache
def _deflate(bits: int, mem_level: int) -> Encoding:
    return Encoding(deflate_bits=bits, mem_level=mem_level)


_WAITING_FOR_A_FRAME = (
    ServerProtocol.parse.__code__,  # past the request: only ``yield from super().parse()`` left
    Protocol.parse.__code__,  # at the top of its loop, in ``reader.at_eof()``
    StreamReader.at_eof.__code__,
)


def _between_frames(conn: ServerProtocol) -> bool:
    """Whether ``conn``'s handshake parser is waiting for a frame and has read none of it."""
    parser: object = conn.parser
    for code in _WAITING_FOR_A_FRAME:
        if not isinstance(parser, GeneratorType) or parser.gi_code is not code:
            return False
        parser = parser.gi_yieldfrom
    return parser is None and not conn.reader.buffer and not conn.reader.eof


_UNSET: Any = object()

SAME_EVERYWHERE = (
    "config",  # first: uvicorn sets it first, and it names the server
    "app",
    "loop",
    "logger",
    "root_path",
    "asgi_version",
    "app_state",
    "connections",
    "tasks",
    "default_headers",
    "close_timeout",
    "ping_interval",
    "ping_timeout",
)
"""What uvicorn's ``__init__`` sets on each connection to what it sets on every other
connection of the same server (the same uvicorn ``Config``)."""


class _Server:
    """The values of :data:`SAME_EVERYWHERE` for the connections of one server, and its
    keepalive pings."""

    __slots__ = ("mixed", "pings", "values")

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.mixed: set[str] = set()  # names some connection was given another value for
        self.pings: _Pings | None = None


class _Due:
    """A connection's next keepalive ping, as uvicorn's ``ping_timer``: it can be cancelled."""

    __slots__ = ("connection", "tick")

    def __init__(self, tick: dict[Any, None], connection: Any) -> None:
        self.tick = tick
        self.connection = connection

    def cancel(self) -> None:
        self.tick.pop(self.connection, None)


class _Pings:
    """The keepalive pings of one server's connections, gathered by tick: one loop timer
    for each tick that has pings due, instead of one per connection (uvloop's timer
    handle, its libuv timer and the bound method it calls: about 0.6 KB for each idle
    connection). A ping goes at most one tick late; the tick is a tenth of the ping
    interval, at most a second."""

    __slots__ = ("due", "loop", "tick")

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self.loop = loop
        self.tick = min(1.0, interval / 10)
        self.due: dict[int, dict[Any, None]] = {}  # tick number -> connections, in order

    def schedule(self, connection: Any, delay: float) -> _Due:
        number = math.ceil((self.loop.time() + delay) / self.tick)
        due = self.due.get(number)
        if due is None:
            due = self.due[number] = {}
            self.loop.call_at(number * self.tick, self._ping, number)
        due[connection] = None
        return _Due(due, connection)

    def _ping(self, number: int) -> None:
        for connection in self.due.pop(number, {}):
            try:
                connection.send_keepalive_ping()
            except Exception as error:  # one connection's failure is not the others'
                self.loop.call_exception_handler(
                    {"message": "keepalive ping failed", "exception": error, "protocol": connection}
                )


_SERVERS: weakref.WeakKeyDictionary[Any, _Server] = weakref.WeakKeyDictionary()


class _SameEverywhere:
    """One of :data:`SAME_EVERYWHERE`, kept once per server (per uvicorn ``Config``): a
    connection holds only ``_server``. A connection given another value than the others
    of its server (uvicorn does not; the code stays right if it ever does) keeps its own,
    as an attribute of its own."""

    __slots__ = ("name", "own")

    def __init__(self, name: str) -> None:
        self.name = name
        self.own = f"_own_{name}"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        server: _Server = obj._server
        if self.name in server.mixed:
            own = getattr(obj, self.own, _UNSET)
            if own is not _UNSET:
                return own
        try:
            return server.values[self.name]
        except KeyError:
            raise AttributeError(self.name) from None

    def __set__(self, obj: Any, value: Any) -> None:
        if self.name == "config":
            server = _SERVERS.get(value)
            if server is None:
                server = _SERVERS[value] = _Server()
            obj._server = server
        server = obj._server
        kept = server.values.setdefault(self.name, value)
        if value is kept:
            if self.name in server.mixed and hasattr(obj, self.own):
                delattr(obj, self.own)
            return
        server.mixed.add(self.name)
        setattr(obj, self.own, value)


def uvicorn_ws(impl: str) -> str:
    """uvicorn's ``ws`` option for the ``ws_impl`` setting."""
    return "estaminet.web.wsserver:WebSocketProtocol" if impl == "estaminet" else impl


class Inbox(Generic[T]):
    """The part of ``asyncio.Queue`` uvicorn's protocol uses, for a single consumer."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[T] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: T) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> T:
        while not self._items:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items


class Gate:
    """The part of ``asyncio.Event`` uvicorn's protocol uses (``writable``), without a deque."""

    __slots__ = ("_open", "_waiters")

    def __init__(self) -> None:
        self._open = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> None:
        while not self._open:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if self._waiters is not None and waiter in self._waiters:
                    self._waiters.remove(waiter)


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """Pass as uvicorn's ``ws`` (``estaminet.web.wsserver:WebSocketProtocol``)."""

    flowing = True
    """False while the transport is paused by flow control, and once the connection is lost."""

    _server: _Server

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Same interface, fewer bytes (see the module's docstring).
        self.queue: Inbox[Any] = Inbox()  # type: ignore[assignment]
        self.writable: Gate = Gate()  # type: ignore[assignment]
        if self.config.ws_per_message_deflate:
            self.conn.available_extensions = [
                ServerPerMessageDeflateFactory(
                    server_no_context_takeover=True,
                    client_no_context_takeover=True,
                    server_max_window_bits=_WINDOW_BITS,
                    client_max_window_bits=_WINDOW_BITS,
                    compress_settings={"memLevel": _MEM_LEVEL},
                )
            ]

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if _between_frames(self.conn):  # once, unless a frame was cut in the handshake's packet
            # The same frame parser without the request it was parsed after (see the module's
            # docstring); closing the old one runs no ``except`` (GeneratorExit is not Exception).
            fresh = Protocol.parse(self.conn)
            next(fresh)
            old, self.conn.parser = self.conn.parser, fresh
            old.close()

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        del self.request  # uvicorn never reads it again
        scope: dict[str, Any] | None = getattr(self, "scope", None)
        if scope is not None:  # the upgrade was accepted: the app will run
            scope["extensions"][DIRECT_SEND] = self

    def start_keepalive(self) -> None:
        # uvicorn calls this once, right after writing the 101 response: its last use of it.
        del self.response
        super().start_keepalive()

    def schedule_ping(self) -> None:
        # uvicorn's, on the server's ticks (:class:`_Pings`) instead of a timer of its own.
        assert self.ping_interval is not None
        server = self._server
        if server.pings is None or server.pings.loop is not self.loop:
            server.pings = _Pings(self.loop, self.ping_interval)
        delay = max(0.0, self.ping_interval - self.last_ping_rtt)
        self.ping_timer = server.pings.schedule(self, delay)  # type: ignore[assignment]

    def pause_writing(self) -> None:
        self.flowing = False
        super().pause_writing()

    def resume_writing(self) -> None:
        self.flowing = True
        super().resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.flowing = False
        super().connection_lost(exc)

    @property
    def shared_encoding(self) -> Encoding | None:
        extensions = self.conn.extensions
        if not extensions:
            return PLAIN
        match extensions:
            case [PerMessageDeflate(local_no_context_takeover=True) as deflate]:
                return _deflate(
                    deflate.local_max_window_bits,
                    deflate.compress_settings.get("memLevel", zlib.DEF_MEM_LEVEL),
                )
        return None  # an extension that keeps state across messages: framed per connection

    def _can_send(self) -> bool:
        # The websockets state is OPEN from the accepted handshake until a close frame
        # is sent or received, or the connection fails; ``flowing`` covers the rest.
        return self.flowing and self.conn.state is State.OPEN and self.initial_response is None

    def try_send_frame(self, framed: bytes) -> bool:
        """Write a pre-serialised text frame now, or return ``False`` having written nothing.

        The frame must be serialised as :attr:`shared_encoding` says: frames from a
        server are not masked, and without context takeover a compressed message
        does not depend on the messages before it, so its bytes are the same on
        every connection with the same encoding.
        """
        if not (self.flowing and self.conn.state is State.OPEN and self.initial_response is None):
            return False
        self.transport.write(framed)
        return True

    def try_send_text(self, text: str) -> bool:
        """Write ``text`` as a frame now, or return ``False`` having written nothing.

        ``False`` when the ASGI ``send`` would have to wait (the transport is
        paused) or could not send a text at all (not accepted, closing, closed).
        """
        if not self._can_send():
            return False
        self.conn.send_text(text.encode())
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True


for _name in SAME_EVERYWHERE:
    setattr(WebSocketProtocol, _name, _SameEverywhere(_name))
