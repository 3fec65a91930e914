"""HTTP routes of the people feature: invites, sign-in, profile, administration of people."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import segno
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from estaminet.kernel.errors import BadInput, EstaminetError, Forbidden, NotFound, RateLimited
from estaminet.kernel.i18n import N_
from estaminet.kernel.paths import local_path
from estaminet.kernel.storable import is_storable_text, unstorable_text
from estaminet.people import access, actions, inbox, outbox, reveal
from estaminet.people.mailing import confirmation_email
from estaminet.people.model import ROLE_LABELS, Role
from estaminet.people.queries import list_people, moderation_entries, users_by_ids
from estaminet.people.queries import people_page as people_listing
from estaminet.people.tokens import hash_token
from estaminet.services import Services, services
from estaminet.store.keyset import BadCursor
from estaminet.translations import LANGUAGES
from estaminet.web.pages import error_page, page, require_user
from estaminet.web.security import form_with_csrf
from estaminet.web.visitor import LANG_COOKIE, SESSION_COOKIE, cookie_header

__all__ = ["handle_error", "routes"]

log = logging.getLogger(__name__)


_NOTICES_PER_PAGE = 30


def _services(request: Request) -> Services:
    return services(request)


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


def _now(request: Request) -> datetime:
    return _services(request).clock()


def _safe_next(value: object) -> str:
    """Only same-site paths are followed after a form."""
    return local_path(value) or "/"


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
        address = request.client.host if request.client else None
        await state.signin_throttle.check(email, address, state.monotonic())
        _, session_id = await actions.sign_in(
            state.db, email, str(form.get("password", "")), request.state.device, _now(request)
        )
    except (BadInput, Forbidden, RateLimited) as error:
        status = 429 if isinstance(error, RateLimited) else 400
        return page(request, "people/login.html", {"email": email, "error": error}, status=status)
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
    state = _services(request)
    session, user = request.state.session, request.state.user
    if session:
        await actions.sign_out(state.db, session, _now(request))
    if session and user is not None:
        # The sockets this session opened end too (4401), on every instance; others stay.
        await state.venue.control(
            user.id, {"action": "close", "code": 4401, "session": hash_token(session)}
        )
    response = RedirectResponse("/", status_code=303)
    response.raw_headers.append(
        (
            b"set-cookie",
            cookie_header(SESSION_COOKIE, "", max_age=0, secure=state.settings.secure_cookies),
        )
    )
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
    secure = _services(request).settings.secure_cookies
    response.raw_headers.append(
        (b"set-cookie", cookie_header(LANG_COOKIE, lang, http_only=False, secure=secure))
    )
    return response


# -- profile -------------------------------------------------------------------


async def _profile_page(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    """My page: my address (proved or waiting), and which notices also come by mail."""
    user = require_user(request)
    state = _services(request)
    async with state.db.read() as conn:
        chosen = await outbox.mail_settings(conn, user.id)
    kinds = [(kind, label, chosen[kind]) for kind, (label, _) in outbox.MAIL_KINDS.items()]
    pending = await actions.pending_email(state.db, user.id, _now(request))
    return page(
        request,
        "people/profile.html",
        {
            **context,
            "mail_kinds": kinds,
            "pending_email": pending,
            "mail_on": state.mailer is not None,
        },
        status=status,
    )


async def profile_mail(request: Request) -> Response:
    """Save which notices also come by mail (every kind not ticked: not by mail)."""
    user = require_user(request)
    form = await form_with_csrf(request)
    wanted = set(form.getlist("mail"))
    async with _services(request).db.begin() as conn:
        await outbox.set_mail_settings(
            conn, user.id, {kind: kind in wanted for kind in outbox.MAIL_KINDS}
        )
    return RedirectResponse("/me?saved=1#mail", status_code=303)


async def mail_admin(request: Request) -> Response:
    """Moderators and admins: the mail given up on (after its tries, or refused), with why."""
    _moderator(request)
    async with _services(request).db.read() as conn:
        failed = await outbox.undeliverable(conn)
    return page(request, "people/mail.html", {"failed": failed})


async def profile(request: Request) -> Response:
    user = require_user(request)
    return await _profile_page(request, {"link": None, "error": None, "me": user})


async def notices_page(request: Request) -> Response:
    """The inbox: every notice, newest first, with its link. Opening it marks them read
    (the bell drops to zero on every tab); the ones that were unread stay marked "new" here."""
    user = require_user(request)
    state = _services(request)
    raw = request.query_params.get("before", "")
    before = int(raw) if raw.isdigit() and len(raw) < 10 else None
    async with state.db.read() as conn:
        notes = await inbox.listing(conn, user.id, before=before, limit=_NOTICES_PER_PAGE + 1)
    older = notes[_NOTICES_PER_PAGE - 1].seq if len(notes) > _NOTICES_PER_PAGE else None
    notes = notes[:_NOTICES_PER_PAGE]
    if any(note.unread for note in notes):
        async with state.db.begin() as conn:
            seq = await inbox.mark_read(conn, user.id, _now(request))
        if seq is not None:
            await state.inbox.publish_read(user.id, seq)
    return page(
        request,
        "people/notices.html",
        {"notes": notes, "older": older, "user": replace(user, unread=0)},
    )


async def profile_name(request: Request) -> Response:
    user = require_user(request)
    form = await form_with_csrf(request)
    try:
        await actions.set_display_name(_services(request).db, user, str(form.get("name", "")))
    except BadInput as error:
        return await _profile_page(request, {"link": None, "error": error, "me": user}, status=400)
    return RedirectResponse("/me?saved=1", status_code=303)


async def profile_tour(request: Request) -> Response:
    """The first visit's tour is finished or skipped: the plan no longer offers it."""
    user = require_user(request)
    await form_with_csrf(request)
    await actions.finish_tour(_services(request).db, user, _now(request))
    return RedirectResponse("/", status_code=303)


