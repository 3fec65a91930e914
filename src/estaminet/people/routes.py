"""HTTP routes of the people feature: invites, sign-in, profile, administration of people."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import segno
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from estaminet.kernel.errors import BadInput, EstaminetError, Forbidden
from estaminet.kernel.i18n import N_
from estaminet.people import access, actions
from estaminet.people.model import ROLE_LABELS, Role
from estaminet.people.queries import list_people, moderation_entries
from estaminet.translations import LANGUAGES
from estaminet.venue.rooms import list_rooms
from estaminet.web.pages import error_page, page, require_user
from estaminet.web.security import form_with_csrf
from estaminet.web.visitor import LANG_COOKIE, SESSION_COOKIE, cookie_header

__all__ = ["routes"]


def _services(request: Request) -> Any:
    return request.app.state


def _signed_in(response: Response, request: Request, session_id: str) -> Response:
    response.raw_headers.append(
        (
            b"set-cookie",
            cookie_header(
                SESSION_COOKIE, session_id, secure=_services(request).settings.secure_cookies
            ),
        )
    )
    return response


def _now(request: Request) -> Any:
    return _services(request).clock()


def _safe_next(value: object) -> str:
    """Only same-site paths are followed after a form."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value if not urlsplit(value).netloc else "/"


# -- invites -------------------------------------------------------------------


async def invite_page(request: Request) -> Response:
    state = _services(request)
    token = request.path_params["token"]
    invite = await actions.find_invite(state.db, token)
    if invite is None:
        return page(
            request,
            "people/invite_problem.html",
            {
                "problem": N_(
                    "This invite link does not work. Check that it was copied whole, or ask for a new one."
                )
            },
            status=404,
        )
    problem = invite.problem(_now(request))
    if problem is not None:
        return page(
            request,
            "people/invite_problem.html",
            {"problem": actions.invite_problem_message(problem)},
            status=410,
        )
    return page(request, "people/invite.html", {"token": token, "name": "", "error": None})


async def invite_accept(request: Request) -> Response:
    state = _services(request)
    token = request.path_params["token"]
    form = await form_with_csrf(request)
    name = str(form.get("name", ""))
    try:
        user, session_id = await actions.accept_invite(
            state.db, token, name, request.state.device, _now(request)
        )
    except BadInput as error:
        return page(
            request,
            "people/invite.html",
            {"token": token, "name": name, "error": error},
            status=400,
        )
    except EstaminetError as error:
        if error.code.startswith("people/invite"):
            return page(
                request,
                "people/invite_problem.html",
                {"problem": error.message},
                status=error.status,
            )
        raise
    del user
    return _signed_in(RedirectResponse("/?welcome=1", status_code=303), request, session_id)


# -- sign-in -------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    return page(request, "people/login.html", {"email": "", "error": None})


async def login_submit(request: Request) -> Response:
    state = _services(request)
    form = await form_with_csrf(request)
    email = str(form.get("email", ""))
    try:
        _, session_id = await actions.sign_in(
            state.db, email, str(form.get("password", "")), request.state.device, _now(request)
        )
    except (BadInput, Forbidden) as error:
        return page(request, "people/login.html", {"email": email, "error": error}, status=400)
    return _signed_in(RedirectResponse("/", status_code=303), request, session_id)


async def link_page(request: Request) -> Response:
    return page(request, "people/link.html", {"token": request.path_params["token"]})


async def link_use(request: Request) -> Response:
    state = _services(request)
    await form_with_csrf(request)
    _, session_id = await actions.use_login_link(
        state.db, request.path_params["token"], request.state.device, _now(request)
    )
    return _signed_in(RedirectResponse("/", status_code=303), request, session_id)


async def logout(request: Request) -> Response:
    await form_with_csrf(request)
    if request.state.session:
        await actions.sign_out(_services(request).db, request.state.session, _now(request))
    response = RedirectResponse("/", status_code=303)
    response.raw_headers.append((b"set-cookie", cookie_header(SESSION_COOKIE, "", max_age=0)))
    return response


async def set_language(request: Request) -> Response:
    form = await form_with_csrf(request)
    lang = str(form.get("lang", ""))
    if lang not in LANGUAGES:
        raise BadInput("web/unknown_language", N_("This language is not available."))
    user = request.state.user
    if user is not None:
        await actions.set_locale(_services(request).db, user, lang)
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    response.raw_headers.append((b"set-cookie", cookie_header(LANG_COOKIE, lang, http_only=False)))
    return response


# -- profile -------------------------------------------------------------------


async def profile(request: Request) -> Response:
    user = require_user(request)
    return page(request, "people/profile.html", {"link": None, "error": None, "me": user})


async def profile_name(request: Request) -> Response:
    user = require_user(request)
    form = await form_with_csrf(request)
    try:
        await actions.set_display_name(_services(request).db, user, str(form.get("name", "")))
    except BadInput as error:
        return page(
            request, "people/profile.html", {"link": None, "error": error, "me": user}, status=400
        )
    return RedirectResponse("/me?saved=1", status_code=303)


async def profile_link(request: Request) -> Response:
    user = require_user(request)
    await form_with_csrf(request)
    state = _services(request)
    token = await actions.create_login_link(state.db, user, _now(request), purpose="return")
    url = f"{state.settings.base_url.rstrip('/')}/l/{token}"
    return page(
        request, "people/profile.html", {"link": url, "qr": _qr(url), "error": None, "me": user}
    )


