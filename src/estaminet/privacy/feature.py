"""A person's data, as the composition root sees it: the export pages."""

from __future__ import annotations

from estaminet.privacy.routes import routes
from estaminet.services import Feature, Services

__all__ = ["feature"]


def feature(services: Services) -> Feature:
    """The data export, as a page and as JSON."""
    return Feature("privacy", routes=routes)
