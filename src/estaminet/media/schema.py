"""Tables of the stage that outlive a process: its sessions (opened for an agenda event or on
the spot) and their recordings, whose processing is a durable job (``docs/stage.md``)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from estaminet.store.database import UTCDateTime, metadata

__all__ = ["stage_recordings", "stage_sessions"]

# SQLite gives an automatic id only to an INTEGER PRIMARY KEY: BIGINT elsewhere.
_ID = BigInteger().with_variant(Integer(), "sqlite")

stage_sessions = Table(
    "stage_sessions",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("room_slug", String(40), nullable=False),
    # The agenda event shown on stage (no foreign key: the agenda sits above the stage).
    Column("event_id", Integer, nullable=True),
    Column("occurrence", String(13), nullable=True),
    Column("title", String(120), nullable=False),
    Column("starts_at", UTCDateTime, nullable=True),
    Column("link", String(200), nullable=True),  # the event's page, on this venue
    Column("opened_by", String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    Index("ix_stage_sessions_room_slug", "room_slug", "closed_at"),
    Index("ix_stage_sessions_event_id", "event_id"),
)

stage_recordings = Table(
    "stage_recordings",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column(
        "session_id",
        _ID,
        ForeignKey("stage_sessions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("folder", String(80), nullable=False),  # under <data_dir>/recordings
    Column("names", Text, nullable=False),  # JSON: feed number → performer's name
    # JSON: feed number → performer's user id; null once that person deleted their account
    # (their files are erased, and a take not yet processed leaves their feed out).
    Column("performers", Text, nullable=False, server_default="{}"),
    Column("state", String(12), nullable=False),  # recording, pending, processing, done, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("files", Text, nullable=False),  # JSON: [{"name", "file"}] once done
    Column("error", Text, nullable=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("stopped_at", UTCDateTime, nullable=True),
    Column("done_at", UTCDateTime, nullable=True),
    Index("ix_stage_recordings_session_id", "session_id"),
    Index("ix_stage_recordings_state", "state"),
)
