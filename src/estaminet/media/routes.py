"""HTTP routes of voice: the microphone test page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from estaminet.web.pages import page, require_user

__all__ = ["routes"]


async def mic_test(request: Request) -> Response:
    """A level meter and a short recording played back, with help when the microphone is refused."""
    require_user(request)
    return page(request, "media/mic_test.html")


routes = [Route("/voice/test", mic_test, methods=["GET"])]