async def profile_link(request: Request) -> Response:
    user = require_user(request)
    await form_with_csrf(request)
    state = _services(request)
    token = await actions.create_login_link(state.db, user, _now(request), purpose="return")
    url = f"{state.settings.base_url.rstrip('/')}/l/{token}"
    return await _profile_page(request, {"link": url, "qr": _qr(url), "error": None, "me": user})


async def profile_account(request: Request) -> Response:
    """A guest gives an address and a password; the address counts once proved.

    The answer is the same whether the address is free or already has an account
    (its owner gets a note instead of a link): it tells nobody who is registered.
    """
    user = require_user(request)
    form = await form_with_csrf(request)
    state = _services(request)
    now = _now(request)
    try:
        claim = await actions.claim_email(
            state.db, user, str(form.get("email", "")), str(form.get("password", "")), now
        )
    except EstaminetError as error:
        return await _profile(request, user, error=error, status=400)
    if state.mailer is not None:
        locale = request.state.locale
        message = confirmation_email(
            sender=state.settings.smtp_from,
            to=claim.email,
            venue=state.venue_name,
            base_url=state.settings.base_url,
            token=claim.token,
            hours=actions.EMAIL_CLAIM_HOURS,
            now=now,
            locale=locale,
        )
        try:
            await state.mailer.send(message)
        except Exception:
            log.warning("sending the address confirmation failed", exc_info=True)
            failed = EstaminetError(
                "people/mail_failed",
                N_("The e-mail could not be sent just now. Try again in a moment."),
            )
            return await _profile(request, user, error=failed, status=503)
    return RedirectResponse("/me?claimed=1", status_code=303)


async def _profile(
    request: Request, user: Any, *, error: EstaminetError | None = None, status: int = 200
) -> Response:
    return await _profile_page(request, {"link": None, "error": error, "me": user}, status=status)


async def email_page(request: Request) -> Response:
    return page(request, "people/email_confirm.html", {"token": request.path_params["token"]})


async def email_confirm(request: Request) -> Response:
    """The link from the e-mail: the address, the password (and membership) now count."""
    state = _services(request)
    await form_with_csrf(request)
    user = await actions.confirm_email(
        state.db,
        request.path_params["token"],
        _now(request),
        self_membership=state.settings.self_membership,
    )
    await state.gateway.access_changed(user.id)
    return RedirectResponse("/me?account=1", status_code=303)


# -- administration ------------------------------------------------------------


def _moderator(request: Request) -> Any:
    user = require_user(request)
    if not access.can_moderate(user):
        raise Forbidden("people/moderators_only", N_("This page is for moderators and admins."))
    return user


