"""The write path of game tables: create, sit, watch, leave, kick, hand over, start, end.

The rules of each game decide what happens inside a game; these functions
decide who sits where before and around it. Each one runs in one transaction.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.activity import Activity
from estaminet.kernel.errors import BadInput, Conflict, Forbidden, NotFound
from estaminet.kernel.i18n import N_, Msgid, Nn_
from estaminet.live import activities
from estaminet.live.engine import Engine, Live, new_seed
from estaminet.people.access import can_run_table, can_set_up_private_table
from estaminet.people.model import User
from estaminet.people.queries import with_names
from estaminet.store import Database
from estaminet.tables import practice as practice_rows
from estaminet.tables import votes
from estaminet.tables.model import Participant, TableInfo
from estaminet.tables.rules_info import rule_message
from estaminet.tables.schema import table_votes
from estaminet.venue.plan import RoomKind
from estaminet.venue.rooms import Room, slug_of_room

__all__ = [
    "create_practice",
    "create_table",
    "create_table_in",
    "end_table",
    "forget_host",
    "hand_over",
    "join_in",
    "join_table",
    "kick",
    "leave_table",
    "list_tables",
    "load_table",
    "participations_of",
    "pause_practice",
    "resume_practice",
    "set_options",
    "start_table",
    "vote",
]

MAX_TITLE = 60


_PEOPLE = with_names(activities.PARTICIPANTS, activities.PARTICIPANTS.selected_columns.user_id)
"""Everyone at a table, in the order they came, with the names they show: one statement,
built once, the columns a screen needs. With hundreds of spectators, their names asked
apart (one bound value per person) and their times of joining made into datetimes were
four fifths of reading a table."""


async def load_table(conn: AsyncConnection, table_id: int) -> TableInfo:
    record = await activities.load_activity(conn, table_id)
    slug = None if record is None else await slug_of_room(conn, record.room_id)
    if record is None or slug is None:
        raise NotFound("tables/unknown", N_("This table does not exist (any more)."))
    participants = tuple(
        Participant(user_id, name, role, seat, order)
        for user_id, role, seat, order, name in await conn.execute(_PEOPLE, {"activity": table_id})
    )
    return TableInfo(
        id=record.id,
        key=record.key,
        kind=record.kind,
        room_id=record.room_id,
        room_slug=slug,
        title=record.title,
        host_id=record.host_id,
        status=record.status,
        options=record.options,
        private=record.private,
        max_spectators=record.max_spectators,
        created_at=record.created_at,
        outcome=record.outcome,
        participants=participants,
        # The watchers' votes stay secret until the game is over.
        watch_votes=await votes.choices(conn, table_id) if record.status == "ended" else {},
        practice=await practice_rows.load_practice(conn, table_id),
    )


async def list_tables(conn: AsyncConnection, room: Room) -> list[TableInfo]:
    ids = await activities.activity_ids(conn, room.id, "game", open_only=True)
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
    async with db.begin() as conn:
        return await create_table_in(
            conn,
            user,
            room,
            rules,
            now,
            title=title,
            options=options,
            private=private,
            max_spectators=max_spectators,
            creator_role="narrator" if narrator else "player",
        )


async def create_table_in(
    conn: AsyncConnection,
    user: User,
    room: Room,
    rules: Activity[Any],
    now: datetime,
    *,
    title: str,
    options: Mapping[str, Any],
    private: bool = False,
    max_spectators: int = 50,
    creator_role: str = "player",
    players: Sequence[str] = (),
    spectators: Sequence[str] = (),
) -> TableInfo:
    """:func:`create_table` in the caller's transaction; the creator hosts it as
    ``creator_role`` (player, narrator or spectator), and ``players`` sit down with them
    (up to the game's size: the others watch) while ``spectators`` watch (a soirée's people,
    led to its next table)."""
    if room.kind is not RoomKind.GAMES:
        raise BadInput("tables/not_a_games_room", N_("Tables can only be set up in a games room."))
    if private and not can_set_up_private_table(user):
        raise Forbidden(
            "tables/private_for_members", N_("Only members can set up a private table.")
        )
    if not 0 <= max_spectators <= 1000:
        raise BadInput("tables/spectators", N_("Between 0 and 1000 spectators."))
    merged = {**rules.default_options(), **options}
    joiners = [activities.Joiner(user.id, creator_role)]
    seated = 1 if creator_role == "player" else 0
    for user_id in dict.fromkeys([*players, *spectators]):
        if user_id == user.id:
            continue
        wants = "player" if user_id in players and seated < rules.max_players else "spectator"
        seated += wants == "player"
        joiners.append(activities.Joiner(user_id, wants))
    table_id = await activities.create_activity(
        conn,
        kind="game",
        key=rules.key,
        room_id=room.id,
        title=_check_title(title),
        host_id=user.id,
        options=merged,
        now=now,
        private=private,
        max_spectators=max(max_spectators, sum(j.role == "spectator" for j in joiners)),
        participants=joiners,
    )
    return await load_table(conn, table_id)


async def join_in(
    conn: AsyncConnection,
    user_id: str,
    table_id: int,
    role: str,
    rules: Activity[Any],
    now: datetime,
) -> bool:
    """Bring someone to a table in the caller's transaction, as best it can: a player sits
    while the lobby has a free seat, else watches. ``False`` if they could not come (the
    table has ended, or they are already at it)."""
    table = await load_table(conn, table_id)
    if table.status == "ended" or table.participant(user_id) is not None:
        return False
    sits = role == "player" and table.status == "lobby" and len(table.players) < rules.max_players
    await activities.add_participant(
        conn, table_id, user_id, "player" if sits else "spectator", now
    )
    return True


async def create_practice(
    db: Database,
    user: User,
    room: Room,
    rules: Activity[Any],
    now: datetime,
    *,
    bots: int,
    title: str,
) -> TableInfo:
    """A practice table: ``user`` narrates (apprentice mode) and a bot sits in every seat.

    It is private to its narrator (never listed to others) and never counted in any score;
    its lobby sets the cards as for a real table, then the narrator starts it.
    """
    if room.kind is not RoomKind.GAMES:
        raise BadInput("tables/not_a_games_room", N_("Tables can only be set up in a games room."))
    defaults = rules.default_options()
    if practice_rows.bot_policy(rules) is None or "narrator" not in defaults:
        raise BadInput("tables/no_practice", N_("This game has no practice table."))
    if not rules.min_players <= bots <= rules.max_players:
        raise BadInput(
            "tables/practice_count",
            N_("A practice table has %(min)s to %(max)s players."),
            min=rules.min_players,
            max=rules.max_players,
        )
    async with db.begin() as conn:
        table_id = await activities.create_activity(
            conn,
            kind="game",
            key=rules.key,
            room_id=room.id,
            title=_check_title(title),
            host_id=user.id,
            options={**defaults, "narrator": "human"},
            now=now,
            private=True,
            max_spectators=0,
            participants=[activities.Joiner(user.id, "narrator")],
        )
        await practice_rows.add_practice(conn, table_id, bots)
        return await load_table(conn, table_id)


async def _toggle_practice(
    db: Database, engine: Engine, host: User, table_id: int, now: datetime, *, paused: bool
) -> TableInfo:
    table = await _loaded(db, table_id)
    _require_host(table, host)
    if table.practice is None:
        raise BadInput("tables/not_practice", N_("This is not a practice table."))
    if table.status != "running" or table.practice.paused == paused:
        return table
    await engine.latest(table_id)  # read before the transaction (resuming its timer)
    async with db.begin() as conn:
        lasted = await practice_rows.set_paused(conn, table_id, now, paused=paused)
        if paused:
            # Nothing moves while paused: neither the bots nor the table's timers.
            await engine.suspend_timer(conn, table_id)
        else:
            await engine.resume_timer(conn, table_id, lasted)
        return await load_table(conn, table_id)


async def pause_practice(
    db: Database, engine: Engine, host: User, table_id: int, now: datetime
) -> TableInfo:
    """The narrator pauses the practice: the bots and the step's timer wait."""
    return await _toggle_practice(db, engine, host, table_id, now, paused=True)


