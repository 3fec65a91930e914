"""What the venue's Janus plugins share: names and secrets derived from the venue's key,
tickets' lifetime, and a plugin request whose "not there" errors may be ignored.

:class:`~estaminet.media.janus.audiobridge.JanusCrowd` (crowded voice) and
:class:`~estaminet.media.janus.videoroom.JanusStage` (la scène) build on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from estaminet.media.janus.client import JanusClient, JanusRefused

__all__ = ["JanusRooms"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class JanusRooms:
    """Rooms of one Janus plugin on one server, named from the venue's key."""

    tag_prefix = "x"
    """The first letter of this kind of room's ticket tag (tokens tell plugins apart)."""
    plugin = ""
    """The Janus plugin these rooms live in."""

    def __init__(
        self,
        client: JanusClient,
        *,
        public_url: str,
        key: str,
        room_admin_key: str | None,
        ticket_seconds: float,
        clock: Callable[[], datetime] | None = None,
        new_secret: Callable[[], str] = lambda: secrets.token_urlsafe(24),
    ) -> None:
        self._client = client
        self._public_url = public_url.rstrip("/")
        self._key = key.encode()
        self._room_admin_key = room_admin_key
        self._lifetime = timedelta(seconds=ticket_seconds)
        self._clock = clock or _utcnow
        self._new_secret = new_secret
        self._tag = self.tag_prefix + self._digest("tag").hex()[:8]
        self._lock = asyncio.Lock()

    @property
    def public_url(self) -> str:
        """Janus's HTTP API as browsers reach it (the CSP's ``connect-src``)."""
        return self._public_url

    def _digest(self, *parts: str) -> bytes:
        return hmac.new(self._key, "\x1f".join(parts).encode(), hashlib.sha256).digest()

    def _number(self, *parts: str) -> int:
        # 48 bits: unguessable enough, and exact in JavaScript numbers (2**53).
        return int.from_bytes(self._digest(*parts)[:6], "big") or 1

    def room_number(self, space: str) -> int:
        """The room's number on Janus (the same on every server: it comes from the key)."""
        raise NotImplementedError

    async def exists(self, space: str) -> bool:
        """Whether ``space``'s room exists on this server now (raises ``JanusDown`` if it is down)."""
        answer = await self._plugin_request(
            {"request": "exists", "room": self.room_number(space)}, self.plugin
        )
        return bool(answer and answer.get("exists"))

    async def _plugin_request(
        self, request: dict[str, Any], plugin: str, *ignore: int
    ) -> dict[str, Any] | None:
        """A request to ``plugin``; the plugin errors in ``ignore`` give ``None``."""
        try:
            return await self._client.plugin(request, plugin)
        except JanusRefused as exc:
            if exc.code in ignore:
                return None
            raise
