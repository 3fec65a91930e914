"""The write path of game tables: create, sit, watch, leave, kick, hand over, start, end.

The rules of each game decide what happens inside a game; these functions
decide who sits where before and around it. Each one runs in one transaction.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.activity import Activity
from estaminet.kernel.errors import BadInput, Conflict, Forbidden, NotFound
from estaminet.kernel.i18n import N_, Msgid, Nn_
from estaminet.live.engine import Engine, Live, new_seed
from estaminet.live.schema import activities, activity_participants
from estaminet.people.access import can_run_table, can_set_up_private_table
from estaminet.people.model import User
from estaminet.people.schema import users
from estaminet.store import Database
from estaminet.tables.model import Participant, TableInfo
from estaminet.tables.rules_info import rule_message
from estaminet.venue.plan import RoomKind
from estaminet.venue.rooms import Room
from estaminet.venue.schema import rooms

__all__ = [
    "create_table",
    "end_table",
    "hand_over",
    "join_table",
    "kick",
    "leave_table",
    "list_tables",
    "load_table",
    "participations_of",
    "set_options",
    "start_table",
]

MAX_TITLE = 60


async def load_table(conn: AsyncConnection, table_id: int) -> TableInfo:
    row = (
        await conn.execute(
            select(activities, rooms.c.slug)
            .join(rooms, rooms.c.id == activities.c.room_id)
            .where(activities.c.id == table_id)
        )
    ).first()
    if row is None:
        raise NotFound("tables/unknown", N_("This table does not exist (any more)."))
    m = row._mapping
    people = await conn.execute(
        select(activity_participants, users.c.display_name)
        .join(users, users.c.id == activity_participants.c.user_id)
        .where(activity_participants.c.activity_id == table_id)
        .order_by(activity_participants.c.order)
    )
    participants = tuple(
        Participant(p.user_id, p.display_name, p.role, p.seat, p.order) for p in people
    )
    return TableInfo(
        id=m["id"],
        key=m["key"],
        kind=m["kind"],
        room_id=m["room_id"],
        room_slug=m["slug"],
        title=m["title"],
        host_id=m["host_id"],
        status=m["status"],
        options=dict(m["options"] or {}),
        private=bool(m["private"]),
        max_spectators=m["max_spectators"],
        created_at=m["created_at"],
        outcome=m["outcome"],
        participants=participants,
    )


async def list_tables(conn: AsyncConnection, room: Room) -> list[TableInfo]:
    ids = (
        await conn.execute(
            select(activities.c.id)
            .where(
                activities.c.room_id == room.id,
                activities.c.kind == "game",
                activities.c.status != "ended",
            )
            .order_by(activities.c.created_at)
        )
    ).scalars()
    return [await load_table(conn, table_id) for table_id in ids]


def _check_title(title: str) -> str:
    text = " ".join((title or "").split())
    if not text:
        raise BadInput("tables/title_empty", N_("Give the table a name."))
    if len(text) > MAX_TITLE:
        raise BadInput(
            "tables/title_long", N_("A table name has at most %(max)s characters."), max=MAX_TITLE
        )
    return text


async def create_table(
    db: Database,
    user: User,
    room: Room,
    rules: Activity[Any],
    now: datetime,
    *,
    title: str,
    options: Mapping[str, Any],
    private: bool = False,
    max_spectators: int = 50,
    narrator: bool = False,
) -> TableInfo:
    """A new table in a games room; its creator hosts it and sits (or narrates)."""
    if room.kind is not RoomKind.GAMES:
        raise BadInput("tables/not_a_games_room", N_("Tables can only be set up in a games room."))
    if private and not can_set_up_private_table(user):
        raise Forbidden(
            "tables/private_for_members", N_("Only members can set up a private table.")
        )
    if not 0 <= max_spectators <= 1000:
        raise BadInput("tables/spectators", N_("Between 0 and 1000 spectators."))
    merged = {**rules.default_options(), **options}
    async with db.begin() as conn:
        result = await conn.execute(
            insert(activities)
            .values(
                kind="game",
                key=rules.key,
                room_id=room.id,
                title=_check_title(title),
                host_id=user.id,
                status="lobby",
                options=merged,
                private=int(private),
                max_spectators=max_spectators,
                created_at=now,
                last_seq=0,
            )
            .returning(activities.c.id)
        )
        table_id = int(result.scalar_one())
        await conn.execute(
            insert(activity_participants).values(
                activity_id=table_id,
                user_id=user.id,
                role="narrator" if narrator else "player",
                joined_at=now,
                order=0,
            )
        )
        return await load_table(conn, table_id)


async def join_table(
    db: Database, user: User, table_id: int, role: str, rules: Activity[Any], now: datetime
) -> TableInfo:
    """Sit as a player (before the start) or watch as a spectator (any time)."""
    if role not in ("player", "spectator"):
        raise BadInput("tables/bad_role", N_("Choose to play or to watch."))
    async with db.begin() as conn:
        table = await load_table(conn, table_id)
        current = table.participant(user.id)
        if current is not None and current.role == role:
            return table
        if table.status == "ended":
            raise Conflict("tables/ended", N_("This table has finished."))
        if role == "player":
            if table.status != "lobby":
                raise Conflict("tables/started", N_("The game has started: you can watch it."))
            if current is not None and current.role == "narrator":
                raise Conflict("tables/narrator", N_("The narrator does not play."))
            if len(table.players) >= rules.max_players:
                raise Conflict("tables/full", N_("The table is full: you can watch the game."))
        elif len(table.spectators) >= table.max_spectators:
            raise Conflict(
                "tables/no_room_to_watch", N_("There is no room left to watch this table.")
            )
        if current is not None:
            if current.seat is not None:
                raise Conflict("tables/seated", N_("You are playing at this table."))
            await conn.execute(
                update(activity_participants)
                .where(
                    activity_participants.c.activity_id == table_id,
                    activity_participants.c.user_id == user.id,
                )
                .values(role=role)
            )
        else:
            order = (
                await conn.execute(
                    select(func.coalesce(func.max(activity_participants.c.order), 0)).where(
                        activity_participants.c.activity_id == table_id
                    )
                )
            ).scalar_one()
            await conn.execute(
                insert(activity_participants).values(
                    activity_id=table_id,
                    user_id=user.id,
                    role=role,
                    joined_at=now,
                    order=int(order) + 1,
                )
            )
        return await load_table(conn, table_id)


async def leave_table(db: Database, user: User, table_id: int) -> TableInfo:
    """Leave the lobby or stop watching. A seated player keeps the seat during a game."""
    async with db.begin() as conn:
        table = await load_table(conn, table_id)
        current = table.participant(user.id)
        if current is None:
            return table
        if current.seat is not None and table.status == "running":
            raise Conflict(
                "tables/seat_kept",
                N_("Your seat is kept during the game: the game plays for you if you are away."),
            )
        await conn.execute(
            delete(activity_participants).where(
                activity_participants.c.activity_id == table_id,
                activity_participants.c.user_id == user.id,
            )
        )
        if table.host_id == user.id and table.status == "lobby":
            await _pass_host(conn, table, exclude=user.id)
        return await load_table(conn, table_id)


async def _pass_host(conn: AsyncConnection, table: TableInfo, *, exclude: str) -> None:
    """The host left: the next person who joined becomes host (nobody: the table closes)."""
    heirs = [p for p in table.participants if p.user_id != exclude and p.role != "spectator"]
    heir = heirs[0].user_id if heirs else None
    values: dict[str, Any] = {"host_id": heir}
    if heir is None and table.status == "lobby":
        values["status"] = "ended"
    await conn.execute(update(activities).where(activities.c.id == table.id).values(**values))


def _require_host(table: TableInfo, user: User) -> None:
    if not can_run_table(user, table.host_id):
        raise Forbidden("tables/not_host", N_("Only the host of the table can do that."))


async def kick(db: Database, host: User, table_id: int, target_id: str) -> TableInfo:
    """The host removes someone from the lobby or the spectators."""
    async with db.begin() as conn:
        table = await load_table(conn, table_id)
        _require_host(table, host)
        target = table.participant(target_id)
        if target is None or target_id == host.id:
            raise NotFound("tables/not_here", N_("This person is not at the table."))
        if target.seat is not None and table.status == "running":
            raise Conflict(
                "tables/player_seated",
                N_(
                    "%(name)s plays in this game: a player's seat stays theirs until the end "
                    "(the game plays for them when they are away)."
                ),
                name=target.display_name,
            )
        await conn.execute(
            delete(activity_participants).where(
                activity_participants.c.activity_id == table_id,
                activity_participants.c.user_id == target_id,
            )
        )
        return await load_table(conn, table_id)


async def hand_over(db: Database, host: User, table_id: int, target_id: str) -> TableInfo:
    async with db.begin() as conn:
        table = await load_table(conn, table_id)
        _require_host(table, host)
        target = table.participant(target_id)
        if target is None or target.role == "spectator":
            raise BadInput(
                "tables/heir", N_("Hand the table over to someone who plays or narrates.")
            )
        await conn.execute(
            update(activities).where(activities.c.id == table_id).values(host_id=target_id)
        )
        return await load_table(conn, table_id)


async def set_options(
    db: Database, host: User, table_id: int, rules: Activity[Any], options: Mapping[str, Any]
) -> TableInfo:
    """The host changes the game's options before the start (known options, right types)."""
    defaults = rules.default_options()
    for key, value in options.items():
        if key not in defaults:
            raise BadInput("tables/unknown_option", N_("This option does not exist."))
        expected = defaults[key]
        if expected is not None and not isinstance(value, type(expected)):
            raise BadInput("tables/bad_option", N_("This option has a value that is not allowed."))
    async with db.begin() as conn:
        table = await load_table(conn, table_id)
        _require_host(table, host)
        if table.status != "lobby":
            raise Conflict("tables/started", N_("The game has started: you can watch it."))
        merged = {**table.options, **options}
        await conn.execute(
            update(activities).where(activities.c.id == table_id).values(options=merged)
        )
        return await load_table(conn, table_id)


