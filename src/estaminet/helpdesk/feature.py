"""The help desk, as the composition root sees it: routes, topics, the help corners' voice."""

from __future__ import annotations

from estaminet.helpdesk.routes import routes
from estaminet.kernel.errors import Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.people.model import User
from estaminet.services import Feature, Services

__all__ = ["feature"]


def feature(services: Services) -> Feature:
    """``help:<id>`` and ``helpdesk:queue`` topics, the ``help.say`` action, and the voice of
    each help corner (``help:<id>``: browser to browser, for the two people and admins)."""
    desk = services.helpdesk

    async def corner_voice(user: User, rest: str) -> None:
        if not rest.isdigit() or len(rest) > 9:
            raise NotFound("help/unknown", N_("This request for help does not exist (any more)."))
        found = await desk.followable(user, int(rest))
        if not found.status.open:
            raise Forbidden("help/closed", N_("This request is settled: the corner is closed."))

    services.voice.add_family("help", corner_voice)
    return Feature("helpdesk", routes=routes, topics=(desk.install,))
