"""HTTP routes of game tables: set up, sit, watch, start, end, hand over, replay."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from estaminet.games.kit import get as get_game
from estaminet.kernel.activity import Viewer, ViewerKind
from estaminet.kernel.errors import BadInput, NotFound
from estaminet.kernel.i18n import N_
from estaminet.kernel.storable import is_storable_int
from estaminet.services import services
from estaminet.tables import actions, votes
from estaminet.tables import chat as table_chat
from estaminet.tables.picker import VOICE_LABELS
from estaminet.tables.rules_info import game_module
from estaminet.tables.service import TableService, viewer_topic
from estaminet.translations import translate
from estaminet.venue.rooms import access_room
from estaminet.web.pages import page, page_context, require_user
from estaminet.web.security import form_with_csrf

__all__ = ["routes"]


def _tables(request: Request) -> TableService:
    return services(request).tables


def _table_id(request: Request) -> int:
    raw = request.path_params["table_id"]
    if not raw.isascii() or not raw.isdigit() or not is_storable_int(int(raw)):
        raise NotFound("tables/unknown", N_("This table does not exist (any more)."))
    return int(raw)


def _back(table_id: int) -> RedirectResponse:
    return RedirectResponse(f"/t/{table_id}", status_code=303)


def _int(form: Any, name: str, default: int) -> int:
    raw = str(form.get(name, "")).strip()
    if not raw:
        return default
    try:
        number = int(raw)
    except ValueError:
        raise BadInput("tables/bad_number", N_("Please type a whole number.")) from None
    if not is_storable_int(number):
        raise BadInput("tables/bad_number", N_("Please type a whole number."))
    return number


async def create(request: Request) -> Response:
    user = require_user(request)
    service = _tables(request)
    form = await form_with_csrf(request)
    async with service.db.read() as conn:
        room = await access_room(conn, user, request.path_params["slug"])
    key = str(form.get("game", ""))
    try:
        rules = service.lookup(key)
    except LookupError:
        raise BadInput("tables/unknown_game", N_("This game does not exist.")) from None
    options: dict[str, Any] = {}
    for name, default in rules.default_options().items():
        field = f"option_{name}"
        if field not in form:
            continue
        if isinstance(default, bool):
            options[name] = form.get(field) == "on"
        elif isinstance(default, int):
            options[name] = _int(form, field, default)
        elif isinstance(default, str):
            options[name] = str(form.get(field))
    narrator = form.get("narrator") == "on"
    if narrator and "narrator" in rules.default_options():
        options["narrator"] = "human"  # the game's apprentice-narrator mode
    table = await actions.create_table(
        service.db,
        user,
        room,
        rules,
        service.clock(),
        title=str(form.get("title", "")) or rules.names.get(request.state.locale, rules.key),
        options=options,
        private=form.get("private") == "on",
        max_spectators=_int(form, "max_spectators", 50),
        narrator=narrator,
    )
    await service.publish_lobby(table)
    return _back(table.id)


async def practice(request: Request) -> Response:
    """ "Practise narrating": a table of bots for the person who sets it up (their own)."""
    user = require_user(request)
    service = _tables(request)
    form = await form_with_csrf(request)
    async with service.db.read() as conn:
        room = await access_room(conn, user, request.path_params["slug"])
    try:
        rules = service.lookup(str(form.get("game", "")))
    except LookupError:
        raise BadInput("tables/unknown_game", N_("This game does not exist.")) from None
    name = rules.names.get(request.state.locale, rules.key)
    table = await actions.create_practice(
        service.db,
        user,
        room,
        rules,
        service.clock(),
        bots=_int(form, "bots", 8),
        title=translate(request.state.locale, N_("Practice: %(game)s"), {"game": name}),
    )
    await service.publish_lobby(table)
    return _back(table.id)


async def table_page(request: Request) -> Response:
    user = require_user(request)
    service = _tables(request)
    table = await service.table(_table_id(request))
    if table.kind != "game":
        raise NotFound("tables/unknown", N_("This table does not exist (any more)."))
    await service.check_can_see(user, table)
    rules = service.lookup(table.key)
    viewer = service.viewer_for(table, user.id)
    async with service.db.read() as conn:
        my_vote = await votes.vote_of(conn, table.id, user.id)
    view_html = None
    view_topic = None
    chat_rights: dict[str, list[str]] | None = None
    chat_logs: dict[str, Any] = {}
    if table.status != "lobby" and viewer is not None:
        live = await service.engine.latest(table.id)
        view = live.rules.view(live.state, viewer)
        view_html = service.render_view(table, live, view, viewer, request.state.locale)
        view_topic = viewer_topic(table.id, viewer)
        chat_rights = table_chat.permissions(live.rules, live.state, viewer)
        async with service.db.read() as conn:
            chat_logs = await table_chat.history(
                conn,
                table.id,
                chat_rights["read"],
                since=table_chat.history_from(live.rules, live.state, viewer),
            )
    extra_modules: set[str] = set()
    return page(
        request,
        "tables/table.html",
        {
            "table": table,
            "rules": rules,
            "game": game_module(rules),
            "viewer": viewer,
            "view_html": view_html,
            "view_topic": view_topic,
            "chat_rights": chat_rights,
            "chat_logs": chat_logs,
            "lobby_html": service.lobby_html(table, request.state.locale),
            "question": votes.question(rules),
            "my_vote": my_vote,
            # The screen modules the extras need (their ``needs_module``), declared by the page.
            "extras": [
                await extra(
                    {**page_context(request), "modules_used": extra_modules}, table.id, user
                )
                for extra in services(request).table_extras
            ],
            "extra_modules": sorted(extra_modules),
            "lobby_seq": await service.hub.current_seq(table.topic),
            "view_seq": await service.hub.current_seq(view_topic) if view_topic else 0,
        },
    )


async def _lobby_change(request: Request, change: str) -> Response:
    user = require_user(request)
    service = _tables(request)
    form = await form_with_csrf(request)
    table_id = _table_id(request)
    table = await service.table(table_id)
    if table.kind != "game":
        raise NotFound("tables/unknown", N_("This table does not exist (any more)."))
    await service.check_can_see(user, table)
    rules = service.lookup(table.key)
    now = service.clock()
    if change == "join":
        table = await actions.join_table(
            service.db, user, table_id, str(form.get("role", "")), rules, now
        )
    elif change == "leave":
        table = await actions.leave_table(service.db, user, table_id)
    elif change == "kick":
        table = await actions.kick(service.db, user, table_id, str(form.get("user", "")))
    elif change == "host":
        table = await actions.hand_over(service.db, user, table_id, str(form.get("user", "")))
    elif change == "start":
        table, live = await actions.start_table(
            service.db, service.engine, user, table_id, rules, now
        )
        await service.engine.announce(live)
        return _back(table_id)
    elif change == "end":
        table = await actions.end_table(service.db, service.engine, user, table_id, now)
        for listener in service.ended_listeners:
            await listener(table_id)
    elif change in ("pause", "resume"):
        toggle = actions.pause_practice if change == "pause" else actions.resume_practice
        table = await toggle(service.db, service.engine, user, table_id, now)
        service.practice.wake()
    gone = (
        {user.id}
        if change == "leave"
        else {str(form.get("user", ""))}
        if change == "kick"
        else set()
    )
    await service.publish_lobby(table, also=gone)
    for user_id in gone:
        # Out of a private table is out of its topics too (lobby, view, voice), at once.
        await services(request).gateway.access_changed(user_id)
    if change == "leave":
        return RedirectResponse(f"/r/{table.room_slug}", status_code=303)
    return _back(table_id)


async def vote(request: Request) -> Response:
    """A watcher answers the table's question (``tables.actions.vote``)."""
    user = require_user(request)
    service = _tables(request)
    form = await form_with_csrf(request)
    table_id = _table_id(request)
    table = await service.table(table_id)
    if table.kind != "game":
        raise NotFound("tables/unknown", N_("This table does not exist (any more)."))
    await service.check_can_see(user, table)
    await actions.vote(service.db, user, table_id, form.get("seat", ""), service.clock())
    return _back(table_id)


