"""Several instances, one venue: a cached state behind another instance's commit.

Each instance is an ``Engine`` with its own memory on one shared database (as with the
Redis hub: ``distributed=True``). An action is never refused because this instance's copy
is behind: a refusal is checked against the database's log position first, and a page's
view is built from the latest committed state. Alone (``distributed=False``) the engine
trusts its cache: no extra read, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

import estaminet.games  # noqa: F401 - registers the games
from estaminet.assembly import ASSEMBLY
from estaminet.cli import DEMO_VENUE
from estaminet.games.kit import get
from estaminet.kernel.activity import Activity, Viewer
from estaminet.live.activities import create_activity
from estaminet.live.engine import ActionRefused, Engine
from estaminet.live.schema import activities, activity_events
from estaminet.store import Database
from estaminet.venue.plan import load_venue
from estaminet.venue.rooms import apply_venue
from estaminet.venue.schema import rooms
from tests.assembly.conftest import FACILITATOR, SECRETARY, VOTERS, prepared
from tests.conftest import FixedClock

INTRUS = "intrus"


def lookup(key: str) -> Activity[Any]:
    return ASSEMBLY if key == "assembly" else get(key)


def instances(db: Database, clock: FixedClock) -> tuple[Engine, Engine]:
    """Instances A and B: two engines, each with its own cache, one database."""
    return (
        Engine(db, lookup, clock, distributed=True),
        Engine(db, lookup, clock, distributed=True),
    )


async def new_activity(
    db: Database, clock: FixedClock, engine: Engine, key: str, seats: int, options: Any
) -> int:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    kind, slug = ("assembly", "ag") if key == "assembly" else ("game", "jeux")
    async with db.begin() as conn:
        room_id = (await conn.execute(select(rooms.c.id).where(rooms.c.slug == slug))).scalar_one()
        activity_id = await create_activity(
            conn,
            kind=kind,
            key=key,
            room_id=room_id,
            title="t",
            host_id="host",
            options={},
            now=clock(),
        )
        await engine.start(conn, activity_id, key, seats, options, seed=1234, now=clock())
    return int(activity_id)


async def sitting_in_session(db: Database, clock: FixedClock, engine: Engine) -> int:
    sitting = await new_activity(db, clock, engine, "assembly", 8, prepared())
    for seat in VOTERS:
        await engine.act(sitting, seat, {"type": "attendance.check_in", "seat": seat})
    await engine.act(sitting, FACILITATOR, {"type": "sitting.open"})
    await engine.act(sitting, FACILITATOR, {"type": "agenda.next_item"})
    return sitting


async def logged(db: Database, activity_id: int) -> list[str]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(activity_events.c.data)
            .where(activity_events.c.activity_id == activity_id)
            .order_by(activity_events.c.seq)
        )
        return [data["type"] for (data,) in rows]


@contextlib.asynccontextmanager
async def counting_reads(db: Database) -> AsyncIterator[list[int]]:
    """How many times the database is read while inside (the cache's cost)."""
    count = [0]
    real = db.read

    def read() -> Any:
        count[0] += 1
        return real()

    db.read = read  # type: ignore[method-assign]
    try:
        yield count
    finally:
        db.read = real  # type: ignore[method-assign]


async def test_engine_a_hand_raised_through_b_then_the_floor_given_through_a_is_accepted(
    db: Database, clock: FixedClock
) -> None:
    """The case found with real processes: A's copy of the sitting has an empty queue when
    the facilitator gives the floor; the hand raised through B is in the log, so A gives it."""
    a, b = instances(db, clock)
    sitting = await sitting_in_session(db, clock, a)
    assert (await b.get(sitting)).seq == (await a.get(sitting)).seq  # both hold the sitting
    await b.act(sitting, 4, {"type": "speaker.raise_hand"})
    assert not (await a.get(sitting)).state.queue  # A's copy is behind
    events = await a.act(sitting, FACILITATOR, {"type": "speaker.give_floor"})
    assert [e["type"] for e in events] == ["speaker.floor_given"]
    assert events[0]["seat"] == 4
    live = await a.get(sitting)
    assert live.state.speaker is not None and live.state.speaker.seat == 4
    assert (await logged(db, sitting)).count("speaker.floor_given") == 1
    # B is now behind in turn: its speaker's "end of turn" is accepted all the same.
    await b.act(sitting, 4, {"type": "speaker.end_turn"})
    assert (await a.latest(sitting)).state.speaker is None


async def test_engine_a_move_through_one_instance_then_the_next_player_s_through_the_other(
    db: Database, clock: FixedClock
) -> None:
    """A table: each clue is given through the other instance than the one before; each
    instance's copy is one move behind every time, and every move is accepted once."""
    a, b = instances(db, clock)
    rules = get(INTRUS)
    table = await new_activity(db, clock, a, INTRUS, 4, rules.default_options())
    await b.get(table)
    engines = [a, b, a, b]
    for turn, engine in enumerate(engines):
        live = await engines[turn - 1].get(table)  # the instance that played last is current
        seat = live.state.order[live.state.turn]
        move = rules.legal_actions(live.state, seat)[0]
        assert [e["type"] for e in await engine.act(table, seat, move)] == ["clued"]
    assert (await logged(db, table)).count("clued") == 4
    a.forget(table)
    rebuilt = await a.get(table)
    assert rebuilt.seq == (await b.get(table)).seq == 4


async def test_engine_a_refusal_on_the_latest_state_is_still_a_refusal_and_changes_nothing(
    db: Database, clock: FixedClock
) -> None:
    """Behind or not, what the rules refuse on the database's latest state stays refused:
    the check reads the log position once, and a copy that is current is not rebuilt."""
    a, b = instances(db, clock)
    rules = get(INTRUS)
    table = await new_activity(db, clock, a, INTRUS, 4, rules.default_options())
    live = await b.get(table)
    first = live.state.order[0]
    await b.act(table, first, rules.legal_actions(live.state, first)[0])
    # A is behind and the same player tries again: refused after A caught up.
    with pytest.raises(ActionRefused) as caught:
        await a.act(table, first, {"type": "clue", "word": "encore"})
    assert caught.value.rejection.code == "intrus/not_your_turn"
    assert (await a.get(table)).seq == 1  # caught up on the way
    # Current now: one read of the log position, no rebuild, the same refusal.
    async with counting_reads(db) as reads:
        with pytest.raises(ActionRefused):
            await a.act(table, first, {"type": "clue", "word": "encore"})
    assert reads == [1]
    assert (await logged(db, table)).count("clued") == 1


async def test_engine_alone_a_refusal_reads_nothing_and_a_page_reads_the_cache(
    db: Database, clock: FixedClock
) -> None:
    """The one-process path (MemoryHub): the cache is the latest, so neither a refusal nor
    a page's view costs a database read."""
    engine = Engine(db, lookup, clock)
    sitting = await sitting_in_session(db, clock, engine)
    async with counting_reads(db) as reads:
        with pytest.raises(ActionRefused) as caught:
            await engine.act(sitting, FACILITATOR, {"type": "speaker.give_floor"})
        assert caught.value.rejection.code == "assembly/queue_empty"
        await engine.latest(sitting)
    assert reads == [0]


async def test_engine_a_page_on_an_instance_behind_shows_the_latest_committed_state(
    db: Database, clock: FixedClock
) -> None:
    """A page (or a catch-up) built on B after a hand raised through A shows that hand."""
    a, b = instances(db, clock)
    sitting = await sitting_in_session(db, clock, a)
    await b.get(sitting)
    await a.act(sitting, 5, {"type": "speaker.raise_hand"})
    live = await b.latest(sitting)
    view = live.rules.view(live.state, Viewer.player(FACILITATOR))
    assert [row["seat"] for row in view["queue"]] == [5]
    async with counting_reads(db) as reads:
        await b.latest(sitting)  # current: one read of the log position, no rebuild
    assert reads == [1]


async def test_engine_a_sitting_ended_through_another_instance_refuses_actions_here(
    db: Database, clock: FixedClock
) -> None:
    """The host stops the sitting through A (no new event, only its status): B's copy
    still says running, and B's next actions are refused as not running, never applied
    (an action B's copy accepts would otherwise set the sitting running again)."""
    a, b = instances(db, clock)
    sitting = await sitting_in_session(db, clock, a)
    await b.get(sitting)
    async with db.begin() as conn:
        await a.end(conn, sitting, clock())
    before = await logged(db, sitting)
    for seat, action in [
        (FACILITATOR, {"type": "speaker.give_floor"}),  # refused by B's copy too
        (4, {"type": "speaker.raise_hand"}),  # accepted by B's copy: its commit fails
    ]:
        with pytest.raises(ActionRefused) as caught:
            await b.act(sitting, seat, action)
        assert caught.value.rejection.code == "live/not_running"
    assert await logged(db, sitting) == before
    assert (await b.latest(sitting)).status == "ended"
    async with db.read() as conn:
        status = (
            await conn.execute(select(activities.c.status).where(activities.c.id == sitting))
        ).scalar_one()
    assert status == "ended"


async def test_engine_two_instances_acting_at_once_on_copies_behind_log_each_action_once(
    db: Database, clock: FixedClock
) -> None:
    """Hands raised through both instances at the same moment, each from a copy behind the
    other's: every hand is logged once, none refused, none doubled."""
    a, b = instances(db, clock)
    sitting = await sitting_in_session(db, clock, a)
    await b.get(sitting)
    seats = (3, 4, 5, 6)
    await asyncio.gather(
        *(
            (a if n % 2 else b).act(sitting, seat, {"type": "speaker.raise_hand"})
            for n, seat in enumerate(seats)
        )
    )
    assert (await logged(db, sitting)).count("speaker.hand_raised") == len(seats)
    queue = (await a.latest(sitting)).state.queue
    assert sorted(r.seat for r in queue) == list(seats)


async def test_engine_key_shares_given_back_through_an_instance_behind_unlock_the_box(
    db: Database, clock: FixedClock
) -> None:
    """A secret vote opened through A (the key in A's memory only); the key holders' pages
    are served by B, whose copy of the sitting predates the box: B still takes the shares
    (no ``ballots/box_unknown``) and the box opens there."""
    a, b = instances(db, clock)
    sitting = await sitting_in_session(db, clock, a)
    await b.get(sitting)
    secret = {"method": "majority", "question": "Élire Camille ?", "secret": True}
    await a.act(sitting, FACILITATOR, {"type": "vote.prepare", "vote": secret})
    await a.act(sitting, FACILITATOR, {"type": "vote.open", "vote": 1})
    shares = [(await a.key_shares(sitting, seat))[0] for seat in (FACILITATOR, SECRETARY)]
    assert await b.key_shares(sitting, FACILITATOR) == []  # B never had the key
    unlocked = [
        await b.give_key_share(sitting, seat, "vote:1", share["part"], share["share"])
        for seat, share in zip((FACILITATOR, SECRETARY), shares, strict=True)
    ]
    assert unlocked == [False, True]
    box = (await b.get(sitting)).state.votes[1].box
    assert box is not None and not box.locked
    await b.act(sitting, 3, {"type": "vote.cast", "vote": 1, "ballot": "yes"})
    events = await b.act(sitting, FACILITATOR, {"type": "vote.close", "vote": 1})
    assert events[0]["result"]["yes"] == 1
