"""What the stage keeps: its sessions (opened for an agenda event or on the spot), the
recording of a session (opt-in, announced on screen) and its restream to an RTMP address.

A session is a row of ``stage_sessions`` (the event's title, time and page while the stage
is open); the open ones are also kept in memory so that every ``stage`` frame says what is
on. With several instances the open session, and what runs (the recording and the restream:
their state, and the instance running them), are parts of the stage's record
(``StageService.change``); the recording and the restream stay with the instance that
started them, which follows the performers read from the record and stops them when
another instance asks (``stage-run:<instance>``) or the session is closed elsewhere.
Recording: :mod:`estaminet.media.recording`; restream: :mod:`estaminet.media.restream`.
Who may open, record, restream and download: ``people.access`` (``can_animate_stage``,
``may_download_recording``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import delete, insert, select, update

from estaminet.kernel.errors import BadInput, Conflict, EstaminetError, Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.media.crowd import CrowdUnavailable
from estaminet.media.data import still_here
from estaminet.media.recording import RecordingJobs, Tools
from estaminet.media.restream import Restream, check_rtmp
from estaminet.media.schema import stage_recordings, stage_sessions
from estaminet.people.access import can_animate_stage, may_download_recording
from estaminet.people.model import User
from estaminet.people.queries import active_user
from estaminet.realtime.frames import Frame
from estaminet.realtime.gateway import ActionContext, Gateway
from estaminet.venue.rooms import access_room

if TYPE_CHECKING:
    from estaminet.media.stage import StageService

__all__ = ["ANNOUNCE_SECONDS", "Session", "StageKeep"]

log = logging.getLogger(__name__)

ANNOUNCE_SECONDS = 5.0
"""How long « L'enregistrement va commencer » shows before Janus records."""
_MALFORMED = N_("This message could not be read.")


class KeepMedia(Protocol):
    """What recording and restream ask of the stage's SFU (``JanusStage``)."""

    async def record(self, space: str, folder: str | None) -> None: ...

    async def forward(
        self, space: str, feed: int, audio_port: int, video_port: int
    ) -> list[int]: ...

    async def unforward(self, space: str, feed: int, stream_ids: list[int]) -> None: ...


def _keep_media(media: object) -> KeepMedia | None:
    if media is None or not all(hasattr(media, n) for n in ("record", "forward", "unforward")):
        return None
    return cast(KeepMedia, media)


@dataclass(slots=True)
class Session:
    """An open stage session (a row of ``stage_sessions``)."""

    id: int
    slug: str
    title: str
    event_id: int | None = None
    occurrence: str | None = None
    starts_at: datetime | None = None
    link: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "link": self.link,
        }


@dataclass(slots=True)
class _Take:
    id: int
    folder: str
    state: str  # soon, on
    names: dict[str, str] = field(default_factory=dict)
    performers: dict[str, str] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None


def _malformed() -> BadInput:
    return BadInput("gateway/malformed", _MALFORMED)


def _slug(data: Mapping[str, Any]) -> str:
    room = data.get("room")
    if not isinstance(room, str) or not 0 < len(room) <= 60:
        raise _malformed()
    return room


def _not_open() -> Conflict:
    return Conflict("stage/not_open", N_("Open the stage first."))


