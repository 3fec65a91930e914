"""Baseline: a bare ``websockets`` broadcast server, the practical limit for Python.

Every text message a client sends goes to every other client connected on the same
path (``/``: everyone; ``/<room>``: that room, for the many-rooms bench), encoded once
and written with :func:`websockets.asyncio.server.broadcast`. Nothing else: no
authentication, no storage. Runs on uvloop, like uvicorn does for
the two other servers.

    python -m bench.baselines.websockets_server --port 8765 [--compression]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence

from websockets.asyncio.server import ServerConnection, broadcast, serve

__all__ = ["main", "run"]


async def run(host: str, port: int, *, compression: bool) -> None:
    """Serve until SIGTERM or SIGINT."""
    rooms: dict[str, set[ServerConnection]] = {}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    async def handler(connection: ServerConnection) -> None:
        path = connection.request.path if connection.request is not None else "/"
        clients = rooms.setdefault(path, set())
        clients.add(connection)
        try:
            async for message in connection:
                broadcast(clients - {connection}, message)
        finally:
            clients.discard(connection)

    async with serve(
        handler,
        host,
        port,
        compression="deflate" if compression else None,
        max_size=1_048_576,
        backlog=2048,
    ):
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--compression", action="store_true", help="permessage-deflate")
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        runner = asyncio.run
    else:
        runner = uvloop.run
    runner(run(args.host, args.port, compression=args.compression))


if __name__ == "__main__":
    main()
