"""Security headers, CSRF tokens and the Origin check for state-changing requests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from estaminet.kernel.errors import Forbidden
from estaminet.kernel.i18n import N_
from estaminet.kernel.storable import check_storable
from estaminet.services import services

__all__ = [
    "CSP",
    "HSTS",
    "SecurityHeaders",
    "check_csrf",
    "content_security_policy",
    "csrf_token",
    "form_with_csrf",
]


def content_security_policy(connect_to: Iterable[str] = ()) -> str:
    """The CSP; ``connect_to`` adds HTTP APIs the pages may call (Janus's, for crowd voice).

    Each address is allowed exactly and as a path prefix (``…/janus`` and ``…/janus/``).
    """
    extra = []
    for url in connect_to:
        base = url.rstrip("/")
        if not base.startswith(("http://", "https://")) or any(c in base for c in " ;,'\""):
            raise ValueError(f"not an http(s) address for connect-src: {url!r}")
        extra += [base, base + "/"]
    connect = " ".join(["'self'", *extra])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        f"media-src 'self' blob:; connect-src {connect}; font-src 'self'; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


CSP = content_security_policy()


def _headers(csp: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"camera=(self), microphone=(self), geolocation=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]


_HEADERS = _headers(CSP)
HSTS = "max-age=31536000"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class SecurityHeaders:
    """Adds the security headers to every HTTP response; refuses cross-site state changes."""

    def __init__(
        self,
        app: ASGIApp,
        allowed_origins: Iterable[str],
        connect_to: Iterable[str] = (),
        *,
        https: bool = False,
    ) -> None:
        self.app = app
        self.allowed = frozenset(o.rstrip("/") for o in allowed_origins)
        self.headers = _headers(content_security_policy(connect_to))
        if https:
            # Served over https (``base_url``): browsers never try plain http again for a year.
            self.headers.append((b"strict-transport-security", HSTS.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in _UNSAFE:
            headers = dict(scope["headers"])
            origin = headers.get(b"origin")
            if origin is not None and origin.decode("latin-1").rstrip("/") not in self.allowed:
                await _refuse(send)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in self.headers if k not in existing
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse(send: Send) -> None:
    body = b"Cross-site request refused."
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *_HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _bound(secret: str, anchor: str) -> bytes:
    return hmac.new(secret.encode(), f"csrf:{anchor}".encode(), hashlib.sha256).digest()


def csrf_token(secret: str, anchor: str) -> str:
    """The form token bound to a browser (its session or device cookie), masked afresh.

    Pages are compressed on the wire; a secret repeated unchanged in compressed pages
    that also echo what a visitor typed could be guessed from response sizes (BREACH).
    So each page carries the bound token XOR a new random mask, with the mask.
    """
    bound = _bound(secret, anchor)
    mask = secrets.token_bytes(len(bound))
    return (mask + bytes(a ^ b for a, b in zip(mask, bound, strict=True))).hex()


def check_csrf(secret: str, anchor: str, given: str | None) -> None:
    bound = _bound(secret, anchor)
    try:
        raw = bytes.fromhex(given or "")
    except ValueError:
        raw = b""
    mask, masked = raw[: len(bound)], raw[len(bound) :]
    unmasked = bytes(a ^ b for a, b in zip(mask, masked, strict=False))
    if len(masked) != len(bound) or not hmac.compare_digest(unmasked, bound):
        raise Forbidden("web/csrf", N_("This form has expired. Reload the page and try again."))


async def form_with_csrf(request: Request) -> FormData:
    """The request's form, after checking its CSRF token (field ``csrf``) and that every
    field is text the store can keep (no NUL, no lone surrogate: ``text/unstorable``)."""
    form = await request.form()
    given = form.get("csrf")
    check_csrf(
        services(request).secret,
        request.state.csrf_anchor,
        given if isinstance(given, str) else request.headers.get("x-csrf-token"),
    )
    check_storable(value for item in form.multi_items() for value in item)
    return form
