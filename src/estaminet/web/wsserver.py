"""uvicorn's sans-I/O WebSocket protocol, plus a way to write a frame without awaiting.

Through ASGI, every text a server sends is an awaited ``send`` coroutine
through the middleware stack, and a broadcast to 1,000 sockets wakes a writer
task for each. uvicorn's sans-I/O protocol writes to the transport
synchronously unless the transport is paused by flow control, so this
subclass offers that synchronous write directly, as the ASGI extension
``estaminet.direct_send`` (see :class:`estaminet.realtime.connection.DirectSend`):
the gateway's connections use it when nothing is queued, and fall back to the
ordinary ``send`` (which waits for the transport) whenever it says no.

Everything else is uvicorn's: handshake, keepalive pings, close, flow control.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

from estaminet.realtime.connection import DIRECT_SEND

__all__ = ["WebSocketProtocol", "uvicorn_ws"]


def uvicorn_ws(impl: str) -> str:
    """uvicorn's ``ws`` option for the ``ws_impl`` setting."""
    return "estaminet.web.wsserver:WebSocketProtocol" if impl == "estaminet" else impl


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """Pass as uvicorn's ``ws`` (``estaminet.web.wsserver:WebSocketProtocol``)."""

    flowing = True
    """False while the transport is paused by flow control, and once the connection is lost."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope: dict[str, Any] | None = getattr(self, "scope", None)
        if scope is not None:  # the upgrade was accepted: the app will run
            scope["extensions"][DIRECT_SEND] = self

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
    def takes_framed(self) -> bool:
        return not self.conn.extensions

    def _can_send(self) -> bool:
        # The websockets state is OPEN from the accepted handshake until a close frame
        # is sent or received, or the connection fails; ``flowing`` covers the rest.
        return self.flowing and self.conn.state is State.OPEN and self.initial_response is None

    def try_send_frame(self, framed: bytes) -> bool:
        """Write a pre-serialised text frame now, or return ``False`` having written nothing.

        For connections without extensions only (``takes_framed``): frames from a
        server are not masked, so without an extension the bytes of a text frame
        are the same on every connection.
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
