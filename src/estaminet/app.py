"""The composition root: settings → adapters (database, hub, templates) → the ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

import estaminet.games  # noqa: F401 - registers the built-in games
from estaminet.agenda.mail import make_mailer
from estaminet.agenda.routes import routes as agenda_routes
from estaminet.agenda.service import AgendaService
from estaminet.assembly import ASSEMBLY
from estaminet.games import kit as games_kit
from estaminet.kernel.activity import Activity
from estaminet.kernel.errors import EstaminetError
from estaminet.live.engine import Engine
from estaminet.media.crowd import CrowdVoice
from estaminet.media.janus import janus_runtime
from estaminet.media.routes import routes as media_routes
from estaminet.media.turn import turn_server
from estaminet.media.voice import TurnCredentials, VoiceService
from estaminet.people import actions as people_actions
from estaminet.people import passwords
from estaminet.people import tokens as people_tokens
from estaminet.people.inbox import Inbox
from estaminet.people.model import User
from estaminet.people.outbox import Outbox
from estaminet.people.queries import user_by_id
from estaminet.people.routes import handle_error
from estaminet.people.routes import routes as people_routes
from estaminet.people.throttle import SignInThrottle
from estaminet.privacy.routes import routes as privacy_routes
from estaminet.realtime.connection import Principal
from estaminet.realtime.gateway import Gateway
from estaminet.realtime.hub import Hub, MemoryHub
from estaminet.settings import Settings
from estaminet.sittings.keys import KeyDesk
from estaminet.sittings.routes import make_panel as sitting_panel
from estaminet.sittings.routes import routes as sitting_routes
from estaminet.sittings.voice import SittingVoice
from estaminet.store import Database, utcnow
from estaminet.store.migrate import upgrade
from estaminet.tables.routes import routes as table_routes
from estaminet.tables.service import TableService
from estaminet.translations import translate
from estaminet.venue.rooms import venue_name
from estaminet.venue.routes import routes as venue_routes
from estaminet.venue.service import VenueService
from estaminet.web.assets import STATIC, VersionedStatic
from estaminet.web.limits import BodyLimits
from estaminet.web.security import SecurityHeaders
from estaminet.web.templating import Templates
from estaminet.web.visitor import VisitorMiddleware

__all__ = ["create_app"]

log = logging.getLogger(__name__)


class _Venue(Starlette):
    """Starlette, with the ``/ws`` socket served beside the HTTP middleware stack.

    The HTTP middleware (security headers, error pages, Starlette's exception
    handling and router) does nothing for a WebSocket, but each layer's
    coroutine frame would stay alive as long as the socket, hours for a tab:
    about 3 KB per connection. The socket goes through the visitor middleware
    only (who is it, which language), then straight to the gateway.
    """

    socket: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.socket is not None and scope["type"] == "websocket" and scope["path"] == "/ws":
            scope["app"] = self
            await self.socket(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _make_hub(settings: Settings) -> Hub:
    if settings.hub == "redis":
        from estaminet.realtime.redis_hub import RedisHub

        return RedisHub(
            settings.redis_url, buffer_size=settings.presence_buffer, prefix=settings.redis_prefix
        )
    return MemoryHub(buffer_size=settings.presence_buffer)


def _activity_for(key: str) -> Activity[Any]:
    """The rules of a live activity: an assembly sitting, else a game from the registry."""
    if key == ASSEMBLY.key:
        return ASSEMBLY
    return games_kit.get(key)


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    migrate: bool = True,
    crowd: CrowdVoice | None = None,
    turn_credentials: TurnCredentials | None = None,
    serving: bool = False,
) -> Starlette:
    """Build the whole application from ``settings`` (no I/O happens before start-up).

    ``crowd`` is the mixing media server for crowded voice rooms (default: the Janus
    configured in the settings, or started here; none: mesh only); ``turn_credentials``
    gives browsers TURN credentials for voice (default: from the settings' TURN secret).
    ``serving``: run by ``estaminet serve``, which may start its own Janus (``janus_autostart``).
    """
    db = Database(settings.resolved_database_url)
    passwords.configure_size(settings.password_workers, settings.password_queue)
    hub = _make_hub(settings)
    templates = Templates(
        settings.timezone, extra_dirs=[Path(__file__).parent / "tables" / "templates"]
    )
    secret = settings.resolved_secret_key()

    async def load_user(session_id: str) -> User | None:
        return await people_actions.session_user(db, session_id)

    async def authenticate(websocket: WebSocket) -> tuple[Principal, str] | None:
        # The socket keeps the principal, not the whole person, for the rest of its life.
        user: User | None = websocket.scope["state"].pop("user", None)
        if user is None:
            return None
        session = websocket.scope["state"].get("session")
        principal = Principal(
            user.id,
            user.display_name,
            user.role.value,
            session=people_tokens.hash_token(session) if session else None,
        )
        return principal, websocket.state.locale

    async def reload(user_id: str) -> Principal | None:
        # Access changed: the person as they are now (role, name), or None if banned or gone.
        async with db.read() as conn:
            user = await user_by_id(conn, user_id)
        if user is None or user.banned:
            return None
        return Principal(user.id, user.display_name, user.role.value)

    gateway = Gateway(
        hub,
        authenticate=authenticate,
        reload=reload,
        translate=translate,
        clock=clock,
        allowed_origins=settings.allowed_origins,
        max_frame_bytes=settings.ws_max_frame_bytes,
        max_depth=settings.ws_max_depth,
        queue_size=settings.ws_send_queue,
    )
    mailer = make_mailer(settings)
    mail = Outbox(
        db,
        mailer,
        clock,
        concurrency=settings.mail_concurrency,
        timeout=settings.mail_timeout_seconds,
    )
    inbox = Inbox(db, hub, templates, mail)
    inbox.install(gateway)  # the user: topic, with the person's notices
    venue = VenueService(db, hub, templates, settings, clock, inbox)
    venue.install(gateway)
    gateway.on_access_changed(venue.forget_access)
    engine = Engine(db, _activity_for, clock)
    tables = TableService(db, hub, engine, templates, _activity_for, clock)
    tables.view_templates[ASSEMBLY.key] = "sittings/view.html"
    tables.install(gateway)
    KeyDesk(tables).install(gateway)
    engine.boxes.reachable = tables.seats_online  # who can take a ballot box's key share now
    agenda = AgendaService(db, hub, templates, settings, inbox, clock, mailer)
    agenda.install(gateway)
    # Crowded voice rooms: a Janus (configured, or started here), else None (mesh only).
    janus = janus_runtime(settings, serving=serving, clock=clock)
    if crowd is None and janus is not None:
        crowd = janus.crowd
    if turn_credentials is None:
        turn_credentials = partial(turn_server, settings=settings)
    voice = VoiceService(
        db,
        hub,
        templates,
        settings,
        clock,
        tables=tables,
        crowd=crowd,
        turn_credentials=turn_credentials,
        group_key=secret.encode(),
    )
    voice.install(gateway)
    # A sitting's silence and floor reach its room's voice.
    SittingVoice(tables, voice)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        settings.prepare_data_dir()
        if migrate:
            await asyncio.to_thread(upgrade, settings.resolved_database_url)
        await hub.start()
        await gateway.start()
        async with db.read() as conn:
            app.state.venue_name = await venue_name(conn, settings.venue_name)
        timers = asyncio.create_task(engine.run_timers())
        # Reminders due while the server was down go out now, late and once.
        agenda_loop = asyncio.create_task(agenda.run())
        # A venue file applied by another process may close rooms to some: re-check here.
        rooms_loop = asyncio.create_task(
            venue.watch_rooms(lambda: gateway.recheck_here(None), settings.rooms_watch_seconds)
        )
        # Mail waiting in the outbox (a server down, a restart) goes out now.
        mail_loop = asyncio.create_task(mail.run())
        if janus is not None:
            await janus.start()
        # Everything built so far lives as long as the server: keep it out of the
        # garbage collector's way, so collections stay short while people play.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            for task in (timers, agenda_loop, rooms_loop, mail_loop):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if janus is not None:
                await janus.stop()
            await gateway.stop()
            await hub.stop()
            await db.dispose()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def on_error(request: Request, error: Exception) -> Response:
        return await handle_error(request, error)

    app = _Venue(
        routes=[
            *venue_routes,
            *people_routes,
            *privacy_routes,
            *table_routes,
            *sitting_routes,
            *agenda_routes,
            *media_routes,
            Route("/healthz", health),
            Mount("/static/v/{version}", VersionedStatic()),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(GZipMiddleware, minimum_size=500, compresslevel=6),  # never the /ws socket
            Middleware(
                SecurityHeaders,
                allowed_origins=settings.allowed_origins,
                connect_to=[janus.crowd.public_url] if janus is not None else [],
                https=settings.secure_cookies,
            ),
            Middleware(
                VisitorMiddleware,
                load_user=load_user,
                default_locale=settings.default_locale,
                secure=settings.secure_cookies,
            ),
            Middleware(BodyLimits, settings=settings),
        ],
        exception_handlers={EstaminetError: on_error},
        lifespan=lifespan,
    )

    async def serve_socket(scope: Scope, receive: Receive, send: Send) -> None:
        await gateway.serve(WebSocket(scope, receive=receive, send=send))

    app.socket = VisitorMiddleware(
        serve_socket,
        load_user=load_user,
        default_locale=settings.default_locale,
        secure=settings.secure_cookies,
    )
    state: Any = app.state
    state.settings = settings
    state.db = db
    state.hub = hub
    state.templates = templates
    state.gateway = gateway
    state.signin_throttle = SignInThrottle(
        account_burst=settings.signin_account_burst,
        account_per_minute=settings.signin_account_per_minute,
        address_burst=settings.signin_address_burst,
        address_per_minute=settings.signin_address_per_minute,
    )
    state.venue = venue
    state.inbox = inbox
    state.mail = mail
    state.engine = engine
    state.tables = tables
    state.room_panels = {
        "games": tables.panel,
        "assembly": sitting_panel(tables, templates),
        "announcements": agenda.hall_panel,
    }
    state.plan_extras = [agenda.plan_extras]
    state.agenda = agenda
    state.mailer = mailer
    state.voice = voice
    state.crowd_voice = crowd
    state.clock = clock
    state.secret = secret
    state.venue_name = settings.venue_name
    return app