def _invite_manager(request: Request) -> Any:
    """A moderator who may also make and see invites (the same people today; one check each)."""
    user = _moderator(request)
    if not access.can_create_invites(user):
        raise Forbidden("people/invite_forbidden", N_("You may not create this invite."))
    return user


def _qr(url: str) -> str:
    return str(segno.make(url, error="m").svg_data_uri(scale=5, border=2, dark="#1d1b16"))


_SEARCH_MAX = 60


def _cursors(request: Request) -> tuple[str | None, str | None]:
    """The ``after``/``before`` cursors of a list page (at most one; empty means none)."""
    after = request.query_params.get("after") or None
    before = request.query_params.get("before") or None
    return (None, before) if before and not after else (after, None)


_BAD_PAGE = N_("This page link is not valid (it may have been cut). Here is the first page.")


async def _invites_list(request: Request) -> tuple[Any, bool]:
    """A page of invites, or the first page if the cursor is malformed (with a notice)."""
    db = _services(request).db
    after, before = _cursors(request)
    try:
        return await actions.list_invites(db, after=after, before=before), False
    except BadCursor:
        return await actions.list_invites(db), True


def _invites_context(user: Any, request: Request, listing: Any) -> dict[str, Any]:
    return {
        "invites": listing.items,
        "listing": listing,
        "roles": access.assignable_roles(user),
        "role_labels": ROLE_LABELS,
        "now": _now(request),
        "error": None,
        "bad_page": None,
    }


async def invites_page(request: Request) -> Response:
    user = _invite_manager(request)
    listing, bad = await _invites_list(request)
    context = _invites_context(user, request, listing)
    context["bad_page"] = _BAD_PAGE if bad else None
    return page(request, "people/invites.html", context, status=400 if bad else 200)


_EXPIRIES = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "365d": timedelta(days=365),
}


async def invites_create(request: Request) -> Response:
    """Creates an invite, then redirects to its page (Post/Redirect/Get).

    The new link's token travels to that page in a short-lived signed cookie
    bound to this session (see ``reveal.py``): the database keeps only its hash.
    """
    user = _invite_manager(request)
    state = _services(request)
    form = await form_with_csrf(request)
    error: EstaminetError
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
    except ValueError:
        error = BadInput(
            "people/invite_uses", N_("The number of uses must be between 1 and 10000.")
        )
    except EstaminetError as exc:
        error = exc
    else:
        response = RedirectResponse(f"/admin/invites/{invite.id}", status_code=303)
        sealed = reveal.seal_link(
            state.secret, invite.id, token, request.state.session or "", _now(request)
        )
        response.raw_headers.append(
            (
                b"set-cookie",
                cookie_header(
                    reveal.REVEAL_COOKIE,
                    sealed,
                    max_age=int(reveal.REVEAL_FOR.total_seconds()),
                    secure=state.settings.secure_cookies,
                    path=reveal.REVEAL_PATH,
                    same_site="Strict",
                ),
            )
        )
        return response
    listing, _ = await _invites_list(request)
    context = _invites_context(user, request, listing)
    context["error"] = error
    return page(request, "people/invites.html", context, status=400)


