"""Reading a table: everyone at it, in the order they came, with the names they show now.

A table is read at every catch-up, lobby change and (for spectators, narrators) move; with
hundreds of spectators its people are most of the read. They come in one statement with
their names (joined, not asked apart with one bound value each), on both databases.
"""

from __future__ import annotations

import asyncio

import estaminet.games  # noqa: F401 - registers the games
from estaminet.games.kit import get
from estaminet.live.engine import Engine
from estaminet.people import actions as people
from estaminet.people.model import Role, User
from estaminet.realtime.hub import MemoryHub
from estaminet.store import Database
from estaminet.tables import actions
from estaminet.tables.model import TableInfo
from estaminet.tables.service import TableService
from estaminet.web.templating import Templates
from tests.conftest import FixedClock
from tests.soirees.test_soiree_service import venue
from tests.support.databases import statements

WEREWOLF = get("werewolf")


async def _read(db: Database, table_id: int) -> tuple[TableInfo, list[str]]:
    """The table, and the statements its read sent to the database."""
    with statements(db) as sent:
        async with db.read() as conn:
            table = await actions.load_table(conn, table_id)
    return table, [s for s in sent if s.upper().startswith("SELECT")]


async def test_people_come_in_their_order_with_the_names_they_show_now(
    db: Database, clock: FixedClock
) -> None:
    room = await venue(db, clock)  # the demo venue's games room
    host = await people.create_user(db, "Hôte", Role.MEMBER, clock())
    table = await actions.create_table(
        db, host, room, WEREWOLF, clock(), title="Lecture", options={}, max_spectators=100
    )
    joined: list[User] = [host]
    for i in range(5):
        user = await people.create_user(db, f"Joueuse {i}", Role.MEMBER, clock())
        await actions.join_table(db, user, table.id, "player", WEREWOLF, clock())
        joined.append(user)
    fan = await people.create_user(db, "Fan", Role.MEMBER, clock())
    await actions.join_table(db, fan, table.id, "spectator", WEREWOLF, clock())
    joined.append(fan)
    renamed = await people.set_display_name(db, joined[2], "Zoé <3")

    read, statements = await _read(db, table.id)

    assert [p.user_id for p in read.participants] == [u.id for u in joined]
    assert [p.display_name for p in read.participants] == [
        "Hôte", "Joueuse 0", "Zoé <3", "Joueuse 2", "Joueuse 3", "Joueuse 4", "Fan",
    ]  # fmt: skip
    assert renamed.display_name == "Zoé <3"
    assert [p.role for p in read.participants] == ["player"] * 6 + ["spectator"]
    assert read.participant(fan.id) is not None and read.participant(fan.id).seat is None  # type: ignore[union-attr]
    # The people and their names: one statement, whatever their number.
    with_people = [s for s in statements if "activity_participants" in s]
    assert len(with_people) == 1, with_people
    assert "users" in with_people[0] and "display_name" in with_people[0]

    for i in range(30):
        user = await people.create_user(db, f"Fan {i}", Role.MEMBER, clock())
        await actions.join_table(db, user, table.id, "spectator", WEREWOLF, clock())
    more, more_statements = await _read(db, table.id)
    assert len(more.participants) == 37
    assert [p.display_name for p in more.participants][-2:] == ["Fan 28", "Fan 29"]
    assert len(more_statements) == len(statements)  # not one more per person


async def test_sockets_that_ask_for_a_table_together_share_one_read_of_its_people(
    db: Database, clock: FixedClock
) -> None:
    """Hundreds of spectators' sockets subscribe together (after a restart, a game night's
    start): each checks the table and draws its view from it. The table service reads it
    once for the callers of the same moment, not once each (quadratic in its people), and
    a read asked for after someone sat down shows them."""
    room = await venue(db, clock)
    host = await people.create_user(db, "Hôte", Role.MEMBER, clock())
    table = await actions.create_table(
        db, host, room, WEREWOLF, clock(), title="Partagée", options={}, max_spectators=100
    )
    service = TableService(db, MemoryHub(), Engine(db, get, clock), Templates(), get, clock)
    with statements(db) as sent:
        read = await asyncio.gather(*(service.table(table.id) for _ in range(200)))
    assert {len(t.participants) for t in read} == {1}
    assert len([s for s in sent if "activity_participants" in s]) == 1, sent
    fan = await people.create_user(db, "Fan", Role.MEMBER, clock())
    await actions.join_table(db, fan, table.id, "spectator", WEREWOLF, clock())
    assert (await service.table(table.id)).participant(fan.id) is not None
