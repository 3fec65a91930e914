"""The help desk's pages: « J'ai besoin d'aide », the people who help, the help corner, and
the guide (« comment ça marche »)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from estaminet.helpdesk.rules import MAX_MESSAGE, MAX_WORDS, TOPIC_LABELS, Status, clean_page
from estaminet.helpdesk.service import QUEUE_TOPIC, HelpDesk
from estaminet.kernel.errors import BadInput, NotFound
from estaminet.kernel.i18n import N_, Msgid
from estaminet.people.access import can_follow_help, can_see_help_queue
from estaminet.services import services
from estaminet.web.pages import page, require_user
from estaminet.web.security import form_with_csrf

__all__ = ["GUIDE", "routes"]


def _desk(request: Request) -> HelpDesk:
    return services(request).helpdesk


def _request_id(request: Request) -> int:
    raw = str(request.path_params["request_id"])
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound("help/unknown", N_("This request for help does not exist (any more)."))
    return int(raw)


async def _index(request: Request, error: BadInput | None = None, form: Any = None) -> Response:
    user = require_user(request)
    desk = _desk(request)
    can_help = can_see_help_queue(user)
    hub = services(request).hub
    context: dict[str, Any] = {
        "mine": await desk.open_request_of(user.id),
        "topics": TOPIC_LABELS,
        "came_from": clean_page(request.query_params.get("from", "/")),
        "max_words": MAX_WORDS,
        "can_help": can_help,
        "helped": await desk.helped_count(),
        "error": error,
        "form": form or {},
        "settled": request.query_params.get("settled") == "1",
    }
    if can_help:
        context.update(
            volunteer=await desk.is_volunteer(user.id),
            waiting=await desk.waiting(),
            helping=await desk.helping(user.id),
            queue_topic=QUEUE_TOPIC,
            queue_seq=await hub.current_seq(QUEUE_TOPIC),
            now=services(request).clock(),
            escalate_minutes=desk.escalate_minutes,
        )
    return page(request, "helpdesk/index.html", context, status=400 if error else 200)


async def index(request: Request) -> Response:
    return await _index(request)


async def ask(request: Request) -> Response:
    user = require_user(request)
    form = await form_with_csrf(request)
    try:
        found = await _desk(request).ask(
            user, form.get("topic"), form.get("words"), form.get("page"), form.get("mic")
        )
    except BadInput as error:
        return await _index(request, error, form)
    return RedirectResponse(f"/help/{found.id}", status_code=303)


async def volunteer(request: Request) -> Response:
    user = require_user(request)
    form = await form_with_csrf(request)
    await _desk(request).set_volunteer(user, form.get("available") == "1")
    return RedirectResponse("/help#helpers", status_code=303)


async def corner(request: Request) -> Response:
    user = require_user(request)
    desk = _desk(request)
    request_id = _request_id(request)
    found = await desk.request(request_id)
    if found is None:
        raise NotFound("help/unknown", N_("This request for help does not exist (any more)."))
    if not can_follow_help(user, found.user_id, found.taken_by):
        # Someone who may help sees a waiting request (as in the queue) and may take it.
        if can_see_help_queue(user) and found.status is Status.WAITING:
            return page(request, "helpdesk/preview.html", {"req": found})
        raise NotFound("help/unknown", N_("This request for help does not exist (any more)."))
    hub = services(request).hub
    return page(
        request,
        "helpdesk/corner.html",
        {
            "req": found,
            "messages": await desk.messages(found.id),
            "topic": found.key,
            "seq": await hub.current_seq(found.key),
            "mine": found.user_id == user.id,
            "max_message": MAX_MESSAGE,
            "escalate_minutes": desk.escalate_minutes,
        },
    )


async def take(request: Request) -> Response:
    user = require_user(request)
    await form_with_csrf(request)
    found = await _desk(request).take(user, _request_id(request))
    return RedirectResponse(f"/help/{found.id}", status_code=303)


async def close(request: Request) -> Response:
    user = require_user(request)
    await form_with_csrf(request)
    await _desk(request).close(user, _request_id(request))
    return RedirectResponse("/help?settled=1", status_code=303)


async def cancel(request: Request) -> Response:
    user = require_user(request)
    await form_with_csrf(request)
    await _desk(request).cancel(user, _request_id(request))
    return RedirectResponse("/help", status_code=303)


async def say(request: Request) -> Response:
    """The corner's chat without JavaScript (with it, the ``help.say`` action)."""
    user = require_user(request)
    form = await form_with_csrf(request)
    request_id = _request_id(request)
    await _desk(request).say(user, request_id, form.get("body"))
    return RedirectResponse(f"/help/{request_id}#help-say", status_code=303)


GUIDE: dict[str, Msgid] = {
    "venue": N_("The venue and its rooms"),
    "talking": N_("Talking: writing and voice"),
    "agenda": N_("The agenda"),
    "games": N_("Games"),
    "assemblies": N_("General assemblies"),
    "help": N_("Asking for help, helping"),
}
"""The « comment ça marche » pages, in order (``helpdesk/guide/<topic>.html``); their pictures
are taken from the real pages by ``tests/e2e/test_guide_pictures.py``."""


async def guide_index(request: Request) -> Response:
    return page(request, "helpdesk/guide_index.html", {"guide": GUIDE})


async def guide_page(request: Request) -> Response:
    topic = str(request.path_params["topic"])
    if topic not in GUIDE:
        raise NotFound("help/no_guide", N_("There is no such page in the guide."))
    keys = list(GUIDE)
    at = keys.index(topic)
    return page(
        request,
        f"helpdesk/guide/{topic}.html",
        {
            "guide": GUIDE,
            "topic": topic,
            "title": GUIDE[topic],
            "previous": keys[at - 1] if at > 0 else None,
            "next": keys[at + 1] if at + 1 < len(keys) else None,
        },
    )


routes = [
    Route("/guide", guide_index, methods=["GET"]),
    Route("/guide/{topic}", guide_page, methods=["GET"]),
    Route("/help", index, methods=["GET"]),
    Route("/help", ask, methods=["POST"]),
    Route("/help/available", volunteer, methods=["POST"]),
    Route("/help/{request_id}", corner, methods=["GET"]),
    Route("/help/{request_id}/take", take, methods=["POST"]),
    Route("/help/{request_id}/settled", close, methods=["POST"]),
    Route("/help/{request_id}/cancel", cancel, methods=["POST"]),
    Route("/help/{request_id}/say", say, methods=["POST"]),
]
