"""What the stage's recordings hold about one person: their part in their data export, and
their erasure when their account is deleted (``privacy/``).

A take's row names, for each Janus feed, the performer's name (``names``) and user id
(``performers``); each processed file names whose appearance it is (``files``, ``user``).
Deleting an account marks that person's feeds ``null`` in ``performers`` and drops their
name and files from the rows; the files themselves (the processed ones and Janus's raw
``.mjr`` of their feeds) are erased after the commit (:func:`drop_recordings`). A take not
yet processed leaves a ``null`` feed out. Every writer of a take's row (stopping it,
finishing its processing) locks the row and checks that its performers still exist, so a
deletion committed meanwhile is never undone.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.media.schema import stage_recordings, stage_sessions
from estaminet.people.queries import users_by_ids
from estaminet.settings import Settings

__all__ = [
    "MJR_NAME",
    "Leftover",
    "drop_recordings",
    "forget_performer",
    "recordings_of",
    "recordings_root",
    "still_here",
]

log = logging.getLogger(__name__)

MJR_NAME = re.compile(
    r"^videoroom-(?P<room>\d+)-user-(?P<feed>\d+)-(?P<ts>\d+)-(?P<kind>audio|video)(?:-\d+)?\.mjr$"
)
"""A raw file Janus writes while a take runs: one per stream of one feed (a performer)."""


@dataclass(frozen=True, slots=True)
class Leftover:
    """Files of a deleted person in one take's folder: processed files, and raw feeds."""

    folder: str
    files: tuple[str, ...]
    feeds: tuple[int, ...]


def recordings_root(settings: Settings) -> Path:
    """Where the stage's takes are written (one folder each)."""
    return settings.stage_recordings_dir or settings.data_dir / "recordings"


def _like(user_id: str) -> Any:
    # A first sieve in SQL (the JSON is then read exactly): the id between quotes.
    escaped = user_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return stage_recordings.c.performers.like(f'%"{escaped}"%', escape="\\")


async def recordings_of(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """The stage recordings ``user_id`` performed in, once a take stopped: each file of
    theirs (with the address they download it from), or the take's state until processed."""
    rows = await conn.execute(
        select(stage_recordings, stage_sessions.c.title, stage_sessions.c.room_slug)
        .join(stage_sessions, stage_sessions.c.id == stage_recordings.c.session_id)
        .where(_like(user_id))
        .order_by(stage_recordings.c.id)
    )
    found: list[dict[str, Any]] = []
    for row in rows:
        if user_id not in json.loads(row.performers).values():
            continue
        base = {"title": row.title, "room": row.room_slug, "at": row.started_at}
        if row.state != "done":
            found.append({**base, "status": row.state, "file": None, "download": None})
            continue
        for index, entry in enumerate(json.loads(row.files)):
            if entry.get("user") == user_id:
                found.append(
                    {
                        **base,
                        "status": row.state,
                        "file": entry["file"],
                        "download": f"/stage/recordings/{int(row.id)}/{index}",
                    }
                )
    return found


async def forget_performer(conn: AsyncConnection, user_id: str) -> list[Leftover]:
    """Take ``user_id`` out of every recording (in the deletion's transaction); the files
    to erase once it commits."""
    rows = await conn.execute(select(stage_recordings).where(_like(user_id)).with_for_update())
    leftovers: list[Leftover] = []
    for row in rows.all():
        performers: dict[str, str | None] = json.loads(row.performers)
        feeds = [feed for feed, who in performers.items() if who == user_id]
        if not feeds:
            continue
        names = {k: v for k, v in json.loads(row.names).items() if k not in feeds}
        files = json.loads(row.files)
        theirs = [f for f in files if f.get("user") == user_id]
        await conn.execute(
            update(stage_recordings)
            .where(stage_recordings.c.id == row.id)
            .values(
                performers=json.dumps(
                    {k: (None if k in feeds else v) for k, v in performers.items()}
                ),
                names=json.dumps(names),
                files=json.dumps([f for f in files if f.get("user") != user_id]),
            )
        )
        leftovers.append(
            Leftover(row.folder, tuple(str(f["file"]) for f in theirs), tuple(map(int, feeds)))
        )
    return leftovers


async def still_here(
    conn: AsyncConnection, take_id: int, performers: dict[str, str | None]
) -> dict[str, str | None]:
    """``performers`` as a writer of take ``take_id`` may store them: the row locked, a feed
    a deletion marked ``null`` stays ``null``, and so does one whose person no longer exists."""
    stored: dict[str, str | None] = json.loads(
        (
            await conn.execute(
                select(stage_recordings.c.performers)
                .where(stage_recordings.c.id == take_id)
                .with_for_update()
            )
        ).scalar_one()
    )
    merged = {**stored, **performers}
    merged.update({feed: None for feed, who in stored.items() if who is None})
    alive = await users_by_ids(conn, {who for who in merged.values() if who is not None})
    return {feed: (who if who in alive else None) for feed, who in merged.items()}


def drop_recordings(root: Path, leftovers: list[Leftover]) -> None:
    """Erase a deleted person's recording files (after the deletion committed)."""
    for leftover in leftovers:
        folder = root / leftover.folder
        doomed = [folder / name for name in leftover.files]
        if folder.is_dir():
            for path in folder.glob("*.mjr"):
                match = MJR_NAME.match(path.name)
                if match is not None and int(match["feed"]) in leftover.feeds:
                    doomed.append(path)
        for path in doomed:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:  # logged without the person: the folder and file only
                log.warning("could not erase %s: %s", path, exc)
