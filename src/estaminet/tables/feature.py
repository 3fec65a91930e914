"""Game tables, as the composition root sees them: routes, the games room's panel, topics."""

from __future__ import annotations

from estaminet.services import Feature, Services
from estaminet.tables.routes import routes

__all__ = ["feature"]


def feature(services: Services) -> Feature:
    """The ``tables`` panel (the rooms of kind ``games`` show it) and the ``table:*`` topics.

    Each game's screen is its package's own ``games/<key>.html`` (``estaminet.games.kit``).
    """
    return Feature(
        "tables",
        routes=routes,
        panels={"tables": services.tables.panel},
        topics=(services.tables.install,),
    )
