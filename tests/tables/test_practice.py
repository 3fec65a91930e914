"""Practice tables at service level: a narrator alone with bots, on both databases, with a clock.

The bots' runner plays through the engine (the one write path), at the pace it is given,
claims each move so that a restart or a second instance neither doubles nor loses it, and
waits while the narrator has paused the practice.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, update

import estaminet.games  # noqa: F401 - registers the games
from estaminet.cli import DEMO_VENUE
from estaminet.games.kit import get
from estaminet.games.werewolf import NARRATOR_SEAT
from estaminet.games.werewolf import Role as WEREWOLF_ROLE
from estaminet.kernel.activity import Viewer
from estaminet.kernel.errors import BadInput, Conflict, EstaminetError
from estaminet.live.engine import Engine
from estaminet.live.schema import activity_events, activity_timers
from estaminet.people import actions as people
from estaminet.people.model import Role, User
from estaminet.realtime.connection import Principal
from estaminet.realtime.hub import MemoryHub
from estaminet.store import Database
from estaminet.tables import actions
from estaminet.tables.practice import PracticeBots
from estaminet.tables.schema import practice_tables
from estaminet.tables.service import TableService, sees
from estaminet.venue.plan import load_venue
from estaminet.venue.rooms import Room, apply_venue, room_by_slug
from estaminet.web.templating import Templates
from tests.conftest import FixedClock
from tests.live.test_engine import new_activity
from tests.support.databases import statements

WEREWOLF = get("werewolf")
PACE = 2.0
_NARRATOR = Viewer.narrator()


async def _setup(db: Database, clock: FixedClock) -> tuple[User, Room]:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    narrator = await people.create_user(db, "Apprentie", Role.MEMBER, clock())
    async with db.read() as conn:
        room = await room_by_slug(conn, "jeux")
    assert room is not None
    return narrator, room


async def _practice(
    db: Database, clock: FixedClock, engine: Engine, bots: int = 8, **options: Any
) -> tuple[User, int]:
    narrator, room = await _setup(db, clock)
    table = await actions.create_practice(
        db, narrator, room, WEREWOLF, clock(), bots=bots, title="Entraînement"
    )
    assert table.private and table.practice is not None and table.practice.bots == bots
    assert table.narrator is not None and table.narrator.user_id == narrator.id
    if options:
        await actions.set_options(db, narrator, table.id, WEREWOLF, options)
    _, live = await actions.start_table(db, engine, narrator, table.id, WEREWOLF, clock())
    assert live.state.seats == bots
    return narrator, table.id


async def _moves(db: Database, table_id: int) -> list[tuple[int, str]]:
    """(actor, event type) of the first event of each action in the log."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(activity_events.c.actor, activity_events.c.data)
                .where(activity_events.c.activity_id == table_id)
                .order_by(activity_events.c.seq)
            )
        ).all()
    return [(int(actor), str(data["type"])) for actor, data in rows]


async def _narrate_to(engine: Engine, table_id: int, step: str, clock: FixedClock) -> None:
    for _ in range(20):
        live = await engine.get(table_id)
        if live.state.step == step:
            return
        await engine.act(
            table_id, NARRATOR_SEAT, {"type": "narrator_next", "confirm": True}, clock()
        )
    raise AssertionError(f"never reached {step}")


async def test_bots_play_at_their_pace_through_the_engine(db: Database, clock: FixedClock) -> None:
    engine = Engine(db, get, clock)
    bots = PracticeBots(db, engine, clock, seconds=PACE)
    _, table_id = await _practice(db, clock, engine, captain=False)
    # Night falls: nobody acts until the narrator calls the next role.
    assert await bots.step() is None
    await _narrate_to(engine, table_id, "seer", clock)
    live = await engine.get(table_id)
    seer = live.state.active(WEREWOLF_ROLE.SEER)
    assert seer is not None
    before = live.seq
    wait = await bots.step()
    assert wait is not None and 0.6 * PACE <= wait <= 1.4 * PACE  # a human pace
    assert (await engine.get(table_id)).seq == before  # not yet
    clock.advance(seconds=wait / 2)
    assert await bots.step() == pytest.approx(wait / 2)
    clock.advance(seconds=wait / 2)
    await bots.step()
    live = await engine.get(table_id)
    assert live.seq > before
    assert live.state.step_done  # the Seer has looked at someone
    seen = [look for look in live.state.seen if look["seer"] == seer]
    assert len(seen) == 1 and seen[0]["target"] != seer
    log = await _moves(db, table_id)
    assert (seer, "seen") in log  # logged as the seat's own action, like a player's
    # Then the bots wait for the narrator.
    clock.advance(seconds=10)
    assert await bots.step() is None
    assert (await engine.get(table_id)).seq == live.seq


