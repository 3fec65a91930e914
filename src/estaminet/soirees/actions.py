"""The write path of soirées: open one, join and leave it, lead it to its next game, end it.

Each function runs in one transaction. The tables themselves are the game-table
feature's (``tables.actions``): the soirée opens its next table there and brings
its people to it; who may lead is decided in ``people.access``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.agenda.events import access_event
from estaminet.agenda.recurrence import occurrence_at
from estaminet.games.kit import get as get_game
from estaminet.kernel.activity import Activity
from estaminet.kernel.errors import BadInput, Conflict, Forbidden, NotFound
from estaminet.kernel.i18n import N_, Nn_
from estaminet.people.access import can_lead_soiree, can_open_soiree
from estaminet.people.model import User
from estaminet.people.queries import display_names
from estaminet.soirees.schema import soiree_games, soiree_members, soirees
from estaminet.store import Database
from estaminet.tables import actions as tables
from estaminet.tables.model import TableInfo
from estaminet.venue.plan import RoomKind
from estaminet.venue.rooms import Room, slug_of_room

__all__ = [
    "MAX_GAMES",
    "MAX_TITLE",
    "Member",
    "SoireeGame",
    "SoireeInfo",
    "agenda_date",
    "create_soiree",
    "end_soiree",
    "forget_person",
    "join_soiree",
    "leave_soiree",
    "load_soiree",
    "memberships_of",
    "next_game",
    "open_soirees",
    "past_soirees",
    "soiree_of_table",
]

MAX_GAMES = 6
MAX_TITLE = 60
ROLES = ("player", "watcher")


@dataclass(frozen=True)
class SoireeGame:
    position: int
    key: str
    table_id: int | None


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    role: str  # player, watcher


@dataclass(frozen=True)
class SoireeInfo:
    id: int
    title: str
    room_id: int
    room_slug: str
    host_id: str | None
    event_id: int | None
    occurrence: str | None
    status: str  # open, ended
    position: int
    created_at: datetime
    ended_at: datetime | None
    games: tuple[SoireeGame, ...]
    members: tuple[Member, ...]

    @property
    def topic(self) -> str:
        return f"soiree:{self.id}"

    @property
    def current(self) -> SoireeGame | None:
        return self.games[self.position] if 0 <= self.position < len(self.games) else None

    @property
    def upcoming(self) -> SoireeGame | None:
        following = self.position + 1
        return self.games[following] if following < len(self.games) else None

    def member(self, user_id: str) -> Member | None:
        return next((m for m in self.members if m.user_id == user_id), None)

    @property
    def players(self) -> list[Member]:
        return [m for m in self.members if m.role == "player"]

    @property
    def watchers(self) -> list[Member]:
        return [m for m in self.members if m.role == "watcher"]


async def load_soiree(conn: AsyncConnection, soiree_id: int) -> SoireeInfo:
    row = (await conn.execute(select(soirees).where(soirees.c.id == soiree_id))).first()
    slug = None if row is None else await slug_of_room(conn, row.room_id)
    if row is None or slug is None:
        raise NotFound("soirees/unknown", N_("This soirée does not exist (any more)."))
    games = await conn.execute(
        select(soiree_games).where(soiree_games.c.soiree_id == soiree_id).order_by("position")
    )
    people = (
        await conn.execute(
            select(soiree_members)
            .where(soiree_members.c.soiree_id == soiree_id)
            .order_by(soiree_members.c.joined_at, soiree_members.c.user_id)
        )
    ).all()
    names = await display_names(conn, {p.user_id for p in people})
    return SoireeInfo(
        id=row.id,
        title=row.title,
        room_id=row.room_id,
        room_slug=slug,
        host_id=row.host_id,
        event_id=row.event_id,
        occurrence=row.occurrence,
        status=row.status,
        position=row.position,
        created_at=row.created_at,
        ended_at=row.ended_at,
        games=tuple(SoireeGame(g.position, g.game_key, g.table_id) for g in games),
        members=tuple(
            Member(p.user_id, names[p.user_id], p.role) for p in people if p.user_id in names
        ),
    )


async def open_soirees(conn: AsyncConnection, room: Room) -> list[SoireeInfo]:
    """The room's soirées still open, the newest first."""
    ids = await conn.execute(
        select(soirees.c.id)
        .where(soirees.c.room_id == room.id, soirees.c.status == "open")
        .order_by(soirees.c.id.desc())
    )
    return [await load_soiree(conn, row.id) for row in ids]


