"""Many reads at once (a thousand tabs back after a restart) keep to the pool's connections.

On SQLite, a read beyond the connections the pool keeps used to open one more (a thread,
the file, the schema parsed again) for that one read, and close it after: most reads of a
reconnect storm paid for a new connection. Reads now wait for a kept one instead. A read
made while the same task holds a connection (inside a read, or inside a unit of work)
never waits for one, so nothing waits for a place it holds itself; and a unit of work
never waits behind reads. On PostgreSQL the pool is left as it was; the same bursts and
nestings must work there too.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import event, select, text

from estaminet.people.actions import create_user
from estaminet.people.model import Role
from estaminet.people.schema import users
from estaminet.store import Database
from tests.conftest import FixedClock


async def test_a_burst_of_reads_opens_no_connection_beyond_those_kept(
    db: Database, clock: FixedClock
) -> None:
    marie = await create_user(db, "Marie Dupont", Role.GUEST, clock())
    opened = 0

    def counted(*_: object) -> None:
        nonlocal opened
        opened += 1

    event.listen(db.engine.sync_engine, "connect", counted)
    at_once = 0
    most = 0

    async def one() -> str | None:
        nonlocal at_once, most
        async with db.read() as conn:
            at_once += 1
            most = max(most, at_once)
            await asyncio.sleep(0.001)  # held across the loop's turns, as a busy server does
            found = (
                await conn.execute(select(users.c.display_name).where(users.c.id == marie.id))
            ).scalar()
            at_once -= 1
            return found

    try:
        names = await asyncio.gather(*(one() for _ in range(200)))
    finally:
        event.remove(db.engine.sync_engine, "connect", counted)
    assert names == ["Marie Dupont"] * 200
    if db.is_sqlite:
        kept = db.engine.sync_engine.pool.size()  # type: ignore[attr-defined]
        assert most <= kept - 1  # one is left for the writer
        assert opened <= kept, f"{opened} connections opened for 200 reads"
    else:
        assert most > 5  # PostgreSQL's pool lets more run at once, as before


async def test_a_read_inside_a_read_or_a_unit_of_work_does_not_wait_for_itself(
    db: Database, clock: FixedClock
) -> None:
    """Every place for reads taken by a read that reads again inside (or writes): each
    inner read or unit of work still gets a connection; nothing waits for itself."""
    marie = await create_user(db, "Marie Dupont", Role.GUEST, clock())
    started = asyncio.Event()
    holders = 0
    # SQLite: as many reads at once as the pool keeps connections, less the writer's.
    places = db.engine.sync_engine.pool.size() - 1 if db.is_sqlite else 5  # type: ignore[attr-defined]

    async def nested(n: int) -> int:
        nonlocal holders
        async with db.read() as outer:
            holders += 1
            if holders >= places:
                started.set()
            await started.wait()  # every place held at once
            async with db.read() as inner:
                await inner.execute(text("SELECT 1"))
            async with db.begin() as conn:
                await conn.execute(
                    users.update().where(users.c.id == marie.id).values(display_name=f"Marie {n}")
                )
                async with db.read() as inside_write:
                    await inside_write.execute(text("SELECT 1"))
            return int((await outer.execute(text("SELECT 2"))).scalar_one())

    tasks = (nested(n) for n in range(places))
    results = await asyncio.wait_for(asyncio.gather(*tasks), 30)
    assert results == [2] * places
    async with db.read() as conn:
        name = (
            await conn.execute(select(users.c.display_name).where(users.c.id == marie.id))
        ).scalar()
    assert name is not None and name.startswith("Marie ")


async def test_a_unit_of_work_does_not_wait_behind_reads(db: Database, clock: FixedClock) -> None:
    """Reads holding every place they may (and waiting for a write to land) do not keep
    the write from a connection; on SQLite it is one of those kept, not one opened and
    closed for it."""
    marie = await create_user(db, "Marie Dupont", Role.GUEST, clock())
    written = asyncio.Event()
    closed = 0

    def counted(*_: object) -> None:
        nonlocal closed
        closed += 1

    event.listen(db.engine.sync_engine.pool, "close", counted)

    async def reader() -> None:
        async with db.read() as conn:
            await written.wait()
            await conn.execute(text("SELECT 1"))

    readers = [asyncio.create_task(reader()) for _ in range(10)]
    try:
        await asyncio.sleep(0.05)
        async with asyncio.timeout(10):
            async with db.begin() as conn:
                await conn.execute(
                    users.update().where(users.c.id == marie.id).values(display_name="Marie")
                )
        written.set()
        await asyncio.wait_for(asyncio.gather(*readers), 10)
    finally:
        written.set()
        event.remove(db.engine.sync_engine.pool, "close", counted)
    if db.is_sqlite:
        assert closed == 0, "a connection was opened for the write and closed after it"
