"""A person's inbox: every notice lands here first, durably, then shows where a tab is open.

Other features never write these rows: they call :func:`notify` inside their own
transaction (so "the notice is sent" and "the reason for it" commit together, or
neither does), then :meth:`Inbox.publish` after the commit. Each notice takes the
next number of the person's ``user:<id>`` topic (``users.inbox_seq``, row locked),
so a tab that comes back says the last number it showed and gets, as toasts, the
unread notices after it: exactly once per notice and tab (the tab keeps its number
in ``sessionStorage``, which survives a reload). A ``dedupe`` key makes a notice
impossible to store twice (an agenda reminder, whatever happens around a restart).

Reading: the inbox page lists every notice, newest first; opening it marks them
read (the bell's count drops on every tab).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.errors import Forbidden
from estaminet.kernel.i18n import N_
from estaminet.people import outbox
from estaminet.people.schema import notifications, users
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import frame_for_locales
from estaminet.realtime.gateway import Gateway, user_topic
from estaminet.realtime.hub import Hub
from estaminet.realtime.topics import SnapshotTopics
from estaminet.store import Database
from estaminet.translations import LANGUAGES
from estaminet.web.templating import Templates

__all__ = [
    "CATCH_UP_TOASTS",
    "Inbox",
    "Notification",
    "Texts",
    "inbox_seq",
    "listing",
    "mark_read",
    "notify",
    "requote",
    "texts_for",
    "unquote",
    "unread_count",
    "unread_since",
]

Texts = dict[str, dict[str, str | None]]
"""A notice's words in every language: ``{"fr": {"text": …, "action": …}, "en": {…}}``."""

CATCH_UP_TOASTS = 10
"""A tab coming back shows at most this many missed notices as toasts (the bell has the rest)."""


@dataclass(frozen=True)
class Notification:
    id: int
    user_id: str
    seq: int
    kind: str
    texts: Mapping[str, Mapping[str, str | None]] | None
    link: str | None
    excerpt: str | None
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None

    def text(self, locale: str) -> str | None:
        return self._word(locale, "text")

    def action(self, locale: str) -> str | None:
        return self._word(locale, "action")

    def _word(self, locale: str, key: str) -> str | None:
        if not self.texts:
            return None
        words = self.texts.get(locale) or next(iter(self.texts.values()), {})
        return words.get(key)


def texts_for(words: Callable[[str], tuple[str, str | None]]) -> Texts:
    """A notice's words in every language: ``words(locale)`` gives ``(text, action)``."""
    found: Texts = {}
    for locale in LANGUAGES:
        text, action = words(locale)
        found[locale] = {"text": text, "action": action}
    return found


def _notification(row: Any) -> Notification:
    m = row._mapping
    return Notification(
        m["id"],
        m["user_id"],
        m["seq"],
        m["kind"],
        m["texts"],
        m["link"],
        m["excerpt"],
        m["created_at"],
        m["read_at"],
    )


async def notify(
    conn: AsyncConnection,
    user_id: str,
    kind: str,
    now: datetime,
    *,
    texts: Texts,
    link: str | None = None,
    excerpt: str | None = None,
    dedupe: str | None = None,
    room_id: int | None = None,
    message_id: int | None = None,
    actor_id: str | None = None,
    mail: EmailMessage | None = None,
) -> Notification | None:
    """Put a notice in ``user_id``'s inbox, in the caller's transaction.

    ``mail``: the same notice as an e-mail, put in the outbox too when the person has
    an address and chose this kind of notice by mail. Returns the notice (publish it
    with :meth:`Inbox.publish` after the commit), or ``None`` when the person is gone
    or a notice with the same ``dedupe`` key is already there.
    """
    # The person's row, locked until commit: notices of one person are numbered in turn.
    person = (
        await conn.execute(
            select(users.c.inbox_seq, users.c.email).where(users.c.id == user_id).with_for_update()
        )
    ).first()
    if person is None:
        return None
    current, address = person
    if dedupe is not None:
        seen = (
            await conn.execute(
                select(notifications.c.id).where(
                    notifications.c.user_id == user_id, notifications.c.dedupe == dedupe
                )
            )
        ).first()
        if seen is not None:
            return None
    seq = int(current) + 1
    await conn.execute(update(users).where(users.c.id == user_id).values(inbox_seq=seq))
    row = (
        await conn.execute(
            notifications.insert()
            .values(
                user_id=user_id,
                seq=seq,
                kind=kind,
                texts=texts,
                link=link,
                excerpt=excerpt[:200] if excerpt else excerpt,
                dedupe=dedupe,
                room_id=room_id,
                message_id=message_id,
                actor_id=actor_id,
                created_at=now,
            )
            .returning(notifications)
        )
    ).one()
    if mail is not None and address and await outbox.by_mail(conn, user_id, kind):
        await outbox.enqueue(conn, user_id, address, kind, mail, now)
    return _notification(row)


async def requote(conn: AsyncConnection, message_id: int, excerpt: str | None) -> None:
    """The notices quoting a chat message quote it as it is now (``None``: deleted, no words)."""
    await conn.execute(
        update(notifications)
        .where(notifications.c.message_id == message_id)
        .values(excerpt=None if excerpt is None else excerpt[:200])
    )


async def unquote(conn: AsyncConnection, message_ids: list[int]) -> None:
    """The notices quoting these chat messages (erased) keep no words of them."""
    if message_ids:
        await conn.execute(
            update(notifications)
            .where(notifications.c.message_id.in_(message_ids))
            .values(excerpt=None)
        )


