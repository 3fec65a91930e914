"""The write path of sittings: convene an assembly (create, seat, start) and watch one.

Each function runs in one transaction; the caller announces the new live
state after commit (``Engine.announce``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.errors import BadInput, Conflict, Forbidden
from estaminet.kernel.i18n import N_
from estaminet.live import activities
from estaminet.live.engine import Engine, Live, new_seed
from estaminet.people.access import can_prepare_sitting
from estaminet.people.model import User
from estaminet.sittings.convocation import Convocation
from estaminet.store import Database
from estaminet.tables.actions import load_table
from estaminet.tables.model import TableInfo
from estaminet.venue.plan import RoomKind
from estaminet.venue.rooms import Room

__all__ = ["KIND", "convene", "list_sittings", "watch"]

KIND = "assembly"
"""The ``activities.kind`` (and activity key) of a sitting."""


async def convene(
    db: Database, engine: Engine, user: User, room: Room, convocation: Convocation, now: datetime
) -> tuple[TableInfo, Live]:
    """Create the sitting in an assembly room, seat everyone concerned and start it (convened)."""
    if not can_prepare_sitting(user):
        raise Forbidden(
            "sittings/not_animator", N_("Only an animator or an admin can prepare an assembly.")
        )
    if room.kind is not RoomKind.ASSEMBLY:
        raise BadInput(
            "sittings/not_an_assembly_room", N_("Assemblies are held in an assembly room.")
        )
    async with db.begin() as conn:
        sitting_id = await activities.create_activity(
            conn,
            kind=KIND,
            key=KIND,
            room_id=room.id,
            title=convocation.title,
            host_id=user.id,
            options=convocation.options,
            now=now,
            max_spectators=1000,
            participants=[
                activities.Joiner(user_id, "player", seat)
                for seat, user_id in enumerate(convocation.seats)
            ],
        )
        live = await engine.start(
            conn,
            int(sitting_id),
            KIND,
            len(convocation.seats),
            convocation.options,
            new_seed(),
            now,
        )
        return await load_table(conn, int(sitting_id)), live


async def watch(db: Database, user: User, sitting_id: int, now: datetime) -> TableInfo:
    """Follow the sitting as an observer (a spectator: no seat, no vote, the projector view)."""
    async with db.begin() as conn:
        sitting = await load_table(conn, sitting_id)
        if sitting.participant(user.id) is not None:
            return sitting
        if sitting.status == "ended":
            raise Conflict("sittings/closed", N_("This sitting is closed; read its minutes."))
        await activities.add_participant(conn, sitting_id, user.id, "spectator", now)
        return await load_table(conn, sitting_id)


async def list_sittings(conn: AsyncConnection, room: Room) -> list[TableInfo]:
    """The room's sittings, newest first."""
    ids = await activities.activity_ids(conn, room.id, KIND, newest_first=True, limit=50)
    return [await load_table(conn, sitting_id) for sitting_id in ids]
