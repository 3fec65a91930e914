"""A move reads the table once a game for a seated player, and afresh for anyone else.

Reading a table reads everyone at it (with 500 spectators, most of a move's cost before
its views). A running game's seats do not change until it ends, so the copy a seated
player's first move read serves that game's later moves by any seated player; spectators,
narrators and practice tables are read afresh, and the engine, not the copy, says whether
the game still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from estaminet.people.model import Role
from estaminet.tables import service as table_service
from estaminet.tables.model import Participant, Practice, TableInfo
from estaminet.tables.service import TableService
from tests.support.live_server import LiveServer
from tests.tables.test_tables_live import create_table, post, seat_topic

NOW = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)


def _table(table_id: int, status: str = "running", **changes: Any) -> TableInfo:
    people = (
        Participant("anna", "Anna", "player", 0, 0),
        Participant("bram", "Bram", "player", 1, 1),
        Participant("wout", "Wout", "spectator", None, 2),
        Participant("nora", "Nora", "narrator", None, 3),
    )
    table = TableInfo(
        table_id, "werewolf", "game", 1, "jeux", "T", "anna", status, {}, False, 500, NOW, None,
        people,
    )  # fmt: skip
    return dataclasses.replace(table, **changes)


class _Reads:
    """A table service whose reads of the database are counted (and scripted)."""

    def __init__(self, tables: Callable[[int], TableInfo]) -> None:
        self.reads: list[int] = []
        self.service = object.__new__(TableService)
        self.service._running = {}

        async def read(table_id: int) -> TableInfo:
            self.reads.append(table_id)
            return tables(table_id)

        self.service.table = read  # type: ignore[method-assign]


@contextlib.contextmanager
def _reads_of_the_table(tables: TableService) -> Iterator[list[str]]:
    """While the block runs, who asks ``tables`` to read a table: the name of each caller
    (``table_to_act`` for a move, ``_changed`` for its views)."""
    read = tables.table
    callers: list[str] = []

    async def counted(wanted: int) -> TableInfo:
        callers.append(inspect.stack()[1].function)
        return await read(wanted)

    tables.table = counted  # type: ignore[method-assign]
    try:
        yield callers
    finally:
        tables.table = read  # type: ignore[method-assign]


async def test_seated_players_share_one_read_while_anyone_else_is_read_each_time() -> None:
    reads = _Reads(lambda i: _table(i))
    first = await reads.service.table_to_act(1, "anna")
    assert await reads.service.table_to_act(1, "bram") is first
    assert await reads.service.table_to_act(1, "anna") is first
    assert reads.reads == [1]
    for someone in ("wout", "nora", "nobody"):  # a spectator, the narrator, a stranger
        assert await reads.service.table_to_act(1, someone) is not first
    assert reads.reads == [1, 1, 1, 1]


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "lobby"},  # seats are dealt at the start
        {"status": "ended"},  # the engine would refuse; nothing to keep
        {"practice": Practice(bots=5)},  # its narrator pauses it: every move reads it
    ],
    ids=["lobby", "ended", "practice"],
)
async def test_no_copy_is_kept_of_a_table_that_is_not_a_running_game(
    changes: dict[str, Any],
) -> None:
    reads = _Reads(lambda i: _table(i, **changes))
    await reads.service.table_to_act(1, "anna")
    await reads.service.table_to_act(1, "anna")
    assert reads.reads == [1, 1] and reads.service._running == {}


async def test_a_table_read_again_when_its_game_has_stopped_drops_its_copy() -> None:
    statuses = {1: "running"}
    reads = _Reads(lambda i: _table(i, status=statuses[i]))
    await reads.service.table_to_act(1, "anna")
    statuses[1] = "ended"
    await reads.service.table_to_act(1, "wout")  # read afresh, and seen ended
    assert reads.service._running == {}
    await reads.service.table_to_act(1, "anna")
    assert reads.reads == [1, 1, 1]


async def test_the_copies_kept_are_bounded_the_oldest_going_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(table_service, "KEPT_TABLES", 3)
    reads = _Reads(lambda i: _table(i))
    for table_id in range(1, 6):
        await reads.service.table_to_act(table_id, "anna")
    assert list(reads.service._running) == [3, 4, 5]
    await reads.service.table_to_act(4, "anna")  # kept: no read, no reordering needed
    assert reads.reads == [1, 2, 3, 4, 5]


class _Screens(_Reads):
    """A table service whose moves' screens only record the names they were drawn with."""

    def __init__(self, tables: Callable[[int], TableInfo]) -> None:
        super().__init__(tables)
        service = self.service
        service._recent, service._refreshing, service._status = {}, {}, {1: "running"}
        self.clock = 100.0
        service.monotonic = lambda: self.clock  # type: ignore[method-assign]
        self.drawn: list[str] = []

        async def publish_views(table: TableInfo, live: Any) -> None:
            self.drawn.append(table.seat_names()[0])

        service.publish_views = publish_views  # type: ignore[method-assign]

    async def move(self) -> None:
        from estaminet.games.werewolf.game import GAME
        from estaminet.live.engine import Live

        state = GAME.setup(8, GAME.default_options(), 1, NOW)
        await self.service._changed(Live(1, "werewolf", GAME, state, 1, "running"), ())


