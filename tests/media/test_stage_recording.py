"""The recordings' processing job (``media/recording.py``) on both databases, with real
``ffmpeg``/``ffprobe`` and a stand-in for ``janus-pp-rec`` that writes real media: a take
is done only once each file exists and ffprobe reads the streams it should have; a failing
tool is retried, then the take is marked failed with the reason; a take a dead process left
``recording`` or ``processing`` is taken up again at start. (Janus's own ``.mjr`` files and
the real ``janus-pp-rec``: ``tests/e2e/test_stage_keep_janus.py``.)"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from estaminet.media.data import drop_recordings, recordings_of
from estaminet.media.recording import ATTEMPTS, RecordingJobs, Tools, plan_takes
from estaminet.media.schema import stage_recordings, stage_sessions
from estaminet.people import actions
from estaminet.people.model import Role
from estaminet.privacy.deletion import delete_account
from estaminet.store import Database
from tests.conftest import FixedClock

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)

# What janus-pp-rec would write for an ``.mjr``: a short VP8 video or Opus sound.
STAND_IN = """#!/bin/sh
case "$1" in
  *-video*) exec ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc=duration=2:size=160x120:rate=10 -c:v libvpx -b:v 100k "$2" ;;
  *-audio*) exec ffmpeg -hide_banner -loglevel error -y -f lavfi -i sine=duration=2 -c:a libopus "$2" ;;
esac
exit 2
"""
FAILING = "#!/bin/sh\necho 'Invalid header' >&2\nexit 1\n"
GARBAGE = "#!/bin/sh\necho 'not media' > \"$2\"\n"


def _need_ffmpeg() -> None:
    if shutil.which("ffmpeg") and shutil.which("ffprobe"):
        return
    if IN_CI:
        pytest.fail("ffmpeg is not installed (apt-get install -y ffmpeg); CI must run this test")
    pytest.skip("ffmpeg is not installed (apt-get install -y ffmpeg)")


def _tool(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)
    return str(path)


RAW = (
    "videoroom-77-user-11-1700000000000100-audio-0.mjr",
    "videoroom-77-user-11-1700000000002300-video-1.mjr",
    "videoroom-77-user-22-1700000005000000-audio-0.mjr",
    "notes.txt",
)
"""Janus's files of a take: feed 11 sang (sound and picture), feed 22 played (sound)."""


async def recorded_take(
    db: Database,
    now: datetime,
    state: str,
    performers: dict[str, tuple[str, str | None]],
    files: list[dict[str, str]] | None = None,
    root: Path | None = None,
) -> tuple[int, str]:
    """A stage session and one take of it, as ``StageKeep`` leaves it once stopped
    (``performers``: feed → name and user id, ``None``: none known); with ``root``, its folder holds Janus's
    raw files and the processed ``files``. Its id and folder."""
    folder = f"take-{state}-{secrets.token_hex(3)}"
    if root is not None:
        (root / folder).mkdir(parents=True)
        for name in [*RAW, *(f["file"] for f in files or [])]:
            (root / folder / name).write_bytes(b"MJR00002")
    async with db.begin() as conn:
        session = await conn.execute(
            insert(stage_sessions).values(room_slug="scene", title="Concert", opened_at=now)
        )
        key = session.inserted_primary_key
        assert key is not None
        take = await conn.execute(
            insert(stage_recordings).values(
                session_id=key[0],
                folder=folder,
                names=json.dumps({feed: name for feed, (name, _) in performers.items()}),
                performers=json.dumps(
                    {feed: who for feed, (_, who) in performers.items() if who is not None}
                ),
                state=state,
                attempts=0,
                files=json.dumps(files or []),
                started_at=now,
            )
        )
        made = take.inserted_primary_key
        assert made is not None
        return int(made[0]), folder


async def _take(db: Database, root: Path, state: str, names: dict[str, str]) -> int:
    take_id, _ = await recorded_take(
        db, NOW, state, {feed: (name, None) for feed, name in names.items()}, root=root
    )
    return take_id


async def _row(db: Database, take_id: int) -> Any:
    async with db.read() as conn:
        return (
            await conn.execute(select(stage_recordings).where(stage_recordings.c.id == take_id))
        ).one()