async def test_a_restart_neither_loses_nor_doubles_a_bot_move(
    db: Database, clock: FixedClock
) -> None:
    engine = Engine(db, get, clock)
    bots = PracticeBots(db, engine, clock, seconds=PACE)
    _, table_id = await _practice(db, clock, engine, captain=False)
    await _narrate_to(engine, table_id, "seer", clock)
    wait = await bots.step()
    assert wait is not None
    clock.advance(seconds=wait - 0.5)
    # The server restarts: a new engine and runner on the same database.
    engine = Engine(db, get, clock)
    bots = PracticeBots(db, engine, clock, seconds=PACE)
    again = await bots.step()
    assert again == pytest.approx(0.5)  # the thinking time was kept, not started over
    # A runner took the move and died before playing it: its claim holds for a while...
    async with db.begin() as conn:
        await conn.execute(
            update(practice_tables)
            .where(practice_tables.c.activity_id == table_id)
            .values(claim_until=clock() + timedelta(seconds=30))
        )
    clock.advance(seconds=1)
    seq = (await engine.get(table_id)).seq
    await bots.step()
    assert (await engine.get(table_id)).seq == seq
    # ...then the move is played, once, by whoever looks after the claim lapsed.
    clock.advance(seconds=30)
    other = PracticeBots(db, Engine(db, get, clock), clock, seconds=PACE)
    await other.step()
    await bots.step()  # a second instance, its cache behind: it plays nothing
    moves = await _moves(db, table_id)
    assert [kind for _, kind in moves].count("seen") == 1


async def test_two_runners_play_a_move_once(db: Database, clock: FixedClock) -> None:
    first_engine, second_engine = Engine(db, get, clock), Engine(db, get, clock)
    first = PracticeBots(db, first_engine, clock, seconds=PACE)
    second = PracticeBots(db, second_engine, clock, seconds=PACE)
    _, table_id = await _practice(db, clock, first_engine, captain=False)
    await _narrate_to(first_engine, table_id, "seer", clock)
    await first.step()
    await second.step()
    clock.advance(seconds=2 * PACE)
    await second_engine.get(table_id)  # each instance has its own copy of the table
    await first.step()
    await second.step()
    await first.step()
    moves = await _moves(db, table_id)
    assert [kind for _, kind in moves].count("seen") == 1


async def test_pause_holds_the_bots_and_the_timer(db: Database, clock: FixedClock) -> None:
    engine = Engine(db, get, clock)
    bots = PracticeBots(db, engine, clock, seconds=PACE)
    narrator, table_id = await _practice(db, clock, engine, captain=False)
    await _narrate_to(engine, table_id, "seer", clock)
    await bots.step()
    table = await actions.pause_practice(db, engine, narrator, table_id, clock())
    assert table.practice is not None and table.practice.paused
    async with db.read() as conn:
        assert (await conn.execute(select(activity_timers))).first() is None
    seq = (await engine.get(table_id)).seq
    clock.advance(seconds=600)  # far past the bots' pace and the step's timer
    assert await bots.step() is None
    assert await engine.fire_due() == 0
    assert (await engine.get(table_id)).seq == seq
    # The narrator's own moves wait too (through the table's action, as from the screen).
    service = TableService(db, MemoryHub(), engine, Templates(), get, clock)
    ctx: Any = SimpleNamespace(
        principal=Principal(narrator.id, narrator.display_name, "member"),
        connection=None,
        locale="fr",
        now=clock(),
    )
    with pytest.raises(Conflict) as paused:
        await service._act(ctx, {"table": table_id, "action": {"type": "narrator_next"}})
    assert paused.value.code == "tables/practice_paused"
    # Someone else cannot pause or resume it.
    intruder = await people.create_user(db, "Autre", Role.MEMBER, clock())
    with pytest.raises(EstaminetError):
        await actions.resume_practice(db, engine, intruder, table_id, clock())
    table = await actions.resume_practice(db, engine, narrator, table_id, clock())
    assert table.practice is not None and not table.practice.paused
    async with db.read() as conn:
        due = (await conn.execute(select(activity_timers.c.due_at))).scalar_one()
    live = await engine.get(table_id)
    deadline = WEREWOLF.deadline(live.state)
    assert deadline is not None and due == deadline + timedelta(seconds=600)
    wait = await bots.step()
    assert wait is not None and wait <= 1.4 * PACE
    clock.advance(seconds=wait)
    await bots.step()
    assert (await engine.get(table_id)).state.step_done