async def profile_account(request: Request) -> Response:
    user = require_user(request)
    form = await form_with_csrf(request)
    state = _services(request)
    try:
        await actions.become_member(
            state.db,
            user,
            str(form.get("email", "")),
            str(form.get("password", "")),
            self_membership=state.settings.self_membership,
        )
    except EstaminetError as error:
        return page(
            request, "people/profile.html", {"link": None, "error": error, "me": user}, status=400
        )
    return RedirectResponse("/me?account=1", status_code=303)


# -- administration ------------------------------------------------------------


def _moderator(request: Request) -> Any:
    user = require_user(request)
    if not access.can_moderate(user):
        raise Forbidden("people/moderators_only", N_("This page is for moderators and admins."))
    return user


def _qr(url: str) -> str:
    return str(segno.make(url, error="m").svg_data_uri(scale=5, border=2, dark="#1d1b16"))


async def invites_page(request: Request) -> Response:
    user = _moderator(request)
    invites = await actions.list_invites(_services(request).db)
    return page(
        request,
        "people/invites.html",
        {
            "invites": invites,
            "roles": access.assignable_roles(user),
            "role_labels": ROLE_LABELS,
            "created": None,
            "now": _now(request),
            "error": None,
        },
    )


_EXPIRIES = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "365d": timedelta(days=365),
}


async def invites_create(request: Request) -> Response:
    user = _moderator(request)
    state = _services(request)
    form = await form_with_csrf(request)
    created = None
    error: EstaminetError | None = None
    try:
        role = Role(str(form.get("role", "guest")))
    except ValueError:
        role = Role.GUEST
    uses_raw = str(form.get("max_uses", "")).strip()
    try:
        max_uses = int(uses_raw) if uses_raw else None
        expiry = _EXPIRIES.get(str(form.get("expires", "7d")), timedelta(days=7))
        invite, token = await actions.create_invite(
            state.db,
            user,
            _now(request),
            role=role,
            expires_in=expiry,
            max_uses=max_uses,
            note=str(form.get("note", "")),
        )
        url = f"{state.settings.base_url.rstrip('/')}/i/{token}"
        created = {"invite": invite, "url": url, "qr": _qr(url)}
    except ValueError:
        error = BadInput(
            "people/invite_uses", N_("The number of uses must be between 1 and 10000.")
        )
    except EstaminetError as exc:
        error = exc
    invites = await actions.list_invites(state.db)
    return page(
        request,
        "people/invites.html",
        {
            "invites": invites,
            "roles": access.assignable_roles(user),
            "role_labels": ROLE_LABELS,
            "created": created,
            "now": _now(request),
            "error": error,
        },
        status=400 if error else 200,
    )


async def invite_revoke(request: Request) -> Response:
    user = _moderator(request)
    await form_with_csrf(request)
    await actions.revoke_invite(
        _services(request).db, user, request.path_params["invite_id"], _now(request)
    )
    return RedirectResponse("/admin/invites", status_code=303)


async def people_page(request: Request) -> Response:
    user = _moderator(request)
    async with _services(request).db.read() as conn:
        people = await list_people(conn)
        log = await moderation_entries(conn, 50)
        teams = [room for room in await list_rooms(conn) if room.visibility.value == "team"]
    names = {p.id: p.display_name for p in people}
    return page(
        request,
        "people/people.html",
        {
            "people": people,
            "roles": access.assignable_roles(user),
            "role_labels": ROLE_LABELS,
            "log": log,
            "teams": teams,
            "names": names,
            "me": user,
        },
    )


async def people_role(request: Request) -> Response:
    user = _moderator(request)
    form = await form_with_csrf(request)
    try:
        role = Role(str(form.get("role", "")))
    except ValueError as exc:
        raise BadInput("people/unknown_role", N_("This role does not exist.")) from exc
    await actions.set_role(
        _services(request).db, user, request.path_params["user_id"], role, _now(request)
    )
    _services(request).venue.forget_user(request.path_params["user_id"])
    return RedirectResponse("/admin/people", status_code=303)


async def people_ban(request: Request) -> Response:
    user = _moderator(request)
    form = await form_with_csrf(request)
    state = _services(request)
    banned = form.get("banned") == "1"
    target = await actions.set_ban(
        state.db,
        user,
        request.path_params["user_id"],
        _now(request),
        banned=banned,
        reason=str(form.get("reason", "")),
    )
    state.venue.forget_user(target.id)
    if banned:
        await state.venue.control(target.id, {"action": "close", "code": 4403})
    return RedirectResponse("/admin/people", status_code=303)


async def handle_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, EstaminetError)
    return error_page(request, error)


routes = [
    Route("/i/{token}", invite_page, methods=["GET"]),
    Route("/i/{token}", invite_accept, methods=["POST"]),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/l/{token}", link_page, methods=["GET"]),
    Route("/l/{token}", link_use, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/lang", set_language, methods=["POST"]),
    Route("/me", profile, methods=["GET"]),
    Route("/me/name", profile_name, methods=["POST"]),
    Route("/me/link", profile_link, methods=["POST"]),
    Route("/me/account", profile_account, methods=["POST"]),
    Route("/admin/invites", invites_page, methods=["GET"]),
    Route("/admin/invites", invites_create, methods=["POST"]),
    Route("/admin/invites/{invite_id}/revoke", invite_revoke, methods=["POST"]),
    Route("/admin/people", people_page, methods=["GET"]),
    Route("/admin/people/{user_id}/role", people_role, methods=["POST"]),
    Route("/admin/people/{user_id}/ban", people_ban, methods=["POST"]),
]
