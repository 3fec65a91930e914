"""Reads of the same thing asked for together are made once, and are never staler than a
read of one's own (``SharedReads``): five hundred spectators coming back to a game read
its table once per read's duration, not twice each."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update

from estaminet.kernel.errors import NotFound
from estaminet.people.actions import create_user
from estaminet.people.model import Role
from estaminet.people.schema import users
from estaminet.store import Database, SharedReads
from tests.conftest import FixedClock


async def test_callers_of_the_same_moment_share_one_read(db: Database, clock: FixedClock) -> None:
    marie = await create_user(db, "Marie Dupont", Role.GUEST, clock())
    reads: list[str] = []

    async def name_of(user_id: str) -> str | None:
        reads.append(user_id)
        async with db.read() as conn:
            await asyncio.sleep(0.01)
            return (
                await conn.execute(select(users.c.display_name).where(users.c.id == user_id))
            ).scalar()

    shared = SharedReads(db, name_of)
    names = await asyncio.gather(*(shared(marie.id) for _ in range(300)))
    assert names == ["Marie Dupont"] * 300
    assert len(reads) == 1
    # Another key is another read.
    assert await asyncio.gather(shared(marie.id), shared("nobody")) == ["Marie Dupont", None]
    assert len(reads) == 3


async def test_a_caller_who_asks_while_a_read_runs_gets_the_next_one(
    db: Database, clock: FixedClock
) -> None:
    """A read begun before a change would miss it: whoever asks after the change (a person
    just seated, an access just taken away) gets a read begun after they asked."""
    marie = await create_user(db, "Marie Dupont", Role.GUEST, clock())
    began = asyncio.Event()
    go_on = asyncio.Event()
    reads = 0

    async def name_of(user_id: str) -> str | None:
        nonlocal reads
        reads += 1
        async with db.read() as conn:
            found = (
                await conn.execute(select(users.c.display_name).where(users.c.id == user_id))
            ).scalar()
        if reads == 1:
            began.set()
            await go_on.wait()
        return found

    shared = SharedReads(db, name_of)
    early = asyncio.get_running_loop().create_task(shared(marie.id))
    await began.wait()  # the first read has read: a change now is after it
    async with db.begin() as conn:
        await conn.execute(update(users).where(users.c.id == marie.id).values(display_name="Mie"))
    late = [asyncio.get_running_loop().create_task(shared(marie.id)) for _ in range(50)]
    await asyncio.sleep(0.05)
    go_on.set()
    assert await early == "Marie Dupont"
    assert await asyncio.gather(*late) == ["Mie"] * 50
    assert reads == 2


async def test_an_error_reaches_every_caller_and_a_caller_who_gives_up_stops_nobody(
    db: Database,
) -> None:
    calls = 0

    async def missing(key: int) -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        raise NotFound("tables/unknown", "This table does not exist (any more).")

    shared = SharedReads(db, missing)
    results = await asyncio.gather(*(shared(7) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, NotFound) for r in results) and calls == 1

    async def slow(key: int) -> int:
        await asyncio.sleep(0.05)
        return key * 2

    shared_slow = SharedReads(db, slow)
    leaving = asyncio.get_running_loop().create_task(shared_slow(21))
    staying = asyncio.get_running_loop().create_task(shared_slow(21))
    await asyncio.sleep(0.01)
    leaving.cancel()
    assert await staying == 42
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_a_caller_holding_a_connection_reads_for_itself(db: Database) -> None:
    """Inside a read or a unit of work, waiting for a shared read could wait for the very
    connection the caller holds (SQLite's reads wait for one): such a caller reads itself,
    and a hundred of them at once all finish."""
    reads = 0

    async def one(key: int) -> int:
        nonlocal reads
        reads += 1
        async with db.read() as conn:
            return int((await conn.execute(select(1))).scalar_one()) + key

    shared = SharedReads(db, one)

    async def nested() -> int:
        async with db.read():
            return await shared(1)

    # (PostgreSQL's pool opens connections up to 30, and a hundred readers that each hold
    # one and need another would wait for each other whether they share or not.)
    at_once = 100 if db.is_sqlite else 8
    done = await asyncio.wait_for(asyncio.gather(*(nested() for _ in range(at_once))), 30)
    assert done == [2] * at_once
    if db.is_sqlite:
        assert reads == at_once
