"""Persistence: one SQLAlchemy metadata, the engine, migrations (Alembic)."""

from estaminet.store.database import Database, metadata, utcnow

__all__ = ["Database", "metadata", "utcnow"]
