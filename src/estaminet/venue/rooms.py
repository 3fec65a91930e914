"""Rooms: the read model, access, and applying the venue file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.errors import Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.kernel.storable import is_storable_text
from estaminet.people.access import can_see_room
from estaminet.people.model import User
from estaminet.people.queries import user_id_by_email
from estaminet.store import Database
from estaminet.venue.plan import RoomKind, VenueSpec, Visibility, VoiceMode
from estaminet.venue.schema import room_team, rooms, venue_meta

__all__ = [
    "ROOMS_VERSION",
    "ApplyReport",
    "Room",
    "access_room",
    "apply_venue",
    "check_room_access",
    "list_rooms",
    "room_by_slug",
    "room_last_seq",
    "rooms_version",
    "set_team_member",
    "slug_of_room",
    "team_rooms",
    "venue_name",
    "visible_rooms",
]


@dataclass(frozen=True)
class Room:
    id: int
    slug: str
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str
    kind: RoomKind
    visibility: Visibility
    x: int
    y: int
    w: int
    h: int
    capacity: int | None
    voice: VoiceMode
    last_seq: int
    team: frozenset[str]

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_fr

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" else self.description_fr

    @property
    def topic(self) -> str:
        return f"room:{self.slug}"

    def visible_to(self, user: User) -> bool:
        return can_see_room(user, self.visibility, in_team=user.id in self.team)


async def _teams(conn: AsyncConnection) -> dict[int, frozenset[str]]:
    found: dict[int, set[str]] = {}
    for room_id, user_id in await conn.execute(select(room_team.c.room_id, room_team.c.user_id)):
        found.setdefault(room_id, set()).add(user_id)
    return {k: frozenset(v) for k, v in found.items()}


def _room(row: object, team: frozenset[str]) -> Room:
    m = row._mapping  # type: ignore[attr-defined]
    return Room(
        id=m["id"],
        slug=m["slug"],
        name_fr=m["name_fr"],
        name_en=m["name_en"],
        description_fr=m["description_fr"],
        description_en=m["description_en"],
        kind=RoomKind(m["kind"]),
        visibility=Visibility(m["visibility"]),
        x=m["x"],
        y=m["y"],
        w=m["w"],
        h=m["h"],
        capacity=m["capacity"],
        voice=VoiceMode(m["voice"]),
        last_seq=m["last_seq"],
        team=team,
    )


async def list_rooms(conn: AsyncConnection) -> list[Room]:
    """Every room in use, in plan order (top to bottom, left to right)."""
    teams = await _teams(conn)
    rows = await conn.execute(
        select(rooms).where(rooms.c.archived_at.is_(None)).order_by(rooms.c.y, rooms.c.x)
    )
    return [_room(row, teams.get(row._mapping["id"], frozenset())) for row in rows]


async def team_rooms(conn: AsyncConnection) -> list[Room]:
    """The rooms kept for a team, with their members (the people page manages them)."""
    return [room for room in await list_rooms(conn) if room.visibility is Visibility.TEAM]


async def slug_of_room(conn: AsyncConnection, room_id: int) -> str | None:
    """The address of a room (archived or not) by its id; ``None`` if there is no such room."""
    return (await conn.execute(select(rooms.c.slug).where(rooms.c.id == room_id))).scalar()


async def visible_rooms(conn: AsyncConnection, user: User) -> list[Room]:
    return [room for room in await list_rooms(conn) if room.visible_to(user)]


# Built once: every page and socket that enters a room reads it (a thousand at once after a
# restart), and a statement built for each read costs more than running it on SQLite.
_ROOM_BY_SLUG = select(rooms).where(
    rooms.c.slug == bindparam("slug"), rooms.c.archived_at.is_(None)
)
_TEAM_OF = select(room_team.c.user_id).where(room_team.c.room_id == bindparam("room"))


async def room_by_slug(conn: AsyncConnection, slug: str) -> Room | None:
    if len(slug) > 40 or not is_storable_text(slug):  # from an address: no room has it
        return None
    row = (await conn.execute(_ROOM_BY_SLUG, {"slug": slug})).first()
    if row is None:
        return None
    team = frozenset((await conn.execute(_TEAM_OF, {"room": row._mapping["id"]})).scalars())
    return _room(row, team)


_LAST_SEQ = select(rooms.c.last_seq).where(
    rooms.c.id == bindparam("room"), rooms.c.archived_at.is_(None)
)


async def room_last_seq(conn: AsyncConnection, room_id: int) -> int | None:
    """The last number of a room's chat topic, read afresh (``None`` if archived or gone):
    a catch-up's end, without reading the room and its team again (issue 20)."""
    found = (await conn.execute(_LAST_SEQ, {"room": room_id})).scalar()
    return None if found is None else int(found)


