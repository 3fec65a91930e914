"""What the solidarity hat holds about one person: for their export, and forgotten with them.

A deleted account's pledges stay, without a name and unlinked from anyone: the
association's accounts must still add up (what was pledged and received, and each
structured communication the bank statement shows).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.hat.rules import structured_communication
from estaminet.hat.schema import hat_pledges, hat_treasurers, hats

__all__ = ["forget_person", "pledges_of"]


async def pledges_of(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """The person's pledges: the cause, the amount, the communication, received or not."""
    rows = await conn.execute(
        select(
            hat_pledges.c.created_at,
            hats.c.name,
            hat_pledges.c.amount_cents,
            hat_pledges.c.reference,
            hat_pledges.c.shown_name,
            hat_pledges.c.status,
            hat_pledges.c.received_at,
        )
        .join(hats, hats.c.id == hat_pledges.c.hat_id)
        .where(hat_pledges.c.user_id == user_id)
        .order_by(hat_pledges.c.id)
    )
    return [
        {
            "created_at": r.created_at,
            "cause": r.name,
            "amount_eur": f"{r.amount_cents // 100}.{r.amount_cents % 100:02d}",
            "communication": structured_communication(int(r.reference[:10])),
            "anonymous": r.shown_name is None,
            "status": r.status,
            "received_at": r.received_at,
        }
        for r in rows
    ]


async def forget_person(conn: AsyncConnection, user_id: str) -> None:
    """An account is deleted: its pledges lose their name and their link to it (the amounts
    and communications stay for the accounts); it is no longer anyone's treasurer."""
    await conn.execute(
        update(hat_pledges)
        .where(hat_pledges.c.user_id == user_id)
        .values(user_id=None, shown_name=None)
    )
    await conn.execute(
        update(hat_pledges).where(hat_pledges.c.received_by == user_id).values(received_by=None)
    )
    await conn.execute(delete(hat_treasurers).where(hat_treasurers.c.user_id == user_id))
    await conn.execute(update(hats).where(hats.c.created_by == user_id).values(created_by=None))
