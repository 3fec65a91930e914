"""Who is visiting: the session and device cookies, the interface language.

Runs before every page: sets ``request.state.user`` (or ``None``),
``request.state.locale`` and ``request.state.csrf_anchor``. The device cookie
(a random id, long-lived) recognises a browser: a person coming back on the
same device is still signed in, and a banned person's device stays known.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from estaminet.kernel.user import User
from estaminet.translations import LANGUAGES, negotiate

__all__ = [
    "DEVICE_COOKIE",
    "LANG_COOKIE",
    "SESSION_COOKIE",
    "VisitorMiddleware",
    "cookie_header",
    "resolve_locale",
]

SESSION_COOKIE = "estaminet_session"
DEVICE_COOKIE = "estaminet_device"
LANG_COOKIE = "estaminet_lang"
YEAR = 365 * 24 * 3600

LoadUser = Callable[[str], Awaitable[User | None]]


def cookie_header(
    name: str,
    value: str,
    *,
    max_age: int | None = YEAR,
    secure: bool = False,
    http_only: bool = True,
    path: str = "/",
    same_site: str = "Lax",
) -> bytes:
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = path
    morsel["samesite"] = same_site
    if http_only:
        morsel["httponly"] = True
    if secure:
        morsel["secure"] = True
    if max_age is not None:
        morsel["max-age"] = max_age
    return morsel.OutputString().encode("latin-1")


def resolve_locale(conn: HTTPConnection, user: User | None, default: str) -> str:
    """The person's choice, else their browser's language, else the venue's default."""
    chosen = conn.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    if user is not None and user.locale in LANGUAGES:
        return user.locale
    return negotiate(conn.headers.get("accept-language"), default)


class VisitorMiddleware:
    def __init__(
        self, app: ASGIApp, load_user: LoadUser, default_locale: str, secure: bool
    ) -> None:
        self.app = app
        self.load_user = load_user
        self.default_locale = default_locale
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        device, new_device = await self._visit(scope)
        if scope["type"] == "websocket" or not new_device:
            await self.app(scope, receive, send)
            return

        async def send_with_device(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append(
                    (b"set-cookie", cookie_header(DEVICE_COOKIE, device, secure=self.secure))
                )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_device)

    async def _visit(self, scope: Scope) -> tuple[str, bool]:
        """Who is visiting, in ``scope["state"]``; their device id, and whether it is new.

        A method of its own so that the request's parsed headers and cookies are not kept
        in the frame of a WebSocket's whole life (an idle socket's memory, issue 20)."""
        conn = HTTPConnection(scope)
        session = conn.cookies.get(SESSION_COOKIE)
        user = await self.load_user(session) if session else None
        device = conn.cookies.get(DEVICE_COOKIE)
        new_device = device is None or not (16 <= len(device) <= 64) or not device.isascii()
        if new_device:
            device = secrets.token_urlsafe(24)
        assert device is not None
        state = scope.setdefault("state", {})
        state["user"] = user
        state["session"] = session if user else None
        state["device"] = device
        state["locale"] = resolve_locale(conn, user, self.default_locale)
        state["csrf_anchor"] = device
        return device, new_device
