"""Secret ballots through the real engine and store, on SQLite and PostgreSQL.

Written the way an attacker with a copy of the database works: every row of
every table, copied after each ballot, compared between two sittings where
the same voters vote in the same order with the ballots handed out
differently. Only ciphertexts (fresh randomness) may differ. Then a restart:
the box is locked, still takes ballots, refuses to close, and opens with the
key holders' shares only.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import insert, select

from estaminet.assembly import ASSEMBLY
from estaminet.cli import DEMO_VENUE
from estaminet.kernel.activity import Activity
from estaminet.kernel.errors import EstaminetError
from estaminet.live.engine import ActionRefused, Engine
from estaminet.live.schema import (
    activities,
    activity_events,
    activity_snapshots,
    activity_timers,
    ballot_boxes,
)
from estaminet.store import Database
from estaminet.venue.plan import load_venue
from estaminet.venue.rooms import apply_venue
from estaminet.venue.schema import rooms
from tests.assembly.conftest import FACILITATOR, SECRETARY, VOTERS, prepared
from tests.conftest import FixedClock
from tests.support.attacker import masked

SECRET = {"method": "majority", "question": "Élire Camille ?", "secret": True}
BALLOTS = ["yes", "yes", "no", "abstain", "yes", "no", "yes"]


def lookup(key: str) -> Activity[Any]:
    assert key == "assembly"
    return ASSEMBLY


async def new_sitting(
    db: Database, clock: FixedClock, engine: Engine, spec: dict[str, Any] = SECRET
) -> int:
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
    await engine.act(sitting, FACILITATOR, {"type": "vote.prepare", "vote": spec})
    vote = max((await engine.get(sitting)).state.votes)
    await engine.act(sitting, FACILITATOR, {"type": "vote.open", "vote": vote})
    return int(sitting)


async def everything_stored(db: Database, sitting: int) -> dict[str, Any]:
    """Every row of the sitting, as a copy of the database would hold it."""
    found: dict[str, Any] = {}
    async with db.read() as conn:
        for table in (activity_events, activity_snapshots, activity_timers, ballot_boxes):
            rows = await conn.execute(select(table).where(table.c.activity_id == sitting))
            found[table.name] = [
                {k: v for k, v in row._mapping.items() if k != "activity_id"} for row in rows
            ]
        row = (await conn.execute(select(activities).where(activities.c.id == sitting))).one()
        found["activities"] = {k: v for k, v in row._mapping.items() if k != "id"}
    found["raw_boxes"] = json.dumps(found["ballot_boxes"], default=str)
    found["ballot_boxes"] = [
        {**row, "contents": masked(row["contents"])} for row in found["ballot_boxes"]
    ]
    return found


def comparable(stored: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in stored.items() if k != "raw_boxes"}, default=str)


async def test_ballot_box_copies_after_each_ballot_do_not_tell_who_voted_what(
    db: Database, clock: FixedClock
) -> None:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    engine = Engine(db, lookup, clock)
    first = await new_sitting(db, clock, engine)
    second = await new_sitting(db, clock, engine)
    copies: dict[int, list[dict[str, Any]]] = {first: [], second: []}
    # The same voters, in the same order, with the ballots handed out differently.
    for seat, one, two in zip(VOTERS, BALLOTS, reversed(BALLOTS), strict=True):
        for sitting, ballot in ((first, one), (second, two)):
            await engine.act(sitting, seat, {"type": "vote.cast", "vote": 1, "ballot": ballot})
            copies[sitting].append(await everything_stored(db, sitting))
    for after_one, after_two in zip(copies[first], copies[second], strict=True):
        # Everything but fresh ciphertexts is identical: nothing links a voter to a ballot.
        assert comparable(after_one) == comparable(after_two)
        for stored in (after_one, after_two):
            text = comparable(stored) + stored["raw_boxes"]
            for ballot in ("yes", "no", "abstain"):
                assert f'"{ballot}"' not in text
            assert '"ballot"' not in text and "totals" not in text
    # Each version of the box is a new ciphertext (fresh randomness, never reused).
    sums = [c["raw_boxes"] for c in copies[first] + copies[second]]
    assert len(set(sums)) == len(sums)
    for sitting in (first, second):
        events = await engine.act(sitting, FACILITATOR, {"type": "vote.close", "vote": 1})
        result = events[0]["result"]
        assert (result["yes"], result["no"], result["abstain"], result["ballots"]) == (4, 2, 1, 7)


async def test_ballot_box_restart_locks_it_and_the_holders_shares_unlock_it(
    db: Database, clock: FixedClock
) -> None:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    engine = Engine(db, lookup, clock)
    sitting = await new_sitting(db, clock, engine)
    shares = {seat: await engine.key_shares(sitting, seat) for seat in (FACILITATOR, SECRETARY, 3)}
    assert [s["part"] for s in shares[FACILITATOR]] == [0]
    assert [s["part"] for s in shares[SECRETARY]] == [1]
    assert shares[3] == []  # a member keeps nothing
    for seat in (FACILITATOR, SECRETARY):  # their pages confirm they stored it
        (share,) = shares[seat]
        assert not await engine.give_key_share(
            sitting, seat, "vote:1", share["part"], share["share"]
        )
    box = (await engine.get(sitting)).state.votes[1].box
    assert box is not None and box.kept == (True, True) and not box.locked
    for seat, ballot in zip(VOTERS[:4], BALLOTS, strict=False):
        await engine.act(sitting, seat, {"type": "vote.cast", "vote": 1, "ballot": ballot})

    restarted = Engine(db, lookup, clock)  # nothing in memory: no key
    assert await restarted.key_shares(sitting, FACILITATOR) == []
    box = (await restarted.get(sitting)).state.votes[1].box
    assert box is not None and box.locked and box.ballots == 4
    for seat, ballot in zip(VOTERS[4:], BALLOTS[4:], strict=True):  # casting goes on
        await restarted.act(sitting, seat, {"type": "vote.cast", "vote": 1, "ballot": ballot})
    with pytest.raises(ActionRefused) as refused:
        await restarted.act(sitting, FACILITATOR, {"type": "vote.close", "vote": 1})
    assert refused.value.rejection.code == "assembly/ballot_box_locked"

    before = await everything_stored(db, sitting)
    share0, share1 = shares[FACILITATOR][0]["share"], shares[SECRETARY][0]["share"]
    forged = f"{int(share0, 16) ^ 1:0{len(share0)}x}"
    bad = [
        (SECRETARY, 0, share0, "ballots/not_a_keeper"),  # another holder's part
        (3, 1, share1, "ballots/not_a_keeper"),  # not a holder at all
        (FACILITATOR, 0, forged, "ballots/wrong_share"),
        (FACILITATOR, 0, share1, "ballots/wrong_share"),  # the other part's share
        (FACILITATOR, 0, "zz", "ballots/wrong_share"),
        (FACILITATOR, 5, share0, "ballots/malformed"),
        (FACILITATOR, "0", share0, "ballots/malformed"),
    ]
    for seat, part, share, code in bad:
        with pytest.raises(EstaminetError) as error:
            await restarted.give_key_share(sitting, seat, "vote:1", part, share)
        assert error.value.code == code
        assert share not in str(error.value) and share not in repr(error.value.params)
    with pytest.raises(EstaminetError) as error:
        await restarted.give_key_share(sitting, FACILITATOR, "vote:9", 0, share0)
    assert error.value.code == "ballots/box_unknown"
    assert comparable(await everything_stored(db, sitting)) == comparable(before)
    box = (await restarted.get(sitting)).state.votes[1].box
    assert box is not None and box.locked

    assert not await restarted.give_key_share(sitting, FACILITATOR, "vote:1", 0, share0)
    assert (await restarted.get(sitting)).state.votes[1].box.locked  # type: ignore[union-attr]
    assert await restarted.give_key_share(sitting, SECRETARY, "vote:1", 1, share1)
    box = (await restarted.get(sitting)).state.votes[1].box
    assert box is not None and box.totals == [4, 2, 1] and box.ballots == 7
    events = await restarted.act(sitting, FACILITATOR, {"type": "vote.close", "vote": 1})
    result = events[0]["result"]
    assert (result["yes"], result["no"], result["abstain"], result["passed"]) == (4, 2, 1, True)
    assert await restarted.key_shares(sitting, FACILITATOR) == []  # counted: the key is gone


async def test_ballot_box_timed_close_waits_for_the_key_then_closes(
    db: Database, clock: FixedClock
) -> None:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    engine = Engine(db, lookup, clock)
    sitting = await new_sitting(db, clock, engine, {**SECRET, "duration_seconds": 60})
    shares = [(await engine.key_shares(sitting, seat))[0] for seat in (FACILITATOR, SECRETARY)]
    for seat, ballot in zip(VOTERS[:3], BALLOTS, strict=False):
        await engine.act(sitting, seat, {"type": "vote.cast", "vote": 1, "ballot": ballot})
    restarted = Engine(db, lookup, clock)
    clock.advance(seconds=61)
    assert await restarted.fire_due() == 0  # locked: the close waits
    live = await restarted.get(sitting)
    assert live.state.votes[1].status == "open"
    assert await restarted.fire_due() == 0
    closes_at = live.state.votes[1].closes_at
    assert closes_at is not None and ((await restarted.next_due()) or closes_at) > clock()
    for seat, share in zip((FACILITATOR, SECRETARY), shares, strict=True):
        await restarted.give_key_share(sitting, seat, "vote:1", share["part"], share["share"])
    assert await restarted.fire_due() == 1
    vote = (await restarted.get(sitting)).state.votes[1]
    assert vote.status == "closed" and vote.result is not None
    assert (vote.result["yes"], vote.result["no"]) == (2, 1)


async def test_ballot_box_without_a_secretary_page_the_facilitator_keeps_both_shares(
    db: Database, clock: FixedClock
) -> None:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    engine = Engine(db, lookup, clock)

    async def only_the_facilitator(activity_id: int, seats: Any) -> set[int]:
        return {s for s in seats if s == FACILITATOR}

    engine.boxes.reachable = only_the_facilitator
    sitting = await new_sitting(db, clock, engine)
    assert [s["part"] for s in await engine.key_shares(sitting, FACILITATOR)] == [0, 1]
    assert await engine.key_shares(sitting, SECRETARY) == []
    view = ASSEMBLY.view((await engine.get(sitting)).state, _chair())["votes"][0]
    assert view["box"]["keepers"] == [{"seat": FACILITATOR, "kept": False}]


def _chair() -> Any:
    from estaminet.kernel.activity import Viewer

    return Viewer.player(FACILITATOR)
