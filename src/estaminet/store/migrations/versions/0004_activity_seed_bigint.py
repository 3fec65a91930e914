"""activities.seed holds 62 random bits: a BigInteger on every backend

PostgreSQL's INTEGER is 32 bits, so starting a game table or convening an
assembly failed there ("value out of int32 range"); SQLite's INTEGER already
held 64 bits. Existing rows keep their seeds.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 17:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.alter_column(
            "seed", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True
        )


def downgrade() -> None:
    # On PostgreSQL this fails while a stored seed does not fit in 32 bits: refusing is
    # better than losing the seed a running or ended activity is rebuilt from.
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.alter_column(
            "seed", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True
        )
