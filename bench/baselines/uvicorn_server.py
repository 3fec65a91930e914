"""Baseline: the floor of Estaminet's own stack, uvicorn and Starlette with no venue.

The same server as Estaminet (uvicorn with the venue's options: its WebSocket protocol,
bounded messages, pings, proxy headers, its log), and a Starlette endpoint that does what a
room page's socket asks of it on arrival, and nothing more: accepted, it says it follows
the person's own topic, then answers each ``sub`` frame with ``subscribed``. No sign-in,
no database, no presence, no catch-up. What Estaminet costs per connection above this is
its own work; below it, nothing built on this stack can go (the reconnect bench's floor).

    python -m bench.baselines.uvicorn_server --port 8765
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

__all__ = ["app", "main"]


async def _socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(json.dumps({"type": "subscribed", "topic": "user:0", "seq": 0}))
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        try:
            frame = json.loads(message.get("text") or "")
            topic = str(frame["topic"])
        except (ValueError, KeyError, TypeError):
            continue
        await websocket.send_text(json.dumps({"type": "subscribed", "topic": topic, "seq": 0}))


app = Starlette(routes=[WebSocketRoute("/ws", _socket)])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--compression", action="store_true", help="permessage-deflate")
    args = parser.parse_args(argv)

    import uvicorn

    from estaminet.cli import server_options
    from estaminet.settings import load_settings

    options = server_options(load_settings(ws_compression=args.compression))
    uvicorn.run(app, host=args.host, port=args.port, **options)


if __name__ == "__main__":
    main()
