"""Reads by key answered at once on the event loop's thread (``Database.read_now``).

Through aiosqlite each read is a trip to its thread and back; a thousand tabs coming back
after a restart made three or four each (issue 20). On SQLite, ``read_now`` answers on the
loop's thread, on a read-only connection of its own that never waits for a lock: a
statement that finds the database locked goes to aiosqlite's thread instead, and the loop
goes on meanwhile. Each statement sees what was committed, its rows are read whole, and no
snapshot is kept after it. On PostgreSQL it is an ordinary read; the same reads must give
the same answers there.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import OperationalError

from estaminet.people.actions import create_user
from estaminet.people.model import Role
from estaminet.people.schema import users
from estaminet.store import Database
from tests.conftest import FixedClock
from tests.support.databases import statements
from tests.support.loop import Turns


@pytest.fixture
async def lite(sqlite_url: str) -> AsyncIterator[Database]:
    """A SQLite database, for what is SQLite's own (its thread, its locks, its log)."""
    database = Database(sqlite_url)
    try:
        yield database
    finally:
        await database.dispose()


async def test_a_read_now_sees_what_was_committed_with_the_columns_types(
    db: Database, clock: FixedClock
) -> None:
    marie = await create_user(db, "Marie Dupont", Role.GUEST, clock())
    by_id = select(users.c.display_name, users.c.created_at).where(users.c.id == marie.id)
    async with db.read_now() as conn:
        now_row = (await conn.execute(by_id)).one()
    async with db.read() as conn:
        pooled_row = (await conn.execute(by_id)).one()
    assert tuple(now_row) == tuple(pooled_row)
    assert now_row.created_at.tzinfo is not None  # UTCDateTime's conversion, as on read()
    async with db.begin() as conn:
        await conn.execute(update(users).where(users.c.id == marie.id).values(display_name="Mie"))
    async with db.read_now() as conn:
        assert (await conn.execute(by_id)).one().display_name == "Mie"
        # A statement's rows come back whole, whatever is read of them.
        rows = await conn.execute(select(users.c.id))
    assert rows.scalars().all() == [marie.id]


async def test_a_read_now_on_sqlite_is_answered_on_the_loop_s_thread_without_a_trip(
    lite: Database, clock: FixedClock
) -> None:
    marie = await create_user(lite, "Marie Dupont", Role.GUEST, clock())
    threads: list[int] = []

    def seen(*_: Any) -> None:
        threads.append(threading.get_ident())

    for engine in lite.engines:
        event.listen(engine, "before_cursor_execute", seen)
    try:
        async with Turns(0) as turns:
            before = turns.count
            async with lite.read_now() as conn:
                name = (
                    await conn.execute(select(users.c.display_name).where(users.c.id == marie.id))
                ).scalar()
            # No turn of the loop went by: nothing was handed to another thread and awaited.
            assert turns.count == before
    finally:
        for engine in lite.engines:
            event.remove(engine, "before_cursor_execute", seen)
    assert name == "Marie Dupont"
    assert threads == [threading.get_ident()]


async def test_a_read_now_writes_nothing(db: Database, clock: FixedClock) -> None:
    marie = await create_user(db, "Marie Dupont", Role.GUEST, clock())
    if db.is_sqlite:
        with pytest.raises(OperationalError, match="readonly"):
            async with db.read_now() as conn:
                await conn.execute(
                    update(users).where(users.c.id == marie.id).values(display_name="X")
                )
    async with db.read() as conn:
        assert (
            await conn.execute(select(users.c.display_name).where(users.c.id == marie.id))
        ).scalar() == "Marie Dupont"
    # The refusal leaves the reads by key working.
    async with db.read_now() as conn:
        assert (
            await conn.execute(select(users.c.display_name).where(users.c.id == marie.id))
        ).scalar() == "Marie Dupont"


async def test_a_read_now_keeps_no_snapshot_that_would_hold_the_log_back(
    lite: Database, clock: FixedClock
) -> None:
    """Rows left unread do not keep a read transaction open: SQLite could otherwise never
    bring its write-ahead log back into the file (a checkpoint waits for old readers)."""
    for n in range(3):
        await create_user(lite, f"Personne {n}", Role.GUEST, clock())
    async with lite.read_now() as conn:
        first = (await conn.execute(select(users.c.id).order_by(users.c.id))).first()
        assert first is not None
        path = lite.engine.url.database
        assert path is not None
        other = sqlite3.connect(path)
        try:
            other.execute("UPDATE users SET display_name = 'Quelqu''un' WHERE id = ?", first)
            other.commit()
            busy, log_pages, moved = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            other.close()
    assert busy == 0, "a reader held the log back"
    assert log_pages == moved


async def test_a_read_now_that_finds_the_database_locked_waits_off_the_loop(
    lite: Database, clock: FixedClock
) -> None:
    """Another process holds SQLite exclusively for a moment: the read is not refused and
    does not stop the loop; it waits in aiosqlite's thread, then answers."""
    marie = await create_user(lite, "Marie Dupont", Role.GUEST, clock())
    await lite.dispose()  # the pool's connections let go of the file, as after a quiet while
    path = lite.engine.url.database
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE users SET display_name = 'Marie D.' WHERE id = ?", (marie.id,))

    async def read() -> str | None:
        async with lite.read_now() as conn:
            found = await conn.execute(select(users.c.display_name).where(users.c.id == marie.id))
            return found.scalar()

    try:
        async with Turns(0.01) as turns:
            reading = asyncio.get_running_loop().create_task(read())
            await asyncio.sleep(0.3)
            assert not reading.done()  # waiting for the lock…
            assert turns.count >= 10  # …off the loop, which went on
            holder.execute("COMMIT")
            holder.close()  # and its exclusive lock with it
            assert await asyncio.wait_for(reading, 10) == "Marie D."
    finally:
        holder.close()


async def test_the_statements_of_a_read_now_are_seen_by_the_database_s_listeners(
    db: Database, clock: FixedClock
) -> None:
    marie = await create_user(db, "Marie Dupont", Role.GUEST, clock())
    with statements(db) as sent:
        async with db.read_now() as conn:
            await conn.execute(select(users.c.inbox_seq).where(users.c.id == marie.id))
    assert len(sent) == 1 and "inbox_seq" in sent[0]
