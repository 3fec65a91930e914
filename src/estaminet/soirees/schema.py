"""Tables of soirées: an evening's running order of games and the people who follow it.

The points are not stored: each game's placings are in its table's outcome
(``activities.outcome``), the watchers' votes with the table (``table_votes``);
the evening scoreboard is computed from them (``soirees/rules.py``).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from estaminet.store.database import UTCDateTime, metadata

__all__ = ["soiree_games", "soiree_members", "soirees"]

soirees = Table(
    "soirees",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(60), nullable=False),
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("host_id", String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    # The agenda's game night it belongs to, if any (one date of the series).
    Column("event_id", Integer, ForeignKey("agenda_events.id", ondelete="SET NULL"), nullable=True),
    Column("occurrence", String(13), nullable=True),
    Column("status", String(8), nullable=False),  # open, ended
    Column("position", Integer, nullable=False, default=-1),  # the game in play (-1: none yet)
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Index("ix_soirees_room", "room_id", "status"),
)

soiree_games = Table(
    "soiree_games",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("soiree_id", Integer, ForeignKey("soirees.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("game_key", String(40), nullable=False),
    Column("table_id", Integer, ForeignKey("activities.id", ondelete="SET NULL"), nullable=True),
    UniqueConstraint("soiree_id", "position", name="uq_soiree_games_position"),
)

soiree_members = Table(
    "soiree_members",
    metadata,
    Column("soiree_id", Integer, ForeignKey("soirees.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(8), nullable=False),  # player, watcher
    Column("joined_at", UTCDateTime, nullable=False),
    Index("ix_soiree_members_user", "user_id"),
)
