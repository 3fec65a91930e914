"""Timers and notices exactly once across instances, on SQLite and PostgreSQL.

Two instances are two ``Engine``s (or two ``Reminders`` loops) on one database, each with
its own memory: nothing is decided by "whoever is first in memory". A vote's closing is
the sitting's deadline, fired pinned to its log position, so the commit that closes it
*is* the claim; an agenda notice is claimed by a conditional update in the transaction
that records it. Both are run by both instances at the same moment, and with one of them
dying in the middle of its claim (its transaction never commits): the other does it, once.
"""

from __future__ import annotations

import asyncio
import copy
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.agenda import actions, answers
from estaminet.agenda.reminders import Delivery, Reminders
from estaminet.agenda.rules import Answer
from estaminet.agenda.schema import agenda_notices
from estaminet.cli import DEMO_VENUE
from estaminet.live.engine import Engine
from estaminet.live.schema import activity_events, activity_timers
from estaminet.people.model import Role
from estaminet.store import Database
from estaminet.venue.plan import load_venue
from estaminet.venue.rooms import apply_venue
from tests.agenda.conftest import NOW, add_person
from tests.agenda.test_reminders import BRUSSELS, game_night
from tests.conftest import FixedClock
from tests.live.test_ballot_box import lookup, new_sitting

OPEN_VOTE = {"method": "majority", "question": "On repeint le bar ?", "duration_seconds": 60}


async def closings(db: Database, sitting: int) -> list[int]:
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(activity_events.c.seq, activity_events.c.data).where(
                    activity_events.c.activity_id == sitting
                )
            )
        ).all()
    return [seq for seq, payload in rows if _type(payload) == "vote.closed"]


def _type(payload: Any) -> str | None:
    if isinstance(payload, dict):
        return payload.get("type")
    return None


@pytest.mark.parametrize("distributed", [False, True], ids=["cache-trusted", "cache-checked"])
async def test_a_vote_closes_once_when_both_instances_fire_at_the_same_moment(
    db: Database, clock: FixedClock, distributed: bool
) -> None:
    """Also with the engines checking a refusal against the log (``distributed``): the loser's
    ``live/moved_on`` is confirmed by the log, not retried into a second closing."""
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    one = Engine(db, lookup, clock, distributed=distributed)
    sitting = await new_sitting(db, clock, one, OPEN_VOTE)
    for seat in (2, 3, 4):
        await one.act(sitting, seat, {"type": "vote.cast", "vote": 1, "ballot": "yes"})
    two = Engine(db, lookup, clock, distributed=distributed)
    await two.get(sitting)  # both hold the sitting in memory, the vote open
    clock.advance(seconds=61)
    fired = await asyncio.gather(one.fire_due(), two.fire_due(), one.fire_due())
    assert sum(fired) == 1, fired
    one.forget(sitting)
    two.forget(sitting)
    for engine in (one, two):
        vote = (await engine.get(sitting)).state.votes[1]
        assert vote.status == "closed" and vote.result is not None
        assert vote.result["yes"] == 3
    assert len(await closings(db, sitting)) == 1
    # And nothing is left to fire it again, on either.
    assert [await one.fire_due(), await two.fire_due()] == [0, 0]
    async with db.read() as conn:
        timers = (
            await conn.execute(
                select(activity_timers).where(activity_timers.c.activity_id == sitting)
            )
        ).all()
    assert all(timer.due_at > clock() for timer in timers)


