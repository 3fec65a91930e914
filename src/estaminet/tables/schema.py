"""Tables of the game-table feature: the chat channels of a table or a sitting, watchers' votes,
practice tables."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from estaminet.store.database import UTCDateTime, metadata

__all__ = ["activity_chat", "practice_tables", "table_votes"]

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

# A practice table: a narrator alone with bots in every seat (tables/practice.py). The bots'
# next move is for the log position ``seq``, first seen at ``seen_at`` (their thinking time
# runs from there); a runner that takes it holds it until ``claim_until``, so two instances
# never play it twice and a runner that died is replaced once the claim lapses.
practice_tables = Table(
    "practice_tables",
    metadata,
    Column(
        "activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("bots", Integer, nullable=False),
    Column("paused_at", UTCDateTime, nullable=True),
    Column("seq", Integer, nullable=False, default=0),
    Column("seen_at", UTCDateTime, nullable=True),
    Column("claim_until", UTCDateTime, nullable=True),
    # Set once the runner has seen the game end: it no longer looks at this table.
    Column("finished", Integer, nullable=False, default=0),
)
