"""Migrations build exactly the tables the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command

from estaminet.store import Database
from estaminet.store.migrate import alembic_config, upgrade


def test_migrations_match_the_tables(database_url: str) -> None:
    # ``database_url`` is already upgraded to head; ``check`` fails if the code's
    # tables differ from what the migrations built.
    command.check(alembic_config(database_url))


def test_migrations_upgrade_is_idempotent(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)


async def test_store_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        async with db.read() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
    finally:
        await db.dispose()
    assert mode == "wal" and fks == 1


async def test_store_utc_datetimes_round_trip(db: Database) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import insert, select

    from estaminet.people.schema import users

    brussels = timezone(timedelta(hours=1))
    moment = datetime(2026, 3, 29, 2, 30, tzinfo=brussels)
    async with db.begin() as conn:
        await conn.execute(
            insert(users).values(id="u1", display_name="T", role="guest", created_at=moment)
        )
    async with db.read() as conn:
        stored = (await conn.execute(select(users.c.created_at))).scalar_one()
    assert stored == moment and stored.tzinfo is not None
    assert stored.utcoffset() == UTC.utcoffset(None)
