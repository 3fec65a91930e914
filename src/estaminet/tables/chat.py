"""Chat at a game table: channels decided by the game's rules, messages kept by the platform.

A game says, for each viewer and each moment, which channels they may read
and write (``rules.channels(state, viewer)``). A channel named ``X_anonymous``
is a read-only mirror of ``X`` with the authors hidden (the Little Girl
spying on the Werewolves). A game may also say from when a channel's history may
be read (``"from": {channel: ISO instant}``): a reader who starts reading then
gets only what is said from that moment (the Little Girl hears what the pack
says while she spies, not what it said the night before). Games that say nothing get a ``table`` channel for
the players and a ``spectators`` channel that players never read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.activity import Activity, Viewer, ViewerKind
from estaminet.kernel.errors import BadInput, Forbidden
from estaminet.kernel.i18n import N_
from estaminet.people.model import User
from estaminet.store import Database
from estaminet.tables.schema import activity_chat

__all__ = [
    "ANONYMOUS",
    "TableMessage",
    "forget_author",
    "history",
    "history_from",
    "permissions",
    "post",
    "purge_before",
]

ANONYMOUS = "_anonymous"
MAX_LENGTH = 500


@dataclass(frozen=True)
class TableMessage:
    id: int
    channel: str
    author_name: str
    seat: int | None
    body: str
    at: datetime


def permissions(rules: Activity[Any], state: Any, viewer: Viewer) -> dict[str, list[str]]:
    """``{"read": [...], "write": [...]}`` for ``viewer`` now."""
    decide = getattr(rules, "channels", None)
    if decide is not None:
        found: dict[str, list[str]] = decide(state, viewer)
        return {"read": list(found.get("read", [])), "write": list(found.get("write", []))}
    if viewer.kind is ViewerKind.PLAYER:
        return {"read": ["table"], "write": ["table"]}
    if viewer.kind is ViewerKind.SPECTATOR:
        return {"read": ["table", "spectators"], "write": ["spectators"]}
    return {"read": ["table", "spectators"], "write": ["table"]}


def history_from(rules: Activity[Any], state: Any, viewer: Viewer) -> dict[str, datetime]:
    """For each readable channel that has one, the instant its history starts for ``viewer``."""
    decide = getattr(rules, "channels", None)
    if decide is None:
        return {}
    found = decide(state, viewer).get("from") or {}
    return {channel: datetime.fromisoformat(at) for channel, at in found.items()}


def _message(row: Any) -> TableMessage:
    m = row._mapping
    return TableMessage(m["id"], m["channel"], m["author_name"], m["seat"], m["body"], m["at"])


async def post(
    db: Database,
    user: User,
    table_id: int,
    channel: str,
    body: str,
    seat: int | None,
    allowed: list[str],
    now: datetime,
) -> TableMessage:
    """Store a message in ``channel`` if the game lets this person write there now."""
    text = (body or "").strip()
    if not text:
        raise BadInput("chat/empty", N_("The message is empty."))
    if len(text) > MAX_LENGTH:
        raise BadInput(
            "chat/too_long",
            N_("A message has at most %(max)s characters (this one has %(length)s)."),
            max=MAX_LENGTH,
            length=len(text),
        )
    if channel not in allowed or channel.endswith(ANONYMOUS):
        raise Forbidden("tables/channel_closed", N_("You cannot write in this channel now."))
    async with db.begin() as conn:
        row = (
            await conn.execute(
                insert(activity_chat)
                .values(
                    activity_id=table_id,
                    channel=channel,
                    author_id=user.id,
                    author_name=user.display_name,
                    seat=seat,
                    body=text,
                    at=now,
                )
                .returning(activity_chat)
            )
        ).one()
    return _message(row)


async def history(
    conn: AsyncConnection,
    table_id: int,
    channels: list[str],
    limit: int = 50,
    since: Mapping[str, datetime] | None = None,
) -> dict[str, list[TableMessage]]:
    """The last messages of each readable channel (mirrors read their source channel),
    none older than the channel's start in ``since`` (see :func:`history_from`).

    Each channel's read is its last ``limit`` rows along the index of the table's channel
    and numbers, whatever ``since`` says: the channel's start is applied to those rows, so
    a read never passes over a channel's earlier talk (a nightfall reads these on the event
    loop's thread, ``Database.read_now``). Messages are numbered as they are written, so
    what was said since the start is the newest: the same messages either way, up to
    ``limit``, and never one said before the start."""
    found: dict[str, list[TableMessage]] = {}
    for channel in channels:
        source = channel.removesuffix(ANONYMOUS)
        rows = await conn.execute(
            select(activity_chat)
            .where(activity_chat.c.activity_id == table_id, activity_chat.c.channel == source)
            .order_by(activity_chat.c.id.desc())
            .limit(limit)
        )
        start = since.get(channel) if since else None
        found[channel] = [
            _message(row) for row in reversed(rows.all()) if start is None or row.at >= start
        ]
    return found


async def purge_before(conn: AsyncConnection, cutoff: datetime) -> int:
    """Erase the table chat written before ``cutoff`` (``chat_retention_days``)."""
    result = await conn.execute(delete(activity_chat).where(activity_chat.c.at < cutoff))
    return int(result.rowcount or 0)


async def forget_author(
    conn: AsyncConnection, user_id: str, *, remove: bool, gone_name: str
) -> None:
    """A person leaves: their table messages are signed ``gone_name`` and unlinked, or erased."""
    mine = activity_chat.c.author_id == user_id
    if remove:
        await conn.execute(delete(activity_chat).where(mine))
    else:
        await conn.execute(
            update(activity_chat).where(mine).values(author_id=None, author_name=gone_name)
        )
