"""The seam between the voice service and a mixing media server (Janus AudioBridge).

The voice service decides *who* may talk where; a :class:`CrowdVoice` only
carries it out on a media server. The embedded default has none (mesh only);
``media.janus`` provides the Janus one. Tests pass a fake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from estaminet.kernel.errors import EstaminetError
from estaminet.kernel.i18n import N_

__all__ = ["CrowdTicket", "CrowdUnavailable", "CrowdVoice"]


class CrowdUnavailable(EstaminetError):
    """The media server does not answer: voice is down for crowded rooms, text still works."""

    status = 503
    default_message = N_("The voice server is not reachable right now. The chat still works.")


@dataclass(frozen=True, slots=True)
class CrowdTicket:
    """What one browser needs to join one mixed voice space, and nothing more.

    ``token`` is short-lived and valid for this person and this space only; the
    media server itself refuses a join without it.
    """

    server: str
    """The media server's HTTP API address as the browser reaches it."""
    room: int
    """The mixing room's number on the media server."""
    participant: int
    """The participant number the browser must use (moderation acts on it)."""
    token: str
    expires_at: datetime


class CrowdVoice(Protocol):
    """A mixing media server, as the voice service sees it."""

    async def admit(self, space: str, user_id: str, display: str) -> CrowdTicket:
        """Make sure ``space`` exists on the server and let this person in (once).

        Raises :class:`CrowdUnavailable` when the server does not answer.
        """
        ...

    async def release(self, space: str, user_id: str) -> None:
        """Revoke this person's ticket and remove them from the mixing room."""
        ...

    async def mute(self, space: str, user_id: str, muted: bool) -> None:
        """Mute (or unmute) this person for everyone in the mixing room."""
        ...

    async def close(self, space: str) -> None:
        """Remove the mixing room (nobody left in it)."""
        ...

    async def healthy(self) -> bool:
        """Whether the server answers now (for the "voice is back" notice)."""
        ...
