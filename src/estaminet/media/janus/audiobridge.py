"""Crowded voice rooms on Janus AudioBridge: Estaminet's :class:`CrowdVoice` on a real server.

Nobody joins a mixing room without Estaminet's say-so, and Janus itself checks it
twice: the session needs a core token (``token_auth``, added through the admin
API, valid for the AudioBridge plugin only) and the join needs the same token in
the room's ``allowed`` list, so a ticket for room A never opens room B.

The tokens on Janus are the only record of who holds a ticket. Each token
carries, in clear, this venue's tag, the room, the participant and its expiry,
then a random part: any Estaminet instance (or the same one after a restart)
can release or sweep what another issued, by listing Janus's tokens. Room
numbers, room secrets and participant numbers are derived from a key with
HMAC: stable across restarts and not guessable from outside.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from estaminet.kernel.i18n import N_
from estaminet.media.crowd import CrowdTicket, CrowdUnavailable
from estaminet.media.janus.client import AUDIOBRIDGE, JanusClient, JanusDown, JanusRefused
from estaminet.media.janus.rooms import JanusRooms

__all__ = [
    "NO_SUCH_PARTICIPANT",
    "NO_SUCH_ROOM",
    "NO_SUCH_USER",
    "ROOM_EXISTS",
    "JanusCrowd",
    "RoomKeys",
    "TicketToken",
]

log = logging.getLogger(__name__)

# AudioBridge error codes (janus_audiobridge.c).
NO_SUCH_ROOM = 485
ROOM_EXISTS = 486
NO_SUCH_USER = 487
NO_SUCH_PARTICIPANT = 492
_NOT_THERE = (NO_SUCH_ROOM, NO_SUCH_USER, NO_SUCH_PARTICIPANT)

_SAMPLING_RATE = 16000  # wideband speech, the plugin's default


@dataclass(frozen=True, slots=True)
class RoomKeys:
    """The number and the managing secret of one space's mixing room."""

    number: int
    secret: str


@dataclass(frozen=True, slots=True)
class TicketToken:
    """A ticket's token as Janus holds it: ``<tag>.<room>.<participant>.<expires>.<random>``."""

    value: str
    room: int
    participant: int
    expires: int
    """Unix time after which it no longer lets anyone in (a call under way goes on)."""


