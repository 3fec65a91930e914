"""hat: the solidarity hat (causes, their treasurers, pledges)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import estaminet.store.database

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_UTC = estaminet.store.database.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hats",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("picture", sa.String(length=64), nullable=True),
        sa.Column("beneficiary", sa.String(length=70), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=True),
        sa.Column("goal_cents", sa.Integer(), nullable=False),
        sa.Column("room_slug", sa.String(length=40), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("closed_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["agenda_events.id"],
            name=op.f("fk_hats_event_id_agenda_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_hats_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hats")),
    )
    op.create_index("ix_hats_room_slug", "hats", ["room_slug"])
    op.create_table(
        "hat_treasurers",
        sa.Column("hat_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["hat_id"], ["hats.id"], name=op.f("fk_hat_treasurers_hat_id_hats"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_hat_treasurers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hat_id", "user_id", name=op.f("pk_hat_treasurers")),
    )
    op.create_table(
        "hat_pledges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hat_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("shown_name", sa.String(length=60), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("received_at", _UTC, nullable=True),
        sa.Column("received_cents", sa.Integer(), nullable=True),
        sa.Column("received_by", sa.String(length=32), nullable=True),
        sa.Column("received_how", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["hat_id"], ["hats.id"], name=op.f("fk_hat_pledges_hat_id_hats"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_hat_pledges_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["received_by"],
            ["users.id"],
            name=op.f("fk_hat_pledges_received_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hat_pledges")),
        sa.UniqueConstraint("reference", name=op.f("uq_hat_pledges_reference")),
    )
    op.create_index("ix_hat_pledges_hat_id", "hat_pledges", ["hat_id", "id"])
    op.create_index("ix_hat_pledges_user_id", "hat_pledges", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_hat_pledges_user_id", table_name="hat_pledges")
    op.drop_index("ix_hat_pledges_hat_id", table_name="hat_pledges")
    op.drop_table("hat_pledges")
    op.drop_table("hat_treasurers")
    op.drop_index("ix_hats_room_slug", table_name="hats")
    op.drop_table("hats")
