"""media: the stage's sessions (opened for an agenda event or on the spot) and recordings

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 17:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import estaminet.store.database

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_UTC = estaminet.store.database.UTCDateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stage_sessions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("room_slug", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("occurrence", sa.String(length=13), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("starts_at", _UTC, nullable=True),
        sa.Column("link", sa.String(length=200), nullable=True),
        sa.Column("opened_by", sa.String(length=32), nullable=True),
        sa.Column("opened_at", _UTC, nullable=False),
        sa.Column("closed_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["opened_by"],
            ["users.id"],
            name=op.f("fk_stage_sessions_opened_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_sessions")),
    )
    op.create_index(
        "ix_stage_sessions_room_slug", "stage_sessions", ["room_slug", "closed_at"], unique=False
    )
    op.create_index("ix_stage_sessions_event_id", "stage_sessions", ["event_id"], unique=False)
    op.create_table(
        "stage_recordings",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("session_id", _ID, nullable=False),
        sa.Column("folder", sa.String(length=80), nullable=False),
        sa.Column("names", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", _UTC, nullable=False),
        sa.Column("stopped_at", _UTC, nullable=True),
        sa.Column("done_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["stage_sessions.id"],
            name=op.f("fk_stage_recordings_session_id_stage_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_recordings")),
    )
    op.create_index(
        "ix_stage_recordings_session_id", "stage_recordings", ["session_id"], unique=False
    )
    op.create_index("ix_stage_recordings_state", "stage_recordings", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_stage_recordings_state", table_name="stage_recordings")
    op.drop_index("ix_stage_recordings_session_id", table_name="stage_recordings")
    op.drop_table("stage_recordings")
    op.drop_index("ix_stage_sessions_event_id", table_name="stage_sessions")
    op.drop_index("ix_stage_sessions_room_slug", table_name="stage_sessions")
    op.drop_table("stage_sessions")