async def access_room(conn: AsyncConnection, user: User, slug: str) -> Room:
    """The only way to load a room for a person: it exists and they may enter it."""
    return check_room_access(await room_by_slug(conn, slug), user)


def check_room_access(room: Room | None, user: User) -> Room:
    """``room`` if ``user`` may enter it, else the refusal that says why."""
    if room is None:
        raise NotFound("venue/unknown_room", N_("This room does not exist."))
    if not room.visible_to(user):
        if room.visibility is Visibility.TEAM:
            raise Forbidden("venue/team_only", N_("This room is reserved for its team."))
        raise Forbidden("venue/members_only", N_("This room is for members."))
    return room


ROOMS_VERSION = "rooms_version"
"""The ``venue_meta`` key stamped each time the venue file is applied (see ``rooms_version``)."""


async def rooms_version(conn: AsyncConnection) -> str:
    """The stamp of the last venue file applied ('' if none): changes when rooms may have."""
    row = (
        await conn.execute(select(venue_meta.c.value).where(venue_meta.c.key == ROOMS_VERSION))
    ).first()
    return str(row[0]) if row else ""


async def venue_name(conn: AsyncConnection, default: str) -> str:
    row = (await conn.execute(select(venue_meta.c.value).where(venue_meta.c.key == "name"))).first()
    return str(row[0]) if row else default


@dataclass(frozen=True)
class ApplyReport:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    archived: tuple[str, ...]
    team_unknown: tuple[str, ...]


async def apply_venue(db: Database, spec: VenueSpec, now: datetime) -> ApplyReport:
    """Create and update rooms from ``spec``; rooms no longer listed are archived, never deleted."""
    created: list[str] = []
    updated: list[str] = []
    archived: list[str] = []
    unknown: list[str] = []
    async with db.begin() as conn:
        existing = {row._mapping["slug"]: row._mapping for row in await conn.execute(select(rooms))}
        for sort, spec_room in enumerate(spec.rooms):
            values = {
                "name_fr": spec_room.name_fr,
                "name_en": spec_room.name_en,
                "description_fr": spec_room.description_fr,
                "description_en": spec_room.description_en,
                "kind": spec_room.kind.value,
                "visibility": spec_room.visibility.value,
                "x": spec_room.x,
                "y": spec_room.y,
                "w": spec_room.w,
                "h": spec_room.h,
                "capacity": spec_room.capacity,
                "voice": spec_room.voice.value,
                "sort": sort,
                "archived_at": None,
            }
            if spec_room.slug in existing:
                await conn.execute(
                    update(rooms).where(rooms.c.slug == spec_room.slug).values(**values)
                )
                updated.append(spec_room.slug)
            else:
                await conn.execute(insert(rooms).values(slug=spec_room.slug, last_seq=0, **values))
                created.append(spec_room.slug)
            if spec_room.team:
                room_id = (
                    await conn.execute(select(rooms.c.id).where(rooms.c.slug == spec_room.slug))
                ).scalar_one()
                for email in spec_room.team:
                    user_id = await user_id_by_email(conn, email)
                    if user_id is None:
                        unknown.append(email)
                        continue
                    await conn.execute(
                        delete(room_team).where(
                            room_team.c.room_id == room_id, room_team.c.user_id == user_id
                        )
                    )
                    await conn.execute(insert(room_team).values(room_id=room_id, user_id=user_id))
        listed = {r.slug for r in spec.rooms}
        for slug, row in existing.items():
            if slug not in listed and row["archived_at"] is None:
                await conn.execute(
                    update(rooms).where(rooms.c.slug == slug).values(archived_at=now)
                )
                archived.append(slug)
        await conn.execute(delete(venue_meta).where(venue_meta.c.key == "name"))
        await conn.execute(insert(venue_meta).values(key="name", value=spec.name))
        # Running servers watch this stamp: rooms' visibility and teams may have changed.
        await conn.execute(delete(venue_meta).where(venue_meta.c.key == ROOMS_VERSION))
        await conn.execute(insert(venue_meta).values(key=ROOMS_VERSION, value=now.isoformat()))
    return ApplyReport(tuple(created), tuple(updated), tuple(archived), tuple(unknown))


async def set_team_member(db: Database, room: Room, user_id: str, *, member: bool) -> None:
    async with db.begin() as conn:
        await conn.execute(
            delete(room_team).where(room_team.c.room_id == room.id, room_team.c.user_id == user_id)
        )
        if member:
            await conn.execute(insert(room_team).values(room_id=room.id, user_id=user_id))