async def start_table(
    db: Database, engine: Engine, host: User, table_id: int, rules: Activity[Any], now: datetime
) -> tuple[TableInfo, Live]:
    """Deal the seats (in a seeded random order) and start the game when the count fits."""
    async with db.begin() as conn:
        table = await load_table(conn, table_id)
        _require_host(table, host)
        if table.status != "lobby":
            raise Conflict("tables/started", N_("The game has started: you can watch it."))
        players = table.players
        if not rules.min_players <= len(players) <= rules.max_players:
            raise Conflict(
                "tables/count",
                Nn_(
                    "This game needs %(min)s to %(max)s players (there is %(count)s).",
                    "This game needs %(min)s to %(max)s players (there are %(count)s).",
                ),
                min=rules.min_players,
                max=rules.max_players,
                count=len(players),
            )
        rejection = rules.validate_options(table.options, len(players))
        if rejection is not None:
            raise BadInput(
                rejection.code, _options_message(rules, rejection.code), **rejection.params
            )
        seed = new_seed()
        order = list(players)
        random.Random(seed).shuffle(order)  # seats drawn by lot, reproducible from the seed
        for seat, player in enumerate(order):
            await conn.execute(
                update(activity_participants)
                .where(
                    activity_participants.c.activity_id == table_id,
                    activity_participants.c.user_id == player.user_id,
                )
                .values(seat=seat)
            )
        live = await engine.start(conn, table_id, rules.key, len(order), table.options, seed, now)
        return await load_table(conn, table_id), live


def _options_message(rules: Activity[Any], code: str) -> Msgid:
    return rule_message(rules, code, N_("These options do not fit this number of players."))


async def end_table(
    db: Database, engine: Engine, host: User, table_id: int, now: datetime
) -> TableInfo:
    async with db.begin() as conn:
        table = await load_table(conn, table_id)
        _require_host(table, host)
        if table.status == "ended":
            return table
        await engine.end(conn, table_id, now)
        return await load_table(conn, table_id)


async def participations_of(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """Every table ``user_id`` sat at, watched or narrated (their export)."""
    rows = await conn.execute(
        select(activities.c.title, activities.c.key, activities.c.status,
               activity_participants.c.role, activity_participants.c.seat,
               activity_participants.c.joined_at)
        .select_from(activity_participants.join(
            activities, activities.c.id == activity_participants.c.activity_id))
        .where(activity_participants.c.user_id == user_id)
        .order_by(activity_participants.c.joined_at)
    )  # fmt: skip
    return [dict(row._mapping) for row in rows]
