"""docs/new-room-kind.md, followed step by step: a workshop room kind with its own panel."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from markupsafe import escape

from estaminet.app import register
from estaminet.cli import DEMO_VENUE
from estaminet.kernel.i18n import N_
from estaminet.people.model import Role, User
from estaminet.services import Feature, Services
from estaminet.store import Database, utcnow
from estaminet.venue.kinds import KindSpec, RoomKind, VoiceMode, declare, withdraw
from estaminet.venue.plan import parse_venue
from estaminet.venue.rooms import Room, apply_venue, room_by_slug
from tests.support.live_server import LiveServer

WORKSHOP_ROOM = """
[[rooms]]
slug = "reparation"
name = { fr = "L'atelier de réparation", en = "The repair workshop" }
kind = "workshop"
visibility = "members"
plan = { x = 1, y = 9, w = 3, h = 2 }
"""


async def _workbench(context: Mapping[str, Any], room: Room, user: User) -> str:
    # Step 2: a feature draws the panel (here, in the test, a fixed text).
    name = escape(room.name(str(context["locale"])))
    return f'<section class="workbench">Établi de {name}</section>'


@pytest.fixture(scope="module")
def workshop(live: LiveServer) -> Iterator[RoomKind]:
    # Step 1: declare the kind (its rooms show the "workbench" panel and have no voice).
    kind = declare(
        KindSpec("workshop", N_("Workshop"), "#e3ecf7", panels=("workbench",), voice=VoiceMode.NONE)
    )
    # Step 2: the feature registers the panel it draws.
    register(services_of(live), Feature("workshop", panels={"workbench": _workbench}))
    # Step 3: the venue file uses the kind.
    text = DEMO_VENUE.read_text(encoding="utf-8") + WORKSHOP_ROOM
    asyncio.run(_apply(live, text))
    try:
        yield kind
    finally:
        withdraw("workshop")


async def _apply(live: LiveServer, text: str) -> None:
    db = Database(live.settings.resolved_database_url)
    try:
        await apply_venue(db, parse_venue(tomllib.loads(text)), utcnow())
    finally:
        await db.dispose()


def services_of(live: LiveServer) -> Services:
    found = live.app.state  # the application's state is its typed services
    assert isinstance(found, Services)
    return found


async def test_room_kind_declared_at_run_time_draws_its_room(
    live: LiveServer, people: Any, workshop: RoomKind
) -> None:
    assert RoomKind("workshop") is workshop and workshop in set(RoomKind)
    member = await people("Mimi Bricole", role=Role.MEMBER)
    room = await member.http.get("/r/reparation")
    assert room.status_code == 200
    assert '<section class="workbench">Établi de L&#39;atelier de réparation</section>' in room.text
    assert "room--workshop" in room.text
    plan = await member.http.get("/")
    assert "plan-room--workshop" in plan.text
    css = await member.http.get("/venue/plan.css")
    assert ".plan-room--workshop { background: #e3ecf7; }" in css.text
    db = Database(live.settings.resolved_database_url)
    try:
        async with db.read() as conn:
            found = await room_by_slug(conn, "reparation")
    finally:
        await db.dispose()
    assert found is not None and found.kind is workshop and found.voice is VoiceMode.NONE


async def test_room_kind_panels_stay_with_their_kind(
    live: LiveServer, people: Any, workshop: RoomKind
) -> None:
    member = await people("Momo Bar", role=Role.MEMBER)
    bar = await member.http.get("/r/bar")
    assert bar.status_code == 200 and "workbench" not in bar.text


def test_room_kind_unknown_in_a_venue_file_is_refused_with_its_name() -> None:
    text = DEMO_VENUE.read_text(encoding="utf-8") + WORKSHOP_ROOM.replace("workshop", "disco")
    with pytest.raises(ValueError, match="'disco' is not a valid RoomKind"):
        parse_venue(tomllib.loads(text))


def test_room_kind_declared_twice_differently_is_an_error() -> None:
    with pytest.raises(ValueError, match="already declared"):
        declare(KindSpec("games", N_("Games room"), "#000000"))
    with pytest.raises(ValueError, match="#rrggbb"):
        declare(KindSpec("Bad Name", N_("Bad"), "#000000"))
