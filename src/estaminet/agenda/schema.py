"""Tables of the agenda: events, occurrence overrides, answers, durable notices, feed tokens."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from estaminet.store.database import UTCDateTime, metadata

__all__ = [
    "agenda_answers",
    "agenda_events",
    "agenda_feed_tokens",
    "agenda_moves",
    "agenda_notices",
    "agenda_overrides",
]

agenda_events = Table(
    "agenda_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uid", String(64), nullable=False, unique=True),  # stable iCalendar UID
    Column("title", String(120), nullable=False),
    Column("description", Text, nullable=False),  # Markdown, rendered sanitised
    Column("kind", String(16), nullable=False),
    Column("room_slug", String(40), nullable=True),
    Column("visibility", String(8), nullable=False),
    Column("capacity", Integer, nullable=True),
    Column("waitlist", Boolean, nullable=False, default=True),
    Column("picture", String(80), nullable=True),
    Column("status", String(10), nullable=False),
    # Wall-clock start in the venue's zone ("2026-12-04T20:00"), and the duration.
    Column("start_local", String(16), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("frequency", String(16), nullable=False),
    Column("until", Date, nullable=True),
    Column("count", Integer, nullable=True),
    # Bounds in UTC of the whole series (queries pick candidate events by them).
    Column("first_start", UTCDateTime, nullable=False),
    Column("last_end", UTCDateTime, nullable=False),
    Column("created_by", String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("sequence", Integer, nullable=False, default=0),  # iCalendar SEQUENCE
    Index("ix_agenda_events_span", "first_start", "last_end"),
)

agenda_overrides = Table(
    "agenda_overrides",
    metadata,
    Column(
        "event_id", Integer, ForeignKey("agenda_events.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("occurrence", String(13), primary_key=True),  # original local start (RECURRENCE-ID)
    Column("cancelled", Boolean, nullable=False, default=False),
    Column("start_local", String(16), nullable=True),
    Column("duration_minutes", Integer, nullable=True),
)

agenda_moves = Table(
    "agenda_moves",
    metadata,
    # Where a date's old address leads once an edit gave it a new one (its time changed,
    # or a split moved it to the new event): links in e-mails and notices keep working.
    Column(
        "event_id", Integer, ForeignKey("agenda_events.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("occurrence", String(13), primary_key=True),
    Column(
        "to_event_id",
        Integer,
        ForeignKey("agenda_events.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("to_occurrence", String(13), nullable=False),
)

agenda_answers = Table(
    "agenda_answers",
    metadata,
    Column(
        "event_id", Integer, ForeignKey("agenda_events.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("occurrence", String(13), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("answer", String(8), nullable=False),  # yes, maybe, no, waiting
    Column("at", UTCDateTime, nullable=False),  # the waiting list's order
)

agenda_notices = Table(
    "agenda_notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("agenda_events.id", ondelete="CASCADE"), nullable=False),
    Column("occurrence", String(13), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(10), nullable=False),  # 24h, 15m, start, cancelled, promoted
    Column("due_at", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime, nullable=True),  # set once, atomically: sent at most once
    UniqueConstraint("event_id", "occurrence", "user_id", "kind", name="uq_agenda_notices_once"),
    Index("ix_agenda_notices_due", "claimed_at", "due_at"),
)

agenda_feed_tokens = Table(
    "agenda_feed_tokens",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)
