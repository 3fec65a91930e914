"""Baseline: a minimal python-socketio room server on uvicorn, what people use instead.

Clients ``join`` a room (acknowledged); a ``chat`` event is emitted to the room
named in it. Served by uvicorn as an ASGI app with the same WebSocket
implementation, event loop and compression switch as Estaminet.

    python -m bench.baselines.socketio_server --port 8766 [--compression]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import socketio
import uvicorn

__all__ = ["create_app", "main"]


def create_app() -> socketio.ASGIApp:
    """The Socket.IO server, wrapped as an ASGI application."""
    sio = socketio.AsyncServer(async_mode="asgi")

    @sio.event
    async def join(sid: str, room: str) -> str:
        await sio.enter_room(sid, room)
        return "joined"

    @sio.event
    async def chat(sid: str, data: dict[str, Any]) -> None:
        await sio.emit("chat", data, room=data["room"])

    return socketio.ASGIApp(sio)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--compression", action="store_true", help="permessage-deflate")
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        ws_max_size=1_048_576,
        ws_per_message_deflate=args.compression,
        log_level="warning",
        backlog=2048,
    )


if __name__ == "__main__":
    main()
