"""HTTP routes of sittings: prepare, the sitting page, the projector, watch, the minutes.

Everything live (attendance, queue, votes) goes through the game tables'
gateway action ``table.act`` and per-viewer topics; these routes only
render pages and the minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from estaminet.assembly import sitting_minutes
from estaminet.kernel.errors import Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.kernel.storable import is_storable_int
from estaminet.people.access import can_prepare_sitting, can_read_minutes
from estaminet.people.model import User
from estaminet.people.queries import list_people
from estaminet.services import Panel, services
from estaminet.sittings import actions
from estaminet.sittings.convocation import QUORUM_CHOICES, eligible_people, read_convocation
from estaminet.sittings.minutes_document import MinutesDocument, format_moment, minutes_document
from estaminet.sittings.minutes_markdown import minutes_markdown
from estaminet.sittings.minutes_pdf import minutes_pdf
from estaminet.tables.model import TableInfo
from estaminet.tables.service import TableService, viewer_topic
from estaminet.venue.rooms import Room, access_room
from estaminet.venue.routes import room_conversation
from estaminet.web.pages import page, require_user
from estaminet.web.security import form_with_csrf
from estaminet.web.templating import Templates

__all__ = ["make_panel", "routes"]

_UNKNOWN = N_("This assembly does not exist.")


def _tables(request: Request) -> TableService:
    return services(request).tables


async def _sitting(request: Request, user: User) -> TableInfo:
    """The only way to load a sitting for a person: it exists and its room is open to them."""
    service = _tables(request)
    try:
        sitting_id = int(request.path_params["sitting_id"])
        if not is_storable_int(sitting_id):
            raise NotFound("sittings/unknown", _UNKNOWN)
        sitting = await service.table(sitting_id)
    except (ValueError, NotFound):
        raise NotFound("sittings/unknown", _UNKNOWN) from None
    if sitting.kind != actions.KIND:
        raise NotFound("sittings/unknown", _UNKNOWN)
    await service.check_can_see(user, sitting)
    return sitting


async def _room(request: Request, user: User) -> Room:
    async with _tables(request).db.read() as conn:
        return await access_room(conn, user, request.path_params["slug"])


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(services(request).settings.timezone)


async def prepare_form(request: Request) -> Response:
    """The preparation form (animators and admins)."""
    user = require_user(request)
    room = await _room(request, user)
    if not can_prepare_sitting(user):
        raise Forbidden(
            "sittings/not_animator", N_("Only an animator or an admin can prepare an assembly.")
        )
    async with _tables(request).db.read() as conn:
        people = eligible_people(await list_people(conn))
    return page(
        request,
        "sittings/prepare.html",
        {
            "room": room,
            "people": people,
            "quorums": QUORUM_CHOICES,
            "me": user,
            # The agenda links here with its event's title and start.
            "prefill": {
                "title": request.query_params.get("title", "")[:200],
                "date": request.query_params.get("date", "")[:16],
            },
        },
    )


async def prepare(request: Request) -> Response:
    """Save the preparation: create, seat and start the sitting (convened, not yet open)."""
    user = require_user(request)
    form = await form_with_csrf(request)
    room = await _room(request, user)
    service = _tables(request)
    async with service.db.read() as conn:
        people = await list_people(conn)
    convocation = read_convocation(form, people)
    sitting, live = await actions.convene(
        service.db, service.engine, user, room, convocation, service.clock()
    )
    await service.engine.announce(live)
    return RedirectResponse(f"/a/{sitting.id}", status_code=303)


async def _page(request: Request, screen: bool) -> Response:
    user = require_user(request)
    sitting = await _sitting(request, user)
    service = _tables(request)
    viewer = service.viewer_for(sitting, user.id)
    context: dict[str, Any] = {
        "sitting": sitting,
        "screen": screen,
        "viewer": viewer,
        "view_html": None,
        "date_text": format_moment(sitting.options.get("date"), _zone(request)),
        "can_read_minutes": can_read_minutes(user),
        "conversation": None,
        "kicked": False,
    }
    if not screen:
        # The sitting carries its room's own conversation (voice and chat): one page is enough.
        async with service.db.read() as conn:
            room = await access_room(conn, user, sitting.room_slug)
        context["conversation"] = await room_conversation(request, room, user)
        context["kicked"] = context["conversation"] is None
    if viewer is not None:
        live = await service.engine.latest(sitting.id)
        view = live.rules.view(live.state, viewer)
        topic = viewer_topic(sitting.id, viewer)
        context.update(
            view_html=service.render_view(sitting, live, view, viewer, request.state.locale),
            view_topic=topic,
            view_seq=await service.hub.current_seq(topic),
        )
    return page(request, "sittings/sitting.html", context)


async def sitting_page(request: Request) -> Response:
    """The phone-first sitting page: the person's own view, live."""
    return await _page(request, screen=False)