async def mark_read(conn: AsyncConnection, user_id: str, now: datetime) -> int | None:
    """Mark every notice of ``user_id`` read; the topic number this change took, or ``None``."""
    changed = await conn.execute(
        update(notifications)
        .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
        .values(read_at=now)
    )
    if not changed.rowcount:
        return None
    seq = (
        await conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(inbox_seq=users.c.inbox_seq + 1)
            .returning(users.c.inbox_seq)
        )
    ).scalar()
    return None if seq is None else int(seq)


_INBOX_SEQ = select(users.c.inbox_seq).where(users.c.id == bindparam("user"))
"""Built once: read by every socket as it opens."""


async def inbox_seq(conn: AsyncConnection, user_id: str) -> int:
    """The last number of the person's ``user:`` topic."""
    found = (await conn.execute(_INBOX_SEQ, {"user": user_id})).scalar()
    return int(found or 0)


async def unread_count(conn: AsyncConnection, user_id: str) -> int:
    return int(
        (
            await conn.execute(
                select(func.count())
                .select_from(notifications)
                .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
            )
        ).scalar_one()
    )


async def listing(
    conn: AsyncConnection, user_id: str, *, before: int | None = None, limit: int = 30
) -> list[Notification]:
    """Up to ``limit`` notices, newest first, older than number ``before`` when given."""
    query = select(notifications).where(notifications.c.user_id == user_id)
    if before is not None:
        query = query.where(notifications.c.seq < before)
    rows = await conn.execute(query.order_by(notifications.c.seq.desc()).limit(limit))
    return [_notification(row) for row in rows]


async def unread_since(
    conn: AsyncConnection, user_id: str, after: int, *, limit: int = CATCH_UP_TOASTS
) -> list[Notification]:
    """The newest ``limit`` unread notices numbered after ``after``, oldest first."""
    rows = await conn.execute(
        select(notifications)
        .where(
            notifications.c.user_id == user_id,
            notifications.c.seq > after,
            notifications.c.read_at.is_(None),
        )
        .order_by(notifications.c.seq.desc())
        .limit(limit)
    )
    return [_notification(row) for row in reversed(rows.all())]


class Inbox:
    """Shows notices where tabs are open: toasts and the bell, on the ``user:<id>`` topic."""

    def __init__(
        self, db: Database, hub: Hub, templates: Templates, mail: outbox.Outbox | None = None
    ) -> None:
        self.db = db
        self.hub = hub
        self.templates = templates
        self.mail = mail

    def install(self, gateway: Gateway) -> None:
        gateway.provide("user", _InboxTopics(self))

    async def send(self, user_id: str, kind: str, now: datetime, **fields: Any) -> None:
        """:func:`notify` in a transaction of its own, then publish (a notice with no cause
        to commit with it, such as a moderator's mute already committed)."""
        async with self.db.begin() as conn:
            note = await notify(conn, user_id, kind, now, **fields)
        await self.publish([note] if note else [])

    async def publish(self, notes: Iterable[Notification | None]) -> None:
        """After the commit: each notice as a toast on its person's tabs, with the bell
        (and the mail worker looks at its outbox)."""
        if self.mail is not None:
            self.mail.wake()
        for note in notes:
            if note is None:
                continue
            async with self.db.read() as conn:
                unread = await unread_count(conn, note.user_id)
            frame = frame_for_locales(
                user_topic(note.user_id), note.seq, "notice", self._notice_body(note, unread)
            )
            await self.hub.publish(frame)

    def _notice_body(self, note: Notification, unread: int) -> Callable[[str], dict[str, Any]]:
        return lambda locale: {"ops": [self.toast_op(note, locale), self.bell_op(unread, locale)]}

    async def publish_read(self, user_id: str, seq: int) -> None:
        """After marking read: the bell of every tab of the person drops to zero."""
        frame = frame_for_locales(
            user_topic(user_id), seq, "notice", lambda locale: {"ops": [self.bell_op(0, locale)]}
        )
        await self.hub.publish(frame)

    def toast_op(self, note: Notification, locale: str) -> dict[str, Any]:
        html = self.templates.render("people/_notice_toast.html", locale, {"n": note})
        return {"op": "toast", "html": html}

    def bell_op(self, unread: int, locale: str) -> dict[str, Any]:
        html = self.templates.render("people/_bell.html", locale, {"unread": unread})
        return {"op": "replace", "target": "[data-bell]", "html": html}


class _InboxTopics(SnapshotTopics):
    """``user:<id>``: a person's notices (from the inbox) and control messages.

    Followed at connect with no number: nothing to catch up. A tab that says the last
    number it showed (the page's, or the one it kept across a reload) gets the unread
    notices after it as toasts, and the bell.
    """

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def authorize(self, principal: Principal, topic: str) -> None:
        if topic != user_topic(principal.user_id):
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that."))

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        user_id = topic.partition(":")[2]
        async with self.inbox.db.read_now() as conn:  # every socket, as it opens (issue 20)
            current = await inbox_seq(conn, user_id)
        if after < 0 or after >= current:
            return current  # followed at connect, or nothing missed
        async with self.inbox.db.read() as conn:
            unread = await unread_count(conn, user_id)
            missed = await unread_since(conn, user_id, after)
        locale = connection.locale
        ops = [self.inbox.toast_op(note, locale) for note in missed]
        ops.append(self.inbox.bell_op(unread, locale))
        connection.push_catch_up(topic, current, ops)
        return current
