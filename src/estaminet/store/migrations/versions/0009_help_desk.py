"""helpdesk: requests for help, the people available to help, the help corners' chat

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import estaminet.store.database

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_UTC = estaminet.store.database.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=8), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("page", sa.String(length=200), nullable=False),
        sa.Column("mic", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("taken_by", sa.String(length=32), nullable=True),
        sa.Column("taken_at", _UTC, nullable=True),
        sa.Column("escalated_at", _UTC, nullable=True),
        sa.Column("closed_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["taken_by"],
            ["users.id"],
            name=op.f("fk_help_requests_taken_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_help_requests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_requests")),
    )
    op.create_index("ix_help_requests_status", "help_requests", ["status", "created_at"])
    op.create_index("ix_help_requests_user_id", "help_requests", ["user_id"])
    op.create_table(
        "help_volunteers",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("since", _UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_help_volunteers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_help_volunteers")),
    )
    op.create_table(
        "help_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_help_messages_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["help_requests.id"],
            name=op.f("fk_help_messages_request_id_help_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_messages")),
    )
    op.create_index("ix_help_messages_request_id", "help_messages", ["request_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_help_messages_request_id", table_name="help_messages")
    op.drop_table("help_messages")
    op.drop_table("help_volunteers")
    op.drop_index("ix_help_requests_user_id", table_name="help_requests")
    op.drop_index("ix_help_requests_status", table_name="help_requests")
    op.drop_table("help_requests")
