"""Gather every feature's tables so that :data:`estaminet.store.metadata` is complete.

A feature declares its tables on the store's ``metadata`` in its own ``schema.py``
(``estaminet/<feature>/schema.py``). The store names no feature: it imports every
such module it finds beside it, so a new feature's tables reach the migrations by
following the convention alone.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from sqlalchemy import MetaData

from estaminet.store.database import metadata

__all__ = ["load_all", "schema_modules"]

_SOURCE = Path(__file__).resolve().parent.parent


def schema_modules() -> list[str]:
    """The name of every feature's ``schema`` module, in name order."""
    return sorted(
        f"estaminet.{package.name}.schema"
        for package in _SOURCE.iterdir()
        if package.name != "store" and (package / "schema.py").is_file()
    )


def load_all() -> MetaData:
    """The metadata with every feature's tables declared."""
    for name in schema_modules():
        importlib.import_module(name)
    return metadata
