"""Crowded voice rooms on Janus AudioBridge: Estaminet's :class:`CrowdVoice` on a real server.

Nobody joins a mixing room without Estaminet's say-so, and Janus itself checks it
twice: the session needs a core token (``token_auth``, added through the admin
API, valid for the AudioBridge plugin only) and the join needs the same token
in the room's ``allowed`` list, so a ticket for room A never opens room B.
Tickets are short-lived: :meth:`JanusCrowd.sweep` revokes those past their
time unless their holder is in the room (then they are extended).

Room numbers, room secrets and participant numbers are derived from a key
with HMAC: stable across restarts of Estaminet (a room created before is found
again) and not guessable from outside.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from estaminet.kernel.i18n import N_
from estaminet.media.crowd import CrowdTicket, CrowdUnavailable
from estaminet.media.janus.client import AUDIOBRIDGE, JanusClient, JanusDown, JanusRefused

__all__ = ["NO_SUCH_ROOM", "NO_SUCH_USER", "ROOM_EXISTS", "JanusCrowd", "RoomKeys"]

log = logging.getLogger(__name__)

# AudioBridge error codes (janus_audiobridge.c).
NO_SUCH_ROOM = 485
ROOM_EXISTS = 486
NO_SUCH_USER = 487
NO_SUCH_PARTICIPANT = 492

_SAMPLING_RATE = 16000  # wideband speech, the plugin's default


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RoomKeys:
    """The numbers and the secret of one space's mixing room."""

    number: int
    secret: str


