"""Migration 0008: people already there are not shown the first visit's tour; newcomers are."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import insert, select, text

from estaminet.people.schema import users
from estaminet.store import Database
from estaminet.store.migrate import alembic_config, upgrade
from tests.support.databases import fresh_database

BEFORE = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
AFTER = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)


async def _arrive_before(url: str) -> None:
    db = Database(url)
    try:
        async with db.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, display_name, role, created_at, inbox_seq)"
                    " VALUES ('old', 'Ancienne', 'member', :at, 0)"
                ),
                {"at": BEFORE.replace(tzinfo=None) if "sqlite" in url else BEFORE},
            )
    finally:
        await db.dispose()


async def _arrive_after_and_read(url: str) -> dict[str, datetime | None]:
    db = Database(url)
    try:
        async with db.begin() as conn:
            await conn.execute(
                insert(users).values(
                    id="new", display_name="Nouveau", role="guest", created_at=AFTER
                )
            )
        async with db.read() as conn:
            rows = await conn.execute(select(users.c.id, users.c.toured_at))
            return {row.id: row.toured_at for row in rows}
    finally:
        await db.dispose()


def test_migration_0008_spares_people_already_there_the_tour(
    database_backend: str, tmp_path: Path
) -> None:
    with fresh_database(database_backend, tmp_path, migrate=False) as url:
        upgrade(url, "0007")
        asyncio.run(_arrive_before(url))
        upgrade(url)
        command.check(alembic_config(url))
        toured = asyncio.run(_arrive_after_and_read(url))
    assert toured["new"] is None  # a newcomer gets the tour
    old = toured["old"]
    assert old is not None and old.astimezone(UTC) == BEFORE  # toured on arrival: no tour