async def test_a_moves_screens_use_the_last_copy_which_is_read_again_after_them() -> None:
    """A move's screens are drawn from the table's last copy; a copy older than a second is
    read again once they are on their way (a table of 500 took a fifth of a move's time to
    read before its screens), so a change made elsewhere (a new name) shows from the next
    move on; a lobby change on this instance drops the copy at once."""
    names = {"Anna": "Anna"}
    screens = _Screens(lambda i: _table(i, participants=(
        Participant("anna", names["Anna"], "player", 0, 0),
        Participant("bram", "Bram", "player", 1, 1),
    )))  # fmt: skip
    await screens.move()  # no copy yet: read before the screens
    assert screens.reads == [1] and screens.drawn == ["Anna"]
    screens.clock += 0.5
    await screens.move()  # fresh: nothing read
    assert screens.reads == [1]
    names["Anna"] = "Anne"  # renamed, on another instance
    screens.clock += 5
    await screens.move()  # stale: drawn from the copy, then read again
    assert screens.drawn[-1] == "Anna"
    await asyncio.wait_for(asyncio.gather(*screens.service._refreshing.values()), 1)
    assert screens.reads == [1, 1]
    await screens.move()
    assert screens.drawn[-1] == "Anne" and screens.reads == [1, 1]


async def test_a_copy_read_while_the_lobby_changed_is_not_kept() -> None:
    """A read that began before a lobby change on this instance may miss it: it is dropped
    (the next move reads the table), never kept as the fresh copy."""
    gate = asyncio.Event()
    screens = _Screens(lambda i: _table(i))
    await screens.move()
    read = screens.service.table

    async def slow(table_id: int) -> TableInfo:
        await gate.wait()
        return await read(table_id)

    screens.service.table = slow  # type: ignore[method-assign]
    screens.clock += 5
    await screens.move()  # stale: a read begins after the screens
    await asyncio.sleep(0)
    assert 1 in screens.service._refreshing
    screens.service._recent.pop(1, None)  # what publish_lobby does after a join
    gate.set()
    await asyncio.wait_for(asyncio.gather(*screens.service._refreshing.values()), 1)
    assert 1 not in screens.service._recent
    await screens.move()  # read before its screens, as the first move was
    assert screens.reads == [1, 1, 1]


async def test_a_page_opening_leaves_the_next_move_the_table_it_read() -> None:
    """A player's page opening changes who is away (the lobby), not the table: the copy read
    for the lobby serves the next move's screens, which read nothing first."""
    screens = _Screens(lambda i: _table(i))
    service = screens.service
    service._present = {}

    async def publish_lobby(table: TableInfo, also: Any = (), *, keep_copy: bool = False) -> None:
        if not keep_copy:  # as the real one does after a lobby change
            service._recent.pop(table.id, None)

    service.publish_lobby = publish_lobby  # type: ignore[method-assign]
    await service.seat_presence(1, "anna", +1)
    assert screens.reads == [1]
    await screens.move()
    assert screens.reads == [1] and screens.drawn == ["Anna"]
    await service.seat_presence(1, "anna", +1)  # a second tab: nobody's presence changed
    assert screens.reads == [1]


