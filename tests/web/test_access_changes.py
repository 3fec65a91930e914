"""Access taken away stops at once, on every open socket of the person, on each database.

A role change, a team change, a ban or a room's visibility (the venue file)
ends, with a ``left`` frame, every topic the person may no longer follow,
without waiting for a reconnection.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from estaminet.cli import DEMO_VENUE
from estaminet.people.model import Role
from estaminet.store import Database, utcnow
from estaminet.venue.plan import Visibility, load_venue
from estaminet.venue.rooms import apply_venue
from tests.support.live_server import LiveServer, Person, Socket, start_server_on

WATCH = 0.2  # how often the test server checks whether the venue file was applied


@pytest.fixture(scope="module")
def live(database_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The venue served for real, on each database."""
    yield from start_server_on(
        database_backend, tmp_path_factory.mktemp("live"), rooms_watch_seconds=WATCH
    )


async def user_id(person: Person) -> str:
    return (await person.http.get("/me")).text.split('data-me="')[1].split('"')[0]


async def admin_of(people: Any) -> Person:
    admin: Person = await people()
    await admin.sign_in_admin()
    return admin


async def set_role(admin: Person, target: str, role: str) -> None:
    token = await admin.csrf("/admin/people")
    response = await admin.http.post(
        f"/admin/people/{target}/role", data={"csrf": token, "role": role}
    )
    assert response.status_code == 303, response.text[:300]


async def set_team(admin: Person, room: str, target: str, *, member: bool) -> None:
    token = await admin.csrf("/admin/people")
    response = await admin.http.post(
        f"/admin/rooms/{room}/team",
        data={"csrf": token, "user": target, "member": "1" if member else "0"},
    )
    assert response.status_code == 303, response.text[:300]


async def follow(sock: Socket, *topics: str) -> None:
    for topic in topics:
        reply = await sock.sub(topic)
        assert reply["type"] == "subscribed", reply


async def left(sock: Socket, topic: str) -> None:
    frame = await sock.expect(type="left", topic=topic)
    assert frame["reason"] == "access"


async def closed_with(sock: Socket) -> int | None:
    """Read until the server closes the socket; its close code."""
    try:
        async with asyncio.timeout(5):
            while True:
                await sock.ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None


async def test_access_team_removal_ends_the_team_room_on_every_socket(people: Any) -> None:
    admin = await admin_of(people)
    mia = await people("Mia Équipe", role=Role.MEMBER)
    mia_id = await user_id(mia)
    await set_team(admin, "bureau", mia_id, member=True)
    async with mia.socket() as one, mia.socket() as two, admin.socket() as boss:
        await follow(boss, "room:bureau")
        for sock in (one, two):
            await follow(sock, "room:bureau", "presence:bureau", "room:bar")
        await set_team(admin, "bureau", mia_id, member=False)
        for sock in (one, two):
            await left(sock, "room:bureau")
            await left(sock, "presence:bureau")
        await boss.act("chat.send", {"room": "bureau", "body": "entre nous"}, ref="b1")
        await boss.act("chat.send", {"room": "bar", "body": "pour tous"}, ref="b2")
        for sock in (one, two):
            event = await sock.expect(type="event", topic="room:bar", kind="chat")
            assert "pour tous" in event["ops"][0]["html"]
            assert not [f for f in sock.seen if f.get("type") == "event" and "entre nous" in str(f)]
        refused = await one.sub("room:bureau")
        assert refused["code"] == "venue/team_only"
        await follow(one, "room:bar")  # the socket is still usable


