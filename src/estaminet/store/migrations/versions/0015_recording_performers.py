"""media: who each feed of a stage recording is (their files in their data, and erased with them)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stage_recordings") as batch:
        batch.add_column(sa.Column("performers", sa.Text(), server_default="{}", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("stage_recordings") as batch:
        batch.drop_column("performers")
