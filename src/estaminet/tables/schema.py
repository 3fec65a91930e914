"""Tables of the game-table feature: the chat channels of a table or a sitting, watchers' votes."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from estaminet.store.database import UTCDateTime, metadata

__all__ = ["activity_chat", "table_votes"]

# Chat channels of an activity (wolves, lovers, graveyard, spectators…): who may
# read or write each channel is decided by the activity's rules, never stored here.
activity_chat = Table(
    "activity_chat",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("author_id", String(32), nullable=True),
    Column("author_name", String(60), nullable=False),
    Column("seat", Integer, nullable=True),
    Column("body", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_activity_chat", "activity_id", "channel", "id"),
)

# The watchers' votes on a table's question (« Qui a le mieux joué ? »): one per watcher,
# secret until the game ends (tables/votes.py).
table_votes = Table(
    "table_votes",
    metadata,
    Column(
        "activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("voter_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("seat", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_table_votes_voter", "voter_id"),
)
