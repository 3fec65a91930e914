"""The agenda, as the composition root sees it: routes, the hall's panel, the plan's lights."""

from __future__ import annotations

from estaminet.agenda.routes import routes
from estaminet.services import Feature, Services

__all__ = ["feature"]


def feature(services: Services) -> Feature:
    """The ``agenda`` panel (rooms of kind ``announcements``), the ``workshops`` panel (rooms of
    kind ``help``), the floor plan's extras, topics."""
    agenda = services.agenda
    return Feature(
        "agenda",
        routes=routes,
        panels={"agenda": agenda.hall_panel, "workshops": agenda.workshops_panel},
        plan_extras=(agenda.plan_extras,),
        topics=(agenda.install,),
    )
