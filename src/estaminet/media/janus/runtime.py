"""From settings to a running Janus adapter: which server, whether to start one, the sweeper."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from estaminet.media.janus.audiobridge import JanusCrowd
from estaminet.media.janus.client import JanusClient
from estaminet.media.janus.config import JanusLayout
from estaminet.media.janus.placement import JanusPool, JanusServer, Moved, PlacedCrowd, PlacedStage
from estaminet.media.janus.placement_rules import HealthPolicy
from estaminet.media.janus.supervisor import JanusSupervisor
from estaminet.media.janus.videoroom import JanusStage
from estaminet.settings import Settings

__all__ = ["JanusRuntime", "janus_public_url", "janus_runtime", "should_autostart"]

log = logging.getLogger(__name__)

_SWEEP_SECONDS = 5.0
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def should_autostart(settings: Settings, *, serving: bool) -> bool:
    """Whether this process runs its own Janus.

    ``auto`` does so only for ``estaminet serve`` (``serving``), with no ``janus_url``
    configured and ``janus`` installed; ``always`` whenever no ``janus_url`` is set.
    """
    if settings.janus_url or settings.janus_servers or settings.janus_autostart == "never":
        return False
    if settings.janus_autostart == "always":
        return True
    return serving and shutil.which(settings.janus_executable) is not None


def janus_public_url(settings: Settings, *, autostarted: bool) -> str | None:
    """Janus's HTTP API as browsers reach it, or ``None`` without Janus.

    A Janus started here listens on 127.0.0.1: browsers on this machine reach it
    directly; from elsewhere, through the reverse proxy at ``<base_url>/janus``.
    """
    if settings.janus_public_url:
        return settings.janus_public_url.rstrip("/")
    if settings.janus_url:
        return settings.janus_url.rstrip("/")
    if not autostarted:
        return None
    host = urlsplit(settings.base_url).hostname or ""
    if host in _LOOPBACK:
        return f"http://127.0.0.1:{settings.janus_http_port}/janus"
    return settings.base_url.rstrip("/") + "/janus"


@dataclass(frozen=True)
class _Server:
    name: str
    url: str
    admin_url: str
    admin_secret: str
    public_url: str
    room_admin_key: str | None


@dataclass
class JanusRuntime:
    """The Janus adapter of one Estaminet process, and what keeps it going."""

    crowd: PlacedCrowd
    pool: JanusPool
    supervisor: JanusSupervisor | None = None
    stage: PlacedStage | None = None
    """The stage's VideoRoom rooms, on the same servers."""
    health_seconds: float = 2.0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, repr=False)

    @property
    def public_urls(self) -> list[str]:
        """Every server's HTTP API as browsers reach it (the CSP's ``connect-src``)."""
        return self.crowd.public_urls()

    def on_moved(self, crowd: Moved | None = None, stage: Moved | None = None) -> None:
        """Who to tell when a Janus dies and the rooms this instance placed there move."""
        if crowd is not None:
            self.crowd.on_moved(crowd)
        if stage is not None and self.stage is not None:
            self.stage.on_moved(stage)

    async def start(self) -> None:
        if self.supervisor is not None:
            await self.supervisor.start()
        self._tasks = [
            asyncio.create_task(self.crowd.run_sweeper(_SWEEP_SECONDS)),
            asyncio.create_task(self.pool.run(self.health_seconds)),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.pool.aclose()
        if self.supervisor is not None:
            await self.supervisor.stop()


def _servers(settings: Settings, supervisor: JanusSupervisor | None) -> list[_Server]:
    """The configured servers: the one started here or ``janus_url``, then ``janus_servers``."""
    found: list[_Server] = []
    if supervisor is not None:
        layout = supervisor.layout
        public = janus_public_url(settings, autostarted=True)
        assert public is not None
        found.append(
            _Server(
                layout.url,
                layout.url,
                layout.admin_url,
                layout.admin_secret,
                public,
                layout.room_admin_key,
            )
        )
    elif settings.janus_url:
        if not (settings.janus_admin_url and settings.janus_admin_secret):
            log.error("janus_url is set without janus_admin_url and janus_admin_secret: ignored")
        else:
            public = janus_public_url(settings, autostarted=False)
            assert public is not None
            found.append(
                _Server(
                    settings.janus_url,
                    settings.janus_url,
                    settings.janus_admin_url,
                    settings.janus_admin_secret,
                    public,
                    settings.janus_room_admin_key,
                )
            )
    for entry in settings.janus_servers:
        found.append(
            _Server(
                entry.name or entry.url,
                entry.url,
                entry.admin_url,
                entry.admin_secret,
                (entry.public_url or entry.url).rstrip("/"),
                entry.room_admin_key,
            )
        )
    return found


def janus_runtime(
    settings: Settings, *, serving: bool, clock: Callable[[], datetime] | None = None
) -> JanusRuntime | None:
    """The Janus adapter these settings ask for, or ``None`` (mesh voice only).

    Nothing starts here: call :meth:`JanusRuntime.start` in the app's lifespan.
    """
    key = hmac.new(
        settings.resolved_secret_key().encode(), b"estaminet-janus-rooms", hashlib.sha256
    ).hexdigest()
    supervisor: JanusSupervisor | None = None
    if should_autostart(settings, serving=serving):
        layout = JanusLayout(
            folder=(settings.data_dir / "janus" / "conf").resolve(),
            http_port=settings.janus_http_port,
            admin_port=settings.janus_admin_port,
            admin_secret=secrets.token_urlsafe(24),
            room_admin_key=secrets.token_urlsafe(24),
            rtp_ports=settings.janus_rtp_ports,
        )
        supervisor = JanusSupervisor(layout, settings.janus_executable)
    servers = _servers(settings, supervisor)
    if not servers:
        return None
    pool = JanusPool(
        [JanusServer(s.name, JanusClient(s.url, s.admin_url, s.admin_secret)) for s in servers],
        HealthPolicy(settings.janus_down_after, settings.janus_up_after_seconds),
        # A busy machine answers late: a check waits 2 s at least, 5 s at most.
        check_timeout=min(5.0, max(2.0, settings.janus_health_seconds)),
    )
    crowds: dict[str, JanusCrowd] = {}
    stages: dict[str, JanusStage] = {}
    for s in servers:
        client = pool.servers[s.name].client
        admin_key = s.room_admin_key
        lifetime = settings.janus_ticket_seconds
        crowds[s.name] = JanusCrowd(
            client,
            public_url=s.public_url,
            key=key,
            room_admin_key=admin_key,
            ticket_seconds=lifetime,
            clock=clock,
        )
        stages[s.name] = JanusStage(
            client,
            public_url=s.public_url,
            key=key,
            room_admin_key=admin_key,
            ticket_seconds=lifetime,
            clock=clock,
        )
    return JanusRuntime(
        PlacedCrowd(pool, crowds),
        pool,
        supervisor,
        PlacedStage(pool, stages),
        health_seconds=settings.janus_health_seconds,
    )
