"""A tiny web server for test pages: a folder of pages plus Estaminet's own ``/static``.

The pages get Estaminet's security headers (its CSP included), so what runs in
them runs as it would in the venue.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

import estaminet
from estaminet.web.security import SecurityHeaders
from tests.support.live_server import free_port, uvicorn_thread

STATIC = Path(estaminet.__file__).parent / "web" / "static"


@contextmanager
def serve_pages(folder: Path, connect_to: Sequence[str] = ()) -> Iterator[str]:
    """Serve ``folder`` at ``/`` and Estaminet's static files at ``/static``; yields the base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = Starlette(
        routes=[
            Mount("/static", StaticFiles(directory=STATIC)),
            Mount("/", StaticFiles(directory=folder, html=True)),
        ],
        middleware=[Middleware(SecurityHeaders, allowed_origins=[base], connect_to=connect_to)],
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    with uvicorn_thread(config, "page server"):
        yield base
