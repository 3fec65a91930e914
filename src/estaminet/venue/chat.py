"""Chat in a room: the write path (post, edit, delete) and the reads (history, changes).

Every change takes the room topic's next sequence number inside its
transaction, and the message row remembers it: a client that resumes after
``seq`` gets exactly the messages changed since, in their current state.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    cast,
    delete,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.errors import BadInput, Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.people import inbox
from estaminet.people.access import (
    can_moderate,
    can_moderate_person,
    can_post_in,
    can_see_room_role,
)
from estaminet.people.actions import log_moderation
from estaminet.people.model import User
from estaminet.people.queries import people_not_banned, user_by_id
from estaminet.store import Database
from estaminet.translations import translate
from estaminet.venue.markdown import find_mentions, render_markdown, strip_bidi_controls
from estaminet.venue.rooms import Room
from estaminet.venue.schema import messages, room_restrictions, rooms

__all__ = [
    "ChatMessage",
    "Posted",
    "changes_since",
    "delete_message",
    "edit_message",
    "forget_author",
    "history",
    "message_source",
    "messages_by",
    "messages_by_ids",
    "post_message",
    "post_notice",
    "purge_before",
    "restriction",
]


@dataclass(frozen=True)
class ChatMessage:
    id: int
    room_id: int
    author_id: str | None
    author_name: str
    body: str
    html: str
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    seq: int

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class Posted:
    message: ChatMessage
    mentioned: tuple[str, ...]
    duplicate: bool = False
    notices: tuple[inbox.Notification, ...] = ()
    """The mentions, in each person's inbox: to publish after the commit."""


def _message(row: object) -> ChatMessage:
    m = row._mapping  # type: ignore[attr-defined]
    return ChatMessage(
        m["id"],
        m["room_id"],
        m["author_id"],
        m["author_name"],
        m["body"],
        m["html"],
        m["created_at"],
        m["edited_at"],
        m["deleted_at"],
        m["seq"],
    )


def _check_body(body: str, max_length: int) -> str:
    text = strip_bidi_controls(body or "").strip()
    if not text:
        raise BadInput("chat/empty", N_("The message is empty."))
    if len(text) > max_length:
        raise BadInput(
            "chat/too_long",
            N_("A message has at most %(max)s characters (this one has %(length)s)."),
            max=max_length,
            length=len(text),
        )
    return text


# Posting a message is the hot path: its statements are built once, with parameters
# (building a statement and its cache key costs more than running it on SQLite).
_NEXT_SEQ = (
    update(rooms)
    .where(rooms.c.id == bindparam("room"))
    .values(last_seq=rooms.c.last_seq + 1)
    .returning(rooms.c.last_seq)
)
_BY_ID = select(messages).where(messages.c.id == bindparam("id"))
# What decides a post, in one statement once the room's row is locked: the author's
# restrictions in the room, and this very message if a retry (same client id) got in
# first. A NULL client id matches no row.
_BEFORE_POSTING = union_all(
    select(room_restrictions.c.kind, cast(null(), Integer).label("message_id")).where(
        room_restrictions.c.room_id == bindparam("room_id"),
        room_restrictions.c.user_id == bindparam("user_id"),
        room_restrictions.c.kind.in_(("kick", "mute")),
        room_restrictions.c.until > bindparam("now"),
    ),
    select(literal("posted", String(16)), messages.c.id).where(
        messages.c.room_id == bindparam("room_id"),
        messages.c.author_id == bindparam("user_id"),
        messages.c.client_id == bindparam("client_id"),
    ),
)
_INSERT = insert(messages).returning(messages)


async def _next_seq(conn: AsyncConnection, room: Room) -> int:
    """Take the room topic's next number; the row stays locked until commit on PostgreSQL."""
    result = await conn.execute(_NEXT_SEQ, {"room": room.id})
    return int(result.scalar_one())


async def restriction(
    conn: AsyncConnection, room: Room, user: User, kind: str, now: datetime
) -> datetime | None:
    """Until when ``user`` is muted (``kind="mute"``) or kicked (``"kick"``) in ``room``."""
    until = (
        await conn.execute(
            select(room_restrictions.c.until).where(
                room_restrictions.c.room_id == room.id,
                room_restrictions.c.user_id == user.id,
                room_restrictions.c.kind == kind,
                room_restrictions.c.until > now,
            )
        )
    ).scalar()
    return until


