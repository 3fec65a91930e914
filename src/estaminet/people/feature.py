"""The people feature, as the composition root sees it: its routes and the ``user:`` topic."""

from __future__ import annotations

from estaminet.people.routes import routes
from estaminet.services import Feature, Services

__all__ = ["feature"]


def feature(services: Services) -> Feature:
    """Invites, sign-in, profiles, administration; each person's notices on ``user:<id>``."""
    return Feature("people", routes=routes, topics=(services.inbox.install,))
