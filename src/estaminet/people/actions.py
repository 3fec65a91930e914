"""The write path of the people feature: invites, guests, accounts, sessions, roles, bans.

``check_*``-style validation happens here too, before anything is written;
each function runs in one transaction and returns what the caller shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.errors import BadInput, Conflict, Forbidden, Gone, NotFound
from estaminet.kernel.i18n import N_
from estaminet.people import access, passwords
from estaminet.people.model import Role, User
from estaminet.people.names import clean_display_name
from estaminet.people.queries import user_by_id, user_from_row
from estaminet.people.schema import (
    devices,
    email_claims,
    invites,
    login_links,
    moderation_log,
    notifications,
    sessions,
    users,
)
from estaminet.people.tokens import hash_token, new_id, new_token
from estaminet.store import Database
from estaminet.store.keyset import KeysetPage, SortKey, read_page

__all__ = [
    "EmailClaim",
    "Invite",
    "SessionLimits",
    "accept_invite",
    "admin_confirm_email",
    "claim_email",
    "confirm_email",
    "create_invite",
    "create_login_link",
    "create_user",
    "end_old_sessions",
    "finish_tour",
    "invite_by_id",
    "log_moderation",
    "pending_email",
    "pending_emails",
    "revoke_invite",
    "set_ban",
    "set_locale",
    "set_role",
    "sign_in",
    "sign_out",
    "sign_out_others",
    "use_login_link",
]

RETURN_LINK_DAYS = 180
SIGN_IN_LINK_HOURS = 24


@dataclass(frozen=True)
class Invite:
    id: str
    role: Role
    note: str | None
    created_at: datetime
    expires_at: datetime | None
    max_uses: int | None
    uses: int
    revoked_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return self.problem(now) is None

    def problem(self, now: datetime) -> str | None:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "used_up"
        return None


def _invite(row: object) -> Invite:
    m = row._mapping  # type: ignore[attr-defined]
    return Invite(
        m["id"],
        Role(m["role"]),
        m["note"],
        m["created_at"],
        m["expires_at"],
        m["max_uses"],
        m["uses"],
        m["revoked_at"],
    )


async def create_user(
    db: Database,
    display_name: str,
    role: Role,
    now: datetime,
    *,
    email: str | None = None,
    password: str | None = None,
    invite_id: str | None = None,
) -> User:
    name = clean_display_name(display_name)
    user_id = new_id()
    hashed = await passwords.work().hash(password) if password else None
    async with db.begin() as conn:
        if email is not None:
            email = _clean_email(email)
            await _ensure_email_free(conn, email)
        await conn.execute(
            insert(users).values(
                id=user_id,
                display_name=name,
                email=email,
                password_hash=hashed,
                role=role.value,
                created_at=now,
                invite_id=invite_id,
            )
        )
        user = await user_by_id(conn, user_id)
    assert user is not None
    return user


# -- invites -----------------------------------------------------------------


async def create_invite(
    db: Database,
    actor: User,
    now: datetime,
    *,
    role: Role = Role.GUEST,
    expires_in: timedelta | None = timedelta(days=7),
    max_uses: int | None = None,
    note: str | None = None,
) -> tuple[Invite, str]:
    """A new invite link; returns it with its secret token (shown once, stored hashed)."""
    if not access.can_create_invites(actor) or role not in access.assignable_roles(actor):
        raise Forbidden("people/invite_forbidden", N_("You may not create this invite."))
    if max_uses is not None and not 1 <= max_uses <= 10_000:
        raise BadInput("people/invite_uses", N_("The number of uses must be between 1 and 10000."))
    if expires_in is not None and not timedelta(minutes=5) <= expires_in <= timedelta(days=366):
        raise BadInput("people/invite_expiry", N_("An invite lasts from 5 minutes to one year."))
    token = new_token()
    invite_id = new_id()
    async with db.begin() as conn:
        await conn.execute(
            insert(invites).values(
                id=invite_id,
                token_hash=hash_token(token),
                role=role.value,
                note=(note or "").strip()[:200] or None,
                created_by=actor.id,
                created_at=now,
                expires_at=now + expires_in if expires_in else None,
                max_uses=max_uses,
                uses=0,
            )
        )
        row = (await conn.execute(select(invites).where(invites.c.id == invite_id))).one()
    return _invite(row), token


async def find_invite(db: Database, token: str) -> Invite | None:
    async with db.read() as conn:
        row = (
            await conn.execute(select(invites).where(invites.c.token_hash == hash_token(token)))
        ).first()
    return _invite(row) if row else None


INVITES_PER_PAGE = 50
_INVITE_ORDER = (
    SortKey(invites.c.created_at, "sort_created_at", datetime),
    SortKey(invites.c.id, "sort_id", str),
)


async def list_invites(
    db: Database,
    *,
    after: str | None = None,
    before: str | None = None,
    size: int = INVITES_PER_PAGE,
) -> KeysetPage[Invite]:
    """One page of invites, newest first; raises ``BadCursor`` for a malformed cursor."""
    async with db.read() as conn:
        return await read_page(
            conn,
            select(invites),
            _INVITE_ORDER,
            _invite,
            descending=True,
            after=after,
            before=before,
            size=size,
        )


async def invite_by_id(db: Database, invite_id: str) -> Invite | None:
    async with db.read() as conn:
        row = (await conn.execute(select(invites).where(invites.c.id == invite_id))).first()
    return _invite(row) if row else None


async def revoke_invite(db: Database, actor: User, invite_id: str, now: datetime) -> None:
    if not access.can_create_invites(actor):
        raise Forbidden("people/invite_forbidden", N_("You may not create this invite."))
    async with db.begin() as conn:
        await conn.execute(update(invites).where(invites.c.id == invite_id).values(revoked_at=now))


_INVITE_PROBLEMS = {
    "revoked": N_("This invite link was withdrawn."),
    "expired": N_("This invite link has expired."),
    "used_up": N_("This invite link has already been used as many times as allowed."),
}


def invite_problem_message(problem: str) -> str:
    return _INVITE_PROBLEMS.get(problem, N_("This invite link does not work."))


async def accept_invite(
    db: Database, token: str, display_name: str, device_id: str, now: datetime
) -> tuple[User, str]:
    """A guest arrives by invite: checks the link and the device, creates them, opens a session."""
    name = clean_display_name(display_name)
    async with db.begin() as conn:
        row = (
            await conn.execute(select(invites).where(invites.c.token_hash == hash_token(token)))
        ).first()
        if row is None:
            raise NotFound("people/invite_unknown", N_("This invite link does not work."))
        invite = _invite(row)
        problem = invite.problem(now)
        if problem is not None:
            raise Gone(f"people/invite_{problem}", invite_problem_message(problem))
        if await _device_banned(conn, device_id):
            raise Forbidden("people/banned", N_("You can no longer enter this venue."))
        # Count the use atomically: two people racing for the last use cannot both win.
        taken = await conn.execute(
            update(invites)
            .where(
                invites.c.id == invite.id,
                or_(invites.c.max_uses.is_(None), invites.c.uses < invites.c.max_uses),
            )
            .values(uses=invites.c.uses + 1)
        )
        if taken.rowcount != 1:
            raise Gone("people/invite_used_up", invite_problem_message("used_up"))
        user_id = new_id()
        await conn.execute(
            insert(users).values(
                id=user_id,
                display_name=name,
                role=invite.role.value,
                created_at=now,
                invite_id=invite.id,
            )
        )
        session_id = await _open_session(conn, user_id, device_id, now)
        user = await user_by_id(conn, user_id)
    assert user is not None
    return user, session_id


# -- sessions and sign-in ----------------------------------------------------


async def _open_session(conn: AsyncConnection, user_id: str, device_id: str, now: datetime) -> str:
    session_id = new_token()
    await conn.execute(
        insert(sessions).values(
            id=hash_token(session_id),
            user_id=user_id,
            device_id=device_id,
            created_at=now,
            last_seen_at=now,
        )
    )
    known = await conn.execute(
        select(devices.c.device_id).where(
            devices.c.device_id == device_id, devices.c.user_id == user_id
        )
    )
    if known.first() is None:
        await conn.execute(
            insert(devices).values(device_id=device_id, user_id=user_id, first_seen_at=now)
        )
    return session_id


async def _device_banned(conn: AsyncConnection, device_id: str) -> bool:
    """Whether a banned person has used this device (a new invite does not lift a ban)."""
    row = await conn.execute(
        select(func.count())
        .select_from(devices.join(users, users.c.id == devices.c.user_id))
        .where(devices.c.device_id == device_id, users.c.banned_at.is_not(None))
    )
    return bool(row.scalar_one())


@dataclass(frozen=True)
class SessionLimits:
    """How long a sign-in lasts: at most ``max_age`` from its start, ``idle`` since last used."""

    max_age: timedelta
    idle: timedelta


# A session's ``last_seen_at`` is written at most this often (not on every request).
SESSION_TOUCH = timedelta(hours=1)


# The bell's count comes with the person: no second query per page.
_UNREAD = (
    select(func.count())
    .select_from(notifications)
    .where(notifications.c.user_id == users.c.id, notifications.c.read_at.is_(None))
    .scalar_subquery()
    .label("unread")
)
# Built once: every page and every socket asks who is behind its cookie (a thousand at once
# after a restart), and a statement built for each costs more than running it on SQLite.
_SESSION_USER = (
    select(users, _UNREAD, sessions.c.last_seen_at.label("session_seen"))
    .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
    .where(
        sessions.c.id == bindparam("session"),
        sessions.c.revoked_at.is_(None),
        users.c.banned_at.is_(None),
    )
)
_SESSION_USER_WITHIN = _SESSION_USER.where(
    sessions.c.created_at > bindparam("created_after"),
    sessions.c.last_seen_at > bindparam("seen_after"),
)


async def session_user(
    db: Database,
    session_id: str,
    *,
    now: datetime | None = None,
    limits: SessionLimits | None = None,
) -> User | None:
    """The person behind a session cookie, or ``None`` (unknown, revoked, expired or banned).

    With ``now`` and ``limits``, a session older than ``limits.max_age`` or unused for
    ``limits.idle`` counts for nothing, whatever the browser still sends; a live one is
    marked as seen (at most once per ``SESSION_TOUCH``).
    """
    hashed = hash_token(session_id)
    async with db.read_now() as conn:  # every page and socket: a read by key (issue 20)
        if now is not None and limits is not None:
            values = {
                "session": hashed,
                "created_after": now - limits.max_age,
                "seen_after": now - limits.idle,
            }
            row = (await conn.execute(_SESSION_USER_WITHIN, values)).first()
        else:
            row = (await conn.execute(_SESSION_USER, {"session": hashed})).first()
    if row is None:
        return None
    if now is not None and row.session_seen <= now - SESSION_TOUCH:
        async with db.begin() as conn:
            await conn.execute(
                update(sessions).where(sessions.c.id == hashed).values(last_seen_at=now)
            )
    return user_from_row(row)


async def end_old_sessions(
    db: Database, now: datetime, max_age: timedelta
) -> list[tuple[str, str]]:
    """Revoke every sign-in older than ``max_age``; returns ``(user_id, session id hashed)``
    of each, so that the sockets they opened can be closed. (Idle sign-ins are refused at
    their next use instead: an open socket is use that ``last_seen_at`` does not see.)"""
    async with db.begin() as conn:
        old = [
            (row.user_id, row.id)
            for row in await conn.execute(
                select(sessions.c.user_id, sessions.c.id).where(
                    sessions.c.revoked_at.is_(None), sessions.c.created_at <= now - max_age
                )
            )
        ]
        if old:
            await conn.execute(
                update(sessions)
                .where(sessions.c.id.in_([session for _, session in old]))
                .values(revoked_at=now)
            )
    return old


async def sign_out(db: Database, session_id: str, now: datetime) -> None:
    async with db.begin() as conn:
        await conn.execute(
            update(sessions).where(sessions.c.id == hash_token(session_id)).values(revoked_at=now)
        )


async def sign_out_others(db: Database, user: User, session_id: str, now: datetime) -> list[str]:
    """End every other sign-in of ``user`` (this one stays); returns the ended sessions' ids
    (hashed, as the sockets they opened know them)."""
    keep = hash_token(session_id)
    async with db.begin() as conn:
        ended = [
            row.id
            for row in await conn.execute(
                select(sessions.c.id).where(
                    sessions.c.user_id == user.id,
                    sessions.c.id != keep,
                    sessions.c.revoked_at.is_(None),
                )
            )
        ]
        if ended:
            await conn.execute(
                update(sessions).where(sessions.c.id.in_(ended)).values(revoked_at=now)
            )
    return ended


async def sign_in(
    db: Database, email: str, password: str, device_id: str, now: datetime
) -> tuple[User, str]:
    """Email and password sign-in; the same message whether the email or the password is wrong.

    The password is checked off the event loop and outside any transaction (a check
    takes tens of milliseconds; SQLite's one writer must not wait for it).
    """
    wrong = Forbidden("people/bad_credentials", N_("This email and password do not match."))
    work = passwords.work()
    async with db.read() as conn:
        row = (
            await conn.execute(select(users).where(users.c.email == _clean_email(email)))
        ).first()
    hashed = row._mapping["password_hash"] if row is not None else None
    if not await work.verify(hashed, password) or row is None or hashed is None:
        raise wrong
    if row._mapping["banned_at"] is not None:
        raise Forbidden("people/banned", N_("You can no longer enter this venue."))
    fresh_hash = await work.hash(password) if work.needs_rehash(hashed) else None
    async with db.begin() as conn:
        if fresh_hash is not None:
            await conn.execute(
                update(users)
                .where(users.c.id == row._mapping["id"], users.c.password_hash == hashed)
                .values(password_hash=fresh_hash)
            )
        session_id = await _open_session(conn, row._mapping["id"], device_id, now)
    return user_from_row(row), session_id


async def create_login_link(
    db: Database, user: User, now: datetime, *, purpose: str = "return"
) -> str:
    """A sign-in link for ``user``.

    ``return``: the personal link to come back from another device (reusable,
    long-lived; making a new one revokes the previous). ``signin``: a one-time
    link valid a day (the admin's first sign-in).
    """
    token = new_token()
    single = purpose != "return"
    lifetime = timedelta(hours=SIGN_IN_LINK_HOURS) if single else timedelta(days=RETURN_LINK_DAYS)
    async with db.begin() as conn:
        if purpose == "return":
            await conn.execute(
                update(login_links)
                .where(
                    login_links.c.user_id == user.id,
                    login_links.c.purpose == "return",
                    login_links.c.used_at.is_(None),
                )
                .values(used_at=now, expires_at=now)
            )
        await conn.execute(
            insert(login_links).values(
                id=new_id(),
                token_hash=hash_token(token),
                user_id=user.id,
                purpose=purpose,
                created_at=now,
                expires_at=now + lifetime,
                single_use=single,
            )
        )
    return token


async def use_login_link(
    db: Database, token: str, device_id: str, now: datetime
) -> tuple[User, str]:
    async with db.begin() as conn:
        row = (
            await conn.execute(
                select(login_links).where(login_links.c.token_hash == hash_token(token))
            )
        ).first()
        if row is None:
            raise NotFound("people/link_unknown", N_("This sign-in link does not work."))
        link = row._mapping
        if link["expires_at"] <= now or (link["single_use"] and link["used_at"] is not None):
            raise Gone("people/link_expired", N_("This sign-in link has expired."))
        user = await user_by_id(conn, link["user_id"])
        if user is None or user.banned:
            raise Forbidden("people/banned", N_("You can no longer enter this venue."))
        if link["single_use"]:
            await conn.execute(
                update(login_links).where(login_links.c.id == link["id"]).values(used_at=now)
            )
        session_id = await _open_session(conn, user.id, device_id, now)
    return user, session_id


# -- profile -----------------------------------------------------------------


async def set_locale(db: Database, user: User, locale: str) -> None:
    async with db.begin() as conn:
        await conn.execute(update(users).where(users.c.id == user.id).values(locale=locale))


async def finish_tour(db: Database, user: User, now: datetime) -> None:
    """The person finished or skipped the first visit's tour: the plan stops offering it."""
    async with db.begin() as conn:
        await conn.execute(
            update(users)
            .where(users.c.id == user.id, users.c.toured_at.is_(None))
            .values(toured_at=now)
        )


async def set_display_name(db: Database, user: User, display_name: str) -> User:
    name = clean_display_name(display_name)
    async with db.begin() as conn:
        await conn.execute(update(users).where(users.c.id == user.id).values(display_name=name))
        fresh = await user_by_id(conn, user.id)
    assert fresh is not None
    return fresh


EMAIL_CLAIM_HOURS = 48


@dataclass(frozen=True)
class EmailClaim:
    """A pending address: what to send (``token``), or ``None`` when the address is taken.

    The caller answers the same way in both cases ("we sent a link to this
    address"), so nobody learns from the answer whether an account exists.
    """

    email: str
    token: str | None


async def claim_email(
    db: Database, user: User, email: str, password: str, now: datetime
) -> EmailClaim:
    """A guest gives an address and a password: nothing counts until the address is proved.

    The claim replaces any earlier one of this person; it lasts ``EMAIL_CLAIM_HOURS``.
    """
    if user.has_password:
        raise Conflict("people/has_account", N_("You already have an account."))
    if len(password) < 10:
        raise BadInput(
            "people/password_short", N_("A password has at least %(min)s characters."), min=10
        )
    if len(password) > 1024:
        raise BadInput("people/password_long", N_("This password is too long."))
    email = _clean_email(email)
    token = new_token()
    hashed = await passwords.work().hash(password)  # before the transaction: slow on purpose
    async with db.begin() as conn:
        await conn.execute(delete(email_claims).where(email_claims.c.user_id == user.id))
        taken = (await conn.execute(select(users.c.id).where(users.c.email == email))).first()
        if taken is not None:
            return EmailClaim(email, None)
        await conn.execute(
            insert(email_claims).values(
                user_id=user.id,
                email=email,
                password_hash=hashed,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + timedelta(hours=EMAIL_CLAIM_HOURS),
            )
        )
    return EmailClaim(email, token)


async def pending_email(db: Database, user_id: str, now: datetime) -> str | None:
    """The address ``user_id`` is waiting to have confirmed, if any (still valid)."""
    async with db.read() as conn:
        return (
            await conn.execute(
                select(email_claims.c.email).where(
                    email_claims.c.user_id == user_id, email_claims.c.expires_at > now
                )
            )
        ).scalar()


async def pending_emails(db: Database, now: datetime) -> dict[str, str]:
    """Every person waiting for an address to be confirmed: ``{user_id: email}``."""
    async with db.read() as conn:
        rows = await conn.execute(
            select(email_claims.c.user_id, email_claims.c.email).where(
                email_claims.c.expires_at > now
            )
        )
        return {row.user_id: row.email for row in rows}


async def confirm_email(db: Database, token: str, now: datetime, *, self_membership: bool) -> User:
    """The link of a claim was followed: the address and the password now count."""
    async with db.begin() as conn:
        row = (
            await conn.execute(
                select(email_claims).where(email_claims.c.token_hash == hash_token(token))
            )
        ).first()
        if row is None or row._mapping["expires_at"] <= now:
            raise Gone(
                "people/email_link_expired",
                N_("This confirmation link does not work (any more). Give your address again."),
            )
        return await _confirm(conn, row._mapping, self_membership=self_membership)


async def admin_confirm_email(
    db: Database, actor: User, user_id: str, now: datetime, *, self_membership: bool
) -> User:
    """An admin vouches for a pending address (for venues that send no e-mail)."""
    if not access.can_confirm_addresses(actor):
        raise Forbidden("people/admins_only", N_("Only admins can confirm an address."))
    async with db.begin() as conn:
        row = (
            await conn.execute(
                select(email_claims).where(
                    email_claims.c.user_id == user_id, email_claims.c.expires_at > now
                )
            )
        ).first()
        if row is None:
            raise NotFound("people/no_pending_email", N_("This person has no address to confirm."))
        user = await _confirm(conn, row._mapping, self_membership=self_membership)
        await log_moderation(conn, actor, "confirm_email", now, target_user_id=user.id)
    return user


async def _confirm(conn: AsyncConnection, claim: Any, *, self_membership: bool) -> User:
    user = await user_by_id(conn, claim["user_id"])
    assert user is not None  # the claim goes with its person (ON DELETE CASCADE)
    await conn.execute(delete(email_claims).where(email_claims.c.user_id == user.id))
    await _ensure_email_free(conn, claim["email"])
    role = user.role
    if self_membership and role is Role.GUEST:
        role = Role.MEMBER
    await conn.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(email=claim["email"], password_hash=claim["password_hash"], role=role.value)
    )
    fresh = await user_by_id(conn, user.id)
    assert fresh is not None
    return fresh


# -- roles and bans ----------------------------------------------------------


async def set_role(db: Database, actor: User, target_id: str, role: Role, now: datetime) -> User:
    async with db.begin() as conn:
        target = await user_by_id(conn, target_id)
        if target is None:
            raise NotFound("people/unknown_person", N_("This person does not exist."))
        if not access.can_change_role(actor, target, role):
            raise Forbidden("people/role_forbidden", N_("You may not give this role."))
        await conn.execute(update(users).where(users.c.id == target.id).values(role=role.value))
        await log_moderation(conn, actor, "role", now, target_user_id=target.id, reason=role.value)
        fresh = await user_by_id(conn, target.id)
    assert fresh is not None
    return fresh


async def set_ban(
    db: Database, actor: User, target_id: str, now: datetime, *, banned: bool, reason: str = ""
) -> User:
    """Ban (or unban) a person from the whole venue; their sessions end at once."""
    async with db.begin() as conn:
        target = await user_by_id(conn, target_id)
        if target is None:
            raise NotFound("people/unknown_person", N_("This person does not exist."))
        if not access.can_moderate_person(actor, target):
            raise Forbidden("people/ban_forbidden", N_("You may not ban this person."))
        await conn.execute(
            update(users)
            .where(users.c.id == target.id)
            .values(banned_at=now if banned else None, ban_reason=reason[:500] if banned else None)
        )
        if banned:
            await conn.execute(
                update(sessions)
                .where(and_(sessions.c.user_id == target.id, sessions.c.revoked_at.is_(None)))
                .values(revoked_at=now)
            )
        await log_moderation(
            conn, actor, "ban" if banned else "unban", now, target_user_id=target.id, reason=reason
        )
        fresh = await user_by_id(conn, target.id)
    assert fresh is not None
    return fresh


async def log_moderation(
    conn: AsyncConnection,
    actor: User,
    action: str,
    now: datetime,
    *,
    target_user_id: str | None = None,
    room_id: int | None = None,
    message_id: int | None = None,
    until: datetime | None = None,
    reason: str | None = None,
) -> None:
    """Every moderation act leaves a row (in the caller's transaction)."""
    await conn.execute(
        insert(moderation_log).values(
            at=now,
            actor_id=actor.id,
            action=action,
            target_user_id=target_user_id,
            room_id=room_id,
            message_id=message_id,
            until=until,
            reason=(reason or "")[:500] or None,
        )
    )


# -- helpers -----------------------------------------------------------------


def _clean_email(email: str) -> str:
    value = (email or "").strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or len(value) > 254 or any(c.isspace() for c in value):
        raise BadInput("people/email_invalid", N_("This email address does not look right."))
    return value


async def _ensure_email_free(conn: AsyncConnection, email: str) -> None:
    taken = await conn.execute(select(users.c.id).where(users.c.email == email))
    if taken.first() is not None:
        raise Conflict(
            "people/email_taken",
            N_("This address already belongs to an account: sign in with it instead."),
        )
