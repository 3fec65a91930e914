"""people: an address counts only once verified (pending claims wait apart)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 18:40:00

(The ``postgres`` branch adds a 0004; when both are merged, this one revises 0004.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import estaminet.store.database

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_claims",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", estaminet.store.database.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", estaminet.store.database.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_email_claims_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_email_claims")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_claims_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("email_claims")
