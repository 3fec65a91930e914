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
    if settings.janus_url or settings.janus_autostart == "never":
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


@dataclass
class JanusRuntime:
    """The Janus adapter of one Estaminet process, and what keeps it going."""

    crowd: JanusCrowd
    client: JanusClient
    supervisor: JanusSupervisor | None = None
    stage: JanusStage | None = None
    """The stage's VideoRoom rooms on the same Janus."""
    _sweeper: asyncio.Task[None] | None = field(default=None, repr=False)

    async def start(self) -> None:
        if self.supervisor is not None:
            await self.supervisor.start()
        self._sweeper = asyncio.create_task(self.crowd.run_sweeper(_SWEEP_SECONDS))

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.client.aclose()
        if self.supervisor is not None:
            await self.supervisor.stop()


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
        url, admin_url, admin_secret = layout.url, layout.admin_url, layout.admin_secret
        room_admin_key: str | None = layout.room_admin_key
    elif settings.janus_url:
        if not (settings.janus_admin_url and settings.janus_admin_secret):
            log.error("janus_url is set without janus_admin_url and janus_admin_secret: no Janus")
            return None
        url, admin_url = settings.janus_url, settings.janus_admin_url
        admin_secret, room_admin_key = settings.janus_admin_secret, settings.janus_room_admin_key
    else:
        return None
    public = janus_public_url(settings, autostarted=supervisor is not None)
    assert public is not None
    client = JanusClient(url, admin_url, admin_secret)
    crowd = JanusCrowd(
        client,
        public_url=public,
        key=key,
        room_admin_key=room_admin_key,
        ticket_seconds=settings.janus_ticket_seconds,
        clock=clock,
    )
    stage = JanusStage(
        client,
        public_url=public,
        key=key,
        room_admin_key=room_admin_key,
        ticket_seconds=settings.janus_ticket_seconds,
        clock=clock,
    )
    return JanusRuntime(crowd, client, supervisor, stage)
