"""What the stage keeps, through the gateway (a real server and sockets, a fake VideoRoom,
SQLite and PostgreSQL): a session opened by an animator only, recording announced then on
for everyone, the RTMP address checked and never sent to anyone, the recordings for the
organisers only, every refusal changing nothing. The processing job runs on real files with
stand-in tools (``tests/media/test_stage_recording.py``) and on Janus's own recordings
(``tests/e2e/test_stage_keep_janus.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from estaminet.people.model import Role
from estaminet.store import Database
from tests.agenda.test_agenda_http import event_path
from tests.support.live_server import LiveServer

from .test_stage_live import FakeStage, state
from .test_stage_recording import recorded_take
from .test_voice_live import user_id

ROOM = "scene"
TOPIC = f"stage:{ROOM}"
SECRET = "s3cr3t-stream-key-9f8e7d"


class FakeKeepStage(FakeStage):
    """A VideoRoom that also records and forwards (remembering what it was asked)."""

    def __init__(self) -> None:
        super().__init__()
        self.recorded: list[str | None] = []
        self.forwarded: list[tuple[int, int, int]] = []

    async def record(self, space: str, folder: str | None) -> None:
        self.recorded.append(folder)

    async def forward(self, space: str, feed: int, audio_port: int, video_port: int) -> list[int]:
        self.forwarded.append((feed, audio_port, video_port))
        return [1, 2]

    async def unforward(self, space: str, feed: int, stream_ids: list[int]) -> None:
        pass


@contextlib.asynccontextmanager
async def keeping(live: LiveServer) -> AsyncIterator[FakeKeepStage]:
    fake = FakeKeepStage()
    stage = live.app.state.stage
    stage.media = fake
    keep = stage.keep
    keep.announce_seconds = 0.3
    keep.jobs.retry_seconds = 0.05
    try:
        yield fake
    finally:
        stage.media = None


async def test_an_animator_opens_records_restreams_and_closes_the_stage(
    live: LiveServer, people: Any
) -> None:
    animator = await people("Anim Garde", role=Role.ANIMATOR)
    fan = await people("Fan Garde")
    async with keeping(live) as fake, animator.socket() as a, fan.socket() as f:
        for sock in (a, f):
            assert (await sock.sub(TOPIC))["type"] == "subscribed"
        first = await state(f, lambda st: "session" in st)
        assert first["session"] is None and first["recording"] == "off"

        # A watcher runs nothing: every keeping action is refused, in French, and changes nothing.
        for ref, (name, data) in enumerate(
            [
                ("stage.open", {"room": ROOM, "title": "Mon concert"}),
                ("stage.record", {"room": ROOM, "record": True}),
                ("stage.restream", {"room": ROOM, "restream": True, "address": "rtmp://h/x"}),
                ("stage.close", {"room": ROOM}),
            ]
        ):
            refused = await f.act(name, data, ref=f"w{ref}")
            assert refused["code"] == "stage/not_animator", refused
            assert "animateur" in refused["message"]
        # Before opening: no recording, no restream.
        early = await a.act("stage.record", {"room": ROOM, "record": True}, ref="e1")
        assert early["code"] == "stage/not_open" and "Ouvre" in early["message"]
        early = await a.act(
            "stage.restream", {"room": ROOM, "restream": True, "address": "rtmp://h/x"}, ref="e2"
        )
        assert early["code"] == "stage/not_open"
        long_title = await a.act("stage.open", {"room": ROOM, "title": "x" * 121}, ref="e3")
        assert long_title["code"] == "stage/bad_title"
        assert live.app.state.stage.keep.sessions.get(ROOM) is None

        opened = await a.act("stage.open", {"room": ROOM, "title": "Concert de Big Horse"}, ref="o")
        assert opened["data"]["session"]["title"] == "Concert de Big Horse"
        shown = await state(f, lambda st: st["session"] is not None)
        assert shown["session"]["title"] == "Concert de Big Horse"
        twice = await a.act("stage.open", {"room": ROOM, "title": "Autre"}, ref="o2")
        assert twice["code"] == "stage/already_open"

        # Stopped while only announced: Janus was never asked, no take is left behind.
        await a.act("stage.record", {"room": ROOM, "record": True}, ref="q1")
        quick = await a.act("stage.record", {"room": ROOM, "record": False}, ref="q2")
        assert quick["data"] == {"recording": "off"}
        await asyncio.sleep(0.6)  # past the announcement
        assert fake.recorded == []
        listed = (await animator.http.get(f"/r/{ROOM}/stage/recordings")).text
        assert "data-take" not in listed and "Pas encore d" in listed

        # Recording: announced first (« va commencer »), then on, for every watcher.
        started = await a.act("stage.record", {"room": ROOM, "record": True}, ref="r1")
        assert started["data"] == {"recording": "soon"}
        await state(f, lambda st: st["recording"] == "soon")
        assert fake.recorded == []  # nothing recorded while it is only announced
        await state(f, lambda st: st["recording"] == "on")
        assert fake.recorded and fake.recorded[0] is not None
        assert fake.recorded[0].startswith(str(live.settings.data_dir.resolve() / "recordings"))

        # The RTMP address: checked, refused clearly, never shown to anyone.
        for ref, address in enumerate(
            [
                "http://example.org/live",
                "rtmp://",
                "rtmp://host/live key",
                "rtmp://host:99999/x",
                "file:///etc/passwd",
                42,
                "rtmp://" + "a" * 600,
            ]
        ):
            bad = await a.act(
                "stage.restream",
                {"room": ROOM, "restream": True, "address": address},
                ref=f"b{ref}",
            )
            assert bad["code"] == "stage/bad_rtmp", (address, bad)
            assert "rtmp://" in bad["message"] and "commence" in bad["message"]
        assert live.app.state.stage.state(ROOM)["restream"] == "off"
        cast = await a.act(
            "stage.restream",
            {"room": ROOM, "restream": True, "address": f"rtmps://live.example.org/app/{SECRET}"},
            ref="c1",
        )
        assert cast["data"] == {"restream": "waiting"}  # nobody is live yet
        await state(f, lambda st: st["restream"] == "waiting")
        recordings = (await animator.http.get(f"/r/{ROOM}/stage/recordings")).text
        page = (await fan.http.get(f"/r/{ROOM}")).text
        assert SECRET not in page and SECRET not in recordings

        # Stop recording: Janus closes the files; the job finds no recording (nobody was live)
        # and says so to the organisers, after its retries.
        stopped = await a.act("stage.record", {"room": ROOM, "record": False}, ref="r2")
        assert stopped["data"] == {"recording": "off"}
        assert fake.recorded[-1] is None
        await state(f, lambda st: st["recording"] == "off")
        failed = ""
        for _ in range(100):
            failed = (await animator.http.get(f"/r/{ROOM}/stage/recordings")).text
            if 'data-take-state="failed"' in failed:
                break
            await asyncio.sleep(0.1)
        assert "Le traitement a échoué" in failed and "Janus wrote no recording" in failed
        # A watcher gets neither the list nor a file.
        assert (await fan.http.get(f"/r/{ROOM}/stage/recordings")).status_code == 403
        assert (await fan.http.get("/stage/recordings/1/0")).status_code == 403
        for bad in ("1/0", "99999999999999999999999/0", "1/99999999999999999999"):
            assert (await animator.http.get(f"/stage/recordings/{bad}")).status_code == 404

        closed = await a.act("stage.close", {"room": ROOM}, ref="x")
        assert closed["data"] == {"closed": True}
        after = await state(f, lambda st: st["session"] is None)
        assert after["restream"] == "off" and after["recording"] == "off"
        again = await a.act("stage.close", {"room": ROOM}, ref="x2")
        assert again["code"] == "stage/not_open"

        # Nothing anyone received ever held the address.
        for sock in (a, f):
            assert all(SECRET not in json.dumps(frame) for frame in sock.seen)


async def test_the_restream_follows_the_live_performer(
    live: LiveServer, people: Any, caplog: pytest.LogCaptureFixture
) -> None:
    animator = await people("Anim Diffuse", role=Role.ANIMATOR)
    singer = await people("Chanteuse Diffusée")
    singer_id = await user_id(singer)
    keep = live.app.state.stage.keep
    async with keeping(live) as fake, animator.socket() as a, singer.socket() as s:
        for sock in (a, s):
            assert (await sock.sub(TOPIC))["type"] == "subscribed"
        await a.act("stage.open", {"room": ROOM}, ref="o")
        keep.tools = keep.tools.__class__(ffmpeg="/nonexistent/ffmpeg")
        ok = await a.act(
            "stage.restream",
            {"room": ROOM, "restream": True, "address": f"rtmp://127.0.0.1:1/live/{SECRET}"},
            ref="c",
        )
        assert ok["type"] == "ack"
        await a.act("stage.perform", {"room": ROOM, "user": singer_id, "performer": True}, ref="p")
        await s.act("stage.live", {"room": ROOM, "live": True}, ref="l")
        # No ffmpeg here: the restream says it is retrying, then that it failed (in French on
        # the page: « La diffusion a échoué »), never « live ».
        seen = await state(a, lambda st: st["restream"] in ("retrying", "failed"))
        assert seen["restream"] != "live"
        keep.restreams[ROOM]._retry = 0.01
        await state(a, lambda st: st["restream"] == "failed")
        assert keep.restreams[ROOM].feed == fake.feed(TOPIC, singer_id)
        assert SECRET not in repr(keep.restreams[ROOM])
        assert "restream" in caplog.text and SECRET not in caplog.text
        await a.act("stage.restream", {"room": ROOM, "restream": False}, ref="c2")
        await state(a, lambda st: st["restream"] == "off")
        await a.act("stage.close", {"room": ROOM}, ref="x")
        keep.tools = keep.tools.__class__()


async def test_the_stage_opens_from_an_agenda_event_for_animators_only(
    live: LiveServer, people: Any
) -> None:
    animator = await people("Anim Agenda", role=Role.ANIMATOR)
    guest = await people("Invitée Agenda")
    keep = live.app.state.stage.keep
    path = await event_path(animator, title="Concert solidaire", room="scene", visibility="public")
    mine = (await animator.http.get(path)).text
    assert "data-agenda-stage-open" in mine and "Ouvrir la scène" in mine
    theirs = (await guest.http.get(path)).text
    assert "data-agenda-stage-open" not in theirs and "Regarder la scène" not in theirs

    # A guest's forged form, a room without a stage, a missing room: refused, nothing opened.
    forged = await guest.http.post(
        f"{path}/stage", data={"csrf": await guest.csrf(path), "room": "scene"}
    )
    assert forged.status_code == 403
    token = await animator.csrf(path)
    for room in ("bar", "", "x" * 80):
        refused = await animator.http.post(f"{path}/stage", data={"csrf": token, "room": room})
        assert refused.status_code in (400, 404), (room, refused.status_code)
    no_token = await animator.http.post(f"{path}/stage", data={"room": "scene"})
    assert no_token.status_code == 403
    assert keep.sessions.get(ROOM) is None

    opened = await animator.http.post(f"{path}/stage", data={"csrf": token, "room": "scene"})
    assert (opened.status_code, opened.headers["location"]) == (303, f"/r/{ROOM}")
    session = keep.sessions[ROOM]
    assert session.title == "Concert solidaire" and session.link == path
    assert session.starts_at is not None
    # Twice for the same event: the same session (a double click opens nothing more).
    again = await animator.http.post(f"{path}/stage", data={"csrf": token, "room": "scene"})
    assert again.status_code == 303 and keep.sessions[ROOM].id == session.id
    # The event's page links to the live stage, for everyone who sees the event.
    shown = (await guest.http.get(path)).text
    assert "Regarder la scène en direct" in shown and f'href="/r/{ROOM}"' in shown
    stage_page = (await guest.http.get(f"/r/{ROOM}")).text
    assert "Concert solidaire" in stage_page

    async with animator.socket() as a:
        assert (await a.sub(TOPIC))["type"] == "subscribed"
        seen = await state(a, lambda st: st.get("session") is not None)
        assert seen["session"]["link"] == path
        await a.act("stage.close", {"room": ROOM}, ref="x")
        await state(a, lambda st: st["session"] is None)
    assert "Regarder la scène en direct" not in (await guest.http.get(path)).text


async def test_an_event_held_elsewhere_chooses_its_stage(live: LiveServer, people: Any) -> None:
    animator = await people("Anim Ailleurs", role=Role.ANIMATOR)
    keep = live.app.state.stage.keep
    path = await event_path(animator, title="Causerie au bar", room="bar", visibility="public")
    page = (await animator.http.get(path)).text
    assert 'name="room"' in page and '<option value="scene">' in page  # the stages, to choose
    token = await animator.csrf(path)
    opened = await animator.http.post(f"{path}/stage", data={"csrf": token, "room": "scene"})
    assert (opened.status_code, opened.headers["location"]) == (303, f"/r/{ROOM}")
    assert keep.sessions[ROOM].title == "Causerie au bar"
    # Another event while this one is on: refused, the first one stays.
    other = await event_path(animator, title="Autre chose", room="scene", visibility="public")
    clash = await animator.http.post(
        f"{other}/stage", data={"csrf": await animator.csrf(other), "room": "scene"}
    )
    assert clash.status_code == 409 and "déjà ouverte" in clash.text
    assert keep.sessions[ROOM].title == "Causerie au bar"
    async with animator.socket() as a:
        assert (await a.sub(TOPIC))["type"] == "subscribed"
        await a.act("stage.close", {"room": ROOM}, ref="x")
        await state(a, lambda st: st["session"] is None)


async def test_a_performer_gets_their_own_recording_and_only_theirs(
    live: LiveServer, people: Any
) -> None:
    """A processed take names whose each file is: the performer downloads their own
    appearance (their data, listed on « Mes données » with its link), not another
    performer's, and a watcher neither; the organisers download both."""
    animator = await people("Anim Enregistre", role=Role.ANIMATOR)
    singer, pianist, fan = (
        await people("Chanteuse Enregistrée"),
        await people("Pianiste Enregistré"),
        await people("Fan Curieux"),
    )
    singer_id, pianist_id = await user_id(singer), await user_id(pianist)
    keep = live.app.state.stage.keep
    files = [
        {"name": "Chanteuse Enregistrée", "file": "01-Chanteuse.webm", "user": singer_id},
        {"name": "Pianiste Enregistré", "file": "02-Pianiste.webm", "user": pianist_id},
    ]
    db = Database(live.settings.resolved_database_url)  # this test's loop, not the server's
    try:
        take_id, folder = await recorded_take(
            db,
            datetime.now(UTC),
            "done",
            {"11": ("Chanteuse Enregistrée", singer_id), "22": ("Pianiste Enregistré", pianist_id)},
            files,
            root=keep.jobs.folder(""),
        )
    finally:
        await db.dispose()
    for n, entry in enumerate(files):
        keep.jobs.folder(folder).joinpath(entry["file"]).write_bytes(f"webm {n}".encode())
    own, other = f"/stage/recordings/{take_id}/0", f"/stage/recordings/{take_id}/1"
    got = await singer.http.get(own)
    assert got.status_code == 200 and got.content == b"webm 0"
    assert "no-store" in got.headers["cache-control"]
    assert (await singer.http.get(other)).status_code == 403
    assert (await pianist.http.get(other)).content == b"webm 1"
    for path in (own, other, f"/stage/recordings/{take_id}/2"):
        assert (await fan.http.get(path)).status_code == 403
    assert (await animator.http.get(other)).content == b"webm 1"
    # Her data lists it, with the link; the JSON export too.
    data = (await singer.http.get("/me/data")).text
    assert "Tes passages dans les enregistrements de la scène" in data
    assert f'href="{own}"' in data and other not in data
    assert ">prêt à télécharger</td>" in data and ">done</td>" not in data  # said, not stored
    exported = json.loads((await singer.http.get("/me/data.json")).text)
    assert [r["download"] for r in exported["recordings"]] == [own]
    assert (await fan.http.get("/me/data.json")).json()["recordings"] == []

    # She deletes her account through the page: her file leaves the disk, his stays.
    token = await singer.csrf("/me/delete")
    gone = await singer.http.post("/me/delete", data={"csrf": token, "confirm": "supprimer"})
    assert gone.status_code == 200
    taken = keep.jobs.folder(folder)
    assert not (taken / files[0]["file"]).exists() and (taken / files[1]["file"]).exists()
    # The take's list now holds his file alone.
    assert (await animator.http.get(own)).content == b"webm 1"
    assert (await animator.http.get(other)).status_code == 404