class StageKeep:
    """Sessions, recordings and restreams of the venue's stages."""

    def __init__(
        self,
        stage: StageService,
        recordings: Path,
        *,
        tools: Tools | None = None,
        announce_seconds: float = ANNOUNCE_SECONDS,
        restream_retry: float = 2.0,
    ) -> None:
        self.stage = stage
        self.db = stage.db
        self.clock = stage.clock
        self.tools = tools or Tools()
        self.announce_seconds = announce_seconds
        self.restream_retry = restream_retry
        self.jobs = RecordingJobs(
            self.db, recordings, self.clock, tools=self.tools, changed=self._takes_changed
        )
        self.sessions: dict[str, Session] = {}
        self.takes: dict[str, _Take] = {}
        self.restreams: dict[str, Restream] = {}
        self.versions: dict[str, int] = {}
        self.failed_start: dict[str, bool] = {}
        self.elsewhere: dict[str, dict[str, Any]] = {}
        """With several instances: the recording and restream of each stage as the record
        says, when another instance runs them (``i``: that instance)."""
        self._runs: Callable[[], None] | None = None
        stage.keep = self
        stage.record_parts["session"] = (self._session_part, self._put_session)
        stage.record_parts["run"] = (self._run_part, self._put_run)

    def install(self, gateway: Gateway) -> None:
        gateway.action("stage.open", self._open)
        gateway.action("stage.close", self._close)
        gateway.action("stage.record", self._record)
        gateway.action("stage.restream", self._restream)

    # -- life -----------------------------------------------------------------------

    async def start(self) -> None:
        """Take up the open sessions and the recordings a stopped process left unprocessed."""
        if self.stage.shared.distributed and self._runs is None:
            self._runs = self.stage.hub.subscribe(
                f"stage-run:{self.stage.shared.instance}", self._asked
            )
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(stage_sessions).where(stage_sessions.c.closed_at.is_(None))
            )
            for row in rows:
                self.sessions[row.room_slug] = _session(row)
        await self.jobs.resume()

    async def stop(self) -> None:
        for slug in list(self.takes):
            await self._stop_recording(slug)
        for slug in list(self.restreams):
            await self.restreams.pop(slug).stop()
        await self.jobs.stop()

    # -- what everyone following the stage knows --------------------------------------

    def public(self, slug: str) -> dict[str, Any]:
        session = self.sessions.get(slug)
        run = self._run_part(slug)
        return {
            "session": session.public() if session else None,
            "recording": run["recording"],
            "recording_failed": run["failed"],
            "restream": run["restream"],
            "takes": run["takes"],
        }

    # -- several instances: the record, and asking the instance that runs them ----------

    def _run_part(self, slug: str) -> dict[str, Any]:
        """The recording and restream of the stage: this instance's if it runs them (or
        nobody else does), else what the record says of the instance that does."""
        other = self.elsewhere.get(slug)
        if other is not None and slug not in self.takes and slug not in self.restreams:
            return other
        take = self.takes.get(slug)
        restream = self.restreams.get(slug)
        return {
            "i": self.stage.shared.instance,
            "recording": take.state if take else "off",
            "failed": self.failed_start.get(slug, False),
            "restream": restream.state if restream else "off",
            "takes": max(self.versions.get(slug, 0), (other or {}).get("takes", 0)),
        }

    def _put_run(self, slug: str, value: Any) -> None:
        if isinstance(value, dict) and value.get("i") != self.stage.shared.instance:
            self.elsewhere[slug] = value
            self.versions[slug] = max(self.versions.get(slug, 0), int(value.get("takes", 0)))
        else:
            self.elsewhere.pop(slug, None)

    def _runs_elsewhere(self, slug: str, what: str) -> str | None:
        """The instance running the stage's ``what`` (recording, restream), if not this one."""
        other = self.elsewhere.get(slug)
        if other is None or other.get(what, "off") == "off":
            return None
        return str(other["i"])

    async def _ask(self, instance: str, slug: str, what: str) -> None:
        """Ask the instance running the stage's ``what`` to stop it (``stage-run:<instance>``)."""
        control = {"action": "stage_run", "slug": slug, "stop": what}
        await self.stage.hub.publish(Frame(f"stage-run:{instance}", 0, {}, control))

    def _asked(self, frame: Frame) -> None:
        control = frame.control or {}
        slug, what = control.get("slug"), control.get("stop")
        if isinstance(slug, str) and what in ("recording", "restream"):
            self.stage._spawn(self._stop_asked(slug, str(what)))

    async def _stop_asked(self, slug: str, what: str) -> None:
        try:
            if what == "recording":
                await self._stop_recording(slug)
            else:
                restream = self.restreams.pop(slug, None)
                if restream is not None:
                    await restream.stop()
                await self._publish(slug)
        except Exception:
            log.exception("stage %s: stopping the %s asked by another instance failed", slug, what)

    async def _publish(self, slug: str) -> None:
        """What runs here changed: into the stage's record (several instances), then published."""
        async with self.stage.change(slug):
            pass
        await self.stage.publish(slug)

    async def changed(self, slug: str) -> None:
        """The stage changed (performers, live): note names, follow the live feed."""
        stage = self.stage.stages.get(slug)
        media = self.stage.media
        if stage is None or media is None:
            return
        take = self.takes.get(slug)
        if take is not None:
            for user_id, name in stage.performers.items():
                feed = str(media.feed(stage.key, user_id))
                take.names[feed] = name
                take.performers[feed] = user_id
        restream = self.restreams.get(slug)
        if restream is not None:
            live = [u for u in stage.performers if u in stage.live and u not in stage.cut]
            await restream.follow(media.feed(stage.key, live[0]) if live else None)

    def _session_part(self, slug: str) -> dict[str, Any] | None:
        """The open session as the stage's record keeps it (several instances)."""
        session = self.sessions.get(slug)
        if session is None:
            return None
        return {
            "id": session.id,
            "title": session.title,
            "event_id": session.event_id,
            "occurrence": session.occurrence,
            "starts_at": session.starts_at.isoformat() if session.starts_at else None,
            "link": session.link,
        }

    def _put_session(self, slug: str, value: Any) -> None:
        if value is None:
            if self.sessions.pop(slug, None) is not None and (
                slug in self.takes or slug in self.restreams
            ):
                # Closed through another instance: what runs here stops too.
                self.stage._spawn(self._stop_here(slug))
            return
        starts_at = value.get("starts_at")
        self.sessions[slug] = Session(
            int(value["id"]),
            slug,
            str(value["title"]),
            value.get("event_id"),
            value.get("occurrence"),
            datetime.fromisoformat(starts_at) if starts_at else None,
            value.get("link"),
        )

    async def _stop_here(self, slug: str) -> None:
        await self._stop_recording(slug)
        restream = self.restreams.pop(slug, None)
        if restream is not None:
            await restream.stop()
        await self._publish(slug)

    async def _takes_changed(self, slug: str) -> None:
        self.versions[slug] = self.versions.get(slug, 0) + 1
        await self._publish(slug)

    # -- access ---------------------------------------------------------------------

    async def _animator(self, ctx: ActionContext, data: Mapping[str, Any]) -> tuple[str, User]:
        slug = _slug(data)
        user, _ = await self.stage.access(ctx.principal, slug)
        if not can_animate_stage(user):
            raise Forbidden(
                "stage/not_animator", N_("Only the stage's animators can open and run the stage.")
            )
        return slug, user

    # -- sessions -------------------------------------------------------------------

    async def open(
        self,
        slug: str,
        user: User,
        *,
        title: str,
        event_id: int | None = None,
        occurrence: str | None = None,
        starts_at: datetime | None = None,
        link: str | None = None,
    ) -> Session:
        """Open the stage (for an agenda event, or on the spot); one session at a time."""
        async with self.stage.change(slug):
            current = self.sessions.get(slug)
            if current is not None:
                if event_id is not None and (current.event_id, current.occurrence) == (
                    event_id,
                    occurrence,
                ):
                    return current
                raise Conflict(
                    "stage/already_open",
                    N_("The stage is already open for something else: close it first."),
                )
            now = self.clock()
            async with self.db.begin() as conn:
                result = await conn.execute(
                    insert(stage_sessions).values(
                        room_slug=slug,
                        event_id=event_id,
                        occurrence=occurrence,
                        title=title[:120],
                        starts_at=starts_at,
                        link=link,
                        opened_by=user.id,
                        opened_at=now,
                    )
                )
                session_id = _new_id(result)
            session = Session(session_id, slug, title[:120], event_id, occurrence, starts_at, link)
            self.sessions[slug] = session
        await self.stage.publish(slug)
        return session

    def open_for(self, event_id: int, occurrence: str) -> str | None:
        """The stage open for this agenda event's occurrence now, if any (its room's slug)."""
        for slug, session in self.sessions.items():
            if (session.event_id, session.occurrence) == (event_id, occurrence):
                return slug
        return None

    async def close(self, slug: str) -> None:
        """Close the stage's session: a running recording stops (and is processed), the
        restream stops (here; on another instance, when it reads the closed record)."""
        await self.stage.refresh(slug)
        if self.sessions.get(slug) is None:
            raise _not_open()
        await self._stop_recording(slug)
        restream = self.restreams.pop(slug, None)
        if restream is not None:
            await restream.stop()
        async with self.stage.change(slug):
            session = self.sessions.get(slug)
            if session is None:
                raise _not_open()
            async with self.db.begin() as conn:
                await conn.execute(
                    update(stage_sessions)
                    .where(stage_sessions.c.id == session.id)
                    .values(closed_at=self.clock())
                )
            self.sessions.pop(slug, None)
            # What ran elsewhere is over: the instance running it stops it when it reads
            # the closed record, and one that died left a state nobody else would clear.
            self.elsewhere.pop(slug, None)
        self.failed_start.pop(slug, None)
        await self.stage.publish(slug)

    async def _open(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        slug, user = await self._animator(ctx, data)
        title = data.get("title", "")
        if not isinstance(title, str) or len(title.strip()) > 120:
            raise BadInput("stage/bad_title", N_("A title has at most 120 characters."))
        session = await self.open(slug, user, title=title.strip())
        return {"session": session.public()}

    async def _close(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        slug, _ = await self._animator(ctx, data)
        await self.close(slug)
        return {"closed": True}

    # -- recording ------------------------------------------------------------------

    async def _record(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        slug, _ = await self._animator(ctx, data)
        record = data.get("record")
        if not isinstance(record, bool):
            raise _malformed()
        session = self.sessions.get(slug)
        if session is None:
            raise _not_open()
        elsewhere = self._runs_elsewhere(slug, "recording")
        if elsewhere is not None:
            # Run by another instance: it stops it when asked; started already.
            if not record:
                await self._ask(elsewhere, slug, "recording")
                return {"recording": "off"}
            return {"recording": self._run_part(slug)["recording"]}
        if record:
            await self._start_recording(session)
        else:
            await self._stop_recording(slug)
        return {"recording": self.takes[slug].state if slug in self.takes else "off"}

    async def _start_recording(self, session: Session) -> None:
        slug = session.slug
        if slug in self.takes:
            return
        if _keep_media(self.stage.media) is None:
            raise EstaminetError(
                "stage/no_janus",
                N_("Recording needs the Janus video server, which is not reachable here."),
            )
        now = self.clock()
        folder = f"{slug[:30]}-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        path = self.jobs.folder(folder)
        path.mkdir(parents=True, exist_ok=True)
        async with self.db.begin() as conn:
            result = await conn.execute(
                insert(stage_recordings).values(
                    session_id=session.id,
                    folder=folder,
                    names="{}",
                    performers="{}",
                    state="recording",
                    attempts=0,
                    files="[]",
                    started_at=now,
                )
            )
            take_id = _new_id(result)
        take = self.takes[slug] = _Take(take_id, folder, "soon")
        self.failed_start.pop(slug, None)
        self.versions[slug] = self.versions.get(slug, 0) + 1  # the organisers' list shows it
        await self.changed(slug)
        await self._publish(slug)  # announced before it starts
        take.task = asyncio.get_running_loop().create_task(self._begin(slug, take, path))

    async def _begin(self, slug: str, take: _Take, path: Path) -> None:
        await asyncio.sleep(self.announce_seconds)
        media = _keep_media(self.stage.media)
        try:
            if media is None:
                raise CrowdUnavailable("stage/janus_down", _MALFORMED)
            await media.record(f"stage:{slug}", str(path))
        except CrowdUnavailable:
            log.warning("stage %s: Janus did not start recording", slug)
            self.takes.pop(slug, None)
            self.failed_start[slug] = True
            async with self.db.begin() as conn:
                await conn.execute(
                    update(stage_recordings)
                    .where(stage_recordings.c.id == take.id)
                    .values(state="failed", error="Janus did not start recording")
                )
            await self._takes_changed(slug)
            return
        take.state = "on"
        await self._publish(slug)

    async def _stop_recording(self, slug: str) -> None:
        take = self.takes.pop(slug, None)
        if take is None:
            return
        if take.task is not None and not take.task.done():
            take.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await take.task
        media = _keep_media(self.stage.media)
        if take.state == "on" and media is not None:
            with contextlib.suppress(CrowdUnavailable):
                await media.record(f"stage:{slug}", None)
        async with self.db.begin() as conn:
            if take.state != "on":  # stopped while announced: nothing was recorded
                await conn.execute(delete(stage_recordings).where(stage_recordings.c.id == take.id))
            else:
                # A performer who deleted their account meanwhile is left out (``media/data.py``).
                performers = await still_here(conn, take.id, dict(take.performers))
                names = {k: v for k, v in take.names.items() if performers.get(k, "") is not None}
                await conn.execute(
                    update(stage_recordings)
                    .where(stage_recordings.c.id == take.id)
                    .values(
                        state="pending",
                        names=json.dumps(names),
                        performers=json.dumps(performers),
                        stopped_at=self.clock(),
                    )
                )
        if take.state == "on":
            self.jobs.schedule(take.id)
        else:
            shutil.rmtree(self.jobs.folder(take.folder), ignore_errors=True)
        await self._takes_changed(slug)

    # -- restream -------------------------------------------------------------------

    async def _restream(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        slug, _ = await self._animator(ctx, data)
        on = data.get("restream")
        if not isinstance(on, bool):
            raise _malformed()
        if not on:
            restream = self.restreams.pop(slug, None)
            if restream is not None:
                await restream.stop()
            elif (instance := self._runs_elsewhere(slug, "restream")) is not None:
                await self._ask(instance, slug, "restream")
                return {"restream": "off"}
            await self._publish(slug)
            return {"restream": "off"}
        address = check_rtmp(data.get("address"))
        if slug not in self.sessions:
            raise _not_open()
        media = _keep_media(self.stage.media)
        if media is None:
            raise EstaminetError(
                "stage/no_janus",
                N_("Restreaming needs the Janus video server, which is not reachable here."),
            )
        old = self.restreams.pop(slug, None)
        if old is not None:
            await old.stop()
        elif (instance := self._runs_elsewhere(slug, "restream")) is not None:
            await self._ask(instance, slug, "restream")  # to the new address, from here
        key = f"stage:{slug}"

        async def forward(feed: int, audio: int, video: int) -> list[int]:
            return await media.forward(key, feed, audio, video)

        async def unforward(feed: int, ids: list[int]) -> None:
            await media.unforward(key, feed, ids)

        async def changed() -> None:
            await self._publish(slug)

        self.restreams[slug] = Restream(
            address,
            forward,
            unforward,
            changed,
            ffmpeg=self.tools.ffmpeg,
            retry_seconds=self.restream_retry,
        )
        await self.changed(slug)
        await self._publish(slug)
        return {"restream": self.restreams[slug].state}

    # -- the organisers' list and files ------------------------------------------------

    async def recordings(self, user: User, slug: str) -> list[dict[str, Any]]:
        """This stage's recordings, newest first, for the organisers only."""
        if not may_download_recording(user):
            raise Forbidden(
                "stage/not_organiser", N_("Only the organisers can download the recordings.")
            )
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(stage_recordings, stage_sessions.c.title)
                .join(stage_sessions, stage_sessions.c.id == stage_recordings.c.session_id)
                .where(stage_sessions.c.room_slug == slug)
                .order_by(stage_recordings.c.id.desc())
                .limit(50)
            )
            return [
                {
                    "id": int(row.id),
                    "title": row.title,
                    "state": row.state,
                    "started_at": row.started_at,
                    "files": json.loads(row.files) if row.state == "done" else [],
                    "error": row.error,
                }
                for row in rows
            ]

    async def recording_file(self, user_id: str, take_id: int, index: int) -> tuple[Path, str]:
        """The path and download name of one processed file, if this person may have it."""
        async with self.db.read() as conn:
            user = await active_user(conn, user_id)
            row = (
                await conn.execute(
                    select(stage_recordings, stage_sessions.c.room_slug)
                    .join(stage_sessions, stage_sessions.c.id == stage_recordings.c.session_id)
                    .where(stage_recordings.c.id == take_id)
                )
            ).one_or_none()
            if row is not None:
                await access_room(conn, user, row.room_slug)
        missing = NotFound("stage/no_recording", N_("This recording does not exist."))
        files = json.loads(row.files) if row is not None and row.state == "done" else []
        # The organisers download every file; a performer, the files of their appearances.
        if not may_download_recording(user) and not (
            0 <= index < len(files) and files[index].get("user") == user.id
        ):
            raise Forbidden(
                "stage/not_organiser", N_("Only the organisers can download the recordings.")
            )
        if row is None or row.state != "done" or not 0 <= index < len(files):
            raise missing
        path = self.jobs.folder(row.folder) / str(files[index]["file"])
        if not path.is_file():
            raise missing
        return path, path.name


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _session(row: Any) -> Session:
    return Session(
        int(row.id),
        row.room_slug,
        row.title,
        row.event_id,
        row.occurrence,
        row.starts_at,
        row.link,
    )
