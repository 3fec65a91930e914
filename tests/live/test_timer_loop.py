"""The engine's timer loop: a move costs it no read of the timers; deadlines still fire on time.

Before, every committed move woke the loop, which read the timers table twice (what is
due, what comes next) on the event loop, beside the move's own screens. Now a deadline
this process sets comes with its time, and the loop reads only when a deadline it knows
of comes, or every ``idle`` seconds (what other instances set).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import estaminet.games  # noqa: F401 - registers the games
from estaminet.games.kit import get
from estaminet.live.engine import Engine
from estaminet.store import Database
from tests.conftest import FixedClock
from tests.live.test_engine import new_activity
from tests.support.databases import statements


def _timer_reads(sent: list[str]) -> list[str]:
    return [s for s in sent if s.startswith("SELECT") and "activity_timers" in s]


@asynccontextmanager
async def _looping(engine: Engine, idle: float) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(engine.run_timers(idle=idle))
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _until(check: Callable[[], bool], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not check():
            await asyncio.sleep(0.02)


async def test_moves_that_bring_no_deadline_closer_cost_the_timer_loop_no_read(
    db: Database, clock: FixedClock
) -> None:
    engine = Engine(db, get, clock)
    activity_id = await new_activity(db, clock, engine, seats=4, pick_seconds=60)
    with statements(db) as sent:
        async with _looping(engine, idle=30.0):
            await _until(lambda: len(_timer_reads(sent)) >= 2)  # its first look: due, next
            first_look = len(_timer_reads(sent))
            # Three picks (the round's deadline stays), then the fourth ends the round: a
            # new deadline, a minute later than the one the loop waits for.
            for seat in range(4):
                clock.advance(seconds=1)
                await engine.act(activity_id, seat, {"type": "pick", "number": seat + 1})
            await asyncio.sleep(0.2)  # the old loop read here, twice per move
            assert (await engine.get(activity_id)).state.round == 2
            assert len(_timer_reads(sent)) == first_look


async def test_a_deadline_set_here_before_the_awaited_one_fires_at_its_time(
    db: Database, clock: FixedClock
) -> None:
    engine = Engine(db, get, clock)
    late = await new_activity(db, clock, engine, seats=3, pick_seconds=600)
    async with _looping(engine, idle=30.0):
        await asyncio.sleep(0.2)  # it has read: it waits ten minutes for the first table
        soon = await new_activity(db, clock, engine, seats=3, pick_seconds=5)
        clock.advance(seconds=4.5)
        await engine.announce(await engine.get(soon))  # as the start's route does
        await asyncio.sleep(0.3)
        assert (await engine.get(soon)).state.round == 1  # not due yet
        clock.advance(seconds=1)  # now it is: the loop wakes by itself within a moment
        await _until(lambda: engine._cache[soon].state.round == 2)
        assert (await engine.get(late)).state.round == 1


async def test_a_deadline_set_by_another_instance_is_found_at_the_idle_look(
    db: Database, clock: FixedClock
) -> None:
    other = Engine(db, get, clock)  # its rows are all this instance knows of it
    activity_id = await new_activity(db, clock, other, seats=3, pick_seconds=5)
    engine = Engine(db, get, clock)
    async with _looping(engine, idle=0.3):
        clock.advance(seconds=6)
        await _until(lambda: activity_id in engine._cache)
        await _until(lambda: engine._cache[activity_id].state.round == 2)


async def test_a_deadline_committed_while_the_loop_reads_is_not_lost(
    db: Database, clock: FixedClock
) -> None:
    """The loop's read of the next deadline ran just before a move's commit: the deadline
    that move set (earlier than any the read found) still fires at its time."""
    engine = Engine(db, get, clock)
    late = await new_activity(db, clock, engine, seats=3, pick_seconds=600)
    read = engine.next_due
    raced: list[int] = []

    async def racing() -> object:
        found = await read()  # the SELECT has run: what commits now is not in it
        if not raced:
            soon = await new_activity(db, clock, engine, seats=3, pick_seconds=5)
            raced.append(soon)
            clock.advance(seconds=4.8)
            await engine.announce(await engine.get(soon))
        return found

    engine.next_due = racing  # type: ignore[method-assign]
    async with _looping(engine, idle=30.0):
        await _until(lambda: bool(raced))
        clock.advance(seconds=0.5)
        await _until(lambda: engine._cache[raced[0]].state.round == 2, within=3.0)
        assert (await engine.get(late)).state.round == 1
