"""The composition root: settings → adapters (database, hub, templates) → the ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

import estaminet.games  # noqa: F401 - registers the built-in games
from estaminet.agenda import feature as agenda_feature
from estaminet.agenda.mail import make_mailer
from estaminet.agenda.service import AgendaService
from estaminet.games import kit as games_kit
from estaminet.hat import feature as hat_feature
from estaminet.hat.service import HatService
from estaminet.helpdesk import feature as helpdesk_feature
from estaminet.helpdesk.service import HelpDesk
from estaminet.kernel.activity import Activity
from estaminet.kernel.errors import EstaminetError
from estaminet.kernel.ratelimit import Monotonic
from estaminet.live.engine import Engine
from estaminet.media import feature as media_feature
from estaminet.media.board import BoardService
from estaminet.media.crowd import CrowdVoice
from estaminet.media.data import recordings_root
from estaminet.media.janus import janus_runtime
from estaminet.media.recording import Tools
from estaminet.media.stage import StageService
from estaminet.media.stage_sessions import StageKeep
from estaminet.media.stage_table import StageTables
from estaminet.media.turn import turn_server
from estaminet.media.voice import TurnCredentials, VoiceService
from estaminet.people import actions as people_actions
from estaminet.people import feature as people_feature
from estaminet.people import passwords
from estaminet.people import tokens as people_tokens
from estaminet.people.inbox import Inbox
from estaminet.people.model import User
from estaminet.people.outbox import Outbox
from estaminet.people.queries import user_by_id
from estaminet.people.routes import handle_error
from estaminet.people.throttle import SignInThrottle
from estaminet.privacy import feature as privacy_feature
from estaminet.privacy.retention import Retention
from estaminet.quizzes import feature as quizzes_feature
from estaminet.realtime.connection import Principal
from estaminet.realtime.gateway import Gateway
from estaminet.realtime.hub import Hub, MemoryHub
from estaminet.realtime.shared_state import MemorySharedState, SharedState
from estaminet.services import Feature, Services
from estaminet.settings import Settings
from estaminet.sittings import feature as sittings_feature
from estaminet.soirees import feature as soirees_feature
from estaminet.soirees.service import SoireeService
from estaminet.store import Database, utcnow
from estaminet.store.migrate import upgrade
from estaminet.tables import feature as tables_feature
from estaminet.tables.service import TableService
from estaminet.translations import translate
from estaminet.venue import feature as venue_feature
from estaminet.venue.rooms import team_rooms, venue_name
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

    def __init__(self, services: Services, **options: Any) -> None:
        super().__init__(**options)
        # Starlette's state is an untyped bag; ours is the typed services object
        # (routes read it with ``estaminet.services.services(request)``).
        vars(self)["state"] = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.socket is not None and scope["type"] == "websocket" and scope["path"] == "/ws":
            scope["app"] = self
            await self.socket(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _make_shared(settings: Settings) -> SharedState:
    """What instances hold together (presence): Redis with the Redis hub, else this process."""
    if settings.hub == "redis":
        from estaminet.realtime.shared_state import RedisSharedState

        return RedisSharedState(
            settings.redis_url, prefix=settings.redis_prefix, lease=settings.instance_lease_seconds
        )
    return MemorySharedState()


def _make_hub(settings: Settings) -> Hub:
    if settings.hub == "redis":
        from estaminet.realtime.redis_hub import RedisHub

        return RedisHub(
            settings.redis_url, buffer_size=settings.presence_buffer, prefix=settings.redis_prefix
        )
    return MemoryHub(
        buffer_size=settings.presence_buffer, buffer_bytes=settings.presence_buffer_bytes
    )


FEATURES: Sequence[Callable[[Services], Feature]] = (
    people_feature.feature,
    venue_feature.feature,
    tables_feature.feature,
    sittings_feature.feature,
    agenda_feature.feature,
    media_feature.feature,
    helpdesk_feature.feature,
    quizzes_feature.feature,
    hat_feature.feature,
    soirees_feature.feature,
    privacy_feature.feature,
)
"""Every feature of the venue, in the order their topics are installed."""


def register(services: Services, feature: Feature) -> Sequence[BaseRoute]:
    """Take in what ``feature`` declares (panels, screens, activities, extras, topics);
    return its routes."""
    for name in feature.panels:
        if name in services.panels:
            raise ValueError(f"{feature.name}: the panel {name!r} is already drawn by another")
    services.panels.update(feature.panels)
    services.tables.view_templates.update(feature.screens)
    services.activities.update({activity.key: activity for activity in feature.activities})
    services.plan_extras.extend(feature.plan_extras)
    services.table_extras.extend(feature.table_extras)
    for install in feature.topics:
        install(services.gateway)
    return feature.routes


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    migrate: bool = True,
    crowd: CrowdVoice | None = None,
    turn_credentials: TurnCredentials | None = None,
    serving: bool = False,
    monotonic: Monotonic = time.monotonic,
) -> Starlette:
    """Build the whole application from ``settings`` (no I/O happens before start-up).

    ``crowd`` is the mixing media server for crowded voice rooms (default: the Janus
    configured in the settings, or started here; none: mesh only); ``turn_credentials``
    gives browsers TURN credentials for voice (default: from the settings' TURN secret).
    ``monotonic`` is the services' monotonic clock (throttles, cooldowns, short caches).
    ``serving``: run by ``estaminet serve``, which may start its own Janus (``janus_autostart``).
    """
    db = Database(settings.resolved_database_url)
    passwords.configure_size(settings.password_workers, settings.password_queue)
    hub = _make_hub(settings)
    shared = _make_shared(settings)
    templates = Templates(
        settings.timezone, extra_dirs=[Path(__file__).parent / "tables" / "templates"]
    )
    secret = settings.resolved_secret_key()
    session_limits = people_actions.SessionLimits(
        max_age=timedelta(days=settings.session_max_age_days),
        idle=timedelta(days=settings.session_idle_days),
    )

    async def load_user(session_id: str) -> User | None:
        # An expired sign-in opens nothing, on HTTP as on the WebSocket (docs/security.md).
        mark = venue.access_mark()
        user = await people_actions.session_user(db, session_id, now=clock(), limits=session_limits)
        if user is not None:
            # Just read: the room checks that follow (a socket's subscriptions, a page's
            # first actions) need not read the person again.
            venue.remember_user(user, mark)
        return user

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
        monotonic=monotonic,
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
    venue = VenueService(
        db, hub, templates, settings, clock, inbox, monotonic=monotonic, shared=shared
    )
    activities: dict[str, Activity[Any]] = {}

    def activity_for(key: str) -> Activity[Any]:
        """The rules of a live activity: one a feature declared (a sitting), else a game."""
        found = activities.get(key)
        return found if found is not None else games_kit.get(key)

    # With several instances, a cached state may be behind another's commit (docs/architecture.md).
    engine = Engine(db, activity_for, clock, distributed=settings.hub == "redis")
    tables = TableService(
        db,
        hub,
        engine,
        templates,
        activity_for,
        clock,
        monotonic=monotonic,
        bot_seconds=settings.practice_bot_seconds,
    )
    engine.boxes.reachable = tables.seats_online  # who can take a ballot box's key share now
    agenda = AgendaService(db, hub, templates, settings, inbox, clock, mailer)
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
        monotonic=monotonic,
        shared=shared,
    )
    if janus is not None and crowd is janus.crowd:
        janus.on_moved(crowd=voice.crowd_moved)  # a Janus died: its rooms' people reconnect

    async def session_ended(user_id: str, session: str) -> None:
        # A sign-in past its maximum age: the sockets it opened close (4401) everywhere.
        await venue.control(user_id, {"action": "close", "code": 4401, "session": session})

    retention = Retention(
        db,
        clock,
        settings.chat_retention_days,
        settings.retention_check_seconds,
        session_max_age=session_limits.max_age,
        session_ended=session_ended,
    )
    stage = StageService(
        db,
        hub,
        templates,
        clock,
        media=janus.stage if janus is not None else None,
        ice_servers=voice.ice_servers,
        monotonic=monotonic,
        mesh_seats=settings.stage_mesh_watchers,
        max_signal_bytes=settings.voice_max_signal_bytes,
        shared=shared,
    )
    stage_tables = StageTables(db, stage, tables, templates)
    services = Services(
        settings=settings,
        db=db,
        hub=hub,
        templates=templates,
        gateway=gateway,
        clock=clock,
        monotonic=monotonic,
        secret=secret,
        venue_name=settings.venue_name,
        inbox=inbox,
        mail=mail,
        mailer=mailer,
        signin_throttle=SignInThrottle(
            account_burst=settings.signin_account_burst,
            account_per_minute=settings.signin_account_per_minute,
            address_burst=settings.signin_address_burst,
            address_per_minute=settings.signin_address_per_minute,
            shared=shared,
        ),
        venue=venue,
        engine=engine,
        tables=tables,
        agenda=agenda,
        voice=voice,
        crowd_voice=crowd,
        activities=activities,
        team_rooms=team_rooms,
        retention=retention,
        helpdesk=HelpDesk(
            db,
            hub,
            templates,
            inbox,
            clock,
            escalate_minutes=settings.help_escalate_minutes,
            check_seconds=settings.help_check_seconds,
        ),
        hat=HatService(
            db,
            hub,
            templates,
            venue,
            clock,
            max_pledge_cents=settings.hat_max_pledge_euros * 100,
            venue_locale=settings.default_locale,
        ),
        soirees=SoireeService(db, hub, templates, tables, clock, agenda.zone),
        stage=stage,
        stage_tables=stage_tables,
        board=BoardService(
            hub,
            templates,
            tables,
            stage_tables,
            media=janus.stage if janus is not None else None,
            ice_servers=voice.ice_servers,
        ),
    )
    StageKeep(
        services.stage,
        recordings_root(settings),
        tools=Tools(settings.janus_pp_rec_path, settings.ffmpeg_path, settings.ffprobe_path),
    )
    routes: list[BaseRoute] = []
    for make in FEATURES:
        routes.extend(register(services, make(services)))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        settings.prepare_data_dir()
        if migrate:
            await asyncio.to_thread(upgrade, settings.resolved_database_url)
        await hub.start()
        await shared.start()
        await gateway.start()
        async with db.read() as conn:
            services.venue_name = await venue_name(conn, settings.venue_name)
        # Alone, an instance hears of every deadline it sets. With several, a deadline set by
        # an instance that then dies is only seen in the table by looking: every 5 s.
        timers = asyncio.create_task(
            engine.run_timers(idle=5.0 if settings.hub == "redis" else 30.0)
        )
        # Practice tables: their bots' moves, at a human pace (a restart resumes them).
        bots = asyncio.create_task(tables.practice.run())
        # Reminders due while the server was down go out now, late and once.
        agenda_loop = asyncio.create_task(agenda.run())
        # A venue file applied by another process may close rooms to some: re-check here.
        rooms_loop = asyncio.create_task(
            venue.watch_rooms(lambda: gateway.recheck_here(None), settings.rooms_watch_seconds)
        )
        # Mail waiting in the outbox (a server down, a restart) goes out now.
        mail_loop = asyncio.create_task(mail.run())
        # Chat past ``chat_retention_days`` is erased, and sign-ins past their maximum age
        # end, now and then every ``retention_check_seconds``.
        retention_loop = asyncio.create_task(retention.run())
        # Requests for help nobody took within ``help_escalate_minutes`` go to the admins.
        help_loop = asyncio.create_task(services.helpdesk.run())
        if janus is not None:
            await janus.start()
        # Recordings a stopped server left unprocessed are processed now.
        stage_keep = services.stage.keep
        if stage_keep is not None:
            await stage_keep.start()
        # Everything built so far lives as long as the server: keep it out of the
        # garbage collector's way, so collections stay short while people play.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            for task in (
                timers,
                bots,
                agenda_loop,
                rooms_loop,
                mail_loop,
                retention_loop,
                help_loop,
            ):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if stage_keep is not None:
                await stage_keep.stop()
            if janus is not None:
                await janus.stop()
            await gateway.stop()
            await shared.stop()
            await hub.stop()
            await db.dispose()

    async def health(request: Request) -> Response:
        # 200 even when degraded: the instance still serves its own sockets (deploy/README.md).
        problem = hub.health()
        if problem is None:
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "degraded", "hub": problem})

    async def on_error(request: Request, error: Exception) -> Response:
        return await handle_error(request, error)

    app = _Venue(
        services,
        routes=[
            *routes,
            Route("/healthz", health),
            Mount("/static/v/{version}", VersionedStatic()),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(GZipMiddleware, minimum_size=500, compresslevel=6),  # never the /ws socket
            Middleware(
                SecurityHeaders,
                allowed_origins=settings.allowed_origins,
                connect_to=janus.public_urls if janus is not None else [],
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
    return app
