"""soirees: an evening's running order and its people; the watchers' votes at a table

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import estaminet.store.database

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_UTC = estaminet.store.database.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "table_votes",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.String(length=32), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_table_votes_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"],
            ["users.id"],
            name=op.f("fk_table_votes_voter_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "voter_id", name=op.f("pk_table_votes")),
    )
    with op.batch_alter_table("table_votes", schema=None) as batch_op:
        batch_op.create_index("ix_table_votes_voter", ["voter_id"], unique=False)

    op.create_table(
        "soirees",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.String(length=32), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("occurrence", sa.String(length=13), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("ended_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["agenda_events.id"],
            name=op.f("fk_soirees_event_id_agenda_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["host_id"], ["users.id"], name=op.f("fk_soirees_host_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_soirees_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_soirees")),
    )
    with op.batch_alter_table("soirees", schema=None) as batch_op:
        batch_op.create_index("ix_soirees_room", ["room_id", "status"], unique=False)

    op.create_table(
        "soiree_games",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("soiree_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("game_key", sa.String(length=40), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["soiree_id"],
            ["soirees.id"],
            name=op.f("fk_soiree_games_soiree_id_soirees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["activities.id"],
            name=op.f("fk_soiree_games_table_id_activities"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_soiree_games")),
        sa.UniqueConstraint("soiree_id", "position", name="uq_soiree_games_position"),
    )
    op.create_table(
        "soiree_members",
        sa.Column("soiree_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("joined_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["soiree_id"],
            ["soirees.id"],
            name=op.f("fk_soiree_members_soiree_id_soirees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_soiree_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("soiree_id", "user_id", name=op.f("pk_soiree_members")),
    )
    with op.batch_alter_table("soiree_members", schema=None) as batch_op:
        batch_op.create_index("ix_soiree_members_user", ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("soiree_members", schema=None) as batch_op:
        batch_op.drop_index("ix_soiree_members_user")

    op.drop_table("soiree_members")
    op.drop_table("soiree_games")
    with op.batch_alter_table("soirees", schema=None) as batch_op:
        batch_op.drop_index("ix_soirees_room")

    op.drop_table("soirees")
    with op.batch_alter_table("table_votes", schema=None) as batch_op:
        batch_op.drop_index("ix_table_votes_voter")

    op.drop_table("table_votes")
