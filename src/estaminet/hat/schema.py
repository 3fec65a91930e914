"""Tables of the solidarity hat: causes (hats), their treasurers, the pledges."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from estaminet.store.database import UTCDateTime, metadata

__all__ = ["hat_pledges", "hat_treasurers", "hats"]

hats = Table(
    "hats",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False),
    Column("text", Text, nullable=False),
    Column("picture", String(64), nullable=True),  # a file in <data_dir>/hat (as the agenda's)
    Column("beneficiary", String(70), nullable=False),
    Column("iban", String(34), nullable=False),  # compact, validated
    Column("bic", String(11), nullable=True),
    Column("goal_cents", Integer, nullable=False),
    Column("room_slug", String(40), nullable=True),  # the room that shows it (the stage)
    Column("event_id", Integer, ForeignKey("agenda_events.id", ondelete="SET NULL"), nullable=True),
    Column("open", Boolean, nullable=False),
    Column("created_by", String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    Index("ix_hats_room_slug", "room_slug"),
)

hat_treasurers = Table(
    "hat_treasurers",
    metadata,
    Column("hat_id", Integer, ForeignKey("hats.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

hat_pledges = Table(
    "hat_pledges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hat_id", Integer, ForeignKey("hats.id", ondelete="CASCADE"), nullable=False),
    # Who pledged: emptied when the account is deleted (the amount stays: the accounts add up).
    Column("user_id", String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("shown_name", String(60), nullable=True),  # the name thanked; NULL: anonymous
    Column("amount_cents", Integer, nullable=False),
    Column("reference", String(12), nullable=False, unique=True),  # structured communication
    Column("status", String(10), nullable=False),  # pledged, received
    Column("created_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=True),
    Column("received_cents", Integer, nullable=True),  # what the bank showed (import)
    Column("received_by", String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("received_how", String(8), nullable=True),  # hand, import
    Index("ix_hat_pledges_hat_id", "hat_id", "id"),
    Index("ix_hat_pledges_user_id", "user_id"),
)