async def options(request: Request) -> Response:
    """The host sets the game's options in the lobby (booleans, numbers, a composition)."""
    user = require_user(request)
    service = _tables(request)
    form = await form_with_csrf(request)
    table_id = _table_id(request)
    table = await service.table(table_id)
    rules = service.lookup(table.key)
    chosen: dict[str, Any] = {}
    for name, default in rules.default_options().items():
        field = f"option_{name}"
        if isinstance(default, bool):
            chosen[name] = form.get(field) == "on"
        elif isinstance(default, int) and field in form:
            chosen[name] = _int(form, field, default)
        elif isinstance(default, str) and field in form:
            chosen[name] = str(form.get(field))
    if "composition" in rules.default_options():
        if form.get("custom_composition") == "on":
            chosen["composition"] = {
                key.removeprefix("role_"): _int(form, key, 0)
                for key in form
                if key.startswith("role_") and _int(form, key, 0) > 0
            }
        else:
            chosen["composition"] = None
    table = await actions.set_options(service.db, user, table_id, rules, chosen)
    await service.publish_lobby(table)
    return _back(table_id)


async def join(request: Request) -> Response:
    return await _lobby_change(request, "join")


async def leave(request: Request) -> Response:
    return await _lobby_change(request, "leave")


async def kick(request: Request) -> Response:
    return await _lobby_change(request, "kick")


