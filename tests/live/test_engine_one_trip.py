"""On SQLite a move that opens no ballot box and seals no ballot is written in one trip to
aiosqlite's thread (``Engine._commit_in_one_trip``): it must store exactly what the
SQLAlchemy path stores (the claim, the events, the snapshot, the timer, the outcome),
lose the race the same way, and leave nothing behind when a statement fails. On
PostgreSQL every move takes the SQLAlchemy path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from estaminet.games.kit import get
from estaminet.live.engine import SNAPSHOT_EVERY, Engine
from estaminet.live.schema import activities, activity_events
from estaminet.store import Database
from tests.conftest import FixedClock
from tests.support.databases import count_trips

from .test_engine import new_activity

ROUNDS = SNAPSHOT_EVERY // 2 + 3  # two picks a round: past a snapshot, then to the end


async def _rows(db: Database, activity_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """What the database holds of one activity's log, as stored (SQLite: the JSON and the
    times as their text), its own id left out."""
    queries = {
        "activity": "SELECT last_seq, status, ended_at, outcome FROM activities WHERE id = :id",
        "events": "SELECT seq, actor, data, at FROM activity_events"
        " WHERE activity_id = :id ORDER BY seq",
        "snapshots": "SELECT seq, state FROM activity_snapshots WHERE activity_id = :id"
        " ORDER BY seq",
        "timers": "SELECT due_at, for_seq FROM activity_timers WHERE activity_id = :id",
    }
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with db.read() as conn:
        for name, sql in queries.items():
            result = await conn.execute(text(sql), {"id": activity_id})
            found[name] = [tuple(row) for row in result]
    return found


async def test_moves_in_one_trip_store_what_the_sqlalchemy_path_stores(
    db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite = db.is_sqlite
    one_trip = {"on": True}
    monkeypatch.setattr(
        Database,
        "is_sqlite",
        property(lambda self: self.engine.dialect.name == "sqlite" and one_trip["on"]),
    )
    trips = count_trips(monkeypatch)
    engine = Engine(db, get, clock)
    start = clock()
    fast = await new_activity(db, clock, engine, seats=2, rounds=ROUNDS)
    clock.current = start
    slow = await new_activity(db, clock, engine, seats=2, rounds=ROUNDS)
    moves = 0
    for round_ in range(ROUNDS):
        for seat in (0, 1):
            clock.current += timedelta(seconds=1, microseconds=123_457)
            action = {"type": "pick", "number": seat + 1 + round_ % 2}
            await engine.act(fast, seat, action)
            one_trip["on"] = False
            await engine.act(slow, seat, action)
            one_trip["on"] = True
            moves += 1
            if moves in (1, SNAPSHOT_EVERY // 2, SNAPSHOT_EVERY):
                assert await _rows(db, fast) == await _rows(db, slow)
    assert len(trips) == (moves if sqlite else 0)
    stored = await _rows(db, fast)
    assert stored == await _rows(db, slow)
    assert [seq // SNAPSHOT_EVERY for seq, _ in stored["snapshots"]] == [1]
    assert stored["activity"][0][1] == "ended" and stored["activity"][0][2] is not None
    assert stored["timers"] == []
    for activity_id in (fast, slow):
        engine.forget(activity_id)
    rules = get("lowest_unique")
    assert rules.dump((await engine.get(fast)).state) == rules.dump((await engine.get(slow)).state)


async def test_a_move_whose_statement_fails_leaves_nothing_behind(
    db: Database, clock: FixedClock
) -> None:
    engine = Engine(db, get, clock)
    activity_id = await new_activity(db, clock, engine)
    await engine.act(activity_id, 0, {"type": "pick", "number": 2})
    before = await _rows(db, activity_id)
    async with db.begin() as conn:
        # A row where the next move's event goes, written behind the engine's back.
        await conn.execute(
            insert(activity_events).values(
                activity_id=activity_id, seq=2, actor=9, data={"type": "odd"}, at=clock()
            )
        )
    with pytest.raises(IntegrityError):
        await engine.act(activity_id, 1, {"type": "pick", "number": 3})
    after = await _rows(db, activity_id)
    assert after["activity"] == before["activity"]  # the claim rolled back with the rest
    assert after["timers"] == before["timers"]
    assert [row[:2] for row in after["events"]] == [(1, 0), (2, 9)]
    assert (await engine.get(activity_id)).seq == 1  # the copy did not move on either
    async with db.read() as conn:
        last_seq = (
            await conn.execute(select(activities.c.last_seq).where(activities.c.id == activity_id))
        ).scalar_one()
    assert last_seq == 1