async def past_soirees(conn: AsyncConnection, room: Room, limit: int = 5) -> list[SoireeInfo]:
    """The room's latest soirées that are over (their pages keep the scoreboard and podium)."""
    ids = await conn.execute(
        select(soirees.c.id)
        .where(soirees.c.room_id == room.id, soirees.c.status == "ended")
        .order_by(soirees.c.ended_at.desc(), soirees.c.id.desc())
        .limit(limit)
    )
    return [await load_soiree(conn, row.id) for row in ids]


async def soiree_of_table(conn: AsyncConnection, table_id: int) -> int | None:
    """The soirée a game table was opened for, if any."""
    row = (
        await conn.execute(
            select(soiree_games.c.soiree_id).where(soiree_games.c.table_id == table_id)
        )
    ).first()
    return None if row is None else int(row.soiree_id)


async def agenda_date(
    conn: AsyncConnection, user: User, value: str, zone: ZoneInfo
) -> tuple[int, str]:
    """The agenda's date a soirée belongs to, from the form's ``<event id>:<date key>``: an
    event ``user`` may see, and one of its dates; else ``soirees/bad_event``."""
    event_id, _, key = value.partition(":")
    refused = BadInput("soirees/bad_event", N_("This agenda date does not exist."))
    if not event_id.isascii() or not event_id.isdigit() or len(event_id) > 9:
        raise refused
    try:
        found = await access_event(conn, user, int(event_id))
        occurrence_at(found.series, zone, key)
    except (NotFound, Conflict):
        raise refused from None
    return found.id, key


def _check_title(title: str) -> str:
    text = " ".join((title or "").split())
    if not text:
        raise BadInput("soirees/title_empty", N_("Give the soirée a name."))
    if len(text) > MAX_TITLE:
        raise BadInput(
            "soirees/title_long",
            N_("A soirée's name has at most %(max)s characters."),
            max=MAX_TITLE,
        )
    return text


def _check_games(keys: Sequence[str]) -> list[str]:
    chosen = [key for key in keys if key]
    if not chosen:
        raise BadInput("soirees/no_games", N_("Choose at least one game for the running order."))
    if len(chosen) > MAX_GAMES:
        raise BadInput(
            "soirees/too_many_games",
            Nn_("A soirée has at most %(max)s game.", "A soirée has at most %(max)s games."),
            max=MAX_GAMES,
        )
    for key in chosen:
        try:
            get_game(key)
        except LookupError:
            raise BadInput("soirees/unknown_game", N_("This game does not exist.")) from None
    return chosen


async def create_soiree(
    db: Database,
    user: User,
    room: Room,
    now: datetime,
    *,
    title: str,
    games: Sequence[str],
    event: tuple[int, str] | None = None,
) -> SoireeInfo:
    """An animator opens a soirée in a games room: its running order (``games``, keys in
    order) and, if there is one, the agenda's date it belongs to (event id, occurrence key;
    checked by the caller, who may see it)."""
    if not can_open_soiree(user):
        raise Forbidden("soirees/animators", N_("Only animators can open a soirée."))
    if room.kind is not RoomKind.GAMES:
        raise BadInput("soirees/not_a_games_room", N_("A soirée takes place in a games room."))
    text, keys = _check_title(title), _check_games(games)
    async with db.begin() as conn:
        created = await conn.execute(
            insert(soirees).values(
                title=text,
                room_id=room.id,
                host_id=user.id,
                event_id=event[0] if event else None,
                occurrence=event[1] if event else None,
                status="open",
                position=-1,
                created_at=now,
            )
        )
        key = created.inserted_primary_key
        assert key is not None
        soiree_id = int(key[0])
        await conn.execute(
            insert(soiree_games),
            [
                {"soiree_id": soiree_id, "position": position, "game_key": key}
                for position, key in enumerate(keys)
            ],
        )
        await conn.execute(
            insert(soiree_members).values(
                soiree_id=soiree_id, user_id=user.id, role="player", joined_at=now
            )
        )
        return await load_soiree(conn, soiree_id)


async def join_soiree(
    db: Database, user: User, soiree_id: int, role: str, now: datetime
) -> tuple[SoireeInfo, TableInfo | None]:
    """Join (or change one's role: play or watch); a game waiting for players takes them
    at once (a game in play: they watch it). Returns the soirée and the table they came to."""
    if role not in ROLES:
        raise BadInput("soirees/bad_role", N_("Choose to play or to watch."))
    async with db.begin() as conn:
        soiree = await load_soiree(conn, soiree_id)
        if soiree.status != "open":
            raise Conflict("soirees/ended", N_("This soirée is over."))
        current = soiree.member(user.id)
        if current is None:
            await conn.execute(
                insert(soiree_members).values(
                    soiree_id=soiree_id, user_id=user.id, role=role, joined_at=now
                )
            )
        elif current.role != role:
            await conn.execute(
                update(soiree_members)
                .where(soiree_members.c.soiree_id == soiree_id, soiree_members.c.user_id == user.id)
                .values(role=role)
            )
        table = None
        game = soiree.current
        if game is not None and game.table_id is not None:
            rules = get_game(game.key)
            wants = "player" if role == "player" else "spectator"
            if await tables.join_in(conn, user.id, game.table_id, wants, rules, now):
                table = await tables.load_table(conn, game.table_id)
        return await load_soiree(conn, soiree_id), table


