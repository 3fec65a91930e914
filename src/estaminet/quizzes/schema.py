"""Tables of the question sets: the sets (owned by their author) and the files uploaded for them."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from estaminet.store.database import UTCDateTime, metadata

__all__ = ["quiz_media", "quiz_sets"]

quiz_sets = Table(
    "quiz_sets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("author_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(80), nullable=False),
    Column("content", Text, nullable=False),  # JSON: {"title", "questions"} as checked
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_quiz_sets_author_id", "author_id"),
)

quiz_media = Table(
    "quiz_media",
    metadata,
    Column("name", String(48), primary_key=True),  # random hex + extension, given by the venue
    Column("author_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(8), nullable=False),  # image, audio
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_quiz_media_author_id", "author_id"),
)
