"""The live engine: log as commit point, rebuild after restart, durable timers firing once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

import estaminet.games  # noqa: F401 - registers the games
from estaminet.cli import DEMO_VENUE
from estaminet.games.kit import get
from estaminet.kernel.activity import SYSTEM, Viewer
from estaminet.live.engine import SNAPSHOT_EVERY, ActionRefused, Engine
from estaminet.live.schema import activities, activity_events, activity_snapshots, activity_timers
from estaminet.people import actions as people
from estaminet.people.model import Role
from estaminet.store import Database
from estaminet.venue.plan import load_venue
from estaminet.venue.rooms import apply_venue
from estaminet.venue.schema import rooms
from tests.conftest import FixedClock

GAME = "lowest_unique"


async def new_activity(
    db: Database, clock: FixedClock, engine: Engine, seats: int = 3, **options: int
) -> int:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    host = await people.create_user(db, "Host", Role.MEMBER, clock())
    async with db.begin() as conn:
        room_id = (
            await conn.execute(select(rooms.c.id).where(rooms.c.slug == "jeux"))
        ).scalar_one()
        activity_id = (
            await conn.execute(
                insert(activities)
                .values(
                    kind="game",
                    key=GAME,
                    room_id=room_id,
                    title="t",
                    host_id=host.id,
                    status="lobby",
                    options={},
                    private=0,
                    max_spectators=5,
                    created_at=clock(),
                    last_seq=0,
                )
                .returning(activities.c.id)
            )
        ).scalar_one()
        merged = {**get(GAME).default_options(), **options}
        await engine.start(conn, activity_id, GAME, seats, merged, seed=1234, now=clock())
    return int(activity_id)


async def test_engine_actions_are_logged_and_rebuilt(db: Database, clock: FixedClock) -> None:
    engine = Engine(db, get, clock)
    activity_id = await new_activity(db, clock, engine)
    await engine.act(activity_id, 0, {"type": "pick", "number": 2})
    await engine.act(activity_id, 1, {"type": "pick", "number": 2})
    before = await engine.get(activity_id)
    engine.forget(activity_id)  # as after a restart
    after = await engine.get(activity_id)
    assert after.seq == before.seq == 2
    rules = get(GAME)
    assert rules.dump(after.state) == rules.dump(before.state)
    assert rules.view(after.state, Viewer.player(0)) == rules.view(before.state, Viewer.player(0))


async def test_engine_rejection_changes_nothing(db: Database, clock: FixedClock) -> None:
    engine = Engine(db, get, clock)
    activity_id = await new_activity(db, clock, engine)
    await engine.act(activity_id, 0, {"type": "pick", "number": 4})
    for actor, action, code in [
        (0, {"type": "pick", "number": 5}, "lowest_unique/already_picked"),
        (1, {"type": "pick", "number": 99}, "lowest_unique/bad_number"),
        (7, {"type": "pick", "number": 1}, "lowest_unique/not_a_player"),
        (1, {"type": "dance"}, "lowest_unique/unknown_action"),
    ]:
        with pytest.raises(ActionRefused) as caught:
            await engine.act(activity_id, actor, action)
        assert caught.value.rejection.code == code
    async with db.read() as conn:
        count = len((await conn.execute(select(activity_events))).all())
    assert count == 1


async def test_engine_move_for_a_past_log_position_is_refused(
    db: Database, clock: FixedClock
) -> None:
    """A move chosen for one log position (a bot's) is never applied once the log moved on,
    even by an instance whose copy of the table is behind."""
    engine, behind = Engine(db, get, clock), Engine(db, get, clock)
    activity_id = await new_activity(db, clock, engine)
    assert (await behind.get(activity_id)).seq == 0
    await engine.act(activity_id, 0, {"type": "pick", "number": 4}, at_seq=0)
    for instance in (engine, behind):
        with pytest.raises(ActionRefused) as caught:
            await instance.act(activity_id, 1, {"type": "pick", "number": 3}, at_seq=0)
        assert caught.value.rejection.code == "live/moved_on"
    async with db.read() as conn:
        assert len((await conn.execute(select(activity_events))).all()) == 1
    await behind.act(activity_id, 1, {"type": "pick", "number": 3}, at_seq=1)
    assert (await behind.get(activity_id)).seq == 2  # chosen for the position it is at: played


async def test_engine_timer_survives_restart_and_fires_once(
    db: Database, clock: FixedClock
) -> None:
    engine = Engine(db, get, clock)
    activity_id = await new_activity(db, clock, engine, pick_seconds=30)
    await engine.act(activity_id, 0, {"type": "pick", "number": 1})
    assert await engine.fire_due() == 0  # not yet
    clock.advance(seconds=31)
    restarted = Engine(db, get, clock)  # a new process: nothing in memory
    assert await restarted.fire_due() == 1
    assert await restarted.fire_due() == 0  # the same deadline never fires twice
    live = await restarted.get(activity_id)
    assert live.state.round == 2
    async with db.read() as conn:
        timer = (await conn.execute(select(activity_timers))).one()
    assert timer.for_seq == live.seq and timer.due_at == clock() + timedelta(seconds=30)
    # A second instance that still holds the old state does not fire a stale timer twice.
    assert await engine.fire_due() == 0


async def test_engine_concurrent_instances_do_not_fork_the_log(
    db: Database, clock: FixedClock
) -> None:
    one = Engine(db, get, clock)
    activity_id = await new_activity(db, clock, one)
    two = Engine(db, get, clock)
    await two.get(activity_id)
    await one.act(activity_id, 0, {"type": "pick", "number": 3})
    # ``two`` has an old state; appending checks the log position and revalidates.
    with pytest.raises(ActionRefused):
        await two.act(activity_id, 0, {"type": "pick", "number": 4})
    await two.act(activity_id, 1, {"type": "pick", "number": 5})
    async with db.read() as conn:
        seqs = [
            row.seq
            for row in await conn.execute(
                select(activity_events.c.seq).order_by(activity_events.c.seq)
            )
        ]
    assert seqs == [1, 2]


async def test_engine_snapshots_and_outcome(db: Database, clock: FixedClock) -> None:
    engine = Engine(db, get, clock)
    activity_id = await new_activity(db, clock, engine, seats=2, rounds=9)
    for _ in range(9):
        await engine.act(activity_id, 0, {"type": "pick", "number": 1})
        await engine.act(activity_id, 1, {"type": "pick", "number": 2})
    live = await engine.get(activity_id)
    assert live.status == "ended"
    async with db.read() as conn:
        row = (await conn.execute(select(activities).where(activities.c.id == activity_id))).one()
        snaps = (await conn.execute(select(activity_snapshots.c.seq))).scalars().all()
        timers = (await conn.execute(select(activity_timers))).all()
    assert row.status == "ended" and row.outcome["winners"] == [0]
    assert timers == []
    assert live.seq >= SNAPSHOT_EVERY or snaps == []
    engine.forget(activity_id)
    again = await engine.get(activity_id)
    assert get(GAME).dump(again.state) == get(GAME).dump(live.state)
    with pytest.raises(ActionRefused) as caught:
        await engine.act(activity_id, 0, {"type": "pick", "number": 1})
    assert caught.value.rejection.code == "lowest_unique/game_over"  # the rules answer after an end


async def test_engine_stopped_activity_refuses_everything(db: Database, clock: FixedClock) -> None:
    engine = Engine(db, get, clock)
    activity_id = await new_activity(db, clock, engine)
    async with db.begin() as conn:
        await engine.end(conn, activity_id, clock())
    with pytest.raises(ActionRefused) as caught:
        await engine.act(activity_id, 0, {"type": "pick", "number": 1})
    assert caught.value.rejection.code == "live/not_running"
    engine.forget(activity_id)
    with pytest.raises(ActionRefused):
        await engine.act(activity_id, 0, {"type": "pick", "number": 1})


async def test_engine_rebuild_uses_snapshot(db: Database, clock: FixedClock) -> None:
    engine = Engine(db, get, clock)
    activity_id = await new_activity(db, clock, engine, seats=2, rounds=2)
    await engine.act(activity_id, 0, {"type": "pick", "number": 1})
    live = await engine.get(activity_id)
    # A snapshot taken at seq 1 is trusted over replaying from the start.
    state = get(GAME).dump(live.state)
    state["scores"] = [5, 5]
    async with db.begin() as conn:
        await conn.execute(
            insert(activity_snapshots).values(activity_id=activity_id, seq=1, state=state)
        )
        await conn.execute(
            update(activities).where(activities.c.id == activity_id).values(last_seq=1)
        )
    engine.forget(activity_id)
    assert (await engine.get(activity_id)).state.scores == [5, 5]


async def test_engine_replay_steps(db: Database, clock: FixedClock) -> None:
    engine = Engine(db, get, clock)
    activity_id = await new_activity(db, clock, engine, seats=2)
    await engine.act(activity_id, 0, {"type": "pick", "number": 1})
    await engine.act(activity_id, 1, {"type": "pick", "number": 3})
    state, step, total, event = await engine.replay(activity_id, 1)
    assert (step, total, event["type"]) == (1, 3, "picked")
    assert state.picks == [1, None]
    _, step, _, _ = await engine.replay(activity_id, 99)
    assert step == 3


async def test_engine_two_instances_racing_for_one_deadline_fire_it_once(
    db: Database, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Two instances see the same due timer at the same moment: the commit is the claim, so
    exactly one fires it and the other steps aside without trying the timeout again."""
    one = Engine(db, get, clock)
    activity_id = await new_activity(db, clock, one, pick_seconds=30)
    two = Engine(db, get, clock)
    await one.act(activity_id, 0, {"type": "pick", "number": 1})
    await two.get(activity_id)  # both hold the same state in memory
    clock.advance(seconds=31)
    fired = await asyncio.gather(one.fire_due(), two.fire_due())
    assert sorted(fired) == [0, 1]
    assert "timeout refused" not in caplog.text
    async with db.read() as conn:
        system_events = (
            await conn.execute(
                select(activity_events.c.seq).where(activity_events.c.actor == SYSTEM)
            )
        ).all()
        timer = (await conn.execute(select(activity_timers))).one()
    live = await Engine(db, get, clock).get(activity_id)
    assert live.state.round == 2
    assert len({seq for (seq,) in system_events}) == len(system_events) > 0
    assert timer.for_seq == live.seq  # the next round's deadline, once


async def test_engine_a_deadline_due_while_an_instance_was_dead_fires_on_the_survivor(
    db: Database, clock: FixedClock
) -> None:
    """The instance that set the deadline is gone (nothing of it but its rows): the survivor
    fires it once, however often its timer loop looks."""
    dead = Engine(db, get, clock)
    activity_id = await new_activity(db, clock, dead, pick_seconds=30)
    await dead.act(activity_id, 0, {"type": "pick", "number": 2})
    del dead
    survivor = Engine(db, get, clock)
    clock.advance(seconds=45)
    assert [await survivor.fire_due() for _ in range(3)] == [1, 0, 0]
    assert (await survivor.get(activity_id)).state.round == 2
