"""quizzes: question sets and the pictures and sounds uploaded for them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import estaminet.store.database

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_UTC = estaminet.store.database.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "quiz_sets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_quiz_sets_author_id", "quiz_sets", ["author_id"], unique=False)
    op.create_table(
        "quiz_media",
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_quiz_media_author_id", "quiz_media", ["author_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_quiz_media_author_id", table_name="quiz_media")
    op.drop_table("quiz_media")
    op.drop_index("ix_quiz_sets_author_id", table_name="quiz_sets")
    op.drop_table("quiz_sets")
