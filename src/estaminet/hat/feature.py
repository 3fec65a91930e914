"""The solidarity hat, as the composition root sees it: routes, the stage's panel, topics."""

from __future__ import annotations

from estaminet.hat.routes import routes
from estaminet.services import Feature, Services

__all__ = ["feature"]


def feature(services: Services) -> Feature:
    """The ``hat`` panel (rooms of kind ``stage``: the open hats of the room, with their live
    progress) and the ``hat:<id>`` topics."""
    hat = services.hat
    return Feature("hat", routes=routes, panels={"hat": hat.room_panel}, topics=(hat.install,))