async def restricted(
    conn: AsyncConnection, room: Room, kind: str, now: datetime
) -> dict[str, datetime]:
    """Everyone muted (``kind="mute"``) or kicked (``"kick"``) in ``room`` at ``now``, and until
    when."""
    rows = await conn.execute(
        select(room_restrictions.c.user_id, room_restrictions.c.until).where(
            room_restrictions.c.room_id == room.id,
            room_restrictions.c.kind == kind,
            room_restrictions.c.until > now,
        )
    )
    return {user_id: until for user_id, until in rows}


async def _mentionable(conn: AsyncConnection, room: Room) -> list[tuple[str, str]]:
    return [
        (user_id, name)
        for user_id, name, role in await people_not_banned(conn)
        if can_see_room_role(role, room.visibility, in_team=user_id in room.team)
    ]


async def post_message(
    db: Database,
    author: User,
    room: Room,
    body: str,
    now: datetime,
    *,
    max_length: int,
    client_id: str | None = None,
) -> Posted:
    """Post ``body`` in ``room``; a retry with the same ``client_id`` returns the first post."""
    if not can_post_in(author, room.kind.value):
        raise Forbidden(
            "chat/read_only",
            N_(
                "Only the team writes in this room. Read the news here, and chat in the other rooms."
            ),
        )
    text = _check_body(body, max_length)
    if client_id is not None and (len(client_id) > 40 or not client_id.isascii()):
        raise BadInput("chat/bad_client_id", N_("This message could not be read."))
    try:
        return await _post(db, author, room, text, now, client_id)
    except _AlreadyPosted as already:
        return already.posted


async def post_notice(
    db: Database,
    room: Room,
    body: str,
    now: datetime,
    *,
    author_id: str | None,
    author_name: str,
) -> ChatMessage:
    """A message the venue writes in ``room`` on someone's behalf (the solidarity hat's
    thank-you): the same table, sequence and rendering as a post, with no restriction
    checked (the text is the venue's, not typed by a person) and no mention. ``author_id``
    links it to the person it names, so that their export and deletion find it; ``None``
    for an anonymous one."""
    text = _check_body(body, 1000)
    async with db.begin() as conn:
        seq = await _next_seq(conn, room)
        result = await conn.execute(
            _INSERT,
            {
                "room_id": room.id,
                "author_id": author_id,
                "author_name": author_name[:60],
                "body": text,
                "html": render_markdown(text, []),
                "created_at": now,
                "client_id": None,
                "seq": seq,
            },
        )
        return _message(result.one())


class _AlreadyPosted(Exception):
    """Raised inside the posting transaction to roll it back: the message was there first."""

    def __init__(self, posted: Posted) -> None:
        super().__init__()
        self.posted = posted


def _refuse(active: set[str] | frozenset[str]) -> None:
    """Refuse a post by someone kicked from the room or muted there (kick first)."""
    if "kick" in active:
        raise Forbidden(
            "venue/kicked", N_("A moderator has asked you to leave this room for a while.")
        )
    if "mute" in active:
        raise Forbidden("chat/muted", N_("A moderator has muted you in this room for a while."))


