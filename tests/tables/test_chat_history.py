"""The Little Girl reads only what the pack says while she spies, never its earlier talk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

from sqlalchemy import insert, select

from estaminet.cli import DEMO_VENUE
from estaminet.games.werewolf import game as game_module
from estaminet.games.werewolf.game import GAME
from estaminet.kernel.activity import Viewer
from estaminet.live.schema import activities
from estaminet.store import Database
from estaminet.tables import chat as table_chat
from estaminet.tables.schema import activity_chat
from estaminet.venue.plan import load_venue
from estaminet.venue.rooms import apply_venue
from estaminet.venue.schema import rooms
from tests.conftest import FixedClock
from tests.support.databases import statements

NIGHT_ONE = datetime(2026, 12, 3, 21, 0, tzinfo=UTC)
ROLES = ["werewolf", "werewolf", "little_girl", "villager", "villager", "villager"]


async def new_table(db: Database, clock: FixedClock) -> int:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    async with db.begin() as conn:
        room_id = (await conn.execute(select(rooms.c.id).limit(1))).scalar_one()
        return int(
            (
                await conn.execute(
                    insert(activities)
                    .values(
                        kind="game",
                        key="werewolf",
                        room_id=room_id,
                        title="Soirée",
                        status="running",
                        options={},
                        created_at=clock(),
                        last_seq=0,
                    )
                    .returning(activities.c.id)
                )
            ).scalar_one()
        )


async def say(db: Database, table_id: int, body: str, at: datetime) -> None:
    async with db.begin() as conn:
        await conn.execute(
            insert(activity_chat).values(
                activity_id=table_id,
                channel="wolves",
                author_id=None,
                author_name="Loup",
                seat=0,
                body=body,
                at=at,
            )
        )


async def test_little_girl_reads_only_what_is_said_while_she_spies(
    db: Database, clock: FixedClock
) -> None:
    table_id = await new_table(db, clock)
    options = {**GAME.default_options(), "captain": False, "little_girl_risk": 0}
    options["composition"] = {"werewolf": 2, "little_girl": 1, "villager": 3}
    with mock.patch.object(game_module, "_deal", return_value=(ROLES, [])):
        state = GAME.setup(6, options, 5, NIGHT_ONE)
    await say(db, table_id, "on mange Hugo demain", NIGHT_ONE - timedelta(days=1))
    await say(db, table_id, "elle a l'air louche", NIGHT_ONE + timedelta(seconds=5))
    spying = NIGHT_ONE + timedelta(seconds=10)
    events = GAME.apply(state, 2, {"type": "spy"}, spying)
    assert isinstance(events, list)
    for event in events:
        state = GAME.evolve(state, event)
    await say(db, table_id, "Chloé, ce soir", spying + timedelta(seconds=3))
    girl = Viewer.player(2)
    rights = table_chat.permissions(GAME, state, girl)
    assert "wolves_anonymous" in rights["read"]
    since = table_chat.history_from(GAME, state, girl)
    assert since == {"wolves_anonymous": spying}
    async with db.read() as conn:
        logs = await table_chat.history(conn, table_id, rights["read"], since=since)
        wolf = await table_chat.history(conn, table_id, ["wolves"])
    assert [m.body for m in logs["wolves_anonymous"]] == ["Chloé, ce soir"]
    assert len(wolf["wolves"]) == 3  # the pack reads its whole talk


async def test_a_channel_s_history_is_one_bounded_page_whatever_its_start(
    db: Database, clock: FixedClock
) -> None:
    """A nightfall reads each channel's history on the event loop's thread: the read is the
    channel's last page along its index, never a walk through its earlier talk to find where
    a viewer's start falls; the start is applied to that page, so nothing said before it
    reaches the viewer however much was said."""
    table_id = await new_table(db, clock)
    start = NIGHT_ONE + timedelta(minutes=5)
    for n in range(80):  # a long first night of the pack's talk
        await say(db, table_id, f"avant {n}", NIGHT_ONE + timedelta(seconds=n))
    await say(db, table_id, "pendant", start + timedelta(seconds=1))
    with statements(db) as sent:
        async with db.read_now() as conn:
            logs = await table_chat.history(
                conn, table_id, ["wolves_anonymous"], since={"wolves_anonymous": start}
            )
            whole = await table_chat.history(conn, table_id, ["wolves"], limit=100)
    assert [m.body for m in logs["wolves_anonymous"]] == ["pendant"]
    assert len(whole["wolves"]) == 81
    reads = [s for s in sent if "FROM activity_chat" in s]
    assert len(reads) == 2 and all("LIMIT" in s for s in reads)
    assert not any("activity_chat.at" in s.split("WHERE", 1)[1] for s in reads), reads