async def resume_practice(
    db: Database, engine: Engine, host: User, table_id: int, now: datetime
) -> TableInfo:
    """The practice goes on: the timer resumes with the time it had left, the bots too."""
    return await _toggle_practice(db, engine, host, table_id, now, paused=False)


async def _loaded(db: Database, table_id: int) -> TableInfo:
    async with db.read() as conn:
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
            if table.practice is not None:
                raise Conflict(
                    "tables/practice_seats", N_("At a practice table, bots sit in every seat.")
                )
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
            await activities.set_participant_role(conn, table_id, user.id, role)
        else:
            await activities.add_participant(conn, table_id, user.id, role, now)
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
        await activities.remove_participant(conn, table_id, user.id)
        if table.host_id == user.id and table.status == "lobby":
            await _pass_host(conn, table, exclude=user.id)
        return await load_table(conn, table_id)


async def _pass_host(conn: AsyncConnection, table: TableInfo, *, exclude: str) -> None:
    """The host left: the next person who joined becomes host (nobody: the table closes)."""
    heirs = [p for p in table.participants if p.user_id != exclude and p.role != "spectator"]
    heir = heirs[0].user_id if heirs else None
    await activities.set_host(conn, table.id, heir, close=heir is None and table.status == "lobby")


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
        await activities.remove_participant(conn, table_id, target_id)
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
        await activities.set_host(conn, table_id, target_id)
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
        if table.practice is not None:
            merged["narrator"] = "human"  # practising is narrating
        await activities.set_activity_options(conn, table_id, merged)
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
        count = table.seat_count
        if not rules.min_players <= count <= rules.max_players:
            raise Conflict(
                "tables/count",
                Nn_(
                    "This game needs %(min)s to %(max)s players (there is %(count)s).",
                    "This game needs %(min)s to %(max)s players (there are %(count)s).",
                ),
                min=rules.min_players,
                max=rules.max_players,
                count=count,
            )
        rejection = rules.validate_options(table.options, count)
        if rejection is not None:
            raise BadInput(
                rejection.code, _options_message(rules, rejection.code), **rejection.params
            )
        seed = new_seed()
        order = list(players) if table.practice is None else []
        random.Random(seed).shuffle(order)  # seats drawn by lot, reproducible from the seed
        for seat, player in enumerate(order):
            await activities.set_seat(conn, table_id, player.user_id, seat)
        live = await engine.start(conn, table_id, rules.key, count, table.options, seed, now)
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


