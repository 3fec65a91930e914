"""Reads of the people feature (no writes here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.errors import Forbidden
from estaminet.kernel.i18n import N_
from estaminet.people.model import Role, User
from estaminet.people.schema import email_claims, moderation_log, notifications, sessions, users
from estaminet.store.keyset import KeysetPage, SortKey, read_page

__all__ = [
    "PEOPLE_PER_PAGE",
    "active_user",
    "display_names",
    "first_admin",
    "list_people",
    "moderation_entries",
    "namesake_suggestion",
    "password_hash_of",
    "people_not_banned",
    "people_page",
    "personal_data",
    "toured_at",
    "user_by_id",
    "user_from_row",
    "user_id_by_email",
    "users_by_ids",
    "with_names",
]


def user_from_row(row: Any) -> User:
    m = row._mapping
    return User(
        id=m["id"],
        display_name=m["display_name"],
        role=Role(m["role"]),
        email=m["email"],
        locale=m["locale"],
        has_password=bool(m["password_hash"]),
        created_at=m["created_at"],
        banned_at=m["banned_at"],
        inbox_seq=m.get("inbox_seq") or 0,
        unread=m.get("unread") or 0,
    )


async def active_user(conn: AsyncConnection, user_id: str) -> User:
    """The person behind a live connection, refused if they are gone or banned."""
    user = await user_by_id(conn, user_id)
    if user is None or user.banned:
        raise Forbidden("people/banned", N_("You can no longer enter this venue."))
    return user


async def user_by_id(conn: AsyncConnection, user_id: str) -> User | None:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    return user_from_row(row) if row else None


async def users_by_ids(conn: AsyncConnection, ids: set[str]) -> dict[str, User]:
    if not ids:
        return {}
    rows = await conn.execute(select(users).where(users.c.id.in_(ids)))
    return {u.id: u for u in map(user_from_row, rows)}


def with_names(query: Select[Any], user_id: ColumnElement[str]) -> Select[Any]:
    """``query`` with the name each person shows after its columns, joined on ``user_id``
    (one statement, however many people: rather than :func:`display_names` with one bound
    value per person)."""
    return query.add_columns(users.c.display_name).join(users, users.c.id == user_id)


async def display_names(conn: AsyncConnection, ids: set[str]) -> dict[str, str]:
    """The names shown for these people (ids of nobody are left out)."""
    if not ids:
        return {}
    rows = await conn.execute(select(users.c.id, users.c.display_name).where(users.c.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


async def user_id_by_email(conn: AsyncConnection, email: str) -> str | None:
    """Who holds this address (addresses are kept in lower case)."""
    return (await conn.execute(select(users.c.id).where(users.c.email == email.lower()))).scalar()


async def first_admin(conn: AsyncConnection) -> User | None:
    """The oldest admin who is not banned, if any."""
    row = (
        await conn.execute(
            select(users)
            .where(users.c.role == Role.ADMIN.value, users.c.banned_at.is_(None))
            .order_by(users.c.created_at)
            .limit(1)
        )
    ).first()
    return user_from_row(row) if row else None


async def people_not_banned(conn: AsyncConnection) -> list[tuple[str, str, Role]]:
    """Everyone who may still enter: (id, name, role), in no particular order."""
    rows = await conn.execute(
        select(users.c.id, users.c.display_name, users.c.role).where(users.c.banned_at.is_(None))
    )
    return [(user_id, name, Role(role)) for user_id, name, role in rows]


async def list_people(conn: AsyncConnection, limit: int = 500) -> list[User]:
    rows = await conn.execute(select(users).order_by(users.c.display_name).limit(limit))
    return [user_from_row(row) for row in rows]


PEOPLE_PER_PAGE = 50
_PEOPLE_ORDER = (
    SortKey(func.lower(users.c.display_name), "sort_name", str),
    SortKey(users.c.id, "sort_id", str),
)


async def people_page(
    conn: AsyncConnection,
    *,
    search: str = "",
    after: str | None = None,
    before: str | None = None,
    size: int = PEOPLE_PER_PAGE,
) -> KeysetPage[User]:
    """One page of people by name (case aside), those whose name contains ``search``.

    Raises ``BadCursor`` for a malformed cursor. The database lowers the case
    (SQLite only lowers ASCII letters: « élise » does not find « Élise » there).
    """
    query = select(users)
    if search:
        query = query.where(
            func.lower(users.c.display_name).contains(search.lower(), autoescape=True)
        )
    return await read_page(
        conn, query, _PEOPLE_ORDER, user_from_row, after=after, before=before, size=size
    )


async def moderation_entries(conn: AsyncConnection, limit: int = 200) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(moderation_log).order_by(moderation_log.c.id.desc()).limit(limit)
    )
    return [dict(row._mapping) for row in rows]


async def personal_data(conn: AsyncConnection, user_id: str) -> dict[str, Any]:
    """What the people feature holds about one person (their export; see ``privacy``)."""
    user = await user_by_id(conn, user_id)
    if user is None:
        return {}
    rows = await conn.execute(
        select(sessions.c.created_at, sessions.c.last_seen_at, sessions.c.revoked_at)
        .where(sessions.c.user_id == user_id)
        .order_by(sessions.c.created_at)
    )
    signed_in = [dict(row._mapping) for row in rows]
    rows = await conn.execute(
        select(moderation_log.c.at, moderation_log.c.action, moderation_log.c.until,
               moderation_log.c.reason)
        .where(moderation_log.c.target_user_id == user_id)
        .order_by(moderation_log.c.id)
    )  # fmt: skip
    moderation = [dict(row._mapping) for row in rows]
    rows = await conn.execute(
        select(notifications.c.kind, notifications.c.excerpt, notifications.c.created_at,
               notifications.c.read_at)
        .where(notifications.c.user_id == user_id)
        .order_by(notifications.c.id)
    )  # fmt: skip
    notices = [dict(row._mapping) for row in rows]
    pending = (
        await conn.execute(select(email_claims.c.email).where(email_claims.c.user_id == user_id))
    ).scalar()
    return {
        "profile": {
            "name": user.display_name,
            "role": user.role.value,
            "email": user.email,
            "email_waiting_for_confirmation": pending,
            "language": user.locale,
            "has_password": user.has_password,
            "arrived_at": user.created_at,
            "banned_at": user.banned_at,
            "first_visit_tour_done_at": await toured_at(conn, user_id),
        },
        "sessions": signed_in,
        "moderation": moderation,
        "notifications": notices,
    }


async def toured_at(conn: AsyncConnection, user_id: str) -> datetime | None:
    """When ``user_id`` finished or skipped the first visit's tour (``None``: not yet)."""
    row = await conn.execute(select(users.c.toured_at).where(users.c.id == user_id))
    value: datetime | None = row.scalar()
    return value


async def password_hash_of(conn: AsyncConnection, user_id: str) -> str | None:
    """The stored password hash of ``user_id`` (``None``: no password, or no such person)."""
    row = await conn.execute(select(users.c.password_hash).where(users.c.id == user_id))
    value = row.scalar()
    return str(value) if value else None


async def namesake_suggestion(conn: AsyncConnection, user: User) -> str | None:
    """``"Léa B."`` when someone else already goes by ``user``'s name, else ``None``.

    The newcomer keeps their name (nothing is changed behind their back); the plan
    suggests an initial so that people, and ``@mentions``, can tell them apart.
    """
    name = user.display_name
    rows = await conn.execute(
        select(users.c.display_name).where(
            users.c.id != user.id,
            func.lower(func.substr(users.c.display_name, 1, len(name))) == name.lower(),
        )
    )
    others = {str(row[0]).casefold() for row in rows}
    if name.casefold() not in others:
        return None
    for letter in "BCDEFGHIJKLMNOPQRSTUVWXYZ":
        candidate = f"{name} {letter}."
        if candidate.casefold() not in others:
            return candidate
    return None