async def test_moves_through_the_socket_use_the_copy_and_the_engine_still_decides(
    live: LiveServer, people: Any
) -> None:
    """On each database: a seated player's moves after the first read nothing; a spectator
    shown out is refused at once; a game its host stopped refuses a seated player's move
    although the copy still says it runs."""
    tables: TableService = live.app.state.tables
    host, zoe = await people("CopyHost", role=Role.MEMBER), await people("CopyZoé")
    fan = await people("CopyFan")
    table_id = await create_table(host, option_rounds="3")
    assert await post(zoe, table_id, "join", role="player") == 303
    assert await post(fan, table_id, "join", role="spectator") == 303
    assert await post(host, table_id, "start") == 303
    fan_id = (await fan.http.get("/me")).text.split('data-me="')[1].split('"')[0]
    host_topic = seat_topic((await host.http.get(f"/t/{table_id}")).text)
    async with host.socket() as h, zoe.socket() as z, fan.socket() as f:
        await h.sub(host_topic)
        with _reads_of_the_table(tables) as reads:
            pick = {"table": table_id, "action": {"type": "pick", "number": 7}}
            assert (await z.act("table.act", pick, ref="z1"))["type"] == "ack"
            await h.expect(type="event", topic=host_topic, kind="view")
            acts_read, kept = len(reads), tables._running[table_id]
            other = {"table": table_id, "action": {"type": "pick", "number": 4}}
            assert (await h.act("table.act", other, ref="h1"))["type"] == "ack"
            await h.expect(type="event", topic=host_topic, kind="view")
            # The host's move read nothing for itself: the copy Zoé's move read served it
            # (the views may read the table again for the lobby, once a second).
            assert tables._running[table_id] is kept
            assert len(reads) - acts_read <= 1
            assert "table_to_act" not in reads[acts_read:], reads
            refused = await f.act("table.act", pick, ref="f1")
            assert refused["code"] == "tables/not_playing"
            assert await post(host, table_id, "kick", user=fan_id) == 303
            gone = await f.act("table.act", pick, ref="f2")
            assert gone["code"] == "tables/not_playing"  # read afresh: not at the table at all
            assert await post(host, table_id, "end") == 303
            late = await z.act("table.act", pick, ref="z2")
            assert late["type"] == "error" and late["code"] == "live/not_running", late


async def test_the_start_keeps_the_copy_the_first_move_needs(live: LiveServer, people: Any) -> None:
    """The start's views read the table once the game runs: the game's first move by a
    seated player reads nothing for itself (on each database)."""
    tables: TableService = live.app.state.tables
    host, zoe = await people("FirstHost", role=Role.MEMBER), await people("FirstZoé")
    table_id = await create_table(host, option_rounds="3")
    assert await post(zoe, table_id, "join", role="player") == 303
    assert table_id not in tables._running  # a lobby: nothing kept
    assert await post(host, table_id, "start") == 303
    kept = tables._running[table_id]
    assert kept.status == "running" and kept.participant(zoe_id := kept.players[1].user_id)
    host_topic = seat_topic((await host.http.get(f"/t/{table_id}")).text)
    async with host.socket() as h, zoe.socket() as z:
        await h.sub(host_topic)
        with _reads_of_the_table(tables) as callers:
            pick = {"table": table_id, "action": {"type": "pick", "number": 7}}
            assert (await z.act("table.act", pick, ref="z1"))["type"] == "ack"
            await h.expect(type="event", topic=host_topic, kind="view")
    assert "table_to_act" not in callers, callers  # the views may read it (once a second)
    assert tables._running[table_id].participant(zoe_id) is not None


async def test_a_game_that_ends_by_its_moves_drops_its_copy(live: LiveServer, people: Any) -> None:
    """The last move ends the game: the copy kept for its moves goes with it."""
    tables: TableService = live.app.state.tables
    host, zoe = await people("EndHost", role=Role.MEMBER), await people("EndZoé")
    table_id = await create_table(host, option_rounds="1")
    assert await post(zoe, table_id, "join", role="player") == 303
    assert await post(host, table_id, "start") == 303
    async with host.socket() as h, zoe.socket() as z:
        for sock, number in ((z, 7), (h, 4)):
            pick = {"table": table_id, "action": {"type": "pick", "number": number}}
            assert (await sock.act("table.act", pick, ref=f"p{number}"))["type"] == "ack"
            if number == 7:
                assert table_id in tables._running
    # Over: its replay opens (it does not before the end); the copy went with the last move,
    # whose views were published before its ack.
    assert (await zoe.http.get(f"/t/{table_id}/replay")).status_code == 200
    assert table_id not in tables._running


async def test_a_read_again_that_fails_drops_the_copy_and_raises_nothing() -> None:
    """The table was deleted or the database is away when the copy is read again after a
    move: nothing escapes the background read, and the next move reads the table itself."""
    screens = _Screens(lambda i: _table(i))
    await screens.move()
    failing = {"on": True}
    read = screens.service.table

    async def flaky(table_id: int) -> TableInfo:
        if failing["on"]:
            screens.reads.append(-table_id)
            raise RuntimeError("the database is away")
        return await read(table_id)

    screens.service.table = flaky  # type: ignore[method-assign]
    screens.clock += 5
    await screens.move()  # drawn from the copy; the read after it fails
    await asyncio.wait_for(asyncio.gather(*screens.service._refreshing.values()), 1)
    assert 1 not in screens.service._recent and screens.service._refreshing == {}
    failing["on"] = False
    await screens.move()  # no copy: read before its screens
    assert screens.reads == [1, -1, 1] and 1 in screens.service._recent