async def vote(db: Database, user: User, table_id: int, seat: object, now: datetime) -> int:
    """Record ``user``'s vote for ``seat`` at ``table_id``; returns the seat."""
    async with db.begin() as conn:
        table = await load_table(conn, table_id)
        me = table.participant(user.id)
        if me is not None and me.role != "spectator":
            raise Forbidden(
                "tables/vote_players",
                N_("The vote is for the watchers: the people at the table do not vote."),
            )
        if me is None:
            raise Forbidden("tables/vote_watch_first", N_("Watch the table to vote."))
        if table.status != "running":
            raise Conflict(
                "tables/vote_closed", N_("The watchers vote while the game is being played.")
            )
        seats = {p.seat for p in table.players if p.seat is not None}
        number = votes.seat_number(seat)
        if number is None or number not in seats:
            raise BadInput("tables/vote_seat", N_("Choose one of the players."))
        if await votes.vote_of(conn, table_id, user.id) is not None:
            raise Conflict("tables/voted", N_("You have already voted at this table."))
        await conn.execute(
            insert(table_votes).values(activity_id=table_id, voter_id=user.id, seat=number, at=now)
        )
        return number


async def participations_of(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """Every table ``user_id`` sat at, watched or narrated (their export)."""
    return await activities.participations(conn, user_id)


async def forget_host(conn: AsyncConnection, user_id: str) -> None:
    """A person leaves: the game tables they opened no longer name them as host."""
    await activities.forget_host(conn, user_id, kind="game")
