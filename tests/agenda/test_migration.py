"""Migration 0002 (the agenda) goes down and up again on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from estaminet.store import Database
from estaminet.store.migrate import alembic_config, upgrade

AGENDA_TABLES = {
    "agenda_events",
    "agenda_overrides",
    "agenda_answers",
    "agenda_notices",
    "agenda_feed_tokens",
}


async def _tables(url: str) -> set[str]:
    db = Database(url)
    try:
        async with db.read() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await db.dispose()


async def test_migration_agenda_downgrades_and_upgrades(database_url: str) -> None:
    assert await _tables(database_url) >= AGENDA_TABLES
    import asyncio

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0001")
    assert not AGENDA_TABLES & await _tables(database_url)
    await asyncio.to_thread(upgrade, database_url)
    assert await _tables(database_url) >= AGENDA_TABLES
