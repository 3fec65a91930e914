"""tables: practice tables (a narrator alone with bots)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import estaminet.store.database

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_UTC = estaminet.store.database.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "practice_tables",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("bots", sa.Integer(), nullable=False),
        sa.Column("paused_at", _UTC, nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("seen_at", _UTC, nullable=True),
        sa.Column("claim_until", _UTC, nullable=True),
        sa.Column("finished", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_practice_tables_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("pk_practice_tables")),
    )


def downgrade() -> None:
    op.drop_table("practice_tables")