async def screen_page(request: Request) -> Response:
    """The projector page: big type, no personal controls."""
    return await _page(request, screen=True)


async def watch(request: Request) -> Response:
    """Join the sitting as an observer (no seat, no vote)."""
    user = require_user(request)
    await form_with_csrf(request)
    sitting = await _sitting(request, user)
    service = _tables(request)
    await actions.watch(service.db, user, sitting.id, service.clock())
    target = "/screen" if request.query_params.get("screen") else ""
    return RedirectResponse(f"/a/{sitting.id}{target}", status_code=303)


async def _minutes(request: Request) -> tuple[TableInfo, MinutesDocument]:
    user = require_user(request)
    sitting = await _sitting(request, user)
    if not can_read_minutes(user):
        raise Forbidden("sittings/members_only", N_("The minutes are for members."))
    live = await _tables(request).engine.latest(sitting.id)
    data = sitting_minutes(live.state, sitting.seat_names())
    return sitting, minutes_document(data, request.state.locale, _zone(request))


def _filename(sitting: TableInfo, extension: str) -> str:
    return f'attachment; filename="minutes-{sitting.id}.{extension}"'


async def minutes_md(request: Request) -> Response:
    """The minutes as a Markdown file."""
    sitting, document = await _minutes(request)
    return Response(
        minutes_markdown(document),
        media_type="text/markdown; charset=utf-8",
        headers={"content-disposition": _filename(sitting, "md"), "cache-control": "no-store"},
    )


async def minutes_pdf_file(request: Request) -> Response:
    """The minutes as a PDF file."""
    sitting, document = await _minutes(request)
    return Response(
        minutes_pdf(document),
        media_type="application/pdf",
        headers={"content-disposition": _filename(sitting, "pdf"), "cache-control": "no-store"},
    )


def make_panel(service: TableService, templates: Templates) -> Panel:
    """The assembly room's panel: its sittings, and a link to prepare one."""

    async def panel(context: Mapping[str, Any], room: Room, user: User) -> str:
        async with service.db.read() as conn:
            sittings = await actions.list_sittings(conn, room)
        return templates.render(
            "sittings/_panel.html",
            str(context["locale"]),
            {
                **context,
                "room": room,
                "sittings": sittings,
                "can_prepare": can_prepare_sitting(user),
            },
        )

    return panel


routes = [
    Route("/r/{slug}/assemblies/new", prepare_form, methods=["GET"]),
    Route("/r/{slug}/assemblies", prepare, methods=["POST"]),
    Route("/a/{sitting_id}", sitting_page, methods=["GET"]),
    Route("/a/{sitting_id}/screen", screen_page, methods=["GET"]),
    Route("/a/{sitting_id}/watch", watch, methods=["POST"]),
    Route("/a/{sitting_id}/minutes.md", minutes_md, methods=["GET"]),
    Route("/a/{sitting_id}/minutes.pdf", minutes_pdf_file, methods=["GET"]),
]
