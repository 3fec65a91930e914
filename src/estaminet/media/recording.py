"""A stage's recordings: Janus writes ``.mjr`` files while a take runs; afterwards a durable
job turns them into one ``.webm`` file per performer's appearance (``janus-pp-rec`` from
Debian's ``janus-tools``, then ``ffmpeg`` to put sound and picture together).

A take is a row of ``stage_recordings``: ``recording`` while Janus writes, then
``pending``; the job claims it (``processing``, one attempt more), and marks it ``done``
only once every file exists and ``ffprobe`` reads its streams. A failure leaves it
``pending`` for another attempt (:data:`ATTEMPTS` in all), then ``failed`` with the reason,
which the organisers see. A process that dies mid-job leaves ``processing`` (or
``recording``) behind: :meth:`RecordingJobs.resume` takes those up again at start.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from estaminet.media.data import MJR_NAME, Leftover, drop_recordings, still_here
from estaminet.media.schema import stage_recordings, stage_sessions
from estaminet.store import Database

__all__ = ["ATTEMPTS", "RecordingJobs", "Take", "Tools", "plan_takes"]

log = logging.getLogger(__name__)

ATTEMPTS = 3
"""Tries of one take's processing before it is marked failed."""
RETRY_SECONDS = 5.0
_TOOL_SECONDS = 600.0
"""The longest one tool may run on one file (a long concert takes a while)."""

PAIR_MICROSECONDS = 10_000_000
"""A performer's audio and video files starting closer than this belong to one appearance."""


@dataclass(frozen=True, slots=True)
class Tools:
    """The programs the processing runs (Debian's ``janus-tools`` and ``ffmpeg``)."""

    pp_rec: str = "janus-pp-rec"
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"

    def missing(self) -> list[str]:
        return [tool for tool in (self.pp_rec, self.ffmpeg, self.ffprobe) if not shutil.which(tool)]


@dataclass(frozen=True, slots=True)
class Take:
    """One performer's appearance in a recording: their audio and video files from Janus."""

    feed: int
    started: int
    audio: str | None
    video: str | None


def plan_takes(names: list[str]) -> list[Take]:
    """Group Janus's ``.mjr`` file names by performer and appearance (pure).

    Janus names each stream's file with its own start time in microseconds: a performer's
    audio and video of one appearance start a moment apart, a new appearance (after a cut,
    a lost network) starts a new pair.
    """
    found: dict[int, list[tuple[int, str, str]]] = {}
    for name in names:
        match = MJR_NAME.match(name)
        if match is not None:
            found.setdefault(int(match["feed"]), []).append((int(match["ts"]), match["kind"], name))
    takes: list[Take] = []
    for feed, files in found.items():
        group: dict[str, str] = {}
        start = 0
        for ts, kind, name in sorted(files):
            if group and (kind in group or ts - start > PAIR_MICROSECONDS):
                takes.append(Take(feed, start, group.get("audio"), group.get("video")))
                group = {}
            if not group:
                start = ts
            group[kind] = name
        if group:
            takes.append(Take(feed, start, group.get("audio"), group.get("video")))
    return sorted(takes, key=lambda t: (t.started, t.feed))


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^\w-]+", "-", name, flags=re.UNICODE).strip("-")
    return cleaned[:40] or "scene"


def _mjr_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.mjr"))


class ToolFailed(Exception):
    """A processing tool failed; the message says which and why (for the organisers)."""


async def _run(*command: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), _TOOL_SECONDS)
    except TimeoutError as exc:
        process.kill()
        await process.wait()
        raise ToolFailed(f"{Path(command[0]).name}: too slow") from exc
    except asyncio.CancelledError:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-3:]
        raise ToolFailed(f"{Path(command[0]).name} ({process.returncode}): {' / '.join(tail)}")
    return out.decode(errors="replace")


