"""The venue served for real with two Janus servers: a crowd room on one of them; that Janus
killed mid-call; the people in the room are told « La voix change de serveur… » on their
sockets and their next ``voice.join`` gives a ticket the survivor lets in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.media.test_voice_live import in_voice, members_of
from tests.support.janus import BrowserSide, RunningJanus, janus_layout, require_janus
from tests.support.live_server import LiveServer, start_server_on

MOVED = "La voix change de serveur…"


@pytest.fixture(scope="module")
def pair(
    database_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[RunningJanus]]:
    """Two Janus of this module's own (one is killed), for each database backend."""
    started: list[RunningJanus] = []
    try:
        for name in ("a", "b"):
            janus = RunningJanus(
                janus_layout(tmp_path_factory.mktemp(f"janus-{name}") / "conf"), require_janus()
            )
            janus.start()
            started.append(janus)
        yield started
    finally:
        for janus in started:
            janus.stop()


@pytest.fixture(scope="module")
def live(
    database_backend: str, pair: list[RunningJanus], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    servers = [
        {
            "url": j.layout.url,
            "admin_url": j.layout.admin_url,
            "admin_secret": j.layout.admin_secret,
            "room_admin_key": j.layout.room_admin_key,
        }
        for j in pair
    ]
    yield from start_server_on(
        database_backend,
        tmp_path_factory.mktemp("live"),
        janus_autostart="never",
        janus_servers=servers,
        janus_health_seconds=0.5,
        janus_down_after=2,
    )


async def test_csp_allows_every_janus(live: LiveServer, pair: list[RunningJanus]) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=live.base) as http:
        csp = (await http.get("/healthz")).headers["content-security-policy"]
    for janus in pair:
        assert janus.layout.url in csp


async def test_voice_moves_when_its_janus_is_killed(
    live: LiveServer, pair: list[RunningJanus], people: Any
) -> None:
    alice, bob = await people("Alice Bascule"), await people("Bob Bascule")
    admin = await people()
    await admin.sign_in_admin()
    async with alice.socket() as a, bob.socket() as b, admin.socket() as m:
        first = (await in_voice(a, "room:bar"))["data"]
        second = (await in_voice(b, "room:bar"))["data"]
        # A moderator mutes Bob: the mute must follow him to the other server.
        assert (await m.sub("voice:room:bar"))["type"] == "subscribed"
        members = await members_of(m, "room:bar", 2)
        bob_id = next(x["id"] for x in members if x["name"] == "Bob Bascule")
        muted = await m.act(
            "voice.moderate", {"space": "room:bar", "user": bob_id, "action": "mute"}, ref="mute"
        )
        assert muted["type"] == "ack", muted
        assert first["transport"] == second["transport"] == "janus"
        ticket = first["ticket"]
        assert (second["ticket"]["server"], second["ticket"]["room"]) == (
            ticket["server"],
            ticket["room"],
        )
        victim = next(j for j in pair if j.layout.url == ticket["server"])
        survivor = next(j for j in pair if j is not victim)

        victim.kill()

        for sock in (a, b):
            moved = await sock.expect(within=15, type="voice", kind="moved")
            assert moved["space"] == "room:bar"
            assert moved["message"] == MOVED
        # Nothing in the frame says where to: the new ticket does, to whoever may join.
        assert survivor.layout.url not in json.dumps(moved)
        sides = []
        try:
            for sock, person in ((a, "a"), (b, "b")):
                again = await sock.act("voice.join", {"space": "room:bar"}, ref=f"again-{person}")
                assert again["type"] == "ack", again
                fresh = again["data"]["ticket"]
                assert fresh["server"] == survivor.layout.url
                assert fresh["room"] == ticket["room"]
                assert fresh["token"] != ticket["token"]
                side = BrowserSide(fresh["server"], fresh["token"])
                sides.append(side)
                await side.open()
                joined = await side.join(fresh["room"], fresh["participant"])
                assert joined["audiobridge"] == "joined"
            bob_seat = fresh["participant"]
            # Janus itself has Bob muted on the survivor (the sweeper re-mutes within 5 s).
            for _ in range(100):
                present = await _present(survivor, int(ticket["room"]))
                if present.get(bob_seat):
                    break
                await asyncio.sleep(0.1)
            assert present == {first["ticket"]["participant"]: False, bob_seat: True}
        finally:
            for side in sides:
                await side.aclose()


async def _present(janus: RunningJanus, room: int) -> dict[int, bool]:
    """Who is in a mixing room according to Janus itself (participant → muted)."""
    client = janus.client()
    try:
        answer = await client.plugin({"request": "listparticipants", "room": room})
    finally:
        await client.aclose()
    return {int(p["id"]): bool(p.get("muted")) for p in answer.get("participants", [])}
