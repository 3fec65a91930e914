"""The person a request's sign-in has just read is kept by the venue for its next checks (a
socket's first subscriptions read them no second time), unless their access changed while
that read was running: then the venue reads them again. Who is kicked from a room is read
once for the arrivals of the next seconds, a kick's end counts at its minute, and a kick
drops what was read (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update

from estaminet.cli import DEMO_VENUE
from estaminet.kernel.errors import Forbidden, NotFound
from estaminet.people.actions import create_user
from estaminet.people.inbox import Inbox
from estaminet.people.model import Role
from estaminet.people.queries import user_by_id
from estaminet.people.schema import users
from estaminet.realtime.connection import Principal
from estaminet.realtime.hub import MemoryHub
from estaminet.settings import Settings
from estaminet.store import Database
from estaminet.venue import chat
from estaminet.venue.plan import load_venue
from estaminet.venue.presence import PresentPerson
from estaminet.venue.rooms import apply_venue, room_by_slug
from estaminet.venue.schema import room_restrictions, rooms
from estaminet.venue.service import VenueService, _RoomTopics
from estaminet.web.templating import Templates
from tests.conftest import FixedClock
from tests.support.databases import statements


def _venue(db: Database, settings: Settings, clock: FixedClock) -> VenueService:
    hub = MemoryHub()
    templates = Templates("Europe/Brussels")
    return VenueService(db, hub, templates, settings, clock, Inbox(db, hub, templates))


async def test_a_person_just_read_is_not_read_again(
    db: Database, settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    venue = _venue(db, settings, clock)
    marie = await create_user(db, "Marie Dupont", Role.GUEST, clock())
    mark = venue.access_mark()
    async with db.read() as conn:  # the sign-in's own read
        read = await user_by_id(conn, marie.id)
    assert read is not None
    venue.remember_user(read, mark)

    @asynccontextmanager
    async def no_read() -> AsyncIterator[Any]:
        raise AssertionError("the person was read again")
        yield

    monkeypatch.setattr(db, "read", no_read)
    assert await venue._user(Principal(marie.id, "Marie Dupont", "guest")) is read


async def test_a_ban_during_the_sign_in_s_read_is_not_forgotten(
    db: Database, settings: Settings, clock: FixedClock
) -> None:
    venue = _venue(db, settings, clock)
    marie = await create_user(db, "Marie Dupont", Role.GUEST, clock())
    mark = venue.access_mark()
    async with db.read() as conn:
        read = await user_by_id(conn, marie.id)  # still allowed when read…
    assert read is not None
    async with db.begin() as conn:  # …banned before the read is handed over
        await conn.execute(update(users).where(users.c.id == marie.id).values(banned_at=clock()))
    venue.forget_user(marie.id)  # what the ban does (Gateway.access_changed)
    venue.remember_user(read, mark)
    with pytest.raises(Forbidden):
        await venue._user(Principal(marie.id, "Marie Dupont", "guest"))


async def test_who_is_kicked_is_read_once_for_many_arrivals_and_expiry_is_exact(
    db: Database, settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    venue = _venue(db, settings, clock)
    troll = await create_user(db, "Troll", Role.GUEST, clock())
    marie = await create_user(db, "Marie Dupont", Role.GUEST, clock())
    async with db.begin() as conn:
        room = await room_by_slug(conn, "bar")
        assert room is not None
        await conn.execute(
            insert(room_restrictions).values(
                room_id=room.id, user_id=troll.id, kind="kick", until=clock() + timedelta(minutes=1)
            )
        )
    reads = 0
    restricted = chat.restricted

    async def counted(*args: Any) -> Any:
        nonlocal reads
        reads += 1
        return await restricted(*args)

    monkeypatch.setattr(chat, "restricted", counted)
    for _ in range(5):
        assert (await venue._room_for(marie, {"room": "bar"}, clock())).slug == "bar"
        with pytest.raises(Forbidden):
            await venue._room_for(troll, {"room": "bar"}, clock())
    assert reads == 1
    # The kick ends at its minute, even while the list read before is still kept.
    assert (await venue._room_for(troll, {"room": "bar"}, clock.advance(minutes=1))).slug == "bar"
    assert reads == 1
    # A kick (through any instance) drops what was read: the next arrival reads again.
    venue.forget_access(marie.id)
    assert (await venue._room_for(marie, {"room": "bar"}, clock())).slug == "bar"
    assert reads == 2


async def test_a_room_s_whole_list_is_rendered_once_per_list_and_language(
    db: Database, settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    venue = _venue(db, settings, clock)
    venue.presence.enter("bar", PresentPerson("Marie Dupont", "u1", "MD"))
    venue.mark_presence("bar")
    await asyncio.sleep(0.5)  # published (changes are gathered for a quarter second)
    rendered: list[str] = []
    render = venue.templates.render

    def counted(name: str, locale: str, context: Any) -> str:
        rendered.append(f"{name}:{locale}")
        return render(name, locale, context)

    monkeypatch.setattr(venue.templates, "render", counted)
    first = venue.presence_ops("bar", "fr")
    for _ in range(50):  # fifty pages catching up after a restart
        assert venue.presence_ops("bar", "fr") == first
    assert rendered.count("venue/_people.html:fr") == 1
    venue.presence_ops("bar", "en")
    assert rendered.count("venue/_people.html:en") == 1
    # Someone else comes in: the next catch-up is the new list, rendered again.
    venue.presence.enter("bar", PresentPerson("Paul Membre", "u2", "PM"))
    venue.mark_presence("bar")
    await asyncio.sleep(0.5)
    now = venue.presence_ops("bar", "fr")
    assert "Paul Membre" in now[0]["html"] and "Paul Membre" not in first[0]["html"]
    assert now[1]["html"] == "2"
    assert rendered.count("venue/_people.html:fr") == 2


class _Tab:
    """What a room's catch-up needs of a socket: its language, and what it is sent."""

    def __init__(self) -> None:
        self.locale = "fr"
        self.caught_up: list[tuple[str, int, list[dict[str, Any]]]] = []

    def push_catch_up(self, topic: str, seq: int, ops: list[dict[str, Any]]) -> None:
        self.caught_up.append((topic, seq, ops))