async def leave_soiree(db: Database, user: User, soiree_id: int) -> SoireeInfo:
    """Stop following the soirée (a seat in a game in play stays: the game plays for you)."""
    async with db.begin() as conn:
        await load_soiree(conn, soiree_id)
        await conn.execute(
            delete(soiree_members).where(
                soiree_members.c.soiree_id == soiree_id, soiree_members.c.user_id == user.id
            )
        )
        return await load_soiree(conn, soiree_id)


def _require_lead(soiree: SoireeInfo, user: User) -> None:
    if not can_lead_soiree(user, soiree.host_id):
        raise Forbidden("soirees/not_host", N_("Only the animator of the soirée can do that."))


async def next_game(
    db: Database, user: User, soiree_id: int, room: Room, now: datetime
) -> tuple[SoireeInfo, TableInfo]:
    """Open the running order's next table and bring the soirée's people to it: its players
    sit (as many as the game seats; the others watch), its watchers watch. The animator hosts
    it and starts it from the table as usual (the game's options first, if they wish)."""
    async with db.begin() as conn:
        soiree = await load_soiree(conn, soiree_id)
        _require_lead(soiree, user)
        if soiree.status != "open":
            raise Conflict("soirees/ended", N_("This soirée is over."))
        following = soiree.upcoming
        if following is None:
            raise Conflict(
                "soirees/no_more_games",
                N_("That was the last game of the running order: you can end the soirée."),
            )
        current = soiree.current
        if current is not None and current.table_id is not None:
            playing = await tables.load_table(conn, current.table_id)
            if playing.status == "running":
                raise Conflict(
                    "soirees/game_running",
                    N_(
                        "The current game is still being played: wait for its end "
                        "(or end its table) before the next one."
                    ),
                )
        rules: Activity[Any] = get_game(following.key)
        me = soiree.member(user.id)
        table = await tables.create_table_in(
            conn,
            user,
            room,
            rules,
            now,
            title=_table_title(soiree.title, following.position),
            options={},
            creator_role="player" if me is not None and me.role == "player" else "spectator",
            players=[m.user_id for m in soiree.players],
            spectators=[m.user_id for m in soiree.watchers],
        )
        await conn.execute(
            update(soiree_games)
            .where(
                soiree_games.c.soiree_id == soiree_id,
                soiree_games.c.position == following.position,
            )
            .values(table_id=table.id)
        )
        await conn.execute(
            update(soirees).where(soirees.c.id == soiree_id).values(position=following.position)
        )
        return await load_soiree(conn, soiree_id), table


def _table_title(title: str, position: int) -> str:
    suffix = f" · {position + 1}"
    return title[: tables.MAX_TITLE - len(suffix)] + suffix


async def end_soiree(db: Database, user: User, soiree_id: int, now: datetime) -> SoireeInfo:
    """The evening is over: the scoreboard stays, as a podium, on the soirée's page."""
    async with db.begin() as conn:
        soiree = await load_soiree(conn, soiree_id)
        _require_lead(soiree, user)
        if soiree.status == "ended":
            return soiree
        await conn.execute(
            update(soirees).where(soirees.c.id == soiree_id).values(status="ended", ended_at=now)
        )
        return await load_soiree(conn, soiree_id)


async def memberships_of(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """The soirées ``user_id`` joined, and how (their export)."""
    rows = await conn.execute(
        select(soirees.c.id, soirees.c.title, soiree_members.c.role, soiree_members.c.joined_at)
        .join(soirees, soirees.c.id == soiree_members.c.soiree_id)
        .where(soiree_members.c.user_id == user_id)
        .order_by(soiree_members.c.joined_at)
    )
    return [
        {"soiree": row.id, "title": row.title, "role": row.role, "joined_at": row.joined_at}
        for row in rows
    ]


async def forget_person(conn: AsyncConnection, user_id: str) -> None:
    """A person leaves: out of every soirée; the soirées they opened no longer name them."""
    await conn.execute(delete(soiree_members).where(soiree_members.c.user_id == user_id))
    await conn.execute(update(soirees).where(soirees.c.host_id == user_id).values(host_id=None))