# On SQLite a post that mentions nobody (nearly every line typed in a room) runs the same
# three statements as ``_post`` below, written as SQL, in one trip to aiosqlite's thread
# (:meth:`Database.in_one_trip`): SQLAlchemy's building, running and reading back of each
# statement costs several times SQLite's own work. The same transaction, order and rules;
# tests/venue/test_chat_one_trip.py compares what both ways store and return.
_SQLITE_NEXT_SEQ = "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq"
_SQLITE_BEFORE_POSTING = (
    "SELECT kind, NULL FROM room_restrictions"
    " WHERE room_id = ? AND user_id = ? AND kind IN ('kick', 'mute') AND until > ?"
    " UNION ALL SELECT 'posted', id FROM messages"
    " WHERE room_id = ? AND author_id = ? AND client_id = ?"
)
_SQLITE_INSERT = (
    "INSERT INTO messages"
    " (room_id, author_id, author_name, body, html, created_at, client_id, seq)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class _Trip:
    """What the one trip did: the number it took and the new message's id."""

    seq: int
    new_id: int


class _NotPosted(Exception):
    """Raised in aiosqlite's thread to roll the post back: the author's restrictions, or the
    id of this very message if a retry got in first."""

    def __init__(self, active: frozenset[str], first_id: int | None = None) -> None:
        super().__init__()
        self.active = active
        self.first_id = first_id


def _post_in_thread(
    raw: sqlite3.Connection,
    room_id: int,
    author_id: str,
    author_name: str,
    text: str,
    html: str,
    created_at: Any,
    client_id: str | None,
) -> _Trip:
    (seq,) = raw.execute(_SQLITE_NEXT_SEQ, (room_id,)).fetchall()[0]
    active: set[str] = set()
    for kind, message_id in raw.execute(
        _SQLITE_BEFORE_POSTING, (room_id, author_id, created_at, room_id, author_id, client_id)
    ).fetchall():
        if message_id is not None:
            raise _NotPosted(frozenset(active), message_id)
        active.add(kind)
    if active:
        raise _NotPosted(frozenset(active))
    cursor = raw.execute(
        _SQLITE_INSERT,
        (room_id, author_id, author_name, text, html, created_at, client_id, seq),
    )
    assert cursor.lastrowid is not None
    return _Trip(seq, cursor.lastrowid)


async def _post_in_one_trip(
    db: Database,
    author: User,
    room: Room,
    text: str,
    html: str,
    now: datetime,
    client_id: str | None,
) -> Posted:
    store, read = db.sqlite_datetime
    created_at = store(now)
    try:
        trip = await db.in_one_trip(
            lambda raw: _post_in_thread(
                raw, room.id, author.id, author.display_name, text, html, created_at, client_id
            )
        )
    except _NotPosted as refused:
        # Rolled back: the number is not used up.
        if refused.first_id is not None:
            async with db.read() as conn:
                first = (await conn.execute(_BY_ID, {"id": refused.first_id})).one()
            return Posted(_message(first), (), duplicate=True)
        _refuse(refused.active)
        raise AssertionError("a refusal without a reason") from refused
    message = ChatMessage(
        trip.new_id,
        room.id,
        author.id,
        author.display_name,
        text,
        html,
        read(created_at),
        None,
        None,
        trip.seq,
    )
    return Posted(message, ())


async def _post(
    db: Database, author: User, room: Room, text: str, now: datetime, client_id: str | None
) -> Posted:
    # A line that mentions nobody is rendered before the transaction: the room's row (locked
    # on PostgreSQL from the next statement until commit) is held for less time.
    html = None if "@" in text else render_markdown(text)
    if html is not None and db.is_sqlite:
        return await _post_in_one_trip(db, author, room, text, html, now, client_id)
    async with db.begin() as conn:
        # The room's next number first: its row stays locked until commit on PostgreSQL,
        # so a retry of this very message that got in first (another socket, another
        # instance) is visible to the next statement. A refusal rolls back: the number is
        # not used up.
        seq = await _next_seq(conn, room)
        active: set[str] = set()
        for kind, message_id in await conn.execute(
            _BEFORE_POSTING,
            {"room_id": room.id, "user_id": author.id, "now": now, "client_id": client_id},
        ):
            if message_id is not None:
                first = (await conn.execute(_BY_ID, {"id": message_id})).one()
                raise _AlreadyPosted(Posted(_message(first), (), duplicate=True))
            active.add(kind)
        _refuse(active)
        mentions = find_mentions(text, await _mentionable(conn, room)) if "@" in text else []
        result = await conn.execute(
            _INSERT,
            {
                "room_id": room.id,
                "author_id": author.id,
                "author_name": author.display_name,
                "body": text,
                "html": html if html is not None else render_markdown(text, mentions),
                "created_at": now,
                "client_id": client_id,
                "seq": seq,
            },
        )
        message = _message(result.one())
        mentioned = tuple(uid for uid, _ in mentions if uid != author.id)
        if not mentioned:
            return Posted(message, ())
        texts = inbox.texts_for(
            lambda locale: (
                translate(
                    locale,
                    N_("%(name)s mentioned you in %(room)s."),
                    {"name": author.display_name, "room": room.name(locale)},
                ),
                None,
            )
        )
        notices = []
        for user_id in sorted(mentioned):  # one order for every post: no deadlock
            note = await inbox.notify(
                conn,
                user_id,
                "mention",
                now,
                texts=texts,
                link=f"/r/{room.slug}#msg-{message.id}",
                excerpt=text[:200],
                room_id=room.id,
                message_id=message.id,
                actor_id=author.id,
            )
            if note is not None:
                notices.append(note)
    return Posted(message, mentioned, notices=tuple(notices))


async def _load(conn: AsyncConnection, room: Room, message_id: int) -> ChatMessage:
    row = (
        await conn.execute(
            select(messages).where(messages.c.id == message_id, messages.c.room_id == room.id)
        )
    ).first()
    if row is None or row._mapping["deleted_at"] is not None:
        raise NotFound("chat/unknown_message", N_("This message no longer exists."))
    return _message(row)


async def message_source(conn: AsyncConnection, author: User, room: Room, message_id: int) -> str:
    """The Markdown text of one's own message, for the editor."""
    message = await _load(conn, room, message_id)
    if message.author_id != author.id:
        raise Forbidden("chat/not_author", N_("You can only change your own messages."))
    return message.body


async def edit_message(
    db: Database,
    editor: User,
    room: Room,
    message_id: int,
    body: str,
    now: datetime,
    *,
    max_length: int,
) -> ChatMessage:
    """Change one's own message (mentions are not notified again)."""
    text = _check_body(body, max_length)
    async with db.begin() as conn:
        message = await _load(conn, room, message_id)
        if message.author_id != editor.id:
            raise Forbidden("chat/not_author", N_("You can only change your own messages."))
        mentions = find_mentions(text, await _mentionable(conn, room)) if "@" in text else []
        seq = await _next_seq(conn, room)
        row = (
            await conn.execute(
                update(messages)
                .where(messages.c.id == message.id)
                .values(body=text, html=render_markdown(text, mentions), edited_at=now, seq=seq)
                .returning(messages)
            )
        ).one()
        # Mention notices quote the message as it is now, not words taken back.
        await inbox.requote(conn, message.id, text)
    return _message(row)


async def delete_message(
    db: Database, actor: User, room: Room, message_id: int, now: datetime
) -> ChatMessage:
    """Delete a message: its author, or a moderator (logged). The text is erased, the place stays."""
    async with db.begin() as conn:
        message = await _load(conn, room, message_id)
        own = message.author_id == actor.id
        if not own and not can_moderate(actor):
            raise Forbidden("chat/not_author", N_("You can only change your own messages."))
        if not own and message.author_id is not None:
            author = await user_by_id(conn, message.author_id)
            if author is not None and not can_moderate_person(actor, author):
                raise Forbidden("venue/cannot_moderate", N_("You cannot moderate this person."))
        seq = await _next_seq(conn, room)
        row = (
            await conn.execute(
                update(messages)
                .where(messages.c.id == message.id)
                .values(body="", html="", deleted_at=now, deleted_by=actor.id, seq=seq)
                .returning(messages)
            )
        ).one()
        # The words go from the mention notices too.
        await inbox.requote(conn, message.id, None)
        if not own:
            await log_moderation(
                conn,
                actor,
                "delete_message",
                now,
                target_user_id=message.author_id,
                room_id=room.id,
                message_id=message.id,
            )
    return _message(row)


async def history(
    conn: AsyncConnection, room: Room, *, before: int | None = None, limit: int = 50
) -> list[ChatMessage]:
    """Up to ``limit`` messages before message id ``before``, oldest first."""
    query = select(messages).where(messages.c.room_id == room.id)
    if before is not None:
        query = query.where(messages.c.id < before)
    rows = await conn.execute(query.order_by(messages.c.id.desc()).limit(limit))
    return [_message(row) for row in reversed(rows.all())]


async def changes_since(
    conn: AsyncConnection, room: Room, after: int, *, limit: int
) -> list[ChatMessage] | None:
    """Messages changed after topic seq ``after`` in change order; ``None`` if more than ``limit``."""
    rows = (
        await conn.execute(_CHANGES_SINCE, {"room": room.id, "after": after, "limit": limit + 1})
    ).all()
    if len(rows) > limit:
        return None
    return [_message(row) for row in rows]


_CHANGES_SINCE = (
    select(messages)
    .where(messages.c.room_id == bindparam("room"), messages.c.seq > bindparam("after"))
    .order_by(messages.c.seq)
    .limit(bindparam("limit", type_=Integer))
)
"""Built once: read by every tab that comes back to a room (a thousand after a restart)."""


async def messages_by(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """Every chat message ``user_id`` wrote, as it stands (their export)."""
    rows = await conn.execute(
        select(rooms.c.slug, messages.c.created_at, messages.c.edited_at, messages.c.deleted_at,
               messages.c.body)
        .select_from(messages.join(rooms, rooms.c.id == messages.c.room_id))
        .where(messages.c.author_id == user_id)
        .order_by(messages.c.id)
    )  # fmt: skip
    return [
        {
            "room": row.slug,
            "at": row.created_at,
            "edited_at": row.edited_at,
            "deleted": row.deleted_at is not None,
            "body": None if row.deleted_at is not None else row.body,
        }
        for row in rows
    ]


# -- retention and departures (docs/security.md, the privacy page) ------------

_PURGE_BATCH = 500


async def purge_before(conn: AsyncConnection, cutoff: datetime) -> int:
    """Erase every room message written before ``cutoff`` (``chat_retention_days``), with the
    words the mention notices quoted from them; returns how many went."""
    gone = 0
    while True:
        ids = list(
            (
                await conn.execute(
                    select(messages.c.id)
                    .where(messages.c.created_at < cutoff)
                    .order_by(messages.c.id)
                    .limit(_PURGE_BATCH)
                )
            ).scalars()
        )
        if not ids:
            return gone
        await inbox.unquote(conn, ids)
        await conn.execute(delete(messages).where(messages.c.id.in_(ids)))
        gone += len(ids)


def _mention_of(user_id: str) -> re.Pattern[str]:
    return re.compile(r'<span class="mention" data-user="' + re.escape(user_id) + r'">[^<]*</span>')


async def forget_author(
    conn: AsyncConnection,
    user_id: str,
    display_name: str,
    *,
    remove: bool,
    gone_name: str,
    now: datetime,
) -> list[int]:
    """A person leaves the venue: their messages are kept signed ``gone_name`` (unlinked),
    or erased (``remove``: the place stays, as for a deleted message); mentions of them in
    others' messages name ``gone_name`` and link nobody. Each changed message takes its room
    topic's next number, so a resuming tab gets it. Returns the changed messages' ids (to
    publish after the commit)."""
    changed: list[int] = []
    own = (
        await conn.execute(
            select(messages.c.id, messages.c.room_id).where(messages.c.author_id == user_id)
        )
    ).all()
    for message_id, room_id in own:
        seq = int((await conn.execute(_NEXT_SEQ, {"room": room_id})).scalar_one())
        values: dict[str, Any] = {
            "author_id": None,
            "author_name": gone_name,
            "client_id": None,
            "seq": seq,
        }
        if remove:
            values |= {"body": "", "html": ""}
        await conn.execute(update(messages).where(messages.c.id == message_id).values(**values))
        changed.append(message_id)
    if remove and own:
        await conn.execute(
            update(messages)
            .where(messages.c.id.in_([m for m, _ in own]), messages.c.deleted_at.is_(None))
            .values(deleted_at=now)
        )
        await inbox.unquote(conn, [message_id for message_id, _ in own])
    await conn.execute(
        update(messages).where(messages.c.deleted_by == user_id).values(deleted_by=None)
    )
    pattern = _mention_of(user_id)
    mentioned = (
        await conn.execute(
            select(messages.c.id, messages.c.room_id, messages.c.body, messages.c.html).where(
                messages.c.html.contains(f'data-user="{user_id}"')
            )
        )
    ).all()
    for message_id, room_id, body, html in mentioned:
        seq = int((await conn.execute(_NEXT_SEQ, {"room": room_id})).scalar_one())
        await conn.execute(
            update(messages)
            .where(messages.c.id == message_id)
            .values(
                html=pattern.sub(f'<span class="mention">@{_escape(gone_name)}</span>', html),
                body=body.replace(f"@{display_name}", f"@{gone_name}"),
                seq=seq,
            )
        )
        changed.append(message_id)
    return changed


async def messages_by_ids(conn: AsyncConnection, ids: list[int]) -> list[ChatMessage]:
    """These messages as they are now, in their topics' order."""
    if not ids:
        return []
    rows = await conn.execute(
        select(messages).where(messages.c.id.in_(ids)).order_by(messages.c.room_id, messages.c.seq)
    )
    return [_message(row) for row in rows]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