class JanusCrowd:
    """Mixing rooms for crowded voice spaces on one Janus server."""

    def __init__(
        self,
        client: JanusClient,
        *,
        public_url: str,
        key: str,
        room_admin_key: str | None,
        ticket_seconds: float,
        clock: Callable[[], datetime] | None = None,
        new_token: Callable[[], str] = lambda: secrets.token_urlsafe(24),
    ) -> None:
        self._client = client
        self._public_url = public_url.rstrip("/")
        self._key = key.encode()
        self._room_admin_key = room_admin_key
        self._lifetime = timedelta(seconds=ticket_seconds)
        self._clock = clock or _utcnow
        self._new_token = new_token
        self._seats: dict[tuple[str, str], CrowdTicket] = {}
        self._muted: set[tuple[str, str]] = set()
        self._lock = asyncio.Lock()

    @property
    def public_url(self) -> str:
        """Janus's HTTP API as browsers reach it (the CSP's ``connect-src``)."""
        return self._public_url

    # -- derived names ----------------------------------------------------------------

    def _digest(self, *parts: str) -> bytes:
        return hmac.new(self._key, "\x1f".join(parts).encode(), hashlib.sha256).digest()

    def _number(self, *parts: str) -> int:
        # 48 bits: unguessable enough, and exact in JavaScript numbers (2**53).
        return int.from_bytes(self._digest(*parts)[:6], "big") or 1

    def room(self, space: str) -> RoomKeys:
        """The mixing room of ``space``: its number and the secret that manages it."""
        return RoomKeys(self._number("room", space), self._digest("secret", space).hex()[:32])

    def participant(self, space: str, user_id: str) -> int:
        """The fixed participant number of this person in this space's mixing room."""
        return self._number("participant", space, user_id)

    def tickets(self) -> list[CrowdTicket]:
        """The tickets that are valid now (for the tests and the admin)."""
        return list(self._seats.values())

    # -- errors -------------------------------------------------------------------------

    @asynccontextmanager
    async def _server(self) -> AsyncIterator[None]:
        """Janus not answering, or refusing Estaminet's own requests, means crowd voice is down."""
        try:
            yield
        except JanusDown as exc:
            log.warning("Janus does not answer: %s", exc)
            raise CrowdUnavailable("voice/crowd_unavailable") from exc
        except JanusRefused as exc:
            log.error("Janus refused Estaminet's request (check the admin secret): %s", exc)
            raise CrowdUnavailable(
                "voice/crowd_refused",
                N_("The voice server refused the venue's request. Tell the venue's admin."),
            ) from exc

    async def _room_request(self, request: dict[str, Any], *ignore: int) -> dict[str, Any] | None:
        """An AudioBridge request; the plugin errors in ``ignore`` give ``None``."""
        try:
            return await self._client.plugin(request)
        except JanusRefused as exc:
            if exc.code in ignore:
                return None
            raise

    async def _ensure_room(self, room: RoomKeys) -> None:
        # Always ask: a restarted Janus has forgotten its rooms; "exists" is an answer too.
        request: dict[str, Any] = {
            "request": "create",
            "room": room.number,
            "secret": room.secret,
            "description": "Estaminet",
            "is_private": True,
            "allowed": [],
            "sampling_rate": _SAMPLING_RATE,
            "permanent": False,
        }
        if self._room_admin_key:
            request["admin_key"] = self._room_admin_key
        await self._room_request(request, ROOM_EXISTS)

    async def _revoke(self, space: str, ticket: CrowdTicket, *, kick: bool) -> None:
        room = self.room(space)
        await self._room_request(
            {
                "request": "allowed",
                "room": room.number,
                "secret": room.secret,
                "action": "remove",
                "allowed": [ticket.token],
            },
            NO_SUCH_ROOM,
        )
        await self._client.remove_token(ticket.token)
        if kick:
            await self._room_request(
                {
                    "request": "kick",
                    "room": room.number,
                    "secret": room.secret,
                    "id": ticket.participant,
                },
                NO_SUCH_ROOM,
                NO_SUCH_USER,
                NO_SUCH_PARTICIPANT,
            )

    # -- CrowdVoice ---------------------------------------------------------------------

    async def admit(self, space: str, user_id: str, display: str) -> CrowdTicket:
        """A fresh ticket for this person in ``space`` (an earlier one is revoked: one seat each).

        ``display`` stays in Estaminet: Janus only ever sees numbers.
        """
        room = self.room(space)
        async with self._lock, self._server():
            await self._ensure_room(room)
            earlier = self._seats.pop((space, user_id), None)
            if earlier is not None:
                await self._revoke(space, earlier, kick=True)
            token = self._new_token()
            await self._client.add_token(token, [AUDIOBRIDGE])
            await self._room_request(
                {
                    "request": "allowed",
                    "room": room.number,
                    "secret": room.secret,
                    "action": "add",
                    "allowed": [token],
                }
            )
            ticket = CrowdTicket(
                server=self._public_url,
                room=room.number,
                participant=self.participant(space, user_id),
                token=token,
                expires_at=self._clock() + self._lifetime,
            )
            self._seats[(space, user_id)] = ticket
            return ticket

    async def release(self, space: str, user_id: str) -> None:
        """Revoke this person's ticket and take them out of the mixing room."""
        async with self._lock:
            ticket = self._seats.pop((space, user_id), None)
            self._muted.discard((space, user_id))
            if ticket is not None:
                async with self._server():
                    await self._revoke(space, ticket, kick=True)

    async def mute(self, space: str, user_id: str, muted: bool) -> None:
        """Mute or unmute this person for everyone; a mute outlives their rejoining.

        AudioBridge lets a participant unmute themselves, so :meth:`sweep` mutes
        again whoever is marked muted here.
        """
        key = (space, user_id)
        if muted:
            self._muted.add(key)
        else:
            self._muted.discard(key)
        room = self.room(space)
        async with self._server():
            await self._room_request(
                {
                    "request": "mute" if muted else "unmute",
                    "room": room.number,
                    "secret": room.secret,
                    "id": self.participant(space, user_id),
                },
                NO_SUCH_ROOM,
                NO_SUCH_USER,
                NO_SUCH_PARTICIPANT,
            )

    async def close(self, space: str) -> None:
        """Destroy the mixing room and revoke every ticket for it."""
        room = self.room(space)
        async with self._lock, self._server():
            await self._room_request(
                {"request": "destroy", "room": room.number, "secret": room.secret},
                NO_SUCH_ROOM,
            )
            for key in [k for k in self._seats if k[0] == space]:
                await self._client.remove_token(self._seats.pop(key).token)
            self._muted = {k for k in self._muted if k[0] != space}

    async def healthy(self) -> bool:
        """Whether Janus answers ``info`` now."""
        try:
            await self._client.info()
        except JanusDown:
            return False
        return True

    # -- upkeep -------------------------------------------------------------------------

    async def _present(self, space: str) -> dict[int, bool] | None:
        """Who is in the space's mixing room (participant → muted), or ``None`` without a room."""
        room = self.room(space)
        answer = await self._room_request(
            {"request": "listparticipants", "room": room.number}, NO_SUCH_ROOM
        )
        if answer is None:
            return None
        return {int(p["id"]): bool(p.get("muted")) for p in answer.get("participants", [])}

    async def sweep(self) -> int:
        """Revoke expired tickets (a ticket in use is extended), mute again whoever unmuted.

        Returns how many tickets were revoked. Raises nothing: Janus down is for later.
        """
        now = self._clock()
        revoked = 0
        async with self._lock:
            expired = [k for k, t in self._seats.items() if t.expires_at <= now]
            spaces = {k[0] for k in expired} | {k[0] for k in self._muted}
            try:
                for space in sorted(spaces):
                    present = await self._present(space) or {}
                    for key in [k for k in expired if k[0] == space]:
                        ticket = self._seats[key]
                        if ticket.participant in present:
                            self._seats[key] = replace(ticket, expires_at=now + self._lifetime)
                            continue
                        await self._revoke(space, ticket, kick=False)
                        del self._seats[key]
                        revoked += 1
                    room = self.room(space)
                    for muted_space, user_id in sorted(self._muted):
                        number = self.participant(muted_space, user_id)
                        if muted_space == space and present.get(number) is False:
                            await self._room_request(
                                {
                                    "request": "mute",
                                    "room": room.number,
                                    "secret": room.secret,
                                    "id": number,
                                },
                                NO_SUCH_ROOM,
                                NO_SUCH_USER,
                                NO_SUCH_PARTICIPANT,
                            )
            except (JanusDown, JanusRefused) as exc:
                log.info("sweep postponed: %s", exc)
        return revoked

    async def run_sweeper(self, every: float) -> None:
        """Sweep every ``every`` seconds until cancelled."""
        while True:
            await asyncio.sleep(every)
            await self.sweep()
