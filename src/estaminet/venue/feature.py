"""The venue feature, as the composition root sees it: rooms, chat and presence."""

from __future__ import annotations

from estaminet.realtime.gateway import Gateway
from estaminet.services import Feature, Services
from estaminet.venue.routes import routes

__all__ = ["feature"]


def feature(services: Services) -> Feature:
    """The floor plan and the rooms; the room and presence topics."""
    venue = services.venue

    def install(gateway: Gateway) -> None:
        venue.install(gateway)
        gateway.on_access_changed(venue.forget_access)

    return Feature("venue", routes=routes, topics=(install,))
