"""HTTP routes of the agenda: the month view, events, answers, changes, feeds, pictures."""

from __future__ import annotations

import asyncio
import calendar as months
import hashlib
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from estaminet.agenda import actions, answers, edits, tokens
from estaminet.agenda.events import (
    EventData,
    EventInfo,
    access_event,
    check_manager,
    events_between,
    events_for_feed,
    upcoming_occurrences,
)
from estaminet.agenda.feeds import CONTENT_TYPE
from estaminet.agenda.forms import (
    drop_picture,
    picture_files,
    read_event,
    read_moment,
    read_version,
    save_picture,
)
from estaminet.agenda.recurrence import (
    FIRST_YEAR,
    LAST_YEAR,
    Frequency,
    first_and_last,
    key_of,
    local_day_bounds,
    occurrence_at,
)
from estaminet.agenda.rules import (
    KIND_LABELS,
    Answer,
    EventKind,
    Visibility,
    can_manage_events,
    visible_levels,
)
from estaminet.agenda.service import AgendaService
from estaminet.kernel.errors import BadInput, Conflict, EstaminetError, Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.kernel.storable import is_storable_int, is_storable_text
from estaminet.people.access import can_animate_stage, can_see_answer_names
from estaminet.people.queries import user_by_id
from estaminet.services import services
from estaminet.sittings.convocation import convocation_deadline
from estaminet.translations import translate
from estaminet.venue.kinds import RoomKind
from estaminet.venue.markdown import render_markdown
from estaminet.venue.rooms import access_room, list_rooms
from estaminet.web.pages import page, require_user, tr
from estaminet.web.security import form_with_csrf

__all__ = ["routes"]

_EMPTY_STAMP = datetime(2000, 1, 1, tzinfo=UTC)  # an empty feed's DTSTAMP: the same every time
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_PICTURE = re.compile(r"^([0-9a-f]{32})(-\d{3,4})?\.(png|jpg|webp)$")


def _service(request: Request) -> AgendaService:
    return services(request).agenda


def _event_id(request: Request) -> int:
    event_id = request.path_params["event_id"]
    if not is_storable_int(event_id):
        raise NotFound("agenda/unknown", N_("This event does not exist."))
    return int(event_id)


def _key(request: Request) -> str:
    """The date an address names (its occurrence key); a key no date has is not found."""
    key = str(request.path_params["key"])
    if len(key) > 13 or not is_storable_text(key):
        raise NotFound("agenda/unknown_occurrence", N_("This date is not in the event."))
    return key


def _month(request: Request, today: date) -> date:
    found = _MONTH.match(request.query_params.get("month", ""))
    if not found:
        return today.replace(day=1)
    year, month = int(found.group(1)), int(found.group(2))
    if not (1 <= month <= 12 and FIRST_YEAR <= year <= LAST_YEAR):
        return today.replace(day=1)
    return date(year, month, 1)