class RecordingJobs:
    """Processes the stage's finished takes into files the organisers download."""

    def __init__(
        self,
        db: Database,
        root: Path,
        clock: Callable[[], datetime],
        *,
        tools: Tools | None = None,
        changed: Callable[[str], Awaitable[None]] | None = None,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.db = db
        self.root = root.resolve()
        self.clock = clock
        self.tools = tools or Tools()
        self.changed = changed
        self.retry_seconds = retry_seconds
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def folder(self, name: str) -> Path:
        return self.root / name

    async def resume(self) -> list[int]:
        """At start: takes a dead process left recording or processing go back in the queue."""
        now = self.clock()
        async with self.db.begin() as conn:
            await conn.execute(
                update(stage_recordings)
                .where(stage_recordings.c.state == "recording")
                .values(state="pending", stopped_at=now)
            )
            await conn.execute(
                update(stage_recordings)
                .where(stage_recordings.c.state == "processing")
                .values(state="pending")
            )
            rows = await conn.execute(
                select(stage_recordings.c.id).where(stage_recordings.c.state == "pending")
            )
            ids = [int(row.id) for row in rows]
        for take_id in ids:
            self.schedule(take_id)
        return ids

    def schedule(self, take_id: int, delay: float = 0.0) -> None:
        running = self._tasks.get(take_id)
        if running is not None and not running.done():
            return
        task = asyncio.get_running_loop().create_task(self._later(take_id, delay))
        self._tasks[take_id] = task

    async def _later(self, take_id: int, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        try:
            again = await self.process(take_id)
        except Exception:  # an upkeep task must outlive a surprise
            log.exception("stage recording %s: processing failed", take_id)
            return
        self._tasks.pop(take_id, None)
        if again:
            self.schedule(take_id, self.retry_seconds)

    async def wait(self) -> None:
        """Wait for the jobs running now (tests, shutdown)."""
        while pending := [t for t in self._tasks.values() if not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    async def process(self, take_id: int) -> bool:
        """Claim and process one take; returns whether it should be tried again later."""
        async with self.db.begin() as conn:
            claimed = await conn.execute(
                update(stage_recordings)
                .where(stage_recordings.c.id == take_id, stage_recordings.c.state == "pending")
                .values(state="processing", attempts=stage_recordings.c.attempts + 1)
            )
            if claimed.rowcount != 1:
                return False
            row = (
                await conn.execute(
                    select(stage_recordings, stage_sessions.c.room_slug)
                    .join(stage_sessions, stage_sessions.c.id == stage_recordings.c.session_id)
                    .where(stage_recordings.c.id == take_id)
                )
            ).one()
        await self._tell(row.room_slug)
        try:
            performers: dict[str, str | None] = json.loads(row.performers)
            files = await self._make(self.folder(row.folder), json.loads(row.names), performers)
        except (ToolFailed, OSError) as exc:
            last = row.attempts >= ATTEMPTS
            async with self.db.begin() as conn:
                await conn.execute(
                    update(stage_recordings)
                    .where(stage_recordings.c.id == take_id)
                    .values(state="failed" if last else "pending", error=str(exc)[:1000])
                )
            log.warning("stage recording %s failed (attempt %s): %s", take_id, row.attempts, exc)
            await self._tell(row.room_slug)
            return not last
        async with self.db.begin() as conn:
            # Someone who deleted their account while this ran: their file goes too.
            now_here = await still_here(conn, take_id, performers)
            gone = [f for f in files if f.get("user") and f["user"] not in now_here.values()]
            files = [f for f in files if f not in gone]
            await conn.execute(
                update(stage_recordings)
                .where(stage_recordings.c.id == take_id)
                .values(
                    state="done",
                    files=json.dumps(files),
                    performers=json.dumps(now_here),
                    error=None,
                    done_at=self.clock(),
                )
            )
        # Their files go: the one made meanwhile, and Janus's raw files of every feed whose
        # person left (also one who left while the take was still recording).
        forgotten = tuple(int(feed) for feed, who in now_here.items() if who is None)
        if gone or forgotten:
            left = Leftover(row.folder, tuple(str(f["file"]) for f in gone), forgotten)
            await asyncio.to_thread(drop_recordings, self.root, [left])
        await self._tell(row.room_slug)
        return False

    async def _tell(self, slug: str) -> None:
        if self.changed is not None:
            await self.changed(slug)

    async def _make(
        self, folder: Path, names: dict[str, str], performers: dict[str, str | None]
    ) -> list[dict[str, str]]:
        missing = self.tools.missing()
        if missing:
            raise ToolFailed(
                f"not installed: {', '.join(missing)} (apt-get install janus-tools ffmpeg)"
            )
        takes = plan_takes(await asyncio.to_thread(_mjr_names, folder))
        if not takes:
            raise ToolFailed("Janus wrote no recording (nobody was live while it ran)")
        work = folder / "work"
        work.mkdir(exist_ok=True)
        made: list[dict[str, str]] = []
        used: dict[str, int] = {}
        for take in takes:
            feed = str(take.feed)
            if feed in performers and performers[feed] is None:
                continue  # that person deleted their account: their feed is left out
            name = names.get(feed) or "Scène"
            used[name] = used.get(name, 0) + 1
            shown = name if used[name] == 1 else f"{name} ({used[name]})"
            stem = f"{len(made) + 1:02d}-{_safe(shown)}"
            inputs: list[str] = []
            if take.video:
                video = work / f"{stem}-video.webm"
                await _run(self.tools.pp_rec, str(folder / take.video), str(video))
                inputs += ["-i", str(video)]
            if take.audio:
                audio = work / f"{stem}-audio.opus"
                await _run(self.tools.pp_rec, str(folder / take.audio), str(audio))
                inputs += ["-i", str(audio)]
            final = folder / f"{stem}.webm"
            partial = work / f"{stem}.partial.webm"
            maps = [arg for i in range(len(inputs) // 2) for arg in ("-map", str(i))]
            await _run(
                self.tools.ffmpeg, "-hide_banner", "-loglevel", "error", "-y", *inputs, *maps,
                "-c", "copy", str(partial),
            )  # fmt: skip
            kinds = await self.probe(partial)
            wanted = {"video"} if take.video else set()
            wanted |= {"audio"} if take.audio else set()
            if not wanted <= kinds:
                raise ToolFailed(f"ffprobe: {final.name} has {sorted(kinds)}, not {sorted(wanted)}")
            partial.replace(final)
            entry = {"name": shown, "file": final.name}
            if performers.get(feed):
                entry["user"] = str(performers[feed])
            made.append(entry)
        shutil.rmtree(work, ignore_errors=True)
        return made

    async def probe(self, path: Path) -> set[str]:
        """The kinds of streams ``ffprobe`` reads in ``path`` (raises if it cannot read it)."""
        out = await _run(
            self.tools.ffprobe, "-v", "error", "-show_entries", "stream=codec_type",
            "-of", "json", str(path),
        )  # fmt: skip
        try:
            streams: list[dict[str, Any]] = json.loads(out).get("streams", [])
        except ValueError as exc:
            raise ToolFailed(f"ffprobe: unreadable answer for {path.name}") from exc
        return {str(s.get("codec_type")) for s in streams}