def test_janus_file_names_group_by_performer_and_appearance() -> None:
    takes = plan_takes(
        [
            # Janus stamps each stream's file with its own start, in microseconds.
            "videoroom-5-user-9-1700000200004117-video-1.mjr",
            "videoroom-5-user-9-1700000200003002-audio-0.mjr",
            "videoroom-5-user-3-1700000100000000-audio.mjr",
            # The same performer back on stage a minute later: a second appearance.
            "videoroom-5-user-9-1700000260000000-audio-0.mjr",
            "videoroom-5-user-9-1700000260000500-audio-0.mjr",
            "something-else.mjr",
            "videoroom-5-user-9-1700000200009000-data-2.mjr",
        ]
    )
    assert [(t.feed, t.started, bool(t.audio), bool(t.video)) for t in takes] == [
        (3, 1700000100000000, True, False),
        (9, 1700000200003002, True, True),
        (9, 1700000260000000, True, False),
        (9, 1700000260000500, True, False),
    ]


async def test_a_take_is_done_only_once_ffprobe_reads_every_file(
    db: Database, tmp_path: Path
) -> None:
    _need_ffmpeg()
    root = tmp_path / "recordings"
    jobs = RecordingJobs(db, root, lambda: NOW, tools=Tools(pp_rec=_tool(tmp_path, "pp", STAND_IN)))
    take_id = await _take(db, root, "pending", {"11": "Chanteuse", "22": "Pianiste"})
    assert await jobs.process(take_id) is False
    row = await _row(db, take_id)
    assert row.state == "done" and row.attempts == 1 and row.error is None
    files = json.loads(row.files)
    assert [f["name"] for f in files] == ["Chanteuse", "Pianiste"]
    singer, pianist = (root / row.folder / f["file"] for f in files)
    assert await jobs.probe(singer) == {"audio", "video"}
    assert await jobs.probe(pianist) == {"audio"}
    assert not (root / row.folder / "work").exists()
    # Done is done: processing again claims nothing.
    assert await jobs.process(take_id) is False


async def test_a_failing_tool_is_retried_then_the_take_says_why(
    db: Database, tmp_path: Path
) -> None:
    _need_ffmpeg()
    root = tmp_path / "recordings"
    jobs = RecordingJobs(db, root, lambda: NOW, tools=Tools(pp_rec=_tool(tmp_path, "pp", FAILING)))
    take_id = await _take(db, root, "pending", {"11": "Chanteuse"})
    for attempt in range(1, ATTEMPTS):
        assert await jobs.process(take_id) is True  # to be tried again
        row = await _row(db, take_id)
        assert (row.state, row.attempts) == ("pending", attempt)
        assert "Invalid header" in row.error
    assert await jobs.process(take_id) is False
    row = await _row(db, take_id)
    assert (row.state, row.attempts) == ("failed", ATTEMPTS)
    assert row.error.startswith("pp (1): Invalid header")
    assert json.loads(row.files) == []


async def test_a_file_ffprobe_cannot_read_is_never_marked_done(
    db: Database, tmp_path: Path
) -> None:
    _need_ffmpeg()
    root = tmp_path / "recordings"
    jobs = RecordingJobs(db, root, lambda: NOW, tools=Tools(pp_rec=_tool(tmp_path, "pp", GARBAGE)))
    take_id = await _take(db, root, "pending", {})
    assert await jobs.process(take_id) is True
    row = await _row(db, take_id)
    assert row.state == "pending" and row.error.startswith("ffmpeg")
    assert not list((root / row.folder).glob("*.webm"))  # nothing offered for download


