"""Tables of the help desk: requests for help, the people available to help, the corner's chat."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from estaminet.store.database import UTCDateTime, metadata

__all__ = ["help_messages", "help_requests", "help_volunteers"]

help_requests = Table(
    "help_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("topic", String(8), nullable=False),  # mic, sound, game, vote, other
    Column("words", Text, nullable=False),  # what is wrong, in a few words (may be empty)
    Column("page", String(200), nullable=False),  # the venue page the person was on
    Column("mic", String(12), nullable=False),  # the browser's microphone state when asking
    Column("status", String(10), nullable=False),  # waiting, taken, done, cancelled
    Column("created_at", UTCDateTime, nullable=False),
    Column("taken_by", String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("taken_at", UTCDateTime, nullable=True),
    Column("escalated_at", UTCDateTime, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Index("ix_help_requests_status", "status", "created_at"),
    Index("ix_help_requests_user_id", "user_id"),
)

help_volunteers = Table(
    "help_volunteers",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("since", UTCDateTime, nullable=False),
)

help_messages = Table(
    "help_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "request_id",
        Integer,
        ForeignKey("help_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("author_id", String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("body", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_help_messages_request_id", "request_id", "id"),
)
