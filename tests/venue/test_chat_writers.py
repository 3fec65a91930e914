"""Chat under concurrent writers and with text no database keeps, on SQLite and PostgreSQL.

Each of these once gave ``gateway/internal`` or out-of-order frames on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from estaminet.store import Database
from estaminet.venue import chat
from estaminet.venue.rooms import room_by_slug
from tests.support.live_server import LiveServer, Person

WRITERS, EACH = 20, 5


async def _bodies(live: LiveServer, slug: str) -> list[str]:
    db = Database(live.settings.resolved_database_url)
    try:
        async with db.read() as conn:
            room = await room_by_slug(conn, slug)
            assert room is not None
            return [m.body for m in await chat.history(conn, room, limit=500)]
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    "body",
    ["avant\u0000après", "moitié \ud800 de paire", "\udfff"],
    ids=["nul", "lone-high-surrogate", "lone-low-surrogate"],
)
async def test_chat_unstorable_text_is_refused_clearly(
    live: LiveServer, people: Any, body: str
) -> None:
    alice: Person = await people("Alice")
    async with alice.socket() as a:
        await a.sub("room:scene")
        # json.dumps writes \u0000 and \ud800 as escapes, as a browser's JSON.stringify would.
        frame = {"type": "act", "id": "bad", "name": "chat.send", "data": {"room": "scene"}}
        frame["data"]["body"] = body
        await a.send(json.dumps(frame))
        error = await a.expect(type="error", id="bad")
        assert error["code"] == "text/unstorable"
        assert "caractère invisible" in error["message"]
        assert (await a.act("chat.send", {"room": "scene", "body": "propre"}))["type"] == "ack"
    bodies = await _bodies(live, "scene")
    assert body not in bodies and "propre" in bodies


async def test_chat_same_client_id_from_two_sockets_at_once_posts_once(
    live: LiveServer, people: Any
) -> None:
    alice: Person = await people("Alice")
    async with alice.socket() as one, alice.socket() as two:
        data = {"room": "jeux", "body": "une seule fois", "client_id": "c-twice"}
        first, second = await asyncio.gather(
            one.act("chat.send", data, ref="r1"), two.act("chat.send", data, ref="r2")
        )
    assert first["type"] == second["type"] == "ack", (first, second)
    assert first["data"] == second["data"]
    assert (await _bodies(live, "jeux")).count("une seule fois") == 1


async def test_chat_frames_reach_listeners_in_seq_order_under_concurrent_writers(
    people: Any,
) -> None:
    listener: Person = await people("Écoute")
    writers: list[Person] = [await people(f"Plume {n}") for n in range(WRITERS)]
    async with listener.socket() as ear:
        start = (await ear.sub("room:defouloir"))["seq"]

        async def write(person: Person, n: int) -> None:
            async with person.socket() as sock:
                await sock.sub("room:defouloir")  # every writer's tab listens too
                for k in range(EACH):
                    reply = await sock.act(
                        "chat.send", {"room": "defouloir", "body": f"{n}-{k}"}, ref=f"{n}-{k}"
                    )
                    assert reply["type"] == "ack", reply

        await asyncio.gather(*(write(p, n) for n, p in enumerate(writers)))
        seqs: list[int] = []
        while len(seqs) < WRITERS * EACH:
            frame = await ear.expect(type="event", topic="room:defouloir", within=10)
            seqs.append(frame["seq"])
    assert seqs == list(range(start + 1, start + 1 + WRITERS * EACH))