async def month_view(request: Request) -> Response:
    """A month like a paper calendar (a list on a phone); public events for everyone."""
    service = _service(request)
    user = request.state.user
    today = service.today()
    first = _month(request, today)
    grid_start = first - timedelta(days=first.weekday())
    last = first.replace(day=months.monthrange(first.year, first.month)[1])
    grid_end = last + timedelta(days=6 - last.weekday())
    days = (grid_end - grid_start).days + 1
    after, before = local_day_bounds(grid_start, service.zone, days)
    async with service.db.read() as conn:
        found = await events_between(conn, user, service.zone, after, before)
    by_day: dict[date, list[Any]] = {}
    for event, occurrence in found:
        by_day.setdefault(occurrence.start.astimezone(service.zone).date(), []).append(
            (event, occurrence)
        )
    weeks = [[grid_start + timedelta(days=w * 7 + d) for d in range(7)] for w in range(days // 7)]
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return page(
        request,
        "agenda/month.html",
        {
            "first": first,
            "weeks": weeks,
            "by_day": by_day,
            "today": today,
            "previous": previous,
            "following": following,
            "zone": service.zone,
            "kinds": KIND_LABELS,
            "can_manage": can_manage_events(user),
        },
    )


async def _room_choices(request: Request) -> list[Any]:
    async with _service(request).db.read() as conn:
        return await list_rooms(conn)


def _room_visibility(rooms: list[Any]) -> dict[str, Visibility]:
    """Who may see each room, as an event's visibility (an event follows its room's)."""
    return {room.slug: Visibility(room.visibility.value) for room in rooms}


async def new_form(
    request: Request, error: EstaminetError | None = None, status: int = 200
) -> Response:
    check_manager(require_user(request))
    form: Any = {}
    rooms = await _room_choices(request)
    if request.method == "POST":
        form = await request.form()
    else:
        # "Plan a workshop here" (l'atelier's panel): a kind and a room chosen in advance;
        # anything else in the address is ignored.
        asked = request.query_params
        if asked.get("kind") in {kind.value for kind in KIND_LABELS}:
            form["kind"] = asked["kind"]
        if asked.get("room") in {room.slug for room in rooms}:
            form["room"] = asked["room"]
    return page(
        request,
        "agenda/new.html",
        {
            "rooms": rooms,
            "room_visibility": _room_visibility(rooms),
            "picture_mb": _service(request).settings.agenda_picture_max_bytes // (1024 * 1024),
            "kinds": KIND_LABELS,
            "frequencies": list(Frequency),
            "visibilities": list(Visibility),
            "form": form,
            "error": error,
        },
        status=status,
    )


async def create(request: Request) -> Response:
    """Create an event; a mistake shows the form again with the message, nothing saved."""
    user = require_user(request)
    service = _service(request)
    form = await form_with_csrf(request)
    try:
        return await _create(request, user, service, form)
    finally:
        await form.close()  # the uploaded picture's temporary file


async def _create(request: Request, user: Any, service: AgendaService, form: Any) -> Response:
    try:
        rooms = await _room_choices(request)
        data = read_event(form, _room_visibility(rooms))
        if data.kind is EventKind.ASSEMBLY:
            data = _with_convocation(request, data)
        picture = await save_picture(
            form.get("picture"),
            service.settings.data_dir / "agenda",
            service.settings.agenda_picture_max_bytes,
        )
        if picture is not None:
            data = replace(data, picture=picture)
        event_id = await actions.create_event(service.db, user, data, service.clock(), service.zone)
    except BadInput as error:
        return await new_form(request, error, status=400)
    service.wake()
    return RedirectResponse(f"/agenda/{event_id}?created=1", status_code=303)


def _with_convocation(request: Request, data: EventData) -> EventData:
    """An assembly's description states by when its convocation must be sent."""
    deadline = convocation_deadline(
        data.start.date(), services(request).settings.assembly_notice_days
    )
    locale = request.state.locale
    line = translate(
        locale,
        N_("Convocation to send by %(date)s at the latest (%(days)s days before)."),
        {
            "date": format_date(deadline, "full", locale="fr_BE" if locale == "fr" else "en_GB"),
            "days": services(request).settings.assembly_notice_days,
        },
    )
    description = (data.description + "\n\n" if data.description else "") + line
    return replace(data, description=description)


def _edit_values(event: EventInfo, service: AgendaService) -> dict[str, str]:
    """The edit form, filled with the event as it is (times: the dates to come)."""
    series = edits.editable_series(event, service.zone, service.clock())
    rule = series.recurrence
    return {
        "title": event.title,
        "description": event.description,
        "kind": event.kind.value,
        "start": series.start.strftime("%Y-%m-%dT%H:%M"),
        "end": (series.start + series.duration).strftime("%Y-%m-%dT%H:%M"),
        "repeat": rule.frequency.value,
        "repeat_until": rule.until.isoformat() if rule.until else "",
        "repeat_count": str(rule.count) if rule.count else "",
        "room": event.room_slug or "",
        "visibility": event.visibility.value,
        "capacity": str(event.capacity) if event.capacity else "",
        "waitlist": "" if event.waitlist else "off",
    }


async def edit_form(
    request: Request,
    error: EstaminetError | None = None,
    status: int = 200,
    form: Any = None,
    version: int | None = None,
) -> Response:
    """Change an event; after a mistake, the form shows what was typed (nothing lost)."""
    user = require_user(request)
    check_manager(user)
    service = _service(request)
    async with service.db.read() as conn:
        event = await access_event(conn, user, _event_id(request))
    edits.check_editable(event)
    shown = edits.editable_series(event, service.zone, service.clock())
    rooms = await _room_choices(request)
    return page(
        request,
        "agenda/edit.html",
        {
            "event": event,
            "editing": True,
            "from_date": shown.start != event.series.start,
            "version": event.sequence if version is None else version,
            "rooms": rooms,
            "room_visibility": _room_visibility(rooms),
            "picture_mb": _service(request).settings.agenda_picture_max_bytes // (1024 * 1024),
            "kinds": KIND_LABELS,
            "form": form if form is not None else _edit_values(event, service),
            "error": error,
        },
        status=status,
    )


async def edit(request: Request) -> Response:
    """Save an edited event: a new form shows again with the message, nothing saved."""
    user = require_user(request)
    check_manager(user)  # a forged form from someone not allowed: 403, nothing read
    service = _service(request)
    form = await form_with_csrf(request)
    try:
        return await _edit(request, user, service, form)
    finally:
        await form.close()


async def _edit(request: Request, user: Any, service: AgendaService, form: Any) -> Response:
    folder = service.settings.data_dir / "agenda"
    event_id = _event_id(request)
    picture = None
    version = None
    try:
        async with service.db.read() as conn:
            event = await access_event(conn, user, event_id)
        rooms = await _room_choices(request)
        data = read_event(form, _room_visibility(rooms))
        version = read_version(form)
        if data.kind is EventKind.ASSEMBLY and event.kind is not EventKind.ASSEMBLY:
            data = _with_convocation(request, data)
        picture = await save_picture(
            form.get("picture"), folder, service.settings.agenda_picture_max_bytes
        )
        remove = form.get("remove_picture") == "on"
        edited = await edits.edit_event(
            service.db,
            user,
            event_id,
            data,
            service.clock(),
            service.zone,
            version=version,
            picture=picture,
            replace_picture=picture is not None or remove,
        )
    except (BadInput, Conflict) as error:
        if picture is not None:
            await drop_picture(folder, picture)
        # After "changed meanwhile", the form carries the new version: saving again is a choice.
        shown = None if error.code == "agenda/stale" else version
        return await edit_form(request, error, status=error.status, form=form, version=shown)
    except EstaminetError:
        if picture is not None:
            await drop_picture(folder, picture)
        raise
    if edited.dropped_picture is not None:
        await drop_picture(folder, edited.dropped_picture)
    service.wake()
    return RedirectResponse(f"/agenda/{edited.event_id}?edited=1", status_code=303)


async def _out_of_range(request: Request, error: Conflict) -> Response:
    """An event whose stored dates lie outside the agenda's years (written before the rule,
    or by hand): say so clearly, and let whoever manages events cancel it."""
    if error.code != "agenda/stored_out_of_range":
        raise error
    service = _service(request)
    async with service.db.read() as conn:
        event = await access_event(conn, request.state.user, _event_id(request), any_dates=True)
    return page(
        request,
        "agenda/out_of_range.html",
        {"event": event, "error": error, "can_manage": can_manage_events(request.state.user)},
        status=error.status,
    )


async def event_redirect(request: Request) -> Response:
    """An event's address without a date: its next occurrence (or its last one)."""
    try:
        return await _event_redirect(request)
    except Conflict as error:
        return await _out_of_range(request, error)


async def _event_redirect(request: Request) -> Response:
    service = _service(request)
    event_id = _event_id(request)
    async with service.db.read() as conn:
        event = await access_event(conn, request.state.user, event_id)
    now = service.clock()
    upcoming = upcoming_occurrences(event, service.zone, now)
    key = upcoming[0].key if upcoming else key_of(first_and_last(event.series)[1])
    flags = [f for f in ("created", "edited") if request.query_params.get(f)]
    suffix = f"?{flags[0]}=1" if flags else ""
    return RedirectResponse(f"/agenda/{event_id}/{key}{suffix}", status_code=303)


async def event_page(request: Request) -> Response:
    try:
        return await _event_page(request)
    except Conflict as error:
        return await _out_of_range(request, error)


async def _event_page(request: Request) -> Response:
    service = _service(request)
    user = request.state.user
    event_id = _event_id(request)
    key = _key(request)
    async with service.db.read() as conn:
        event = await access_event(conn, user, event_id)
        try:
            occurrence = occurrence_at(event.series, service.zone, key)
        except NotFound:
            # An old link (an e-mail, a notice) to a date an edit has moved since.
            moved = await edits.moved_to(conn, event_id, key)
            if moved is None:
                raise
            return RedirectResponse(f"/agenda/{moved[0]}/{moved[1]}?moved=1", status_code=303)
        summary = await answers.answers_for(conn, event_id, key, user)
        rooms = {room.slug: room for room in await list_rooms(conn)}
    now = service.clock()
    room = rooms.get(event.room_slug or "")
    upcoming = [o for o in upcoming_occurrences(event, service.zone, now) if o.key != key][:6]
    keep = services(request).stage.keep
    if keep is not None:  # several instances: the sessions opened through any of them
        for stage_room in rooms.values():
            if stage_room.kind is RoomKind.STAGE:
                await services(request).stage.refresh(stage_room.slug)
    stage_rooms = [
        r
        for r in rooms.values()
        if r.kind is RoomKind.STAGE and user is not None and r.visible_to(user)
    ]
    return page(
        request,
        "agenda/event.html",
        {
            "event": event,
            "occurrence": occurrence,
            "summary": summary,
            "counts": {a.value: n for a, n in summary.counts.items()},
            "description_html": Markup(render_markdown(event.description)),
            "room": room,
            "room_visible": room is not None and user is not None and room.visible_to(user),
            "upcoming": upcoming,
            "zone": service.zone,
            "kinds": KIND_LABELS,
            "over": occurrence.end <= now,
            "in_progress": occurrence.start <= now < occurrence.end,
            "can_manage": can_manage_events(user),
            "show_names": can_see_answer_names(user),
            "answers": [Answer.YES, Answer.MAYBE, Answer.NO],
            "assembly_rooms": [r for r in rooms.values() if r.kind.value == "assembly"],
            "local_start": occurrence.start.astimezone(service.zone).strftime("%Y-%m-%dT%H:%M"),
            "local_end": occurrence.end.astimezone(service.zone).strftime("%Y-%m-%dT%H:%M"),
            # La scène (docs/stage.md): open for this event now, or opened from here.
            "stage_open": keep.open_for(event_id, key) if keep is not None else None,
            "stage_rooms": stage_rooms if keep is not None else [],
            "can_open_stage": user is not None and can_animate_stage(user),
        },
    )


async def open_stage(request: Request) -> Response:
    """Open a stage for this event's occurrence (an animator): the stage shows what is on."""
    user = require_user(request)
    service = _service(request)
    form = await form_with_csrf(request)
    event_id, key = _event_id(request), _key(request)
    keep = services(request).stage.keep
    if not can_animate_stage(user):
        raise Forbidden(
            "stage/not_animator", N_("Only the stage's animators can open and run the stage.")
        )
    slug = form.get("room")
    if keep is None or not isinstance(slug, str) or not 0 < len(slug) <= 60:
        raise BadInput("stage/not_a_stage", N_("This room has no stage."))
    async with service.db.read() as conn:
        event = await access_event(conn, user, event_id)
        occurrence = occurrence_at(event.series, service.zone, key)
        room = await access_room(conn, user, slug)
    if room.kind is not RoomKind.STAGE:
        raise BadInput("stage/not_a_stage", N_("This room has no stage."))
    await keep.open(
        room.slug,
        user,
        title=event.title,
        event_id=event_id,
        occurrence=key,
        starts_at=occurrence.start,
        link=f"/agenda/{event_id}/{key}",
    )
    return RedirectResponse(f"/r/{room.slug}", status_code=303)


async def answer(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    form = await form_with_csrf(request)
    try:
        wanted = Answer(str(form.get("answer", "")))
        if wanted is Answer.WAITING:
            raise ValueError(wanted)
    except ValueError:
        raise BadInput(
            "agenda/bad_choice", N_("Please choose one of the options offered.")
        ) from None
    event_id, key = _event_id(request), _key(request)
    seating = await answers.answer(
        service.db, user, event_id, key, wanted, service.clock, service.zone
    )
    service.wake()
    flag = "waiting" if seating.answer is Answer.WAITING else "saved"
    return RedirectResponse(f"/agenda/{event_id}/{key}?{flag}=1", status_code=303)


async def cancel_occurrence(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    await form_with_csrf(request)
    event_id, key = _event_id(request), _key(request)
    await actions.change_occurrence(
        service.db, user, event_id, key, service.clock(), service.zone, cancel=True
    )
    service.wake()
    return RedirectResponse(f"/agenda/{event_id}/{key}", status_code=303)


async def move_occurrence(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    form = await form_with_csrf(request)
    event_id, key = _event_id(request), _key(request)
    start, end = read_moment(form, "start"), read_moment(form, "end")
    if end <= start:
        raise BadInput("agenda/end_before_start", N_("The end must come after the start."))
    await actions.change_occurrence(
        service.db,
        user,
        event_id,
        key,
        service.clock(),
        service.zone,
        start=start,
        duration=end - start,
    )
    service.wake()
    return RedirectResponse(f"/agenda/{event_id}/{key}", status_code=303)


async def cancel_event(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    await form_with_csrf(request)
    event_id = _event_id(request)
    await actions.cancel_event(service.db, user, event_id, service.clock(), service.zone)
    service.wake()
    return RedirectResponse(f"/agenda/{event_id}", status_code=303)


# -- feeds ----------------------------------------------------------------------------------------


def _ics(request: Request, body: bytes, filename: str, modified: datetime | None) -> Response:
    """A calendar, answering a conditional GET (``If-None-Match``, ``If-Modified-Since``)
    with 304: a calendar app polling every few minutes downloads a feed only when it changed.
    """
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "content-disposition": f'inline; filename="{filename}"',
        "cache-control": "no-cache",
        "etag": etag,
    }
    if modified is not None:
        headers["last-modified"] = format_datetime(modified.astimezone(UTC), usegmt=True)
    if _not_modified(request, etag, modified):
        del headers["content-disposition"]
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=CONTENT_TYPE, headers=headers)


def _not_modified(request: Request, etag: str, modified: datetime | None) -> bool:
    """RFC 9110: ``If-None-Match`` decides when present, else ``If-Modified-Since``."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return etag in tags or "*" in tags
    since = request.headers.get("if-modified-since")
    if since is None or modified is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        return False
    return modified.replace(microsecond=0) <= when


def _last_modified(events: list[EventInfo]) -> datetime | None:
    return max((event.updated_at for event in events), default=None)


async def event_ics(request: Request) -> Response:
    service = _service(request)
    async with service.db.read() as conn:
        event = await access_event(conn, request.state.user, _event_id(request))
    body = await service.ics([event], event.title, stamp=event.updated_at)
    return _ics(request, body, f"event-{event.id}.ics", event.updated_at)


async def public_feed(request: Request) -> Response:
    service = _service(request)
    since = service.clock() - timedelta(days=60)
    async with service.db.read() as conn:
        events = await events_for_feed(conn, [Visibility.PUBLIC], since)
    modified = _last_modified(events)
    body = await service.ics(events, stamp=modified)
    return _ics(request, body, "agenda.ics", modified)


async def private_feed(request: Request) -> Response:
    """A person's feed: the events they may see, behind a secret, revocable token."""
    service = _service(request)
    since = service.clock() - timedelta(days=60)
    async with service.db.read() as conn:
        owner_id = await tokens.feed_token_user(conn, request.path_params["token"])
        owner = await user_by_id(conn, owner_id) if owner_id else None
        if owner is None or owner.banned:
            raise NotFound(
                "agenda/unknown_feed",
                N_(
                    "This calendar link does not work (any more). Make a new one from your agenda page."
                ),
            )
        events = await events_for_feed(conn, visible_levels(owner), since)
    modified = _last_modified(events)
    body = await service.ics(events, tr(request, N_("My agenda")), stamp=modified or _EMPTY_STAMP)
    return _ics(request, body, "agenda.ics", modified)


async def subscribe_page(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    async with service.db.read() as conn:
        active = await tokens.has_feed_token(conn, user)
    return page(
        request,
        "agenda/subscribe.html",
        {"active": active, "feed_url": None, "base": service.settings.base_url.rstrip("/")},
    )


async def subscribe_new(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    await form_with_csrf(request)
    token = await tokens.new_feed_token(service.db, user, service.clock())
    base = service.settings.base_url.rstrip("/")
    return page(
        request,
        "agenda/subscribe.html",
        {"active": True, "feed_url": f"{base}/agenda/feed/{token}.ics", "base": base},
    )


async def subscribe_revoke(request: Request) -> Response:
    user = require_user(request)
    service = _service(request)
    await form_with_csrf(request)
    await tokens.revoke_feed_token(service.db, user)
    return RedirectResponse("/agenda/subscribe?revoked=1", status_code=303)


async def picture(request: Request) -> Response:
    service = _service(request)
    name = request.path_params["name"]
    event_id = _event_id(request)
    async with service.db.read() as conn:
        event = await access_event(conn, request.state.user, event_id)
    if (
        event.picture is None
        or not _PICTURE.match(name)
        or name not in picture_files(event.picture)
    ):
        raise NotFound("agenda/unknown_picture", N_("This picture does not exist."))
    path: Path = service.settings.data_dir / "agenda" / name
    if not await asyncio.to_thread(path.is_file):
        raise NotFound("agenda/unknown_picture", N_("This picture does not exist."))
    # A picture's files never change (a new picture gets a new name).
    return FileResponse(path, headers={"cache-control": "private, max-age=31536000, immutable"})


routes = [
    Route("/agenda", month_view, methods=["GET"]),
    Route("/agenda/new", new_form, methods=["GET"]),
    Route("/agenda/new", create, methods=["POST"]),
    Route("/agenda/public.ics", public_feed, methods=["GET"]),
    Route("/agenda/subscribe", subscribe_page, methods=["GET"]),
    Route("/agenda/subscribe/new", subscribe_new, methods=["POST"]),
    Route("/agenda/subscribe/revoke", subscribe_revoke, methods=["POST"]),
    Route("/agenda/feed/{token}.ics", private_feed, methods=["GET"]),
    Route("/agenda/{event_id:int}", event_redirect, methods=["GET"]),
    Route("/agenda/{event_id:int}/event.ics", event_ics, methods=["GET"]),
    Route("/agenda/{event_id:int}/cancel", cancel_event, methods=["POST"]),
    Route("/agenda/{event_id:int}/edit", edit_form, methods=["GET"]),
    Route("/agenda/{event_id:int}/edit", edit, methods=["POST"]),
    Route("/agenda/{event_id:int}/pictures/{name}", picture, methods=["GET"]),
    Route("/agenda/{event_id:int}/{key}", event_page, methods=["GET"]),
    Route("/agenda/{event_id:int}/{key}/answer", answer, methods=["POST"]),
    Route("/agenda/{event_id:int}/{key}/cancel", cancel_occurrence, methods=["POST"]),
    Route("/agenda/{event_id:int}/{key}/move", move_occurrence, methods=["POST"]),
    Route("/agenda/{event_id:int}/{key}/stage", open_stage, methods=["POST"]),
]
