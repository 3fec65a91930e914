"""people: when the first visit's tour was finished or skipped

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 06:30:00

People who were already there before the tour existed are not shown it: their
``toured_at`` is their arrival.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import estaminet.store.database

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "toured_at", estaminet.store.database.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.execute("UPDATE users SET toured_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("toured_at")
