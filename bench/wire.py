"""A lean WebSocket client connection: an asyncio protocol around websockets' sans-I/O core.

One process has to hold 1,000+ connections and read tens of thousands of
frames per second without becoming the bottleneck it measures. The
``websockets`` asyncio client runs a reader task and a message assembler per
connection; this connection parses in ``data_received`` instead, with the
library's own sans-I/O ``ClientProtocol`` (handshake, masking, pings,
permessage-deflate), and hands each message to one plain function together with
the time its bytes arrived.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import cast

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri

__all__ = ["OnMessage", "WireClosed", "WireConnection"]

OnMessage = Callable[[bytes | bytearray, float], None]
"""Called with each complete message (text or binary) and the ``time.time()`` it arrived."""


class WireClosed(Exception):
    """The connection could not be opened, or was closed by the server."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(f"{reason} (close code {code})" if code is not None else reason)
        self.reason = reason
        self.code = code


class WireConnection(asyncio.Protocol):
    """One client WebSocket; build it with :meth:`open`."""

    def __init__(self, protocol: ClientProtocol, on_message: OnMessage) -> None:
        self._protocol = protocol
        self.on_message = on_message
        self._transport: asyncio.Transport | None = None
        self._opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._fragments: list[bytes | bytearray] = []
        self.received = 0
        """Bytes read from the socket (frames as sent: compressed, with their headers)."""
        self.closed = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        path: str,
        *,
        on_message: OnMessage,
        headers: Mapping[str, str] | None = None,
        origin: str | None = None,
        compression: bool = False,
        within: float = 30.0,
    ) -> WireConnection:
        """Connect and complete the opening handshake, or raise :class:`WireClosed`."""
        protocol = ClientProtocol(
            parse_uri(f"ws://{host}:{port}{path}"),
            origin=Origin(origin) if origin else None,
            extensions=enable_client_permessage_deflate(None) if compression else None,
            max_size=None,
        )
        loop = asyncio.get_running_loop()
        _, connection = await asyncio.wait_for(
            loop.create_connection(lambda: cls(protocol, on_message), host, port), within
        )
        request = protocol.connect()
        for name, value in (headers or {}).items():
            request.headers[name] = value
        protocol.send_request(request)
        connection._flush()
        try:
            await asyncio.wait_for(asyncio.shield(connection._opened), within)
        except BaseException:
            connection.abort()
            raise
        return connection

    # -- asyncio.Protocol ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        self.received += len(data)
        protocol = self._protocol
        protocol.receive_data(data)
        for event in protocol.events_received():
            if isinstance(event, Frame):
                self._frame(event, arrived)
            elif isinstance(event, Response):
                self._handshake_done()
        self._flush()
        if protocol.close_expected() and self._transport is not None:
            self._transport.close()

    def eof_received(self) -> bool | None:
        self._protocol.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        code = self._protocol.close_rcvd.code if self._protocol.close_rcvd else None
        failure = WireClosed("connection lost", code)
        if not self._opened.done():
            self._opened.set_exception(failure)
        if not self.closed.done():
            self.closed.set_result(None)

    # -- sending -------------------------------------------------------------

    def send_text(self, text: str) -> None:
        """Send one text message (masked, as clients must)."""
        if self._protocol.state is not State.OPEN:
            raise WireClosed("not open", self.close_code)
        self._protocol.send_text(text.encode())
        self._flush()

    async def close(self, within: float = 2.0) -> None:
        """Start the closing handshake; abort if the server does not finish it in time."""
        if self._protocol.state is State.OPEN:
            self._protocol.send_close(1000)
            self._flush()
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), within)
        except TimeoutError:
            self.abort()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    @property
    def is_open(self) -> bool:
        return self._protocol.state is State.OPEN

    @property
    def close_code(self) -> int | None:
        received = self._protocol.close_rcvd
        return received.code if received else None

    # -- internals -------------------------------------------------------------

    def _handshake_done(self) -> None:
        if self._opened.done():
            return
        failure = self._protocol.handshake_exc
        if failure is not None:
            self._opened.set_exception(WireClosed(f"handshake refused: {failure}"))
        else:
            self._opened.set_result(None)

    def _frame(self, frame: Frame, arrived: float) -> None:
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            if frame.fin:
                self.on_message(frame.data, arrived)
            else:
                self._fragments = [frame.data]
        elif frame.opcode is Opcode.CONT:
            self._fragments.append(frame.data)
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), []
                self.on_message(data, arrived)

    def _flush(self) -> None:
        transport = self._transport
        for chunk in self._protocol.data_to_send():
            if transport is None or transport.is_closing():
                return
            if chunk:
                transport.write(chunk)
            elif transport.can_write_eof():  # the sans-I/O signal to half-close the stream
                transport.write_eof()