async def test_a_room_s_catch_up_reads_where_its_chat_stands_in_one_light_statement(
    db: Database, settings: Settings, clock: FixedClock
) -> None:
    """After a restart a thousand tabs come back: the room as just checked (kept seconds) is
    not read again with its team; only its last number is, then what was missed (issue 20)."""
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    venue = _venue(db, settings, clock)
    marie = await create_user(db, "Marie Dupont", Role.MEMBER, clock())
    principal = Principal(marie.id, "Marie Dupont", "member")
    provider = _RoomTopics(venue)
    room = await venue._room("bar")
    assert room is not None
    for n in range(3):
        await chat.post_message(db, marie, room, f"Message {n}", clock(), max_length=2000)
    await provider.authorize(principal, "room:bar")  # the subscription's check reads the room
    tab = _Tab()
    with statements(db) as sent:
        assert await provider.catch_up(tab, "room:bar", 3) == 3  # nothing missed
    assert len(sent) == 1, sent
    assert "last_seq" in sent[0] and "room_team" not in sent[0]
    assert tab.caught_up == []
    with statements(db) as sent:
        assert await provider.catch_up(tab, "room:bar", 1) == 3  # two missed
    assert len(sent) == 2, sent
    [(topic, seq, ops)] = tab.caught_up
    assert (topic, seq) == ("room:bar", 3)
    assert ["Message 1" in op["html"] for op in ops] == [True, False]
    assert "Message 2" in ops[1]["html"]
    # A room archived since it was checked has no chat to resume, whatever was kept.
    async with db.begin() as conn:
        await conn.execute(update(rooms).where(rooms.c.slug == "bar").values(archived_at=clock()))
    with pytest.raises(NotFound):
        await provider.catch_up(_Tab(), "room:bar", 3)
    # Nor has a room that never was.
    with pytest.raises(NotFound):
        await provider.catch_up(_Tab(), "room:nulle-part", -1)


async def test_arrivals_that_find_a_room_expired_together_read_it_once_on_sqlite(
    db: Database, settings: Settings, clock: FixedClock
) -> None:
    """After a restart a thousand tabs arrive while the venue's copy of their room has
    expired: on SQLite the room is read at once on the loop's thread (``read_now``), so
    the first arrival's read is back before the next arrival looks; one read, not one
    each (313 for 1,000 arrivals before). PostgreSQL's reads go through its pool: every
    arrival gets the room, however many reads that takes."""
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    venue = _venue(db, settings, clock)
    with statements(db) as sent:
        found = await asyncio.gather(*(venue._room("bar") for _ in range(100)))
    assert {room.slug for room in found if room is not None} == {"bar"}
    assert all(room is not None for room in found)
    if db.is_sqlite:
        assert len([s for s in sent if "FROM rooms" in s]) == 1, sent
        assert len([s for s in sent if "FROM room_team" in s]) == 1, sent
