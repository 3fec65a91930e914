"""The hall (the announcements room) is read by everyone and written by the team only."""

from __future__ import annotations

import json
from typing import Any

from estaminet.people.model import Role
from estaminet.store import Database
from estaminet.venue import chat
from estaminet.venue.rooms import room_by_slug
from tests.support.live_server import LiveServer, Person


async def _bodies(live: LiveServer, slug: str) -> list[str]:
    db = Database(live.settings.resolved_database_url)
    try:
        async with db.read() as conn:
            room = await room_by_slug(conn, slug)
            assert room is not None
            return [m.body for m in await chat.history(conn, room, limit=50)]
    finally:
        await db.dispose()


async def test_hall_read_only_guest_and_member_are_refused_clearly(
    live: LiveServer, people: Any
) -> None:
    for name, role in (("Gaston", Role.GUEST), ("Mina", Role.MEMBER)):
        person: Person = await people(name, role)
        page = (await person.http.get("/r/hall")).text
        assert "data-chat-form" not in page and "Seule l'équipe écrit dans cette salle" in page
        async with person.socket() as ws:
            await ws.sub("room:hall")
            frame = {"type": "act", "id": "no", "name": "chat.send"}
            frame["data"] = {"room": "hall", "body": f"coucou de {name}"}
            await ws.send(json.dumps(frame))
            error = await ws.expect(type="error", id="no")
            assert error["code"] == "chat/read_only"
            assert "Seule l'équipe écrit dans cette salle" in error["message"]
            # The connection stays, and the other rooms still take the message.
            assert (await ws.act("chat.send", {"room": "bar", "body": "ici oui"}))["type"] == "ack"
    assert not [body for body in await _bodies(live, "hall") if body.startswith("coucou de")]


async def test_hall_read_only_moderator_posts(live: LiveServer, people: Any) -> None:
    moderator: Person = await people("Modo", Role.MODERATOR)
    page = (await moderator.http.get("/r/hall")).text
    assert "data-chat-form" in page
    async with moderator.socket() as ws:
        await ws.sub("room:hall")
        ack = await ws.act("chat.send", {"room": "hall", "body": "Fermeture à 23 h"})
        assert ack["type"] == "ack"
    assert "Fermeture à 23 h" in await _bodies(live, "hall")
