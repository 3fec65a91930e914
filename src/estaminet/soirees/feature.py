"""Soirées, as the composition root sees them: routes, the games room's panel, the topic."""

from __future__ import annotations

from estaminet.services import Feature, Services
from estaminet.soirees.routes import routes

__all__ = ["feature"]


def feature(services: Services) -> Feature:
    """The ``soirees`` panel (games rooms show it), the ``soiree:*`` topics and the banner
    above a soirée's tables."""
    return Feature(
        "soirees",
        routes=routes,
        panels={"soirees": services.soirees.panel},
        topics=(services.soirees.install,),
        table_extras=(services.soirees.table_extra,),
    )
