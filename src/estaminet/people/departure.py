"""A person leaves the venue: who may delete an account, and what the people feature forgets.

The whole deletion (every feature's part) runs in one transaction, put together by
``estaminet.privacy.deletion``; this module does the people feature's part.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.errors import Conflict, Forbidden
from estaminet.kernel.i18n import N_
from estaminet.people.access import can_delete_account, is_admin
from estaminet.people.model import Role, User
from estaminet.people.schema import (
    devices,
    email_claims,
    invites,
    login_links,
    mail_choices,
    mail_outbox,
    moderation_log,
    notifications,
    sessions,
    users,
)

__all__ = ["GONE_ACTOR", "check_deletion", "forget_person", "session_ids"]

GONE_ACTOR = "-"
"""Who a moderation entry names as its author once that moderator has deleted their account."""


async def check_deletion(conn: AsyncConnection, actor: User, target: User) -> None:
    """Refuse what may not be deleted: someone else's account (unless admin), the last admin."""
    if not can_delete_account(actor, target):
        raise Forbidden("privacy/admins_only", N_("Only admins can delete someone else's account."))
    if is_admin(target):
        admins = (
            await conn.execute(
                select(func.count())
                .select_from(users)
                .where(users.c.role == Role.ADMIN.value, users.c.banned_at.is_(None))
            )
        ).scalar_one()
        if admins <= 1:
            raise Conflict(
                "privacy/last_admin",
                N_(
                    "This is the venue's last admin: make someone else admin first, "
                    "then the account can be deleted."
                ),
            )


async def session_ids(conn: AsyncConnection, user_id: str) -> list[str]:
    """The (hashed) ids of every open sign-in of ``user_id``, as their sockets know them."""
    rows = await conn.execute(
        select(sessions.c.id).where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
    )
    return list(rows.scalars())


async def forget_person(conn: AsyncConnection, user_id: str) -> None:
    """Delete ``user_id`` and everything of the people feature that names them.

    Their sign-ins, devices, links, inbox, mail (waiting or sent), mail choices and pending
    address go; other people's notices about something they did (a mention) go; moderation
    entries about them stay without naming them (the act, not the person), and those they
    wrote as a moderator name no one.
    """
    for table in (
        sessions,
        devices,
        login_links,
        notifications,
        mail_outbox,
        mail_choices,
        email_claims,
    ):
        await conn.execute(delete(table).where(table.c.user_id == user_id))
    await conn.execute(delete(notifications).where(notifications.c.actor_id == user_id))
    await conn.execute(
        update(moderation_log)
        .where(moderation_log.c.target_user_id == user_id)
        .values(target_user_id=None, reason=None)
    )
    await conn.execute(
        update(moderation_log)
        .where(moderation_log.c.actor_id == user_id)
        .values(actor_id=GONE_ACTOR)
    )
    await conn.execute(
        update(invites).where(invites.c.created_by == user_id).values(created_by=None)
    )
    await conn.execute(delete(users).where(users.c.id == user_id))
