"""What the database driver gives back, on both databases, and on SQLite in one trip.

On SQLite a statement runs whole in one hand-over to aiosqlite's thread
(``store.database._OneTripCursor``) instead of four (open a cursor, execute, fetch,
close). What SQLAlchemy reads from the driver must not change with it: rows and their
columns, how many rows a change touched, the new row's key, several parameter sets at
once, errors and the connection after them, and results read in pieces or streamed."""

from __future__ import annotations

from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, text, update
from sqlalchemy.exc import DatabaseError, IntegrityError

from estaminet.store import Database

_meta = MetaData()
_notes = Table(
    "driver_notes",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("note", Text, nullable=False, unique=True),
)


@pytest.fixture
async def notes(db: Database) -> Database:
    async with db.begin() as conn:
        await conn.run_sync(_meta.create_all)
    return db


async def test_rows_columns_counts_and_new_keys_come_back(notes: Database) -> None:
    async with notes.begin() as conn:
        first = await conn.execute(insert(_notes).values(note="un"))
        second = await conn.execute(insert(_notes).values(note="deux"))
        assert (first.inserted_primary_key[0], second.inserted_primary_key[0]) == (1, 2)
        await conn.execute(insert(_notes), [{"note": "trois"}, {"note": "quatre"}])
        returned = await conn.execute(
            insert(_notes).values(note="cinq").returning(_notes.c.id, _notes.c.note)
        )
        assert returned.one()._asdict() == {"id": 5, "note": "cinq"}
        changed = await conn.execute(
            update(_notes).where(_notes.c.id > 3).values(note=_notes.c.note + " !")
        )
        assert changed.rowcount == 2
        untouched = await conn.execute(update(_notes).where(_notes.c.id > 99).values(note="x"))
        assert untouched.rowcount == 0
    async with notes.read() as conn:
        result = await conn.execute(select(_notes).order_by(_notes.c.id))
        assert list(result.keys()) == ["id", "note"]
        assert [tuple(row) for row in result] == [
            (1, "un"),
            (2, "deux"),
            (3, "trois"),
            (4, "quatre !"),
            (5, "cinq !"),
        ]
        nothing = await conn.execute(select(_notes).where(_notes.c.id > 99))
        assert nothing.first() is None


async def test_results_read_in_pieces_or_streamed(notes: Database) -> None:
    async with notes.begin() as conn:
        await conn.execute(insert(_notes), [{"note": f"n{i:02}"} for i in range(25)])
    async with notes.read() as conn:
        result = await conn.execute(select(_notes.c.note).order_by(_notes.c.id))
        assert result.fetchmany(10) == [(f"n{i:02}",) for i in range(10)]
        assert result.fetchone() == ("n10",)
        assert len(result.fetchall()) == 14
        streamed = await conn.stream(select(_notes.c.note).order_by(_notes.c.id))
        assert [row[0] async for row in streamed] == [f"n{i:02}" for i in range(25)]


async def _insert_again(db: Database) -> None:
    async with db.begin() as conn:
        await conn.execute(insert(_notes).values(note="autre"))
        await conn.execute(insert(_notes).values(note="seule"))


async def _read_nowhere(db: Database) -> None:
    async with db.read() as conn:
        await conn.execute(text("SELECT nothing FROM nowhere"))


async def test_an_error_is_the_database_s_and_the_connection_goes_on(notes: Database) -> None:
    async with notes.begin() as conn:
        await conn.execute(insert(_notes).values(note="seule"))
    with pytest.raises(IntegrityError):
        await _insert_again(notes)
    with pytest.raises(DatabaseError):
        await _read_nowhere(notes)
    for _ in range(3):  # the pool's connections came back usable, and nothing half-done stayed
        async with notes.read() as conn:
            assert (await conn.execute(select(_notes.c.note))).scalars().all() == ["seule"]


async def test_a_statement_is_one_trip_to_aiosqlite_s_thread(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips: list[str] = []
    execute = aiosqlite.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    db = Database(sqlite_url)
    try:
        async with db.begin() as conn:
            await conn.run_sync(_meta.create_all)
            await conn.execute(insert(_notes), [{"note": "un"}, {"note": "deux"}])
        trips.clear()
        async with db.read() as conn:
            rows = (await conn.execute(select(_notes.c.note).order_by(_notes.c.id))).all()
        assert rows == [("un",), ("deux",)]
        assert len(trips) == 1, trips  # was 4: cursor, execute, fetchall, close
        trips.clear()
        async with db.begin() as conn:
            await conn.execute(update(_notes).where(_notes.c.id == 1).values(note="1"))
            await conn.execute(insert(_notes).values(note="trois"))
        assert len(trips) == 3, trips  # two statements and the commit
        trips.clear()
        async with db.begin() as conn:
            await conn.execute(insert(_notes), [{"note": "quatre"}, {"note": "cinq"}])
        assert len(trips) == 2, trips  # several parameter sets in one, and the commit
        async with db.read() as conn:
            assert (await conn.execute(select(_notes.c.note))).scalars().all() == [
                "1",
                "deux",
                "trois",
                "quatre",
                "cinq",
            ]
    finally:
        await db.dispose()