async def test_access_demotion_ends_members_rooms_and_the_members_agenda(people: Any) -> None:
    admin = await admin_of(people)
    max_ = await people("Max Membre", role=Role.MEMBER)
    max_id = await user_id(max_)
    async with max_.socket() as sock, admin.socket() as boss:
        await follow(boss, "room:ag")
        await follow(
            sock, "room:ag", "presence:ag", "voice:room:ag", "agenda:now:members", "room:bar"
        )
        await set_role(admin, max_id, "guest")
        for topic in ("room:ag", "presence:ag", "voice:room:ag", "agenda:now:members"):
            await left(sock, topic)
        await boss.act("chat.send", {"room": "ag", "body": "ordre du jour"}, ref="b1")
        await boss.act("chat.send", {"room": "bar", "body": "au comptoir"}, ref="b2")
        await sock.expect(type="event", topic="room:bar", kind="chat")
        assert not [f for f in sock.seen if "ordre du jour" in str(f)]
        assert (await sock.sub("room:ag"))["code"] == "venue/members_only"
        assert (await sock.sub("agenda:now:members"))["code"] == "gateway/not_yours"
        # Given back, the role counts at once on the same socket.
        await set_role(admin, max_id, "member")
        await asyncio.sleep(0.2)
        await follow(sock, "room:ag", "agenda:now:members")


async def test_access_promotion_counts_on_the_open_socket(people: Any) -> None:
    admin = await admin_of(people)
    gus = await people("Gus Promu")
    gus_id = await user_id(gus)
    async with gus.socket() as sock:
        assert (await sock.sub("agenda:now:members"))["code"] == "gateway/not_yours"
        await set_role(admin, gus_id, "member")
        await asyncio.sleep(0.2)  # the re-check runs on the server after the answer
        await follow(sock, "agenda:now:members", "room:ag")


async def test_access_ban_closes_every_socket_of_the_person(people: Any) -> None:
    admin = await admin_of(people)
    troll = await people("Troll Banni", role=Role.MEMBER)
    troll_id = await user_id(troll)
    async with troll.socket() as one, troll.socket() as two:
        await follow(one, "room:ag")
        await follow(two, "room:bar")
        token = await admin.csrf("/admin/people")
        response = await admin.http.post(
            f"/admin/people/{troll_id}/ban", data={"csrf": token, "banned": "1", "reason": "x"}
        )
        assert response.status_code == 303
        for sock in (one, two):
            assert await closed_with(sock) == 4403


async def test_access_venue_file_closing_a_room_ends_it_for_guests(
    live: LiveServer, people: Any
) -> None:
    """``estaminet venue apply`` runs in another process: the server notices the new file,
    and from then on the floor plan tells of the room on the members' summary topic only."""
    guest = await people("Gaby Invitée")
    member = await people("Mo Membre", role=Role.MEMBER)
    other = await people("Mia Membre", role=Role.MEMBER)
    spec = load_venue(DEMO_VENUE)
    closed = dataclasses.replace(
        spec,
        rooms=tuple(
            dataclasses.replace(room, visibility=Visibility.MEMBERS)
            if room.slug == "defouloir"
            else room
            for room in spec.rooms
        ),
    )
    db = Database(live.settings.resolved_database_url)
    try:
        async with guest.socket() as g, member.socket() as m:
            await follow(g, "room:defouloir", "presence:defouloir", "room:bar", "plan:public")
            await follow(m, "room:defouloir", "plan:members")
            await apply_venue(db, closed, utcnow())
            await left(g, "room:defouloir")
            await left(g, "presence:defouloir")
            # The server has noticed the file: what the public plan said before (the room's
            # box when it was open to guests, flushed then) is history; from here on, nothing.
            noticed = len(g.seen)
            assert (await g.sub("room:defouloir"))["code"] == "venue/members_only"
            await g.send({"type": "ping"})
            await g.expect(type="pong")
            assert not [f for f in m.pending + m.seen if f.get("type") == "left"]
            # Someone comes in: the room's box changes on the members' floor plan only.
            async with other.socket() as o:
                await follow(o, "room:defouloir")
                # (other rooms' boxes may change meanwhile: people of earlier tests leaving)
                await m.take(
                    lambda f: f.get("topic") == "plan:members" and "defouloir" in str(f.get("ops")),
                    5,
                )
                await asyncio.sleep(0.6)  # presence is published every quarter second
                await g.quiet(0.3)
                public = [f for f in g.seen[noticed:] if f.get("topic") == "plan:public"]
                assert "defouloir" not in str(public), public
    finally:
        await apply_venue(db, spec, utcnow())
        await db.dispose()
