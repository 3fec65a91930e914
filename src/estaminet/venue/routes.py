"""HTTP routes of the venue: the floor plan, rooms, chat history, the plan's stylesheet."""

from __future__ import annotations

import hashlib
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from estaminet.kernel.errors import BadInput, Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.kernel.storable import is_storable_int
from estaminet.people.access import can_change_teams, can_moderate, can_post_in
from estaminet.people.model import User
from estaminet.people.queries import namesake_suggestion, toured_at, user_by_id
from estaminet.services import services
from estaminet.venue import chat
from estaminet.venue.kinds import RoomKind, all_kinds
from estaminet.venue.plan import GRID_COLUMNS, Visibility
from estaminet.venue.rooms import (
    Room,
    access_room,
    list_rooms,
    room_by_slug,
    set_team_member,
    visible_rooms,
)
from estaminet.venue.service import plan_topic
from estaminet.web.pages import fragment, page, page_context, require_user
from estaminet.web.security import form_with_csrf

__all__ = ["room_conversation", "routes"]


async def home(request: Request) -> Response:
    user = request.state.user
    if user is None:
        return page(request, "venue/welcome.html")
    state = services(request)
    async with state.db.read() as conn:
        every = await list_rooms(conn)
    rooms = [room for room in every if room.visible_to(user)]
    locked = [room for room in every if not room.visible_to(user)]
    venue = state.venue
    topics = sorted({plan_topic(room) for room in rooms})
    await venue.refresh_published(room.slug for room in rooms)
    context = {
        "rooms": rooms,
        "locked": locked,
        "occupancy": {room.slug: venue.published(room.slug) for room in rooms},
        "plan_topics": [(topic, await venue.hub.current_seq(topic)) for topic in topics],
        "welcome": request.query_params.get("welcome") == "1",
    }
    async with state.db.read() as conn:
        if context["welcome"]:
            context["namesake"] = await namesake_suggestion(conn, user)
        # The first visit's tour, until it is finished or skipped; "?tour=1" shows it again.
        context["tour"] = request.query_params.get("tour") == "1" or (
            await toured_at(conn, user.id) is None
        )
    context["help_room"] = next((room for room in rooms if room.kind is RoomKind.HELP), None)
    for extra in state.plan_extras:
        # Features add to the plan (the agenda: lit rooms, the next events).
        context.update(await extra(page_context(request), user))
    return page(request, "venue/plan.html", context)


async def room_conversation(request: Request, room: Room, user: User) -> dict[str, Any] | None:
    """What a page needs to carry ``room``'s conversation (its chat and voice, the includes
    ``venue/_chat.html`` and ``media/_voice_bar.html``), or ``None`` when a moderator has
    asked ``user`` to leave the room for a while."""
    state = services(request)
    now = state.clock()
    async with state.db.read() as conn:
        if await chat.restriction(conn, room, user, "kick", now):
            return None
        messages = await chat.history(conn, room, limit=state.settings.chat_page_size)
        muted_until = await chat.restriction(conn, room, user, "mute", now)
    return {
        "room": room,
        "messages": messages,
        "has_more": len(messages) >= state.settings.chat_page_size,
        "muted_until": muted_until,
        "moderator": can_moderate(user),
        "can_post": can_post_in(user, room.kind.value),
        "max_length": state.settings.chat_max_length,
    }


async def room_page(request: Request) -> Response:
    user = require_user(request)
    state = services(request)
    slug = request.path_params["slug"]
    async with state.db.read() as conn:
        room = await access_room(conn, user, slug)
        rooms = await visible_rooms(conn, user)
    conversation = await room_conversation(request, room, user)
    if conversation is None:
        raise Forbidden(
            "venue/kicked", N_("A moderator has asked you to leave this room for a while.")
        )
    venue = state.venue
    # The room's kind names its panels; features draw them (the games room lists its tables).
    drawn = [
        await state.panels[name](page_context(request), room, user)
        for name in room.kind.spec.panels
        if name in state.panels
    ]
    panel = Markup("".join(drawn)) if drawn else None
    await venue.refresh_published([room.slug])
    return page(
        request,
        "venue/room.html",
        {
            **conversation,
            "panel": panel,
            "rooms": rooms,
            "snap": venue.published(room.slug),
            "presence_seq": venue.presence_seq(room.slug),
        },
    )


async def room_history(request: Request) -> Response:
    user = require_user(request)
    state = services(request)
    try:
        before = int(request.query_params.get("before", ""))
    except ValueError as exc:
        raise BadInput("chat/bad_cursor", N_("This page of history does not exist.")) from exc
    if not is_storable_int(before):
        raise BadInput("chat/bad_cursor", N_("This page of history does not exist."))
    async with state.db.read() as conn:
        room = await access_room(conn, user, request.path_params["slug"])
        messages = await chat.history(
            conn, room, before=before, limit=state.settings.chat_page_size
        )
    return fragment(
        request,
        "venue/_history.html",
        {
            "room": room,
            "messages": messages,
            "has_more": len(messages) >= state.settings.chat_page_size,
        },
    )


async def plan_css(request: Request) -> Response:
    """Room positions as CSS grid placements (the page keeps no inline style: strict CSP)."""
    state = services(request)
    async with state.db.read() as conn:
        rooms = await list_rooms(conn)
    rows = max((r.y + r.h - 1 for r in rooms), default=1)
    lines = [f".plan-room--{kind.name} {{ background: {kind.colour}; }}" for kind in all_kinds()]
    lines += [
        "@media (min-width: 48rem) {",
        f"  .plan-grid {{ grid-template-columns: repeat({GRID_COLUMNS}, minmax(0, 1fr));"
        f" grid-template-rows: repeat({rows}, minmax(5.5rem, auto)); }}",
    ]
    for room in rooms:
        lines.append(
            f"  .plan-room--{room.slug} {{ grid-column: {room.x} / span {room.w};"
            f" grid-row: {room.y} / span {room.h}; }}"
        )
    lines.append("}")
    css = "\n".join(lines) + "\n"
    etag = '"' + hashlib.sha256(css.encode()).hexdigest()[:16] + '"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"etag": etag})
    return Response(css, media_type="text/css", headers={"etag": etag, "cache-control": "no-cache"})


async def team_change(request: Request) -> Response:
    """An admin adds someone to a team room's team, or removes them."""
    user = require_user(request)
    if not can_change_teams(user):
        raise Forbidden("venue/admins_only", N_("Only admins can change a team."))
    state = services(request)
    form = await form_with_csrf(request)
    async with state.db.read() as conn:
        room = await room_by_slug(conn, request.path_params["slug"])
        target = await user_by_id(conn, str(form.get("user", "")))
    if room is None or room.visibility is not Visibility.TEAM:
        raise NotFound("venue/unknown_room", N_("This room does not exist."))
    if target is None:
        raise NotFound("people/unknown_person", N_("This person does not exist."))
    await set_team_member(state.db, room, target.id, member=form.get("member") == "1")
    await state.gateway.access_changed(target.id)
    return RedirectResponse("/admin/people#teams", status_code=303)


routes = [
    Route("/admin/rooms/{slug}/team", team_change, methods=["POST"]),
    Route("/", home, methods=["GET"]),
    Route("/r/{slug}", room_page, methods=["GET"]),
    Route("/r/{slug}/messages", room_history, methods=["GET"]),
    Route("/venue/plan.css", plan_css, methods=["GET"]),
]
