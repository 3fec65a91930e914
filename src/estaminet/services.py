"""The venue's services, typed, and what a feature declares to the composition root.

``estaminet.app.create_app`` (the composition root) builds one :class:`Services`
and makes it the application's state, so a route reads its services with
``services(request)`` and every attribute has its type. Each feature module
offers ``feature(services) -> Feature``: its routes, the room panels it draws
(named, for the room kinds that show them), the screens of the live activities
it runs, its topic families and what it adds to the floor plan. ``app.py``
only lists the features; it wires no panel, screen or topic by name.

The feature services are named for the type checker only, so this module
depends on no feature at run time (features import it, not the other way).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute

from estaminet.kernel.activity import Activity
from estaminet.realtime.gateway import Gateway
from estaminet.realtime.hub import Hub
from estaminet.settings import Settings
from estaminet.store import Database
from estaminet.web.templating import Templates

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from estaminet.agenda.mail import Mailer
    from estaminet.agenda.service import AgendaService
    from estaminet.hat.service import HatService
    from estaminet.helpdesk.service import HelpDesk
    from estaminet.live.engine import Engine
    from estaminet.media.board import BoardService
    from estaminet.media.crowd import CrowdVoice
    from estaminet.media.stage import StageService
    from estaminet.media.stage_table import StageTables
    from estaminet.media.voice import VoiceService
    from estaminet.people.inbox import Inbox
    from estaminet.people.model import User
    from estaminet.people.outbox import Outbox
    from estaminet.people.throttle import SignInThrottle
    from estaminet.privacy.retention import Retention
    from estaminet.soirees.service import SoireeService
    from estaminet.tables.service import TableService
    from estaminet.venue.rooms import Room
    from estaminet.venue.service import VenueService

__all__ = ["Feature", "Panel", "PlanExtra", "Services", "TableExtra", "services"]

Panel = Callable[[Mapping[str, Any], "Room", "User"], Awaitable[str]]
"""Draws a feature's panel in a room: ``(page context, room, person) -> HTML``."""

PlanExtra = Callable[[Mapping[str, Any], "User"], Awaitable[dict[str, Any]]]
"""Adds to the floor plan's template context (the agenda: lit rooms, the next events)."""

TableExtra = Callable[[Mapping[str, Any], int, "User"], Awaitable[str]]
"""Draws a piece above a game table's page: ``(page context, table id, person) -> HTML``
(the soirée a table belongs to: its banner, which leads its people to the next table)."""


@dataclass(frozen=True)
class Feature:
    """What one feature brings to the venue (see ``docs/architecture.md``, *Features*).

    ``panels`` are keyed by panel name; a room kind lists the panels its rooms
    show (``estaminet.venue.kinds``). ``screens`` give the template of each live
    activity's screen when it is not the game package's ``games/<key>.html``;
    ``activities`` are live activities that are not games (the assembly);
    ``topics`` install the feature's topic families on the gateway; ``table_extras``
    draw above a game table's page.
    """

    name: str
    routes: Sequence[BaseRoute] = ()
    panels: Mapping[str, Panel] = field(default_factory=dict)
    screens: Mapping[str, str] = field(default_factory=dict)
    activities: Sequence[Activity[Any]] = ()
    topics: Sequence[Callable[[Gateway], object]] = ()
    plan_extras: Sequence[PlanExtra] = ()
    table_extras: Sequence[TableExtra] = ()


@dataclass(eq=False)
class Services:
    """Every long-lived service of one application, built once by ``create_app``.

    Mutable on purpose in two places only: ``venue_name`` is read from the
    database at start-up, and tests may move ``clock``.
    """

    settings: Settings
    db: Database
    hub: Hub
    templates: Templates
    gateway: Gateway
    clock: Callable[[], datetime]
    monotonic: Callable[[], float]
    """The monotonic clock of throttles and cooldowns (tests move it instead of sleeping)."""
    secret: str
    venue_name: str
    inbox: Inbox
    mail: Outbox
    mailer: Mailer | None
    signin_throttle: SignInThrottle
    venue: VenueService
    engine: Engine
    tables: TableService
    agenda: AgendaService
    voice: VoiceService
    crowd_voice: CrowdVoice | None
    team_rooms: Callable[[AsyncConnection], Awaitable[list[Room]]]
    """The venue's team rooms, for the people page (handed down by the composition root)."""
    retention: Retention
    helpdesk: HelpDesk
    hat: HatService
    """Le chapeau solidaire: causes, pledges, their treasurers."""
    soirees: SoireeService
    stage: StageService
    """La scène: performers through Janus VideoRoom, the audience, applause."""
    stage_tables: StageTables
    """The games-room table each stage shows (its spectator view, for the stage's watchers)."""
    board: BoardService
    """Each game table's board cameras and its narrator's voice for the stage (VideoRoom)."""
    panels: dict[str, Panel] = field(default_factory=dict)
    """Every feature's room panels, by panel name."""
    plan_extras: list[PlanExtra] = field(default_factory=list)
    table_extras: list[TableExtra] = field(default_factory=list)
    """Pieces other features draw above a game table's page (``Feature.table_extras``)."""
    activities: dict[str, Activity[Any]] = field(default_factory=dict)
    """Live activities that are not games, by key (games come from ``games.kit``)."""


def services(connection: HTTPConnection) -> Services:
    """The services of the application serving ``connection`` (a request or a socket)."""
    found = connection.app.state
    if not isinstance(found, Services):
        raise TypeError("the application was not built by estaminet.app.create_app")
    return found
