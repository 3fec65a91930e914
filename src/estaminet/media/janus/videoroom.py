"""The stage on Janus VideoRoom: one SFU room per stage, tickets behind Janus's token auth.

As for the crowded voice rooms (:mod:`estaminet.media.janus.audiobridge`), nobody
enters a stage's VideoRoom room without Estaminet's say-so: the session needs a
core token (valid for the VideoRoom plugin only) and the join needs the same
token in the room's ``allowed`` list. Room numbers, room secrets and feed numbers
are derived from a key with HMAC. Who may *publish* is Estaminet's decision
(``people.access.may_perform``): a ticket is issued for publishing only to a
named performer who is not cut, and :meth:`JanusStage.guard` kicks any publisher
in the room that is not such a performer.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from estaminet.kernel.i18n import N_
from estaminet.media.crowd import CrowdTicket, CrowdUnavailable
from estaminet.media.janus.client import VIDEOROOM, JanusClient, JanusDown, JanusRefused
from estaminet.media.janus.rooms import JanusRooms

__all__ = ["STAGE_DOWN", "JanusStage"]

log = logging.getLogger(__name__)

# VideoRoom error codes (janus_videoroom.c).
NO_SUCH_ROOM = 426
ROOM_EXISTS = 427
NO_SUCH_FEED = 428
_NOT_THERE = (NO_SUCH_ROOM, NO_SUCH_FEED)

STAGE_DOWN = N_("The stage's video server is not reachable right now. The chat still works.")

_PUBLISHERS = 8
"""Performers live at once on one stage (a duo, a band in several homes)."""
_BITRATE = 1_024_000
"""The most a publisher's video may take, in bits per second."""


