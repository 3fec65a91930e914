"""The solidarity hat's pages: the hats, a cause and its pledge form, a pledge's QR code, the
organisers' form, the treasurer's accounts (marking received, the bank's export, the CSV list).

Every form works without JavaScript; a refusal shows the same page again with the message,
nothing stored (status 400).
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from estaminet.agenda.events import events_between
from estaminet.agenda.forms import drop_picture, picture_files, save_picture
from estaminet.hat.rules import MAX_BENEFICIARY, MAX_NAME, MAX_TEXT, ImportReport
from estaminet.hat.service import HatFields, HatService, epc_qr
from estaminet.kernel.errors import BadInput, EstaminetError, NotFound
from estaminet.kernel.i18n import N_
from estaminet.people.access import can_keep_hat_accounts, can_organise_hats
from estaminet.people.queries import people_not_banned
from estaminet.services import services
from estaminet.venue.rooms import list_rooms
from estaminet.web.pages import page, require_user
from estaminet.web.security import form_with_csrf

__all__ = ["routes"]

_PICTURE = re.compile(r"^[0-9a-f]{32}(?:-\d{3,4})?\.webp$")
_MAX_CSV_BYTES = 5 * 1024 * 1024


def _service(request: Request) -> HatService:
    return services(request).hat


def _id(request: Request, name: str) -> int:
    raw = str(request.path_params[name])
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound("hat/unknown", N_("This hat does not exist."))
    return int(raw)


def _folder(request: Request) -> Path:
    return services(request).settings.data_dir / "hat"


async def index(request: Request) -> Response:
    user = require_user(request)
    found = await _service(request).all_hats()
    return page(
        request,
        "hat/index.html",
        {
            "hats": found,
            "can_organise": can_organise_hats(user),
            "keeps": {h.id for h in found if can_keep_hat_accounts(user, h.treasurers)},
        },
    )


async def show(request: Request, error: EstaminetError | None = None, form: Any = None) -> Response:
    user = require_user(request)
    service = _service(request)
    hat = await service.hat(_id(request, "hat_id"))
    return page(
        request,
        "hat/hat.html",
        {
            "hat": hat,
            "seq": await services(request).hub.current_seq(hat.key),
            "event_title": await service.event_title(user, hat),
            "mine": await service.pledges_of(user, hat.id),
            "can_organise": can_organise_hats(user),
            "keeps": can_keep_hat_accounts(user, hat.treasurers),
            "max_euros": service.max_pledge_cents // 100,
            "error": error,
            "form": form or {},
        },
        status=400 if error else 200,
    )


async def hat_page(request: Request) -> Response:
    return await show(request)


async def put_in(request: Request) -> Response:
    user = require_user(request)
    form = await form_with_csrf(request)
    hat_id = _id(request, "hat_id")
    try:
        pledge = await _service(request).put_in(
            user, hat_id, form.get("amount"), form.get("anonymous") == "on"
        )
    except BadInput as error:
        return await show(request, error, form)
    return RedirectResponse(f"/hats/{hat_id}/pledges/{pledge.id}", status_code=303)


async def pledge_page(request: Request) -> Response:
    user = require_user(request)
    hat, pledge = await _service(request).pledge(
        user, _id(request, "hat_id"), _id(request, "pledge_id")
    )
    qr = epc_qr(hat, pledge)
    return page(
        request,
        "hat/pledge.html",
        {
            "hat": hat,
            "pledge": pledge,
            "qr_png": qr.png_data_uri(scale=6, border=4),
            "qr_size": qr.symbol_size(scale=6, border=4)[0],
        },
    )


# -- organisers ----------------------------------------------------------------------------


async def _choices(request: Request) -> dict[str, Any]:
    user = require_user(request)
    db = services(request).db
    now = services(request).clock()
    zone = _service(request).templates.tz
    async with db.read() as conn:
        rooms = await list_rooms(conn)
        coming = await events_between(
            conn, user, zone, now - timedelta(days=1), now + timedelta(days=120)
        )
    seen: set[int] = set()
    events = []
    for event, occurrence in coming:
        if event.id in seen or event.cancelled:
            continue
        seen.add(event.id)
        events.append((event, occurrence))
    return {
        "rooms": rooms,
        "events": events,
        "picture_mb": services(request).settings.agenda_picture_max_bytes // (1024 * 1024),
        "max_name": MAX_NAME,
        "max_text": MAX_TEXT,
        "max_beneficiary": MAX_BENEFICIARY,
    }


def _room_and_event(form: FormData, choices: dict[str, Any]) -> tuple[str | None, int | None]:
    room = form.get("room")
    slug = room if isinstance(room, str) and room else None
    if slug is not None and slug not in {r.slug for r in choices["rooms"]}:
        raise BadInput("hat/unknown_room", N_("This room does not exist."))
    raw = form.get("event")
    event_id = None
    if isinstance(raw, str) and raw:
        if not raw.isdigit() or int(raw) not in {e.id for e, _ in choices["events"]}:
            raise BadInput("hat/unknown_event", N_("This event does not exist."))
        event_id = int(raw)
    return slug, event_id


async def new_form(
    request: Request, error: EstaminetError | None = None, form: Any = None
) -> Response:
    user = require_user(request)
    _service(request).check_organiser(user)
    choices = await _choices(request)
    if form is None:
        form = {}
        asked = request.query_params.get("room")
        if asked in {r.slug for r in choices["rooms"]}:
            form["room"] = asked
    return page(
        request,
        "hat/edit.html",
        {**choices, "form": form, "error": error, "editing": None},
        status=400 if error else 200,
    )


async def new_page(request: Request) -> Response:
    return await new_form(request)


async def create(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    service.check_organiser(user)
    form = await form_with_csrf(request)
    try:
        choices = await _choices(request)
        picture = None
        try:
            room, event = _room_and_event(form, choices)
            fields = HatFields.read(form, room_slug=room, event_id=event)
            picture = await save_picture(
                form.get("picture"),
                _folder(request),
                services(request).settings.agenda_picture_max_bytes,
            )
            hat_id = await service.create(user, fields, picture)
        except BadInput as error:
            if picture is not None:
                await drop_picture(_folder(request), picture)
            return await new_form(request, error, form)
    finally:
        await form.close()
    return RedirectResponse(f"/hats/{hat_id}", status_code=303)


async def edit_form(
    request: Request, error: EstaminetError | None = None, form: Any = None
) -> Response:
    user = require_user(request)
    service = _service(request)
    service.check_organiser(user)
    hat = await service.hat(_id(request, "hat_id"))
    choices = await _choices(request)
    if form is None:
        form = {
            "name": hat.name,
            "text": hat.text,
            "beneficiary": hat.beneficiary,
            "iban": hat.iban_text,
            "bic": hat.bic or "",
            "goal": f"{hat.goal_cents // 100}"
            + (f",{hat.goal_cents % 100:02d}" if hat.goal_cents % 100 else ""),
            "room": hat.room_slug or "",
            "event": str(hat.event_id or ""),
        }
    if hat.event_id is not None and hat.event_id not in {e.id for e, _ in choices["events"]}:
        form["event"] = ""  # an event past or hidden is no longer offered
    names = await service.treasurer_names(hat)
    async with services(request).db.read() as conn:
        people = [(uid, name) for uid, name, _ in await people_not_banned(conn)]
    return page(
        request,
        "hat/edit.html",
        {
            **choices,
            "form": form,
            "error": error,
            "editing": hat,
            "treasurers": sorted(names.items(), key=lambda pair: pair[1].casefold()),
            "people": sorted(
                [(uid, n) for uid, n in people if uid not in hat.treasurers],
                key=lambda pair: pair[1].casefold(),
            ),
        },
        status=400 if error else 200,
    )


async def edit_page(request: Request) -> Response:
    return await edit_form(request)


async def edit(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    service.check_organiser(user)
    hat_id = _id(request, "hat_id")
    form = await form_with_csrf(request)
    try:
        choices = await _choices(request)
        picture = None
        try:
            room, event = _room_and_event(form, choices)
            fields = HatFields.read(form, room_slug=room, event_id=event)
            picture = await save_picture(
                form.get("picture"),
                _folder(request),
                services(request).settings.agenda_picture_max_bytes,
            )
            dropped = await service.update(
                user,
                hat_id,
                fields,
                picture,
                replace_picture=picture is not None or form.get("remove_picture") == "on",
            )
        except BadInput as error:
            if picture is not None:
                await drop_picture(_folder(request), picture)
            return await edit_form(request, error, form)
    finally:
        await form.close()
    if dropped is not None:
        await drop_picture(_folder(request), dropped)
    return RedirectResponse(f"/hats/{hat_id}", status_code=303)


async def open_or_close(request: Request) -> Response:
    user = require_user(request)
    form = await form_with_csrf(request)
    hat_id = _id(request, "hat_id")
    await _service(request).set_open(user, hat_id, form.get("open") == "1")
    return RedirectResponse(f"/hats/{hat_id}", status_code=303)


async def treasurer(request: Request) -> Response:
    user = require_user(request)
    form = await form_with_csrf(request)
    hat_id = _id(request, "hat_id")
    target = form.get("user")
    try:
        if not isinstance(target, str) or not target or len(target) > 32:
            raise BadInput("hat/unknown_person", N_("Choose a person."))
        await _service(request).set_treasurer(user, hat_id, target, form.get("keep") == "1")
    except BadInput as error:
        return await edit_form(request, error)
    return RedirectResponse(f"/hats/{hat_id}/edit#treasurers", status_code=303)


async def picture(request: Request) -> Response:
    hat = await _service(request).hat(_id(request, "hat_id"))
    require_user(request)
    name = str(request.path_params["name"])
    if hat.picture is None or not _PICTURE.match(name) or name not in picture_files(hat.picture):
        raise NotFound("hat/unknown_picture", N_("This picture does not exist."))
    path = _folder(request) / name
    if not await asyncio.to_thread(path.is_file):
        raise NotFound("hat/unknown_picture", N_("This picture does not exist."))
    return FileResponse(path, headers={"cache-control": "private, max-age=31536000, immutable"})


# -- the treasurer ------------------------------------------------------------------------------


async def accounts(
    request: Request,
    error: EstaminetError | None = None,
    report: ImportReport | None = None,
) -> Response:
    user = require_user(request)
    hat, pledges = await _service(request).accounts(user, _id(request, "hat_id"))
    by_id = {p.id: p for p in pledges}
    return page(
        request,
        "hat/accounts.html",
        {
            "hat": hat,
            "pledges": list(reversed(pledges)),
            "by_id": by_id,
            "seq": await services(request).hub.current_seq(hat.key),
            "error": error,
            "report": report,
        },
        status=400 if error else 200,
    )


async def accounts_page(request: Request) -> Response:
    return await accounts(request)


async def mark(request: Request) -> Response:
    user = require_user(request)
    form = await form_with_csrf(request)
    hat_id = _id(request, "hat_id")
    pledge_id = _id(request, "pledge_id")
    await _service(request).mark(user, hat_id, pledge_id, form.get("received") == "1")
    return RedirectResponse(f"/hats/{hat_id}/accounts#pledge-{pledge_id}", status_code=303)


async def import_bank(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    hat_id = _id(request, "hat_id")
    # Only a treasurer's file is read at all.
    service.check_treasurer(user, await service.hat(hat_id))
    form = await form_with_csrf(request)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            error: EstaminetError = BadInput(
                "hat/import_no_file", N_("Choose the CSV file exported from the bank.")
            )
            return await accounts(request, error)
        data = await upload.read(_MAX_CSV_BYTES + 1)
        if len(data) > _MAX_CSV_BYTES:
            return await accounts(
                request,
                BadInput(
                    "hat/import_large", N_("This file is too large: export a shorter period.")
                ),
            )
        try:
            report = await service.import_bank(user, hat_id, data)
        except BadInput as refused:
            return await accounts(request, refused)
    finally:
        await form.close()
    return await accounts(request, report=report)


async def export(request: Request) -> Response:
    user = require_user(request)
    hat, text = await _service(request).export_csv(
        user, _id(request, "hat_id"), request.state.locale
    )
    return Response(
        "\ufeff" + text,  # the mark makes spreadsheets read the accents right
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="chapeau-{hat.id}.csv"',
            "cache-control": "no-store",
        },
    )


routes = [
    Route("/hats", index, methods=["GET"]),
    Route("/hats/new", new_page, methods=["GET"]),
    Route("/hats/new", create, methods=["POST"]),
    Route("/hats/{hat_id}", hat_page, methods=["GET"]),
    Route("/hats/{hat_id}/pledge", put_in, methods=["POST"]),
    Route("/hats/{hat_id}/pledges/{pledge_id}", pledge_page, methods=["GET"]),
    Route("/hats/{hat_id}/pledges/{pledge_id}/received", mark, methods=["POST"]),
    Route("/hats/{hat_id}/edit", edit_page, methods=["GET"]),
    Route("/hats/{hat_id}/edit", edit, methods=["POST"]),
    Route("/hats/{hat_id}/open", open_or_close, methods=["POST"]),
    Route("/hats/{hat_id}/treasurers", treasurer, methods=["POST"]),
    Route("/hats/{hat_id}/pictures/{name}", picture, methods=["GET"]),
    Route("/hats/{hat_id}/accounts", accounts_page, methods=["GET"]),
    Route("/hats/{hat_id}/import", import_bank, methods=["POST"]),
    Route("/hats/{hat_id}/pledges.csv", export, methods=["GET"]),
]
