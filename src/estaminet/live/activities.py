"""The records of live activities and of who takes part, as the features that host them use them.

The engine's tables (``live/schema.py``) belong to the live package: a game table
(``estaminet.tables``) or an assembly sitting (``estaminet.sittings``) creates its
activity, seats people, hands the host role over and reads them back through these
functions, in the caller's transaction. Who may do what is decided by the caller;
the log, snapshots and timers are the engine's (``live/engine.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.live.schema import activities, activity_participants

__all__ = [
    "PARTICIPANTS",
    "ActivityRecord",
    "Joiner",
    "activity_ids",
    "add_participant",
    "create_activity",
    "forget_host",
    "load_activity",
    "participations",
    "remove_participant",
    "set_activity_options",
    "set_host",
    "set_participant_role",
    "set_seat",
]


@dataclass(frozen=True)
class ActivityRecord:
    """One activity as the hosting feature sees it (the engine's bookkeeping aside)."""

    id: int
    key: str
    kind: str
    room_id: int
    title: str
    host_id: str | None
    status: str
    options: dict[str, Any]
    private: bool
    max_spectators: int
    created_at: datetime
    outcome: dict[str, Any] | None
    seed: int | None = None
    """The seed drawn at the start (``None`` in the lobby): the rules' chance, and a practice
    table's bots, draw from it."""


@dataclass(frozen=True)
class Joiner:
    """Someone present from the creation of an activity."""

    user_id: str
    role: str
    seat: int | None = None


async def create_activity(
    conn: AsyncConnection,
    *,
    kind: str,
    key: str,
    room_id: int,
    title: str,
    host_id: str,
    options: Mapping[str, Any],
    now: datetime,
    private: bool = False,
    max_spectators: int = 50,
    participants: Sequence[Joiner] = (),
) -> int:
    """A new activity in its lobby; ``participants`` join in this order. Returns its id."""
    activity_id = (
        await conn.execute(
            insert(activities)
            .values(
                kind=kind,
                key=key,
                room_id=room_id,
                title=title,
                host_id=host_id,
                status="lobby",
                options=dict(options),
                private=int(private),
                max_spectators=max_spectators,
                created_at=now,
                last_seq=0,
            )
            .returning(activities.c.id)
        )
    ).scalar_one()
    if participants:
        await conn.execute(
            insert(activity_participants),
            [
                {
                    "activity_id": activity_id,
                    "user_id": joiner.user_id,
                    "role": joiner.role,
                    "seat": joiner.seat,
                    "joined_at": now,
                    "order": order,
                }
                for order, joiner in enumerate(participants)
            ],
        )
    return int(activity_id)


async def load_activity(conn: AsyncConnection, activity_id: int) -> ActivityRecord | None:
    row = (await conn.execute(select(activities).where(activities.c.id == activity_id))).first()
    if row is None:
        return None
    m = row._mapping
    return ActivityRecord(
        id=m["id"],
        key=m["key"],
        kind=m["kind"],
        room_id=m["room_id"],
        title=m["title"],
        host_id=m["host_id"],
        status=m["status"],
        options=dict(m["options"] or {}),
        private=bool(m["private"]),
        max_spectators=m["max_spectators"],
        created_at=m["created_at"],
        outcome=m["outcome"],
        seed=None if m["seed"] is None else int(m["seed"]),
    )


PARTICIPANTS = (
    select(
        activity_participants.c.user_id,
        activity_participants.c.role,
        activity_participants.c.seat,
        activity_participants.c.order,
    )
    .where(activity_participants.c.activity_id == bindparam("activity"))
    .order_by(activity_participants.c.order)
)
"""Everyone at an activity (the bound value ``activity``), in the order they came: user id,
role, seat, order. A statement, built once, for the hosting feature to complete (with the
names people show: :func:`estaminet.people.queries.with_names`) and run."""


async def activity_ids(
    conn: AsyncConnection,
    room_id: int,
    kind: str,
    *,
    open_only: bool = False,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[int]:
    """The room's activities of one kind, oldest first (or newest first); ``open_only``: not ended."""
    query = select(activities.c.id).where(
        activities.c.room_id == room_id, activities.c.kind == kind
    )
    if open_only:
        query = query.where(activities.c.status != "ended")
    if newest_first:
        query = query.order_by(activities.c.created_at.desc(), activities.c.id.desc())
    else:
        query = query.order_by(activities.c.created_at)
    if limit is not None:
        query = query.limit(limit)
    return [int(i) for i in (await conn.execute(query)).scalars()]


async def add_participant(
    conn: AsyncConnection, activity_id: int, user_id: str, role: str, now: datetime
) -> None:
    """``user_id`` joins last (no seat)."""
    order = (
        await conn.execute(
            select(func.coalesce(func.max(activity_participants.c.order), 0)).where(
                activity_participants.c.activity_id == activity_id
            )
        )
    ).scalar_one()
    await conn.execute(
        insert(activity_participants).values(
            activity_id=activity_id, user_id=user_id, role=role, joined_at=now, order=int(order) + 1
        )
    )


def _participant(activity_id: int, user_id: str) -> Any:
    return (
        activity_participants.c.activity_id == activity_id,
        activity_participants.c.user_id == user_id,
    )


async def set_participant_role(
    conn: AsyncConnection, activity_id: int, user_id: str, role: str
) -> None:
    await conn.execute(
        update(activity_participants).where(*_participant(activity_id, user_id)).values(role=role)
    )


async def set_seat(conn: AsyncConnection, activity_id: int, user_id: str, seat: int) -> None:
    await conn.execute(
        update(activity_participants).where(*_participant(activity_id, user_id)).values(seat=seat)
    )


async def remove_participant(conn: AsyncConnection, activity_id: int, user_id: str) -> None:
    await conn.execute(delete(activity_participants).where(*_participant(activity_id, user_id)))


async def set_host(
    conn: AsyncConnection, activity_id: int, host_id: str | None, *, close: bool = False
) -> None:
    """A new host (``None``: nobody); ``close`` also ends the activity (an empty lobby)."""
    values: dict[str, Any] = {"host_id": host_id}
    if close:
        values["status"] = "ended"
    await conn.execute(update(activities).where(activities.c.id == activity_id).values(**values))


async def set_activity_options(
    conn: AsyncConnection, activity_id: int, options: Mapping[str, Any]
) -> None:
    await conn.execute(
        update(activities).where(activities.c.id == activity_id).values(options=dict(options))
    )


async def participations(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """Every activity ``user_id`` took part in: title, key, status, role, seat, joined_at."""
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


async def forget_host(conn: AsyncConnection, user_id: str, *, kind: str) -> None:
    """A person leaves: the activities of ``kind`` they opened no longer name them as host."""
    await conn.execute(
        update(activities)
        .where(activities.c.host_id == user_id, activities.c.kind == kind)
        .values(host_id=None)
    )
