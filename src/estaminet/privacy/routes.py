"""A person's data: the export (a page and JSON), deleting an account, signing out other
devices, and the privacy page. An admin can export and delete for anyone."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from estaminet.kernel.errors import EstaminetError, Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.media.data import drop_recordings, recordings_root
from estaminet.people.access import can_see_others_data
from estaminet.people.actions import sign_out_others
from estaminet.people.model import ROLE_LABELS
from estaminet.people.queries import user_by_id
from estaminet.privacy.deletion import (
    CONFIRM_WORD,
    check_confirmation,
    delete_account,
    needs_password,
)
from estaminet.privacy.export import FIELDS, SECTIONS, VALUES, export_json, gather
from estaminet.privacy.policy import policy_facts
from estaminet.quizzes.media import drop_media
from estaminet.services import services
from estaminet.venue.chat import messages_by_ids
from estaminet.venue.rooms import list_rooms
from estaminet.web.pages import page, require_user, tr
from estaminet.web.security import form_with_csrf
from estaminet.web.visitor import SESSION_COOKIE, cookie_header

__all__ = ["routes"]


async def _subject(request: Request) -> Any:
    """Whose data: one's own, or (admins only) the person named in the address."""
    user = require_user(request)
    target_id = request.path_params.get("user_id")
    if target_id is None:
        return user
    if not can_see_others_data(user):
        raise Forbidden("privacy/admins_only", N_("Only admins can see someone else's data."))
    async with services(request).db.read() as conn:
        target = await user_by_id(conn, target_id)
    if target is None:
        raise NotFound("people/unknown_person", N_("This person does not exist."))
    return target


async def data_page(request: Request) -> Response:
    subject = await _subject(request)
    data = await gather(services(request).db, subject.id, services(request).clock())
    base = request.url.path
    return page(
        request,
        "privacy/data.html",
        {
            "data": data,
            "sections": SECTIONS,
            "fields": FIELDS,
            "role_labels": {role.value: label for role, label in ROLE_LABELS.items()},
            "values": VALUES,
            "subject": subject,
            "json_url": f"{base}.json",
            "delete_url": base.removesuffix("/data") + "/delete",
            "others_ended": _count(request.query_params.get("others")),
        },
    )


async def data_json(request: Request) -> Response:
    subject = await _subject(request)
    data = await gather(services(request).db, subject.id, services(request).clock())
    return Response(
        export_json(data),
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="estaminet-{subject.id}.json"',
            "cache-control": "no-store",
        },
    )


def _count(raw: str | None) -> int | None:
    """A small count from the address (anything else: none)."""
    return int(raw) if raw is not None and raw.isdigit() and len(raw) < 6 else None


async def privacy_page(request: Request) -> Response:
    """What the venue keeps, why, how long, who sees it: from the venue's real settings."""
    facts = policy_facts(services(request).settings, services(request).mailer is not None)
    return page(request, "privacy/policy.html", {"facts": facts})


def _delete_context(request: Request, subject: Any) -> dict[str, Any]:
    user = require_user(request)
    facts = policy_facts(services(request).settings, services(request).mailer is not None)
    return {
        "subject": subject,
        "own": subject.id == user.id,
        "ask_password": needs_password(user, subject),
        "word": tr(request, CONFIRM_WORD),
        "facts": facts,
        "error": None,
        "action": request.url.path,
    }


async def delete_page(request: Request) -> Response:
    subject = await _subject(request)
    return page(request, "privacy/delete.html", _delete_context(request, subject))


async def delete_submit(request: Request) -> Response:
    """Delete the account once confirmed; every sign-in and socket of the person ends."""
    user = require_user(request)
    form = await form_with_csrf(request)
    subject = await _subject(request)
    state = services(request)
    try:
        await check_confirmation(
            state.db,
            user,
            subject,
            password=str(form.get("password", "")),
            typed=str(form.get("confirm", "")),
            locale=request.state.locale,
        )
        departure = await delete_account(
            state.db,
            user,
            subject.id,
            state.clock(),
            remove_messages=state.settings.account_deletion_messages == "remove",
            venue_locale=state.settings.default_locale,
        )
    except EstaminetError as error:
        if error.status >= 500:
            raise
        context = _delete_context(request, subject)
        context["error"] = error
        return page(request, "privacy/delete.html", context, status=error.status)
    # Every tab of theirs, on every instance, is told it is signed out (4401), then the
    # gateway drops what they followed (the person no longer exists: 4403 for any left).
    await drop_media(state.settings.data_dir / "quiz", list(departure.quiz_files))
    await asyncio.to_thread(
        drop_recordings, recordings_root(state.settings), list(departure.recordings)
    )
    await state.venue.control(departure.user_id, {"action": "close", "code": 4401})
    await state.gateway.access_changed(departure.user_id)
    # Open tabs see the messages signed "someone who left" (or erased) at once.
    async with state.db.read() as conn:
        rooms = {room.id: room for room in await list_rooms(conn)}
        changed = await messages_by_ids(conn, list(departure.messages))
    for message in changed:
        room = rooms.get(message.room_id)
        if room is not None:  # an archived room has no live topic
            await state.venue.publish_message(room, message)
    if subject.id != user.id:
        return RedirectResponse("/admin/people?deleted=1", status_code=303)
    response = page(request, "privacy/deleted.html", {"user": None})
    response.raw_headers.append(
        (
            b"set-cookie",
            cookie_header(SESSION_COOKIE, "", max_age=0, secure=state.settings.secure_cookies),
        )
    )
    return response


async def sign_out_elsewhere(request: Request) -> Response:
    """End every other sign-in of mine, and close the tabs they opened, at once."""
    user = require_user(request)
    await form_with_csrf(request)
    state = services(request)
    session = request.state.session
    ended = await sign_out_others(state.db, user, session, state.clock())
    for hashed in ended:
        await state.venue.control(user.id, {"action": "close", "code": 4401, "session": hashed})
    return RedirectResponse(f"/me/data?others={len(ended)}#devices", status_code=303)


routes = [
    Route("/privacy", privacy_page, methods=["GET"]),
    Route("/me/delete", delete_page, methods=["GET"]),
    Route("/me/delete", delete_submit, methods=["POST"]),
    Route("/me/sessions/others", sign_out_elsewhere, methods=["POST"]),
    Route("/admin/people/{user_id}/delete", delete_page, methods=["GET"]),
    Route("/admin/people/{user_id}/delete", delete_submit, methods=["POST"]),
    Route("/me/data", data_page, methods=["GET"]),
    Route("/me/data.json", data_json, methods=["GET"]),
    Route("/admin/people/{user_id}/data", data_page, methods=["GET"]),
    Route("/admin/people/{user_id}/data.json", data_json, methods=["GET"]),
]