async def host(request: Request) -> Response:
    return await _lobby_change(request, "host")


async def start(request: Request) -> Response:
    return await _lobby_change(request, "start")


async def end(request: Request) -> Response:
    return await _lobby_change(request, "end")


async def pause(request: Request) -> Response:
    return await _lobby_change(request, "pause")


async def resume(request: Request) -> Response:
    return await _lobby_change(request, "resume")


async def replay(request: Request) -> Response:
    """After the end: step through the game with everything revealed, for those who were there."""
    user = require_user(request)
    service = _tables(request)
    table = await service.table(_table_id(request))
    await service.check_can_see(user, table)
    if table.status != "ended" or table.participant(user.id) is None:
        raise NotFound(
            "tables/no_replay",
            N_("The replay opens when the game is over, for those who were there."),
        )
    try:
        wanted = int(request.query_params["step"]) if "step" in request.query_params else None
    except ValueError:
        wanted = None
    if wanted is not None and not is_storable_int(wanted):
        wanted = None
    state, step, total, event = await service.engine.replay(table.id, wanted)
    live = await service.engine.get(table.id)
    viewer = Viewer(ViewerKind.REPLAY)
    view = live.rules.view(state, viewer)
    return page(
        request,
        "tables/replay.html",
        {
            "table": table,
            "step": step,
            "steps": total,
            "event": event,
            "view_html": service.render_view(table, live, view, viewer, request.state.locale),
        },
    )


async def rules_page(request: Request) -> Response:
    """A game's rules in plain words (from its package's ``rules_sections``), and its card."""
    require_user(request)
    key = request.path_params["key"]
    try:
        rules = get_game(key)
    except LookupError:
        raise NotFound("tables/unknown_game", N_("This game does not exist.")) from None
    sections = getattr(game_module(rules), "rules_sections", None)
    room = request.query_params.get("room", "")
    return page(
        request,
        "tables/rules.html",
        {
            "game": rules,
            "sections": sections() if sections is not None else [],
            "voice_labels": VOICE_LABELS,
            "room": room if re.fullmatch(r"[a-z0-9-]{1,40}", room) else None,
        },
    )


routes = [
    Route("/games/{key}/rules", rules_page, methods=["GET"]),
    Route("/r/{slug}/tables", create, methods=["POST"]),
    Route("/r/{slug}/practice", practice, methods=["POST"]),
    Route("/t/{table_id}", table_page, methods=["GET"]),
    Route("/t/{table_id}/join", join, methods=["POST"]),
    Route("/t/{table_id}/leave", leave, methods=["POST"]),
    Route("/t/{table_id}/kick", kick, methods=["POST"]),
    Route("/t/{table_id}/host", host, methods=["POST"]),
    Route("/t/{table_id}/start", start, methods=["POST"]),
    Route("/t/{table_id}/options", options, methods=["POST"]),
    Route("/t/{table_id}/end", end, methods=["POST"]),
    Route("/t/{table_id}/vote", vote, methods=["POST"]),
    Route("/t/{table_id}/pause", pause, methods=["POST"]),
    Route("/t/{table_id}/resume", resume, methods=["POST"]),
    Route("/t/{table_id}/replay", replay, methods=["GET"]),
]
