"""Personal calendar-feed links: a secret per person, stored hashed, replaceable and revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.agenda.schema import agenda_feed_tokens
from estaminet.people.model import User
from estaminet.store import Database

__all__ = ["feed_token_user", "has_feed_token", "new_feed_token", "revoke_feed_token"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_feed_token(db: Database, user: User, now: datetime) -> str:
    """A new secret for the person's calendar feed; the previous one stops working."""
    token = secrets.token_urlsafe(24)
    async with db.begin() as conn:
        await conn.execute(
            delete(agenda_feed_tokens).where(agenda_feed_tokens.c.user_id == user.id)
        )
        await conn.execute(
            insert(agenda_feed_tokens).values(
                user_id=user.id, token_hash=_hash(token), created_at=now
            )
        )
    return token


async def revoke_feed_token(db: Database, user: User) -> None:
    async with db.begin() as conn:
        await conn.execute(
            delete(agenda_feed_tokens).where(agenda_feed_tokens.c.user_id == user.id)
        )


async def has_feed_token(conn: AsyncConnection, user: User) -> bool:
    found = await conn.execute(
        select(func.count())
        .select_from(agenda_feed_tokens)
        .where(agenda_feed_tokens.c.user_id == user.id)
    )
    return bool(found.scalar_one())


async def feed_token_user(conn: AsyncConnection, token: str) -> str | None:
    """The person a feed token belongs to (``None``: forged or revoked)."""
    if not 10 <= len(token) <= 64:
        return None
    row = (
        await conn.execute(
            select(agenda_feed_tokens.c.user_id).where(
                agenda_feed_tokens.c.token_hash == _hash(token)
            )
        )
    ).first()
    return None if row is None else str(row[0])