async def invite_detail(request: Request) -> Response:
    """One invite: its settings and state, and its link while the creator may see it again."""
    _invite_manager(request)
    state = _services(request)
    invite_id = request.path_params["invite_id"]
    invite = await actions.invite_by_id(state.db, invite_id)
    if invite is None:
        raise NotFound("people/invite_not_found", N_("There is no such invite."))
    now = _now(request)
    created = None
    token = reveal.unseal_link(
        state.secret,
        request.cookies.get(reveal.REVEAL_COOKIE),
        invite.id,
        request.state.session,
        now,
    )
    if token is not None and invite.problem(now) is None:
        found = await actions.find_invite(state.db, token)
        if found is not None and found.id == invite.id:
            url = f"{state.settings.base_url.rstrip('/')}/i/{token}"
            created = {"url": url, "qr": _qr(url)}
    return page(
        request,
        "people/invite_detail.html",
        {
            "invite": invite,
            "created": created,
            "reveal_minutes": int(reveal.REVEAL_FOR.total_seconds() // 60),
            "now": now,
        },
    )


async def invite_revoke(request: Request) -> Response:
    user = _invite_manager(request)
    await form_with_csrf(request)
    await actions.revoke_invite(
        _services(request).db, user, request.path_params["invite_id"], _now(request)
    )
    return RedirectResponse("/admin/invites", status_code=303)


async def people_page(request: Request) -> Response:
    user = _moderator(request)
    search = request.query_params.get("q", "").strip()[:_SEARCH_MAX]
    if not is_storable_text(search):
        raise unstorable_text()
    after, before = _cursors(request)
    bad = False
    async with _services(request).db.read() as conn:
        try:
            listing = await people_listing(conn, search=search, after=after, before=before)
        except BadCursor:
            bad = True
            listing = await people_listing(conn, search=search)
        log = await moderation_entries(conn, 50)
        # The venue's team rooms, given by the composition root (people sit below the venue).
        teams = await _services(request).team_rooms(conn)
        team_people: list[Any] = []
        if teams and access.can_change_teams(user):
            team_people = await list_people(conn, limit=1000)
        ids = {e["actor_id"] for e in log} | {e["target_user_id"] for e in log}
        named = await users_by_ids(conn, {i for i in ids if i})
    names = {p.id: p.display_name for p in [*named.values(), *team_people]}
    pending = await actions.pending_emails(_services(request).db, _now(request))
    return page(
        request,
        "people/people.html",
        {
            "people": listing.items,
            "listing": listing,
            "search": search,
            "bad_page": _BAD_PAGE if bad else None,
            "team_people": team_people,
            "roles": access.assignable_roles(user),
            "role_labels": ROLE_LABELS,
            "log": log,
            "teams": teams,
            "names": names,
            "me": user,
            "pending": pending,
            # What this moderator may do to whom: decided in access.py, not in the template.
            "can_moderate_person": access.can_moderate_person,
            "can_confirm_addresses": access.can_confirm_addresses,
            "can_see_others_data": access.can_see_others_data,
            "can_change_teams": access.can_change_teams,
        },
        status=400 if bad else 200,
    )


async def people_role(request: Request) -> Response:
    user = _moderator(request)
    form = await form_with_csrf(request)
    try:
        role = Role(str(form.get("role", "")))
    except ValueError as exc:
        raise BadInput("people/unknown_role", N_("This role does not exist.")) from exc
    target = await actions.set_role(
        _services(request).db, user, request.path_params["user_id"], role, _now(request)
    )
    # What the person follows live is decided again, on every socket and instance.
    await _services(request).gateway.access_changed(target.id)
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
    # A banned person's sockets close (4403) on every instance; see ``Gateway.recheck``.
    await state.gateway.access_changed(target.id)
    return RedirectResponse("/admin/people", status_code=303)


async def people_confirm_email(request: Request) -> Response:
    """An admin confirms a pending address (the way when the venue sends no e-mail)."""
    user = _moderator(request)
    await form_with_csrf(request)
    state = _services(request)
    target = await actions.admin_confirm_email(
        state.db,
        user,
        request.path_params["user_id"],
        _now(request),
        self_membership=state.settings.self_membership,
    )
    await state.gateway.access_changed(target.id)
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
    Route("/me/notices", notices_page, methods=["GET"]),
    Route("/me/mail", profile_mail, methods=["POST"]),
    Route("/admin/mail", mail_admin, methods=["GET"]),
    Route("/me/name", profile_name, methods=["POST"]),
    Route("/me/link", profile_link, methods=["POST"]),
    Route("/me/tour", profile_tour, methods=["POST"]),
    Route("/me/account", profile_account, methods=["POST"]),
    Route("/me/email/{token}", email_page, methods=["GET"]),
    Route("/me/email/{token}", email_confirm, methods=["POST"]),
    Route("/admin/invites", invites_page, methods=["GET"]),
    Route("/admin/invites", invites_create, methods=["POST"]),
    Route("/admin/invites/{invite_id}", invite_detail, methods=["GET"]),
    Route("/admin/invites/{invite_id}/revoke", invite_revoke, methods=["POST"]),
    Route("/admin/people", people_page, methods=["GET"]),
    Route("/admin/people/{user_id}/role", people_role, methods=["POST"]),
    Route("/admin/people/{user_id}/ban", people_ban, methods=["POST"]),
    Route("/admin/people/{user_id}/confirm-email", people_confirm_email, methods=["POST"]),
]
