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
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    select,
    update,
)
from sqlalchemy.exc import OperationalError, StatementError

from estaminet.people.actions import create_user
from estaminet.people.model import Role
from estaminet.people.schema import users
from estaminet.store import Database
from estaminet.store.database import UTCDateTime, _Prepared
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

    by_id = select(users.c.display_name).where(users.c.id == bindparam("user"))
    names = []
    with lite.traced(seen):
        async with Turns(0) as turns:
            before = turns.count
            async with lite.read_now() as conn:
                # Through SQLAlchemy, then again (prepared after it), then prepared.
                for _ in range(3):
                    found = await conn.execute(by_id, {"user": marie.id})
                    names.append(found.scalar())
            # No turn of the loop went by: nothing was handed to another thread and awaited.
            assert turns.count == before
    assert names == ["Marie Dupont"] * 3
    assert threads == [threading.get_ident()] * 3


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
    every = select(users.c.id).order_by(users.c.id)
    async with lite.read_now() as conn:
        for _ in range(3):  # the last one prepared (see ``_Prepared``)
            first = (await conn.execute(every)).first()
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


@pytest.mark.parametrize("prepared", [False, True], ids=["first-seen", "prepared"])
async def test_a_read_now_that_finds_the_database_locked_waits_off_the_loop(
    lite: Database, clock: FixedClock, prepared: bool
) -> None:
    """Another process holds SQLite exclusively for a moment: the read is not refused and
    does not stop the loop; it waits in aiosqlite's thread, then answers (a select seen for
    the first time, through SQLAlchemy, as one that runs prepared)."""
    marie = await create_user(lite, "Marie Dupont", Role.GUEST, clock())
    by_id = select(users.c.display_name).where(users.c.id == bindparam("user"))

    async def read() -> str | None:
        async with lite.read_now() as conn:
            found = await conn.execute(by_id, {"user": marie.id})
            return found.scalar()

    if prepared:
        assert [await read(), await read()] == ["Marie Dupont"] * 2
        assert isinstance(lite._prepared.get(by_id), _Prepared)
    await lite.dispose()  # the pool's connections let go of the file, as after a quiet while
    path = lite.engine.url.database
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE users SET display_name = 'Marie D.' WHERE id = ?", (marie.id,))

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
    # Each statement once, whichever way it went: through SQLAlchemy, then prepared.
    by_id = select(users.c.display_name).where(users.c.id == bindparam("user"))
    with statements(db) as sent:
        async with db.read_now() as conn:
            for _ in range(4):
                await conn.execute(by_id, {"user": marie.id})
    assert len(sent) == 4 and all("display_name" in s for s in sent), sent


_SAMPLES = MetaData()
_samples = Table(
    "read_now_samples",
    _SAMPLES,
    Column("id", Integer, primary_key=True),
    Column("big", BigInteger, nullable=False),
    Column("name", String(40), nullable=True),
    Column("yes", Boolean, nullable=True),
    Column("data", JSON, nullable=True),
    Column("at", UTCDateTime, nullable=True),
    Column("role", Enum(Role, native_enum=False, length=20), nullable=True),
)


