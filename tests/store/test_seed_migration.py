"""Migration 0004: an activity's 62-bit seed fits on PostgreSQL too, and old rows survive it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import insert, select

from estaminet.live.engine import SEED_BITS, new_seed
from estaminet.live.schema import activities, activity_events
from estaminet.store import Database
from estaminet.store.migrate import alembic_config, upgrade
from estaminet.venue.schema import rooms
from tests.support.databases import fresh_database

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


async def _rows(url: str) -> tuple[list[int | None], int]:
    db = Database(url)
    try:
        async with db.read() as conn:
            seeds = list((await conn.execute(select(activities.c.seed))).scalars())
            events = len((await conn.execute(select(activity_events.c.seq))).all())
    finally:
        await db.dispose()
    return seeds, events


def test_migration_0004_keeps_rows_and_stores_62_bit_seeds(
    database_backend: str, tmp_path: Path
) -> None:
    with fresh_database(database_backend, tmp_path, migrate=False) as url:
        upgrade(url, "0003")
        room = asyncio.run(_started_before_0004(url))
        upgrade(url)
        command.check(alembic_config(url))
        assert asyncio.run(_rows(url)) == ([2**31 - 1], 1)
        asyncio.run(_start_after_0004(url, room))
        assert asyncio.run(_rows(url))[0] == [2**31 - 1, 2**SEED_BITS - 1]


async def _started_before_0004(url: str) -> int:
    """A table started before 0004, with a seed that fitted in 32 bits, and its log."""
    db = Database(url)
    try:
        async with db.begin() as conn:
            room = (
                await conn.execute(
                    insert(rooms)
                    .values(
                        slug="jeux",
                        name_fr="Jeux",
                        name_en="Games",
                        description_fr="",
                        description_en="",
                        kind="games",
                        visibility="public",
                        x=0,
                        y=0,
                        w=1,
                        h=1,
                        voice="off",
                        sort=0,
                        last_seq=0,
                    )
                    .returning(rooms.c.id)
                )
            ).scalar_one()
            table = (
                await conn.execute(
                    insert(activities)
                    .values(
                        kind="game",
                        key="example",
                        room_id=room,
                        title="Avant",
                        status="running",
                        options={},
                        private=0,
                        max_spectators=50,
                        seed=2**31 - 1,
                        seats=2,
                        created_at=NOW,
                        last_seq=1,
                    )
                    .returning(activities.c.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(activity_events).values(
                    activity_id=table, seq=1, actor=0, data={"type": "x"}, at=NOW
                )
            )
    finally:
        await db.dispose()
    return int(room)


async def _start_after_0004(url: str, room: int) -> None:
    db = Database(url)
    try:
        async with db.begin() as conn:
            await conn.execute(
                insert(activities).values(
                    kind="game",
                    key="example",
                    room_id=room,
                    title="Après",
                    status="running",
                    options={},
                    private=0,
                    max_spectators=50,
                    seed=2**SEED_BITS - 1,
                    seats=2,
                    created_at=NOW,
                    last_seq=0,
                )
            )
    finally:
        await db.dispose()


def test_new_seed_is_drawn_on_62_bits() -> None:
    seeds = {new_seed() for _ in range(64)}
    assert all(0 <= seed < 2**SEED_BITS for seed in seeds)
    assert max(seeds) >= 2**31  # not confined to 32 bits (64 draws: practically certain)
