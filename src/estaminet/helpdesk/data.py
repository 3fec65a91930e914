"""What the help desk holds about one person: for their export, and forgotten with them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.helpdesk.schema import help_messages, help_requests, help_volunteers

__all__ = ["forget_person", "help_given_by", "help_of"]


async def help_of(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """The person's requests for help (what they said, where they were, how it went)."""
    rows = await conn.execute(
        select(
            help_requests.c.created_at,
            help_requests.c.topic,
            help_requests.c.words,
            help_requests.c.page,
            help_requests.c.mic,
            help_requests.c.status,
            help_requests.c.closed_at,
        )
        .where(help_requests.c.user_id == user_id)
        .order_by(help_requests.c.id)
    )
    return [dict(row._mapping) for row in rows]


async def help_given_by(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """What the person wrote in help corners (their own and those where they helped)."""
    rows = await conn.execute(
        select(help_messages.c.at, help_messages.c.body)
        .where(help_messages.c.author_id == user_id)
        .order_by(help_messages.c.id)
    )
    return [dict(row._mapping) for row in rows]


async def forget_person(conn: AsyncConnection, user_id: str, *, remove: bool) -> None:
    """An account is deleted: its requests for help go (with their corners' messages), it is
    no longer available to help; what it wrote in others' corners is erased (``remove``) or
    kept without a name, like chat messages."""
    await conn.execute(delete(help_requests).where(help_requests.c.user_id == user_id))
    await conn.execute(delete(help_volunteers).where(help_volunteers.c.user_id == user_id))
    await conn.execute(
        update(help_requests).where(help_requests.c.taken_by == user_id).values(taken_by=None)
    )
    if remove:
        await conn.execute(delete(help_messages).where(help_messages.c.author_id == user_id))
    else:
        await conn.execute(
            update(help_messages).where(help_messages.c.author_id == user_id).values(author_id=None)
        )
