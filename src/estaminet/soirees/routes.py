"""HTTP routes of soirées: open one, its page, join and leave, the next game, the end."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from estaminet.kernel.errors import NotFound
from estaminet.kernel.i18n import N_
from estaminet.people.access import can_lead_soiree
from estaminet.services import services
from estaminet.soirees import actions
from estaminet.soirees.service import SoireeService
from estaminet.tables.service import TableService
from estaminet.venue.rooms import access_room
from estaminet.web.pages import page, require_user
from estaminet.web.security import form_with_csrf

__all__ = ["routes"]


def _service(request: Request) -> SoireeService:
    return services(request).soirees


def _tables(request: Request) -> TableService:
    return services(request).tables


def _soiree_id(request: Request) -> int:
    raw = request.path_params["soiree_id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise NotFound("soirees/unknown", N_("This soirée does not exist (any more)."))
    return int(raw)


async def create(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    form = await form_with_csrf(request)
    async with service.db.read() as conn:
        room = await access_room(conn, user, request.path_params["slug"])
    event = None
    linked = str(form.get("event", ""))
    if linked:
        async with service.db.read() as conn:
            event = await actions.agenda_date(conn, user, linked, service.zone)
    games = [str(form.get(f"game_{n}", "")) for n in range(1, actions.MAX_GAMES + 1)]
    soiree = await actions.create_soiree(
        service.db,
        user,
        room,
        service.clock(),
        title=str(form.get("title", "")),
        games=games,
        event=event,
    )
    await service.publish(soiree.id)
    return RedirectResponse(f"/s/{soiree.id}", status_code=303)


async def soiree_page(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    soiree = await service.soiree(_soiree_id(request))
    await service.check_can_see(user, soiree)
    evening = await service.evening(soiree)
    event_link = None
    if soiree.event_id is not None:
        event_link = f"/agenda/{soiree.event_id}" + (
            f"/{soiree.occurrence}" if soiree.occurrence else ""
        )
    locale = request.state.locale
    return page(
        request,
        "soirees/soiree.html",
        {
            **service.context(evening, locale),
            "board_html": service.board_html(evening, locale),
            "banner_html": service.banner_html(evening, locale),
            "seq": await service.hub.current_seq(soiree.topic),
            "me": soiree.member(user.id),
            "leading": can_lead_soiree(user, soiree.host_id),
            "event_link": event_link,
        },
    )


def _back(soiree_id: int) -> RedirectResponse:
    return RedirectResponse(f"/s/{soiree_id}", status_code=303)


async def join(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    form = await form_with_csrf(request)
    soiree = await service.soiree(_soiree_id(request))
    await service.check_can_see(user, soiree)
    soiree, table = await actions.join_soiree(
        service.db, user, soiree.id, str(form.get("role", "")), service.clock()
    )
    await service.publish(soiree.id)
    if table is not None:
        await _tables(request).publish_lobby(table)
        return RedirectResponse(f"/t/{table.id}", status_code=303)
    return _back(soiree.id)


async def leave(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    await form_with_csrf(request)
    soiree = await service.soiree(_soiree_id(request))
    await service.check_can_see(user, soiree)
    await actions.leave_soiree(service.db, user, soiree.id)
    await service.publish(soiree.id)
    return _back(soiree.id)


async def next_game(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    await form_with_csrf(request)
    soiree = await service.soiree(_soiree_id(request))
    room = await service.check_can_see(user, soiree)
    soiree, table = await actions.next_game(service.db, user, soiree.id, room, service.clock())
    await _tables(request).publish_lobby(table)
    await service.publish(soiree.id)
    return RedirectResponse(f"/t/{table.id}", status_code=303)


async def end(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    await form_with_csrf(request)
    soiree = await service.soiree(_soiree_id(request))
    await service.check_can_see(user, soiree)
    await actions.end_soiree(service.db, user, soiree.id, service.clock())
    await service.publish(soiree.id)
    return _back(soiree.id)


routes = [
    Route("/r/{slug}/soirees", create, methods=["POST"]),
    Route("/s/{soiree_id}", soiree_page, methods=["GET"]),
    Route("/s/{soiree_id}/join", join, methods=["POST"]),
    Route("/s/{soiree_id}/leave", leave, methods=["POST"]),
    Route("/s/{soiree_id}/next", next_game, methods=["POST"]),
    Route("/s/{soiree_id}/end", end, methods=["POST"]),
]