async def test_takes_a_dead_process_left_are_taken_up_again_at_start(
    db: Database, tmp_path: Path
) -> None:
    _need_ffmpeg()
    root = tmp_path / "recordings"
    jobs = RecordingJobs(db, root, lambda: NOW, tools=Tools(pp_rec=_tool(tmp_path, "pp", STAND_IN)))
    mid_job = await _take(db, root, "processing", {"11": "Chanteuse"})
    mid_show = await _take(db, root, "recording", {"11": "Chanteuse"})
    done_already = await _take(db, root, "done", {})
    assert sorted(await jobs.resume()) == sorted([mid_job, mid_show])
    await jobs.wait()
    for take_id in (mid_job, mid_show):
        row = await _row(db, take_id)
        assert row.state == "done", row.error
        assert len(json.loads(row.files)) == 2
    assert (await _row(db, mid_show)).stopped_at is not None
    assert (await _row(db, done_already)).attempts == 0


async def test_each_file_names_its_performer_and_a_deleted_one_is_left_out(
    db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    """A processed file says whose appearance it is (their data export lists it, they may
    download it); a performer whose account was deleted before processing is left out, and
    so is one deleted while it ran (the finishing write re-reads who still exists)."""
    _need_ffmpeg()
    root = tmp_path / "recordings"
    jobs = RecordingJobs(db, root, lambda: NOW, tools=Tools(pp_rec=_tool(tmp_path, "pp", STAND_IN)))
    admin = await actions.create_user(db, "Admin", Role.ADMIN, clock())
    singer = await actions.create_user(db, "Chanteuse Zélie", Role.GUEST, clock())
    pianist = await actions.create_user(db, "Pianiste Hugo", Role.GUEST, clock())
    cast = {"11": ("Chanteuse Zélie", singer.id), "22": ("Pianiste Hugo", pianist.id)}

    first, _ = await recorded_take(db, NOW, "pending", cast, root=root)
    assert await jobs.process(first) is False
    files = json.loads((await _row(db, first)).files)
    assert [(f["name"], f["user"]) for f in files] == [
        ("Chanteuse Zélie", singer.id),
        ("Pianiste Hugo", pianist.id),
    ]
    async with db.read() as conn:
        mine = await recordings_of(conn, singer.id)
    assert [(r["title"], r["status"], r["file"], r["download"]) for r in mine] == [
        ("Concert", "done", files[0]["file"], f"/stage/recordings/{first}/0")
    ]

    # Deleted before processing: the take is processed without her.
    second, folder = await recorded_take(db, NOW, "pending", cast, root=root)
    gone = await delete_account(
        db, admin, singer.id, clock(), remove_messages=False, venue_locale="fr"
    )
    drop_recordings(root, list(gone.recordings))
    assert not (root / files[0]["file"]).exists()
    assert sorted(p.name for p in (root / folder).glob("*.mjr")) == [RAW[2]]  # hers are gone
    assert await jobs.process(second) is False
    row = await _row(db, second)
    assert [f["user"] for f in json.loads(row.files)] == [pianist.id]
    assert singer.id not in row.performers and "Zélie" not in row.names

    # Deleted while processing ran: the finishing write leaves him out and erases his file.
    third, folder = await recorded_take(db, NOW, "pending", cast, root=root)
    make = jobs._make

    async def slow_make(*args: Any) -> list[dict[str, str]]:
        made = await make(*args)
        await delete_account(
            db, admin, pianist.id, clock(), remove_messages=False, venue_locale="fr"
        )
        return made

    jobs._make = slow_make  # type: ignore[method-assign]
    assert await jobs.process(third) is False
    row = await _row(db, third)
    assert row.state == "done" and json.loads(row.files) == []
    assert json.loads(row.performers) == {"11": None, "22": None}
    assert not list((root / folder).glob("*.webm"))
    assert not list((root / folder).glob("*.mjr"))  # Janus's raw files of both went too

    # A take whose row still names someone who no longer exists (they left while it was
    # recording): processed without them, their raw files erased.
    jobs._make = make  # type: ignore[method-assign]
    fourth, folder = await recorded_take(
        db, NOW, "pending", {"11": ("Partie", "no-such-person"), "22": ("Scène", None)}, root=root
    )
    assert await jobs.process(fourth) is False
    row = await _row(db, fourth)
    assert [f["name"] for f in json.loads(row.files)] == ["Scène"]
    assert json.loads(row.performers) == {"11": None} and "Partie" not in row.files
    assert sorted(p.name for p in (root / folder).glob("*.mjr")) == [RAW[2]]
