"""The unit of work keeps its promises on both databases: what fails is undone whole,
what succeeds is kept, a read never holds anything. On SQLite, commits and rollbacks
that have nothing to end are not sent to the driver (each would be a trip to
aiosqlite's thread), and every one that has something to end still is."""

from __future__ import annotations

from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from estaminet.store import Database


@pytest.fixture
async def scratch(db: Database) -> Database:
    async with db.begin() as conn:
        await conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY, note TEXT)"))
    return db


async def _insert_then_change_mind(db: Database, key: int) -> None:
    async with db.begin() as conn:
        await conn.execute(text("INSERT INTO scratch VALUES (:key, 'perdu')"), {"key": key})
        raise RuntimeError("the feature changed its mind")


async def _insert_twice(db: Database, key: int) -> None:
    async with db.begin() as conn:
        await conn.execute(text("INSERT INTO scratch VALUES (:key, 'deux')"), {"key": key})
        await conn.execute(text("INSERT INTO scratch VALUES (:key, 'encore')"), {"key": key})


async def _notes(db: Database) -> list[str]:
    async with db.read() as conn:
        return [row[0] for row in await conn.execute(text("SELECT note FROM scratch ORDER BY id"))]


async def test_a_unit_of_work_that_fails_is_undone_whole(scratch: Database) -> None:
    with pytest.raises(RuntimeError):
        await _insert_then_change_mind(scratch, 1)
    with pytest.raises(IntegrityError):
        await _insert_twice(scratch, 2)
    assert await _notes(scratch) == []
    async with scratch.begin() as conn:  # the connections went back clean: this one commits
        await conn.execute(text("INSERT INTO scratch VALUES (3, 'trois')"))
    assert await _notes(scratch) == ["trois"]


async def test_a_unit_of_work_that_only_read_and_a_read_hold_nothing(scratch: Database) -> None:
    async with scratch.begin() as conn:
        await conn.execute(text("SELECT count(*) FROM scratch"))
    async with scratch.read() as conn:
        await conn.execute(text("SELECT count(*) FROM scratch"))
        # A write through another connection is not blocked by this open read.
        async with scratch.begin() as other:
            await other.execute(text("INSERT INTO scratch VALUES (1, 'un')"))
    assert await _notes(scratch) == ["un"]


async def test_sqlite_is_asked_to_end_only_transactions_that_are_open(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    commit, rollback = aiosqlite.Connection.commit, aiosqlite.Connection.rollback

    async def counted_commit(self: Any) -> None:
        asked.append("commit")
        await commit(self)

    async def counted_rollback(self: Any) -> None:
        asked.append("rollback")
        await rollback(self)

    monkeypatch.setattr(aiosqlite.Connection, "commit", counted_commit)
    monkeypatch.setattr(aiosqlite.Connection, "rollback", counted_rollback)
    db = Database(sqlite_url)
    try:
        async with db.begin() as conn:
            await conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY, note TEXT)"))
        asked.clear()
        for _ in range(3):
            async with db.read() as conn:
                await conn.execute(text("SELECT count(*) FROM scratch"))
            async with db.begin() as conn:
                await conn.execute(text("SELECT count(*) FROM scratch"))
        assert asked == []  # reads alone: nothing to end, no trip to the driver's thread
        async with db.begin() as conn:
            await conn.execute(text("INSERT INTO scratch VALUES (1, 'un')"))
        assert asked == ["commit"]  # and no rollback after it when the connection goes back
        asked.clear()
        with pytest.raises(RuntimeError):
            await _insert_then_change_mind(db, 2)
        assert asked == ["rollback"]
        assert await _notes(db) == ["un"]
    finally:
        await db.dispose()