async def test_a_practice_table_is_its_narrators_alone(db: Database, clock: FixedClock) -> None:
    engine = Engine(db, get, clock)
    narrator, room = await _setup(db, clock)
    other = await people.create_user(db, "Curieuse", Role.MEMBER, clock())
    table = await actions.create_practice(
        db, narrator, room, WEREWOLF, clock(), bots=7, title="Entraînement"
    )
    assert sees(table, narrator.id) and not sees(table, other.id)
    with pytest.raises(Conflict) as seated:
        await actions.join_table(db, other, table.id, "player", WEREWOLF, clock())
    assert seated.value.code == "tables/practice_seats"
    with pytest.raises(BadInput):
        await actions.create_practice(db, narrator, room, WEREWOLF, clock(), bots=3, title="x")
    with pytest.raises(BadInput):
        await actions.create_practice(
            db, narrator, room, get("lowest_unique"), clock(), bots=6, title="x"
        )
    # Its lobby sets the cards as for a real table; the narrator stays human.
    deck = {"werewolf": 2, "seer": 1, "witch": 1, "hunter": 1, "villager": 2}
    table = await actions.set_options(
        db, narrator, table.id, WEREWOLF, {"composition": deck, "narrator": "auto"}
    )
    assert table.options["narrator"] == "human" and table.options["composition"] == deck
    table, live = await actions.start_table(db, engine, narrator, table.id, WEREWOLF, clock())
    assert sorted(live.state.roles) == sorted(r for r, n in deck.items() for _ in range(n))
    assert table.seat_names() == {
        0: "Anna", 1: "Bram", 2: "Chloé", 3: "Dries", 4: "Elise", 5: "Farid", 6: "Gilles"
    }  # fmt: skip
    assert table.players == [] and table.narrator is not None


async def test_a_whole_practice_game_ends(db: Database, clock: FixedClock) -> None:
    """The narrator presses "next" whenever the bots wait; the bots play the rest."""
    engine = Engine(db, get, clock)
    bots = PracticeBots(db, engine, clock, seconds=0.5)
    _, table_id = await _practice(db, clock, engine, bots=7)
    for _ in range(600):
        live = await engine.get(table_id)
        if live.status == "ended":
            break
        wait = await bots.step()
        if wait is not None:
            clock.advance(seconds=max(wait, 0.01))
            continue
        if live.state.step_done or not WEREWOLF.view(live.state, _NARRATOR)["narrator"]["defaults"]:
            await engine.act(
                table_id, NARRATOR_SEAT, {"type": "narrator_next", "confirm": True}, clock()
            )
        else:
            clock.advance(seconds=30)
            await engine.fire_due()
    live = await engine.get(table_id)
    assert live.status == "ended" and WEREWOLF.outcome(live.state) is not None
    bot_moves = [actor for actor, _ in await _moves(db, table_id) if actor >= 0]
    assert len(set(bot_moves)) >= 5  # most seats played themselves
    # Once over, the runner stops looking at the table.
    assert await bots.step() is None
    async with db.read() as conn:
        finished = (await conn.execute(select(practice_tables.c.finished))).scalar_one()
    assert finished == 1


async def test_the_bots_look_again_only_when_a_practice_table_moves(
    db: Database, clock: FixedClock
) -> None:
    """A table's first move makes the bots' runner look once (it may be a practice table set
    up on another instance); after that, moves at an ordinary table (every real game's) cost
    it no read of the practice tables, and moves at a practice table wake it."""
    engine = Engine(db, get, clock)
    bots = PracticeBots(db, engine, clock, seconds=PACE)
    game = await new_activity(db, clock, engine, seats=4)  # an ordinary table
    runner = asyncio.create_task(bots.run())
    try:
        with statements(db) as sent:

            def looks() -> int:
                return sum(s.startswith("SELECT") and "FROM practice_tables" in s for s in sent)

            async def until(count: int) -> None:
                async with asyncio.timeout(5):
                    while looks() < count:
                        await asyncio.sleep(0.02)

            await until(1)  # its first look: nothing to play
            await engine.act(game, 0, {"type": "pick", "number": 1})
            await until(2)  # a table it does not know: one look
            async with asyncio.timeout(5):
                while game not in bots._others:  # that look is over: an ordinary table
                    await asyncio.sleep(0.01)
            for seat in range(1, 4):
                await engine.act(game, seat, {"type": "pick", "number": seat + 1})
            await asyncio.sleep(0.2)
            assert looks() == 2  # before: one look per move
            # A practice table set up elsewhere (nobody woke this runner): found at its
            # first move here, and each of its moves wakes the runner from then on.
            _, table_id = await _practice(db, clock, engine, captain=False)
            for _ in range(2):
                settled = looks()
                await engine.act(
                    table_id, NARRATOR_SEAT, {"type": "narrator_next", "confirm": True}, clock()
                )
                await until(settled + 1)
            assert table_id in bots._tables and game not in bots._tables
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
