"""Import every feature's tables so that :data:`estaminet.store.metadata` is complete."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from estaminet.store.database import metadata

__all__ = ["FEATURE_TABLE_MODULES", "load_all"]

FEATURE_TABLE_MODULES = (
    "estaminet.people.schema",
    "estaminet.venue.schema",
    "estaminet.live.schema",
    "estaminet.agenda.schema",
)


def load_all() -> MetaData:
    """The metadata with every feature's tables declared."""
    for name in FEATURE_TABLE_MODULES:
        importlib.import_module(name)
    return metadata