class JanusStage(JanusRooms):
    """Stages on one Janus server's VideoRoom plugin."""

    tag_prefix = "s"
    plugin = VIDEOROOM

    def __init__(self, client: JanusClient, **options: Any) -> None:
        super().__init__(client, **options)
        self._issued: dict[tuple[str, str], list[str]] = {}
        self._recording: dict[str, str | None] = {}
        """Stages being recorded → their folder (a Janus restarted records again)."""

    def room(self, space: str) -> int:
        """The VideoRoom room of the stage ``space``."""
        return self._number("stage", space)

    def room_number(self, space: str) -> int:
        return self.room(space)

    def _secret(self, room: int) -> str:
        return self._digest("stage-secret", str(room)).hex()[:32]

    def feed(self, space: str, user_id: str) -> int:
        """This person's fixed feed (participant) number on the stage ``space``."""
        return self._number("feed", space, user_id)

    @asynccontextmanager
    async def _server(self) -> AsyncIterator[None]:
        try:
            yield
        except JanusDown as exc:
            log.warning("Janus does not answer: %s", exc)
            raise CrowdUnavailable("stage/janus_down", STAGE_DOWN) from exc
        except JanusRefused as exc:
            log.error("Janus refused Estaminet's stage request: %s", exc)
            raise CrowdUnavailable(
                "stage/janus_refused",
                N_("The video server refused the venue's request. Tell the venue's admin."),
            ) from exc

    async def _request(self, request: dict[str, Any], *ignore: int) -> dict[str, Any] | None:
        return await self._plugin_request(request, VIDEOROOM, *ignore)

    async def _ensure_room(self, room: int) -> None:
        request: dict[str, Any] = {
            "request": "create",
            "room": room,
            "secret": self._secret(room),
            "description": "Estaminet stage",
            "is_private": True,
            "allowed": [],
            "publishers": _PUBLISHERS,
            "bitrate": _BITRATE,
            "audiocodec": "opus",
            "videocodec": "vp8",
            "notify_joining": False,
            "permanent": False,
        }
        if self._room_admin_key:
            request["admin_key"] = self._room_admin_key
        folder = next((f for s, f in self._recording.items() if self.room(s) == room), None)
        if folder:
            request.update(record=True, rec_dir=folder)
        await self._request(request, ROOM_EXISTS)

    async def admit(self, space: str, user_id: str) -> CrowdTicket:
        """A ticket to this stage's room for this person (watching; publishing if performer).

        Whether the person may publish is decided before: Janus cannot tell a watcher's
        token from a performer's, so :meth:`guard` removes publishers nobody named.
        """
        room = self.room(space)
        feed = self.feed(space, user_id)
        expires = int((self._clock() + self._lifetime).timestamp())
        value = f"{self._tag}.{room}.{feed}.{expires}.{self._new_secret()}"
        async with self._lock, self._server():
            await self._ensure_room(room)
            await self._client.add_token(value, [VIDEOROOM])
            await self._request(
                {
                    "request": "allowed",
                    "room": room,
                    "secret": self._secret(room),
                    "action": "add",
                    "allowed": [value],
                }
            )
        self._issued.setdefault((space, user_id), []).append(value)
        return CrowdTicket(
            server=self._public_url,
            room=room,
            participant=feed,
            token=value,
            expires_at=datetime.fromtimestamp(expires, UTC),
        )

    async def release(self, space: str, user_id: str) -> None:
        """Revoke this person's tickets for this stage and take their feed off it."""
        room = self.room(space)
        tokens = self._issued.pop((space, user_id), [])
        async with self._lock, self._server():
            if tokens:
                await self._request(
                    {
                        "request": "allowed",
                        "room": room,
                        "secret": self._secret(room),
                        "action": "remove",
                        "allowed": tokens,
                    },
                    NO_SUCH_ROOM,
                )
            for token in tokens:
                await self._client.remove_token(token)
            await self._kick(room, self.feed(space, user_id))

    async def _kick(self, room: int, feed: int) -> None:
        await self._request(
            {"request": "kick", "room": room, "secret": self._secret(room), "id": feed},
            *_NOT_THERE,
        )

    async def cut(self, space: str, user_id: str) -> None:
        """Take this performer's feed off the stage now (their tickets stay: they watch)."""
        async with self._lock, self._server():
            await self._kick(self.room(space), self.feed(space, user_id))

    async def publishers(self, space: str) -> set[int]:
        """The feeds publishing on this stage now, according to Janus."""
        async with self._server():
            answer = await self._request(
                {"request": "listparticipants", "room": self.room(space)}, NO_SUCH_ROOM
            )
        if answer is None:
            return set()
        return {int(p["id"]) for p in answer.get("participants", []) if p.get("publisher")}

    async def guard(self, space: str, allowed: set[int]) -> list[int]:
        """Kick every publisher of this stage whose feed is not in ``allowed``; returns them."""
        strangers = sorted(await self.publishers(space) - allowed)
        async with self._lock, self._server():
            for feed in strangers:
                log.warning("kicking a publisher nobody put on stage %s", space)
                await self._kick(self.room(space), feed)
        return strangers

    async def close(self, space: str) -> None:
        """Destroy the stage's room and revoke its tickets."""
        room = self.room(space)
        async with self._lock, self._server():
            await self._request(
                {"request": "destroy", "room": room, "secret": self._secret(room)}, NO_SUCH_ROOM
            )
            for key in [k for k in self._issued if k[0] == space]:
                for token in self._issued.pop(key):
                    await self._client.remove_token(token)

    # -- recording and restream (media/recording.py, media/restream.py) -------------------

    async def record(self, space: str, folder: str | None) -> None:
        """Record every publisher of this stage into ``folder`` (Janus's ``.mjr`` files), or
        stop recording (``None``): the files are closed when this returns."""
        room = self.room(space)
        self._recording[space] = folder
        async with self._lock, self._server():
            await self._ensure_room(room)
            secret = self._secret(room)
            if folder is not None:
                await self._request(
                    {"request": "edit", "room": room, "secret": secret, "new_rec_dir": folder}
                )
            await self._request(
                {
                    "request": "enable_recording",
                    "room": room,
                    "secret": secret,
                    "record": folder is not None,
                }
            )
        if folder is None:
            self._recording.pop(space, None)

    async def forward(self, space: str, feed: int, audio_port: int, video_port: int) -> list[int]:
        """Ask Janus to send this feed's audio and video as RTP to loopback ports; returns
        the forwarders' ids (for :meth:`unforward`)."""
        room = self.room(space)
        request: dict[str, Any] = {
            "request": "rtp_forward",
            "room": room,
            "secret": self._secret(room),
            "publisher_id": feed,
            "host": "127.0.0.1",
            "audio_port": audio_port,
            "audio_pt": 111,
            "video_port": video_port,
            "video_pt": 96,
        }
        if self._room_admin_key:
            request["admin_key"] = self._room_admin_key
        async with self._lock, self._server():
            answer = await self._request(request)
        forwarders = (answer or {}).get("forwarders") or []
        return [int(f["stream_id"]) for f in forwarders if "stream_id" in f]

    async def unforward(self, space: str, feed: int, stream_ids: list[int]) -> None:
        """Stop the forwarders :meth:`forward` made (gone already is fine)."""
        room = self.room(space)
        async with self._lock, self._server():
            for stream_id in stream_ids:
                request: dict[str, Any] = {
                    "request": "stop_rtp_forward",
                    "room": room,
                    "secret": self._secret(room),
                    "publisher_id": feed,
                    "stream_id": stream_id,
                }
                if self._room_admin_key:
                    request["admin_key"] = self._room_admin_key
                await self._request(request, *_NOT_THERE)
