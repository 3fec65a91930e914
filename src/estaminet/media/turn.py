"""ICE servers for a browser: STUN, and TURN with time-limited credentials.

TURN credentials follow the shared-secret scheme coturn supports
(``use-auth-secret`` + ``static-auth-secret``, the "TURN REST API" draft):
the username is ``<expiry unix time>:<user id>`` and the credential is
``base64(HMAC-SHA1(secret, username))``. The TURN server checks both without
asking Estaminet. Pure: the time comes in as ``now``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

__all__ = ["IceSettings", "TurnCredential", "turn_credential", "turn_server"]


@dataclass(frozen=True, slots=True)
class TurnCredential:
    username: str
    credential: str
    expires: int
    """Unix time after which the TURN server refuses it."""


class IceSettings(Protocol):
    """The settings this module reads (``estaminet.settings.Settings`` has them)."""

    @property
    def voice_stun_urls(self) -> list[str]: ...
    @property
    def turn_urls(self) -> list[str]: ...
    @property
    def turn_secret(self) -> str | None: ...
    @property
    def turn_ttl_seconds(self) -> int: ...


def turn_credential(secret: str, user_id: str, now: datetime, ttl_seconds: int) -> TurnCredential:
    """The TURN username and password for ``user_id``, valid ``ttl_seconds`` from ``now``."""
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    expires = int(now.timestamp()) + ttl_seconds
    username = f"{expires}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(username, base64.b64encode(digest).decode("ascii"), expires)


def turn_server(user_id: str, now: datetime, settings: IceSettings) -> dict[str, Any] | None:
    """The TURN entry of ``iceServers`` for this person, or ``None`` when TURN is not set up."""
    if not (settings.turn_urls and settings.turn_secret):
        return None
    cred = turn_credential(settings.turn_secret, user_id, now, settings.turn_ttl_seconds)
    return {
        "urls": list(settings.turn_urls),
        "username": cred.username,
        "credential": cred.credential,
    }
