"""Tables of the people feature: accounts and guests, sessions, devices, invites, links, moderation."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from estaminet.store.database import UTCDateTime, metadata

__all__ = [
    "devices",
    "email_claims",
    "invites",
    "login_links",
    "mail_choices",
    "mail_outbox",
    "moderation_log",
    "notifications",
    "sessions",
    "users",
]

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("display_name", String(60), nullable=False),
    Column("email", String(254), nullable=True, unique=True),
    Column("password_hash", String(255), nullable=True),
    Column("role", String(16), nullable=False),
    Column("locale", String(8), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("invite_id", String(32), ForeignKey("invites.id", ondelete="SET NULL"), nullable=True),
    Column("banned_at", UTCDateTime, nullable=True),
    Column("ban_reason", Text, nullable=True),
    # The inbox topic's last sequence number (``inbox:<id>``): taken, row locked, by each notice.
    Column("inbox_seq", Integer, nullable=False, server_default="0"),
    # When the person finished or skipped the first visit's tour (None: show it on the plan).
    Column("toured_at", UTCDateTime, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("device_id", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_sessions_user", "user_id"),
)

devices = Table(
    "devices",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("first_seen_at", UTCDateTime, nullable=False),
)

invites = Table(
    "invites",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("note", String(200), nullable=True),
    Column("created_by", String(32), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("max_uses", Integer, nullable=True),
    Column("uses", Integer, nullable=False, default=0),
    Column("revoked_at", UTCDateTime, nullable=True),
)

login_links = Table(
    "login_links",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Column("single_use", Boolean, nullable=False),
)

moderation_log = Table(
    "moderation_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", String(32), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target_user_id", String(32), nullable=True),
    Column("room_id", Integer, nullable=True),
    Column("message_id", Integer, nullable=True),
    Column("until", UTCDateTime, nullable=True),
    Column("reason", Text, nullable=True),
)

notifications = Table(
    "notifications",
    metadata,
    # A person's inbox: every notice lands here first (see ``inbox.py``).
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),  # the person's inbox topic number, 1, 2, 3…
    Column("kind", String(32), nullable=False),  # "mention", "moderation", "agenda/start"…
    Column("texts", JSON, nullable=True),  # {"fr": {"text": …, "action": …}, "en": {…}}
    Column("link", String(300), nullable=True),
    Column("dedupe", String(80), nullable=True),  # the same notice is never stored twice
    Column("room_id", Integer, nullable=True),
    Column("message_id", Integer, nullable=True),
    Column("actor_id", String(32), nullable=True),
    Column("excerpt", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("read_at", UTCDateTime, nullable=True),
    Index("ix_notifications_user", "user_id", "read_at"),
    UniqueConstraint("user_id", "seq", name="uq_notifications_seq"),
    UniqueConstraint("user_id", "dedupe", name="uq_notifications_dedupe"),
)

mail_outbox = Table(
    "mail_outbox",
    metadata,
    # E-mail waiting to go (see ``outbox.py``): written with the notice, sent by a worker.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("message", LargeBinary, nullable=False),  # the whole message, as it will be sent
    Column("state", String(16), nullable=False),  # pending, sent, undeliverable
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", String(300), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("done_at", UTCDateTime, nullable=True),
    Index("ix_mail_outbox_due", "state", "next_attempt_at"),
)

mail_choices = Table(
    "mail_choices",
    metadata,
    # Which notices also come by e-mail, as each person chose (no row: the default).
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("by_mail", Boolean, nullable=False),
)

# An address a person says is theirs, not yet proved: it counts for nothing (sign-in, teams,
# e-mail) until its link is followed or an admin confirms it. One pending claim per person.
email_claims = Table(
    "email_claims",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
