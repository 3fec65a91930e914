"""Tables of the live-activity engine: activities, participants, the event log, snapshots, timers."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String, Table

from estaminet.store.database import UTCDateTime, metadata

__all__ = [
    "activities",
    "activity_events",
    "activity_participants",
    "activity_snapshots",
    "activity_timers",
    "ballot_boxes",
]

activities = Table(
    "activities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # "game" or "assembly" (a sitting)
    Column("key", String(40), nullable=False),  # the game (or activity) key
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(80), nullable=False),
    Column("host_id", String(32), nullable=True),
    Column("status", String(8), nullable=False),  # lobby, running, ended
    Column("options", JSON, nullable=False),
    Column("private", Integer, nullable=False, default=0),
    Column("max_spectators", Integer, nullable=False, default=50),
    Column("seed", BigInteger, nullable=True),  # 62 random bits: see live.engine.SEED_BITS
    Column("seats", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("outcome", JSON, nullable=True),
    # The log's last sequence number: appending checks it (optimistic concurrency).
    Column("last_seq", Integer, nullable=False, default=0),
    Index("ix_activities_room", "room_id", "status"),
)

activity_participants = Table(
    "activity_participants",
    metadata,
    Column(
        "activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(10), nullable=False),  # player, spectator, narrator
    Column("seat", Integer, nullable=True),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("order", Integer, nullable=False),
)

activity_events = Table(
    "activity_events",
    metadata,
    Column(
        "activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("seq", Integer, primary_key=True),
    Column("actor", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

activity_snapshots = Table(
    "activity_snapshots",
    metadata,
    Column(
        "activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("seq", Integer, primary_key=True),
    Column("state", JSON, nullable=False),
)

activity_timers = Table(
    "activity_timers",
    metadata,
    Column(
        "activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("due_at", UTCDateTime, nullable=False),
    # The log position the deadline belongs to: a timer whose log has moved on is stale.
    Column("for_seq", Integer, nullable=False),
    Index("ix_activity_timers_due", "due_at"),
)

# Secret ballots, apart from the log: one row per box holding the sorted contents,
# rewritten on each deposit. No voter, no time, no row per ballot: nothing links a
# ballot to who cast it or when (docs/assembly/secret-ballots.md).
ballot_boxes = Table(
    "ballot_boxes",
    metadata,
    Column(
        "activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("box", String(40), primary_key=True),
    Column("contents", JSON, nullable=False),
)
