"""HTTP routes of voice and the stage: the microphone test page, the stage's recordings
(the organisers' list and downloads)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from estaminet.kernel.errors import NotFound
from estaminet.kernel.i18n import N_
from estaminet.kernel.storable import is_storable_int
from estaminet.media.stage_sessions import StageKeep
from estaminet.services import services
from estaminet.venue.rooms import access_room
from estaminet.web.pages import fragment, page, require_user

__all__ = ["routes"]


async def mic_test(request: Request) -> Response:
    """A level meter and a short recording played back, with help when the microphone is refused."""
    require_user(request)
    return page(request, "media/mic_test.html")


def _keep(request: Request) -> StageKeep:
    keep = services(request).stage.keep
    if keep is None:
        raise NotFound("stage/no_recording", N_("This recording does not exist."))
    return keep


async def stage_recordings(request: Request) -> Response:
    """The stage's recordings (a fragment for the organisers' side of the stage)."""
    user = require_user(request)
    keep = _keep(request)
    slug = request.path_params["slug"]
    async with keep.db.read() as conn:
        room = await access_room(conn, user, slug)
    takes = await keep.recordings(user, room.slug)
    return fragment(request, "media/_stage_recordings.html", {"takes": takes, "room": room})


async def stage_recording_file(request: Request) -> Response:
    """One processed recording file: for the organisers (``may_download_recording``), and
    for the performer whose appearance it is."""
    user = require_user(request)
    take, index = request.path_params["take"], request.path_params["index"]
    if not (is_storable_int(take) and is_storable_int(index)):
        raise NotFound("stage/no_recording", N_("This recording does not exist."))
    path, name = await _keep(request).recording_file(user.id, take, index)
    return FileResponse(
        path,
        media_type="video/webm",
        filename=name,
        headers={"cache-control": "private, no-store"},
    )


routes = [
    Route("/voice/test", mic_test, methods=["GET"]),
    Route("/r/{slug}/stage/recordings", stage_recordings, methods=["GET"]),
    Route("/stage/recordings/{take:int}/{index:int}", stage_recording_file, methods=["GET"]),
]
