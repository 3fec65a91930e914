"""people: the notification inbox (a per-person sequence, texts, links, once only)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("inbox_seq", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("texts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("link", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("dedupe", sa.String(length=80), nullable=True))
    # Mentions stored before: numbered 1, 2, 3… per person, in the order they came.
    op.execute(
        "UPDATE notifications SET seq = (SELECT COUNT(*) FROM notifications AS earlier"
        " WHERE earlier.user_id = notifications.user_id AND earlier.id <= notifications.id)"
    )
    op.execute(
        "UPDATE users SET inbox_seq = (SELECT COALESCE(MAX(seq), 0) FROM notifications"
        " WHERE notifications.user_id = users.id)"
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint("uq_notifications_seq", ["user_id", "seq"])
        batch_op.create_unique_constraint("uq_notifications_dedupe", ["user_id", "dedupe"])


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("uq_notifications_dedupe", type_="unique")
        batch_op.drop_constraint("uq_notifications_seq", type_="unique")
        batch_op.drop_column("dedupe")
        batch_op.drop_column("link")
        batch_op.drop_column("texts")
        batch_op.drop_column("seq")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("inbox_seq")