class JanusCrowd(JanusRooms):
    """Mixing rooms for crowded voice spaces on one Janus server."""

    tag_prefix = "e"
    plugin = AUDIOBRIDGE

    def __init__(self, client: JanusClient, **options: Any) -> None:
        super().__init__(client, **options)
        self._muted: set[tuple[int, int]] = set()  # (room, participant)

    # -- derived names ----------------------------------------------------------------

    def _keys(self, number: int) -> RoomKeys:
        return RoomKeys(number, self._digest("secret", str(number)).hex()[:32])

    def room(self, space: str) -> RoomKeys:
        """The mixing room of ``space``: its number and the secret that manages it."""
        return self._keys(self._number("room", space))

    def room_number(self, space: str) -> int:
        return self.room(space).number

    def participant(self, space: str, user_id: str) -> int:
        """The fixed participant number of this person in this space's mixing room."""
        return self._number("participant", space, user_id)

    def _parse(self, value: str) -> TicketToken | None:
        parts = value.split(".")
        if len(parts) != 5 or parts[0] != self._tag:
            return None  # not this venue's
        try:
            return TicketToken(value, int(parts[1]), int(parts[2]), int(parts[3]))
        except ValueError:
            return None

    async def tokens(self) -> list[TicketToken]:
        """This venue's ticket tokens Janus knows now."""
        answer = await self._client.admin("list_tokens")
        listed = answer.get("data", {}).get("tokens", [])
        found = (self._parse(str(item.get("token", ""))) for item in listed)
        return [token for token in found if token is not None]

    # -- requests -----------------------------------------------------------------------

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
        return await self._plugin_request(request, AUDIOBRIDGE, *ignore)

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

    async def _revoke(self, tokens: list[TicketToken]) -> None:
        for token in tokens:
            room = self._keys(token.room)
            await self._room_request(
                {
                    "request": "allowed",
                    "room": room.number,
                    "secret": room.secret,
                    "action": "remove",
                    "allowed": [token.value],
                },
                NO_SUCH_ROOM,
            )
            await self._client.remove_token(token.value)

    async def _kick(self, room: RoomKeys, participant: int) -> None:
        await self._room_request(
            {"request": "kick", "room": room.number, "secret": room.secret, "id": participant},
            *_NOT_THERE,
        )

    async def _set_muted(self, room: RoomKeys, participant: int, muted: bool) -> None:
        await self._room_request(
            {
                "request": "mute" if muted else "unmute",
                "room": room.number,
                "secret": room.secret,
                "id": participant,
            },
            *_NOT_THERE,
        )

    async def _present(self, number: int) -> dict[int, bool] | None:
        """Who is in a mixing room (participant → muted), or ``None`` when there is no room."""
        answer = await self._room_request(
            {"request": "listparticipants", "room": number}, NO_SUCH_ROOM
        )
        if answer is None:
            return None
        return {int(p["id"]): bool(p.get("muted")) for p in answer.get("participants", [])}

    async def present(self, space: str) -> dict[int, bool] | None:
        """Who is in the space's mixing room (participant → muted); ``None`` without a room."""
        async with self._server():
            return await self._present(self.room(space).number)

    # -- CrowdVoice ---------------------------------------------------------------------

    async def admit(self, space: str, user_id: str, display: str) -> CrowdTicket:
        """A fresh ticket for this person in ``space``; an earlier one is revoked (one seat each).

        ``display`` stays in Estaminet: Janus only ever sees numbers.
        """
        room = self.room(space)
        participant = self.participant(space, user_id)
        expires = int((self._clock() + self._lifetime).timestamp())
        value = f"{self._tag}.{room.number}.{participant}.{expires}.{self._new_secret()}"
        async with self._lock, self._server():
            await self._ensure_room(room)
            earlier = [
                t
                for t in await self.tokens()
                if t.room == room.number and t.participant == participant
            ]
            if earlier:
                await self._revoke(earlier)
                await self._kick(room, participant)
            await self._client.add_token(value, [AUDIOBRIDGE])
            await self._room_request(
                {
                    "request": "allowed",
                    "room": room.number,
                    "secret": room.secret,
                    "action": "add",
                    "allowed": [value],
                }
            )
        return CrowdTicket(
            server=self._public_url,
            room=room.number,
            participant=participant,
            token=value,
            expires_at=datetime.fromtimestamp(expires, UTC),
        )

    async def release(self, space: str, user_id: str) -> None:
        """Revoke this person's ticket and take them out of the mixing room."""
        room = self.room(space)
        participant = self.participant(space, user_id)
        self._muted.discard((room.number, participant))
        async with self._lock, self._server():
            await self._revoke(
                [
                    t
                    for t in await self.tokens()
                    if t.room == room.number and t.participant == participant
                ]
            )
            await self._kick(room, participant)

    async def mute(self, space: str, user_id: str, muted: bool) -> None:
        """Mute or unmute this person for everyone; a mute outlives their rejoining.

        AudioBridge lets a participant unmute themselves, so :meth:`sweep` mutes
        again whoever this instance marked muted.
        """
        room = self.room(space)
        participant = self.participant(space, user_id)
        if muted:
            self._muted.add((room.number, participant))
        else:
            self._muted.discard((room.number, participant))
        async with self._server():
            await self._set_muted(room, participant, muted)

    async def close(self, space: str) -> None:
        """Destroy the mixing room and revoke every ticket for it."""
        room = self.room(space)
        async with self._lock, self._server():
            await self._room_request(
                {"request": "destroy", "room": room.number, "secret": room.secret},
                NO_SUCH_ROOM,
            )
            for token in await self.tokens():
                if token.room == room.number:
                    await self._client.remove_token(token.value)
            self._muted = {k for k in self._muted if k[0] != room.number}

    async def healthy(self) -> bool:
        """Whether Janus answers ``info`` now."""
        try:
            await self._client.info()
        except JanusDown:
            return False
        return True

    # -- upkeep -------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Revoke expired tickets (unless their holder is in the room), kick strangers, re-mute.

        A stranger is someone in a room under a participant number no ticket was
        issued for (a ticket holder joining as somebody else). Returns how many
        tickets were revoked; raises nothing (Janus down: next time).
        """
        now = self._clock().timestamp()
        revoked = 0
        async with self._lock:
            try:
                by_room: dict[int, list[TicketToken]] = defaultdict(list)
                for token in await self.tokens():
                    by_room[token.room].append(token)
                for number in sorted(set(by_room) | {room for room, _ in self._muted}):
                    present = await self._present(number) or {}
                    tokens = by_room.get(number, [])
                    stale = [t for t in tokens if t.expires <= now and t.participant not in present]
                    await self._revoke(stale)
                    revoked += len(stale)
                    room = self._keys(number)
                    seated = {t.participant for t in tokens}
                    for participant, muted in present.items():
                        if tokens and participant not in seated:
                            log.warning("kicking a stranger from mixing room %s", number)
                            await self._kick(room, participant)
                        elif not muted and (number, participant) in self._muted:
                            await self._set_muted(room, participant, True)
            except (JanusDown, JanusRefused) as exc:
                log.info("sweep postponed: %s", exc)
        return revoked

    async def run_sweeper(self, every: float) -> None:
        """Sweep every ``every`` seconds until cancelled."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.sweep()
            except Exception:  # an upkeep task must outlive a surprise
                log.exception("crowd voice sweep failed")
