"""Persistence: one SQLAlchemy metadata, the engine, migrations (Alembic)."""

from estaminet.store.database import Database, metadata, utcnow
from estaminet.store.shared_reads import SharedReads

__all__ = ["Database", "SharedReads", "metadata", "utcnow"]
