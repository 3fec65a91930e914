"""Assembly sittings, as the composition root sees them.

A sitting is a live activity (the ``assembly`` rules) run by the game tables'
engine, with its own screen; the hall's panel lists its sittings; the key desk
keeps the secret ballot boxes' key shares; a sitting's silence reaches the room's voice.
"""

from __future__ import annotations

from estaminet.assembly import ASSEMBLY
from estaminet.services import Feature, Services
from estaminet.sittings.keys import KeyDesk
from estaminet.sittings.routes import make_panel, routes
from estaminet.sittings.voice import SittingVoice

__all__ = ["feature"]


def feature(services: Services) -> Feature:
    """The ``sittings`` panel (rooms of kind ``assembly``), the sitting's screen and rules."""
    SittingVoice(services.tables, services.voice)
    return Feature(
        "sittings",
        routes=routes,
        panels={"sittings": make_panel(services.tables, services.templates)},
        screens={ASSEMBLY.key: "sittings/view.html"},
        activities=(ASSEMBLY,),
        topics=(KeyDesk(services.tables).install,),
    )
