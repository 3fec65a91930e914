"""Request bodies are bounded before they are read: 413 beyond the route's limit.

A form post is read into memory by the form parser; without a bound, a few
anonymous 300 MB posts fill the server's memory before any check runs. This
middleware gives each request a limit (settings ``body_max_*``, see the
README) and wraps its ``receive``: a declared ``Content-Length`` over the
limit is refused before a byte is read, and a body sent without one (chunked)
is refused as soon as what arrived passes the limit. The refusal is an
:class:`EstaminetError` (413), so the person gets the translated error page.

* anyone not signed in (sign-in, invites, links, language): ``body_max_public_bytes``;
* a signed-in person's forms: ``body_max_bytes``;
* the forms that carry a file (the agenda's, the quiz editor's and the hats' pictures and
  sounds, a bank's export): ``body_max_upload_bytes``.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from estaminet.kernel.errors import EstaminetError
from estaminet.kernel.i18n import N_
from estaminet.settings import Settings

__all__ = ["BodyLimits", "TooLarge", "body_limit"]

_UPLOADS = re.compile(
    r"^/(?:agenda/(?:new|\d+/edit)|quiz/(?:new|\d+/edit)|hats/(?:new|\d+/edit|\d+/import))$"
)


class TooLarge(EstaminetError):
    status = 413
    close_code = 1009
    default_message = N_("What you sent is too large.")


def body_limit(settings: Settings, path: str, signed_in: bool) -> int:
    """The largest body a request to ``path`` may carry."""
    if not signed_in:
        return settings.body_max_public_bytes
    if _UPLOADS.match(path):
        # The picture the agenda accepts always fits, whatever the two settings say.
        return max(
            settings.body_max_upload_bytes,
            settings.agenda_picture_max_bytes + settings.body_max_bytes,
        )
    return settings.body_max_bytes


def _too_large(limit: int) -> TooLarge:
    return TooLarge(
        "web/too_large",
        N_("What you sent is too large (at most %(kilobytes)s KB here)."),
        kilobytes=max(1, limit // 1000),
    )


class BodyLimits:
    """ASGI middleware; runs after the visitor middleware (it needs to know who is signed in)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        signed_in = scope.get("state", {}).get("user") is not None
        limit = body_limit(self.settings, scope["path"], signed_in)
        declared: int | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
        received = 0

        async def bounded() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise _too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, bounded, send)
