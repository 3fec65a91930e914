"""Rendering pages and fragments for a request, with the shell's common context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from estaminet.kernel.errors import EstaminetError, SignInRequired
from estaminet.kernel.i18n import N_, Msgid
from estaminet.kernel.user import ROLE_LABELS, User
from estaminet.services import services
from estaminet.translations import translate
from estaminet.web.security import csrf_token

__all__ = ["error_page", "fragment", "page", "page_context", "require_user", "tr"]


def page_context(request: Request) -> dict[str, Any]:
    """What every template gets: the person, the language, the form token, the venue, the
    hub's era (``<body data-era>``: the life of the numbers the page's ``data-seq`` are of)."""
    return _common(request)


def _common(request: Request) -> dict[str, Any]:
    state = request.state
    app_state = services(request)
    return {
        "request": request,
        "user": state.user,
        "locale": state.locale,
        "csrf": csrf_token(app_state.secret, state.csrf_anchor),
        "venue_name": app_state.venue_name,
        "path": request.url.path,
        "role_labels": ROLE_LABELS,
        # The life of the hub's numbers (docs/protocol.md): every data-seq the hub numbered.
        "hub_era": app_state.hub.era,
    }


def page(
    request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A full page in the visitor's language."""
    html = services(request).templates.render(
        template, request.state.locale, {**_common(request), **(context or {})}
    )
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


def fragment(
    request: Request, template: str, context: Mapping[str, Any] | None = None
) -> HTMLResponse:
    """A piece of HTML for the live client to insert."""
    html = services(request).templates.render(
        template, request.state.locale, {**_common(request), **(context or {})}
    )
    return HTMLResponse(html, headers={"cache-control": "no-store"})


def tr(request: Request, msgid: Msgid, **params: Any) -> str:
    return translate(request.state.locale, msgid, params)


def error_page(request: Request, error: EstaminetError) -> HTMLResponse:
    """The friendly page for a refusal: a translated message and a way forward."""
    return page(
        request,
        "error.html",
        {
            "message": tr(request, error.message, **error.params),
            "code": error.code,
            "title": _TITLES.get(error.status, N_("Oops")),
        },
        status=error.status,
    )


_TITLES = {
    401: N_("Please sign in"),
    403: N_("Not here"),
    404: N_("Not found"),
    410: N_("No longer available"),
    413: N_("Too large"),
    429: N_("Slow down"),
}


def require_user(request: Request) -> User:
    user: User | None = request.state.user
    if user is None:
        raise SignInRequired(
            "people/sign_in", N_("You need an invite link or an account to enter the venue.")
        )
    return user