async def test_a_select_that_comes_again_runs_prepared_with_the_same_rows(
    db: Database, clock: FixedClock
) -> None:
    """A select read_now has seen runs prepared on SQLite (sqlite3 under SQLAlchemy's own
    conversions): every column type comes back as SQLAlchemy gives it, parameters are
    stored as SQLAlchemy stores them (an instant, a 62-bit number, a flag), the literal
    values of the statement too; on PostgreSQL the same statements give the same rows."""
    async with db.begin() as conn:
        await conn.run_sync(_SAMPLES.create_all)
        await conn.execute(
            _samples.insert(),
            [
                {"id": 1, "big": 2**62 + 5, "name": "Élise", "yes": True, "data": {"a": [1, "é"]},
                 "at": clock(), "role": Role.MEMBER},
                {"id": 2, "big": -(2**62), "name": None, "yes": False, "data": None,
                 "at": None, "role": None},
                {"id": 3, "big": 7, "name": "x", "yes": None, "data": [],
                 "at": clock() - timedelta(days=400), "role": Role.ADMIN},
            ],
        )  # fmt: skip
    try:
        since = (
            select(_samples, (_samples.c.big + 1).label("next"))
            .where(
                _samples.c.at.is_(None) | (_samples.c.at <= bindparam("until")),
                _samples.c.big != 0,  # a literal of the statement's own
            )
            .order_by(_samples.c.id)
            .limit(bindparam("limit", type_=Integer))
        )
        by_flag = select(_samples.c.id, _samples.c.role).where(_samples.c.yes == bindparam("yes"))
        by_big = select(_samples.c.name).where(_samples.c.big == bindparam("big"))
        asked = [
            (since, {"until": clock(), "limit": 10}),
            (since, {"until": clock() - timedelta(days=1), "limit": 2}),
            (by_flag, {"yes": True}),
            (by_flag, {"yes": False}),
            (by_big, {"big": 2**62 + 5}),
        ]
        async with db.read() as conn:
            expected = [
                [tuple(row) for row in await conn.execute(statement, values)]
                for statement, values in asked
            ]
            keys = [
                list((await conn.execute(statement, values)).keys()) for statement, values in asked
            ]
        for _ in range(3):  # seen, prepared, run prepared
            async with db.read_now() as conn:
                results = [await conn.execute(statement, values) for statement, values in asked]
            assert [list(result.keys()) for result in results] == keys
            assert [[tuple(row) for row in result] for result in results] == expected
        assert expected[0][0][1] == 2**62 + 5 and expected[0][0][6] is Role.MEMBER
        assert expected[0][0][5].tzinfo is not None and expected[0][0][4] == {"a": [1, "é"]}
        assert [row[0] for row in expected[1]] == [2, 3]
        assert expected[4] == [("Élise",)]
        if db.is_sqlite:
            assert all(isinstance(db._prepared.get(s), _Prepared) for s in (since, by_flag, by_big))
            async with db.read_now() as conn:
                row = (await conn.execute(since, {"until": clock(), "limit": 1})).one()
            assert row.name == "Élise" and row._mapping["next"] == 2**62 + 6
    finally:
        async with db.begin() as conn:
            await conn.run_sync(_SAMPLES.drop_all)


async def test_a_select_of_a_list_or_built_for_one_call_goes_through_sqlalchemy(
    lite: Database, clock: FixedClock
) -> None:
    """What is not prepared (an ``IN`` list, whose SQL changes with its length; a statement
    built for one call) still reads right, through SQLAlchemy as before."""
    people = [await create_user(lite, f"Personne {n}", Role.GUEST, clock()) for n in range(3)]
    among = select(users.c.display_name).where(users.c.id.in_(bindparam("ids", expanding=True)))
    async with lite.read_now() as conn:
        for count in (1, 3, 2, 3):
            ids = [person.id for person in people[:count]]
            found = sorted((await conn.execute(among, {"ids": ids})).scalars())
            assert found == sorted(person.display_name for person in people[:count])
        for person in people:  # a new statement each time: run once each, never compiled
            one = select(users.c.display_name).where(users.c.id == person.id)
            assert (await conn.execute(one)).scalar() == person.display_name
    assert lite._prepared.get(among) is not None
    assert not isinstance(lite._prepared.get(among), _Prepared)


async def test_a_prepared_select_that_fails_says_so_as_sqlalchemy_does_and_the_reads_go_on(
    lite: Database, clock: FixedClock
) -> None:
    marie = await create_user(lite, "Marie Dupont", Role.GUEST, clock())
    by_id = select(users.c.display_name).where(users.c.id == bindparam("user"))
    async with lite.read_now() as conn:
        for _ in range(2):
            await conn.execute(by_id, {"user": marie.id})
        assert isinstance(lite._prepared.get(by_id), _Prepared)
        for wrong in ({}, {"user": object()}):  # no value; a value sqlite3 cannot bind
            fresh = select(users.c.display_name).where(users.c.id == bindparam("user"))
            with pytest.raises(StatementError) as through_sqlalchemy:
                await conn.execute(fresh, wrong)
            with pytest.raises(StatementError) as prepared:
                await conn.execute(by_id, wrong)
            assert type(prepared.value) is type(through_sqlalchemy.value)
            assert str(prepared.value.orig) == str(through_sqlalchemy.value.orig)
        assert (await conn.execute(by_id, {"user": marie.id})).scalar() == "Marie Dupont"
