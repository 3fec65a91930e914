"""Tables of the venue feature: rooms, their team members, chat messages."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from estaminet.store.database import UTCDateTime, metadata

__all__ = ["messages", "room_restrictions", "room_team", "rooms", "venue_meta"]

rooms = Table(
    "rooms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slug", String(40), nullable=False, unique=True),
    Column("name_fr", String(80), nullable=False),
    Column("name_en", String(80), nullable=False),
    Column("description_fr", Text, nullable=False, default=""),
    Column("description_en", Text, nullable=False, default=""),
    Column("kind", String(16), nullable=False),
    Column("visibility", String(8), nullable=False),
    Column("x", Integer, nullable=False),
    Column("y", Integer, nullable=False),
    Column("w", Integer, nullable=False),
    Column("h", Integer, nullable=False),
    Column("capacity", Integer, nullable=True),
    Column("voice", String(8), nullable=False, default="mesh"),
    Column("sort", Integer, nullable=False, default=0),
    Column("archived_at", UTCDateTime, nullable=True),
    # The room topic's sequence: every chat change takes the next number.
    Column("last_seq", Integer, nullable=False, default=0),
)

room_team = Table(
    "room_team",
    metadata,
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("author_name", String(60), nullable=False),
    Column("body", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("edited_at", UTCDateTime, nullable=True),
    Column("deleted_at", UTCDateTime, nullable=True),
    Column("deleted_by", String(32), nullable=True),
    Column("client_id", String(40), nullable=True),
    # Sequence number of the last change to this message in its room topic (resume key).
    Column("seq", Integer, nullable=False),
    Index("ix_messages_room_id", "room_id", "id"),
    Index("ix_messages_room_seq", "room_id", "seq"),
    Index("ix_messages_client", "room_id", "author_id", "client_id", unique=True),
)

# A mute (may read, not write) or a kick (may not enter) in one room, until a time.
room_restrictions = Table(
    "room_restrictions",
    metadata,
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("until", UTCDateTime, nullable=False),
)


venue_meta = Table(
    "venue_meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)