@pytest.mark.parametrize("distributed", [False, True], ids=["cache-trusted", "cache-checked"])
async def test_a_vote_closes_on_the_survivor_when_the_other_dies_closing_it(
    db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, distributed: bool
) -> None:
    """The instance that set the deadline starts closing the vote and dies before its
    transaction commits (nothing of it survives but the rows): the survivor closes it."""
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    dying = Engine(db, lookup, clock, distributed=distributed)
    sitting = await new_sitting(db, clock, dying, OPEN_VOTE)
    await dying.act(sitting, 2, {"type": "vote.cast", "vote": 1, "ballot": "no"})
    clock.advance(seconds=61)

    class Killed(BaseException):
        """Stands for SIGKILL: not an error anything catches."""

    real_begin = dying.db.begin

    def begin_then_die() -> Any:
        class _Dies:
            async def __aenter__(self) -> AsyncConnection:
                self.inner = real_begin()
                return await self.inner.__aenter__()

            async def __aexit__(self, *exc: Any) -> None:
                await self.inner.__aexit__(Killed, Killed(), None)  # rolled back
                raise Killed

        return _Dies()

    real_trip = dying.db.in_one_trip

    async def trip_then_die(work: Callable[[sqlite3.Connection], Any]) -> Any:
        # SQLite writes a move in one trip to its thread (Engine._commit_in_one_trip): the
        # same death there, after the statements and before the commit.
        def dies(raw: sqlite3.Connection) -> Any:
            work(raw)
            raise Killed  # rolled back in the thread, never committed

        return await real_trip(dies)

    dying_db = copy.copy(db)
    monkeypatch.setattr(dying_db, "begin", begin_then_die)
    monkeypatch.setattr(dying_db, "in_one_trip", trip_then_die)
    dying.db = dying_db
    with pytest.raises(Killed):
        await dying.fire_due()
    assert await closings(db, sitting) == []
    survivor = Engine(db, lookup, clock, distributed=distributed)
    assert [await survivor.fire_due() for _ in range(3)] == [1, 0, 0]
    assert len(await closings(db, sitting)) == 1
    assert (await survivor.get(sitting)).state.votes[1].status == "closed"


async def test_a_reminder_goes_once_when_an_instance_dies_recording_it(db: Database) -> None:
    """Two instances' loops at the same moment, one of which dies inside its claim's
    transaction: every reminder is recorded and shown exactly once, by the other."""
    animator = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    people = [await add_person(db, f"p{n}", f"Personne {n}") for n in range(3)]
    event_id = await actions.create_event(db, animator, game_night(capacity=10), NOW, BRUSSELS)
    for person in people:
        await answers.answer(db, person, event_id, "20261127T2000", Answer.YES, NOW, BRUSSELS)
    shown: list[tuple[str, int]] = []
    recorded: list[tuple[str, int]] = []

    class Killed(BaseException):
        pass

    inside = asyncio.Event()

    def instance(name: str, dies: bool) -> Reminders:
        async def record(conn: AsyncConnection, delivery: Delivery) -> Any:
            if dies:
                inside.set()
                await asyncio.sleep(0.2)  # the other instance's loop runs meanwhile
                raise Killed  # inside the claim's transaction: it never commits
            recorded.append((name, delivery.notice_id))
            return None

        async def deliver(delivery: Delivery) -> None:
            shown.append((name, delivery.notice_id))

        return Reminders(db, BRUSSELS, deliver, lambda: NOW, record=record)

    due = NOW.replace(year=2026, month=11, day=27, hour=18, minute=50)
    dying, survivor = instance("dying", True), instance("survivor", False)
    # The dying one first, into its first claim; the other's loop then runs while that claim
    # is open (left to chance, the other sometimes claimed everything first and nobody died).
    dying_loop = asyncio.create_task(dying.fire_due(due))
    await asyncio.wait_for(inside.wait(), 10)
    results = await asyncio.gather(dying_loop, survivor.fire_due(due), return_exceptions=True)
    assert isinstance(results[0], Killed), results
    await survivor.fire_due(due)  # what the dying one had in hand, left unclaimed
    assert await survivor.fire_due(due) == 0
    assert len(shown) >= len(people)  # every person's reminder(s)
    assert len(shown) == len({notice for _, notice in shown})  # each once
    async with db.read() as conn:
        unclaimed = (
            await conn.execute(
                select(agenda_notices.c.id).where(
                    agenda_notices.c.claimed_at.is_(None), agenda_notices.c.due_at <= due
                )
            )
        ).all()
    assert unclaimed == []
    assert {name for name, _ in shown} == {"survivor"}
    assert sorted(recorded) == sorted(shown)
