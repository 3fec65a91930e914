"""Secret ballots through the real engine and store: unlinkable on the stored rows."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, select

from estaminet.assembly import ASSEMBLY
from estaminet.cli import DEMO_VENUE
from estaminet.kernel.activity import Activity
from estaminet.live.engine import Engine
from estaminet.live.tables import activities, activity_events, ballot_boxes
from estaminet.store import Database
from estaminet.venue.plan import load_venue
from estaminet.venue.rooms import apply_venue
from estaminet.venue.tables import rooms
from tests.assembly.conftest import FACILITATOR, VOTERS, prepared
from tests.conftest import FixedClock

SECRET = {"method": "majority", "question": "Élire Camille ?", "secret": True}


def lookup(key: str) -> Activity[Any]:
    assert key == "assembly"
    return ASSEMBLY


async def new_sitting(db: Database, clock: FixedClock, engine: Engine) -> int:
    async with db.begin() as conn:
        room_id = (await conn.execute(select(rooms.c.id).where(rooms.c.slug == "ag"))).scalar_one()
        sitting = (
            await conn.execute(
                insert(activities)
                .values(
                    kind="assembly",
                    key="assembly",
                    room_id=room_id,
                    title="AG",
                    status="lobby",
                    options={},
                    created_at=clock(),
                    last_seq=0,
                )
                .returning(activities.c.id)
            )
        ).scalar_one()
        await engine.start(conn, sitting, "assembly", 8, prepared(), seed=0, now=clock())
    for seat in VOTERS:
        await engine.act(sitting, seat, {"type": "attendance.check_in", "seat": seat})
    await engine.act(sitting, FACILITATOR, {"type": "sitting.open"})
    await engine.act(sitting, FACILITATOR, {"type": "agenda.next_item"})
    await engine.act(sitting, FACILITATOR, {"type": "vote.prepare", "vote": SECRET})
    vote = max((await engine.get(sitting)).state.votes)
    await engine.act(sitting, FACILITATOR, {"type": "vote.open", "vote": vote})
    return int(sitting)


async def stored_rows(db: Database, sitting: int) -> tuple[str, str]:
    async with db.read() as conn:
        events = [
            (row.seq, row.actor, row.data)
            for row in await conn.execute(
                select(activity_events)
                .where(activity_events.c.activity_id == sitting)
                .order_by(activity_events.c.seq)
            )
        ]
        boxes = [
            (row.box, row.contents)
            for row in await conn.execute(
                select(ballot_boxes).where(ballot_boxes.c.activity_id == sitting)
            )
        ]
    return json.dumps(events, sort_keys=True), json.dumps(boxes, sort_keys=True)


async def test_ballot_box_rows_do_not_tell_who_voted_what(db: Database, clock: FixedClock) -> None:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    engine = Engine(db, lookup, clock)
    ballots = ["yes", "yes", "no", "abstain", "yes", "no", "yes"]
    first = await new_sitting(db, clock, engine)
    second = await new_sitting(db, clock, engine)
    # The same voters, in the same order, with the ballots handed out differently.
    for seat, ballot in zip(VOTERS, ballots, strict=True):
        await engine.act(first, seat, {"type": "vote.cast", "vote": 1, "ballot": ballot})
    for seat, ballot in zip(VOTERS, reversed(ballots), strict=True):
        await engine.act(second, seat, {"type": "vote.cast", "vote": 1, "ballot": ballot})
    log_one, box_one = await stored_rows(db, first)
    log_two, box_two = await stored_rows(db, second)
    assert log_one == log_two  # the ordered log holds participation only
    assert box_one == box_two  # the box: one row, sorted contents, no voter, no time
    for ballot in ("yes", "no", "abstain"):
        assert f'"{ballot}"' not in log_one


async def test_ballot_box_survives_a_restart_and_counts(db: Database, clock: FixedClock) -> None:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    engine = Engine(db, lookup, clock)
    sitting = await new_sitting(db, clock, engine)
    for seat, ballot in zip(
        VOTERS, ["yes", "yes", "yes", "no", "no", "abstain", "yes"], strict=True
    ):
        await engine.act(sitting, seat, {"type": "vote.cast", "vote": 1, "ballot": ballot})
    restarted = Engine(db, lookup, clock)  # nothing in memory: the box is read back
    events = await restarted.act(sitting, FACILITATOR, {"type": "vote.close", "vote": 1})
    closed = next(e for e in events if e["type"] == "vote.closed")
    text = json.dumps(closed["result"])
    assert '"yes": 4' in text or '"yes":4' in text.replace(" ", "")
