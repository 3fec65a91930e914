"""Several Janus servers: each room on one of them, and moved when its server dies.

:class:`JanusPool` checks every server's ``info`` now and then (bounded
timeouts) and keeps this instance's belief of who is up, with the hysteresis of
:mod:`~estaminet.media.janus.placement_rules`. :class:`PlacedCrowd` (the crowd's
AudioBridge rooms, a :class:`~estaminet.media.crowd.CrowdVoice`) and
:class:`PlacedStage` (the stages' VideoRoom rooms) route each room's requests to
the server the rules place it on, one :class:`~estaminet.media.janus.rooms.JanusRooms`
per server (same key: same room numbers, secrets and tags everywhere).

No instance tells another anything: the placement is computed from the
configured servers, their health and where the room already exists (asked of
Janus itself with ``exists``). When a server goes down, the rooms this instance
had placed on it are forgotten and the listeners (the voice service) are told,
so that the people in them are asked to reconnect, with fresh tickets, to
wherever the rooms are placed next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from estaminet.media.crowd import CrowdTicket, CrowdUnavailable
from estaminet.media.janus.audiobridge import JanusCrowd
from estaminet.media.janus.client import JanusClient, JanusDown, JanusRefused
from estaminet.media.janus.placement_rules import Health, HealthPolicy, moved, observe, place
from estaminet.media.janus.rooms import JanusRooms
from estaminet.media.janus.videoroom import STAGE_DOWN, JanusStage

__all__ = ["JanusPool", "JanusServer", "Moved", "PlacedCrowd", "PlacedStage"]

log = logging.getLogger(__name__)

Moved = Callable[[set[str]], Awaitable[None]]
"""Told the spaces whose rooms must be placed again (their people reconnect)."""


@dataclass(frozen=True, slots=True)
class JanusServer:
    """One configured Janus: its name in the placement (the same on every instance)."""

    name: str
    client: JanusClient


class JanusPool:
    """The configured Janus servers and which of them this instance believes up."""

    def __init__(
        self,
        servers: Sequence[JanusServer],
        policy: HealthPolicy | None = None,
        *,
        check_timeout: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not servers or len({s.name for s in servers}) != len(servers):
            raise ValueError("Janus servers need distinct names")
        self.servers = {server.name: server for server in servers}
        self.policy = policy or HealthPolicy()
        self.check_timeout = check_timeout
        self._monotonic = monotonic
        self._health = {name: Health() for name in self.servers}
        self._down: list[Callable[[str], Awaitable[None]]] = []

    @property
    def names(self) -> list[str]:
        return list(self.servers)

    def up(self) -> set[str]:
        return {name for name, health in self._health.items() if health.up}

    def health(self, name: str) -> Health:
        return self._health[name]

    def on_down(self, callback: Callable[[str], Awaitable[None]]) -> None:
        self._down.append(callback)

    async def _answers(self, name: str) -> bool:
        try:
            await asyncio.wait_for(self.servers[name].client.info(), self.check_timeout)
        except (JanusDown, TimeoutError):
            return False
        return True

    def _observe(self, name: str, answered: bool) -> bool:
        """Record one observation of ``name``; whether it made the server go down."""
        before = self._health[name]
        alone = not any(h.up for other, h in self._health.items() if other != name)
        after = observe(before, answered, self._monotonic(), self.policy, alone=alone)
        self._health[name] = after
        if not before.up and after.up:
            log.warning("Janus %s is up again (new rooms may go there)", name)
        return before.up and not after.up

    async def _went_down(self, name: str) -> None:
        log.warning("Janus %s is down: its rooms are placed elsewhere", name)
        for callback in self._down:
            try:
                await callback(name)
            except Exception:  # one listener's surprise must not stop the others
                log.exception("moving the rooms of Janus %s failed", name)

    async def report(self, name: str, answered: bool) -> None:
        """One observation of ``name`` (a request that failed or answered); tells the
        listeners when it makes the server go down."""
        if self._observe(name, answered):
            await self._went_down(name)

    async def check(self) -> None:
        """Ask every server ``info`` once (all at once, each bounded by ``check_timeout``);
        the listeners hear of the servers gone down once every answer is counted (two dead
        at once: their rooms are not sent to each other)."""
        names = self.names
        answers = await asyncio.gather(*(self._answers(name) for name in names))
        gone = [
            name
            for name, answered in zip(names, answers, strict=True)
            if self._observe(name, answered)
        ]
        for name in gone:
            await self._went_down(name)

    async def run(self, every: float) -> None:
        """Check every ``every`` seconds until cancelled."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.check()
            except Exception:  # an upkeep task must outlive a surprise
                log.exception("Janus health check failed")

    async def any_answers(self) -> bool:
        """Whether a server answers ``info`` now and may take rooms (up)."""
        for name in sorted(self.servers, key=lambda n: n not in self.up()):
            if await self._answers(name):
                await self.report(name, True)
                if self._health[name].up:
                    return True
        return False

    async def aclose(self) -> None:
        for server in self.servers.values():
            await server.client.aclose()


R = TypeVar("R", bound=JanusRooms)
T = TypeVar("T")


class _Placed(Generic[R]):
    """Rooms of one kind spread over the pool's servers (one ``JanusRooms`` per server)."""

    def __init__(
        self,
        pool: JanusPool,
        rooms: Mapping[str, R],
        unavailable: Callable[[], CrowdUnavailable],
    ) -> None:
        self._pool = pool
        self.rooms = dict(rooms)
        self._unavailable = unavailable
        self.placements: dict[str, str] = {}
        """Space → server name, for the rooms this instance has placed."""
        self._moved: list[Moved] = []
        self._tasks: set[asyncio.Task[None]] = set()
        pool.on_down(self._server_down)

    def on_moved(self, callback: Moved) -> None:
        """``callback(spaces)`` when rooms this instance placed must be placed again."""
        self._moved.append(callback)

    async def _tell(self, spaces: set[str]) -> None:
        for callback in self._moved:
            try:
                await callback(spaces)
            except Exception:
                log.exception("telling that rooms moved failed")

    async def _server_down(self, name: str) -> None:
        up = self._pool.up()
        gone = moved(self.placements, up)
        for space in gone:
            del self.placements[space]
        if gone and up:
            # Somewhere to go: their people reconnect now. With no server up, there is
            # nowhere to move to: their calls fail, and they are told when voice is back.
            await self._tell(gone)

    @property
    def _any(self) -> R:
        return next(iter(self.rooms.values()))

    async def place(self, space: str) -> str:
        """The server ``space``'s room is on now (asking the servers up where it exists).

        With no server believed up, all are tried as if up: a slow answer on a busy machine
        must not refuse voice that a real request would have carried (one Janus, as before).
        """
        up = self._pool.up() or set(self._pool.names)
        existing: set[str] = set()
        for name in sorted(up):
            try:
                if await self.rooms[name].exists(space):
                    existing.add(name)
            except JanusDown:
                await self._pool.report(name, False)
            except JanusRefused as exc:
                log.error("Janus %s refused 'exists': %s", name, exc)
        chosen = place(space, self._pool.names, self._pool.up() or up, existing)
        if chosen is None:
            raise self._unavailable()
        previous = self.placements.get(space)
        self.placements[space] = chosen
        if previous is not None and previous != chosen:
            # Another instance put the room elsewhere while the views differed: the rules
            # pick the same one everywhere now; whoever this instance had there follows.
            log.warning("room %s moves from Janus %s to %s", space, previous, chosen)
            task = asyncio.get_running_loop().create_task(self._tell({space}))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return chosen

    async def _where(self, space: str) -> str:
        return self.placements.get(space) or await self.place(space)

    async def _on(self, name: str, work: Callable[[R], Awaitable[T]]) -> T:
        """``work`` on server ``name``; its not answering counts against its health."""
        try:
            return await work(self.rooms[name])
        except CrowdUnavailable as exc:
            if exc.code in ("voice/crowd_unavailable", "stage/janus_down"):
                await self._pool.report(name, False)
            raise

    def public_urls(self) -> list[str]:
        return sorted({rooms.public_url for rooms in self.rooms.values()})


class PlacedCrowd(_Placed[JanusCrowd]):
    """The crowd's mixing rooms over several Janus servers (a ``CrowdVoice``)."""

    def __init__(self, pool: JanusPool, rooms: Mapping[str, JanusCrowd]) -> None:
        super().__init__(pool, rooms, lambda: CrowdUnavailable("voice/crowd_unavailable"))

    @property
    def public_url(self) -> str:
        return self._any.public_url

    def room(self, space: str) -> int:
        return self._any.room_number(space)

    async def admit(self, space: str, user_id: str, display: str) -> CrowdTicket:
        name = await self.place(space)
        return await self._on(name, lambda rooms: rooms.admit(space, user_id, display))

    async def release(self, space: str, user_id: str) -> None:
        name = await self._where(space)
        await self._on(name, lambda rooms: rooms.release(space, user_id))

    async def mute(self, space: str, user_id: str, muted: bool) -> None:
        name = await self._where(space)
        await self._on(name, lambda rooms: rooms.mute(space, user_id, muted))

    async def close(self, space: str) -> None:
        name = self.placements.pop(space, None)
        if name is not None and name in self._pool.up():
            await self._on(name, lambda rooms: rooms.close(space))

    async def healthy(self) -> bool:
        return await self._pool.any_answers()

    async def sweep(self) -> int:
        revoked = 0
        for rooms in self.rooms.values():
            revoked += await rooms.sweep()
        return revoked

    async def run_sweeper(self, every: float) -> None:
        """Sweep every server every ``every`` seconds until cancelled."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.sweep()
            except Exception:  # an upkeep task must outlive a surprise
                log.exception("crowd voice sweep failed")


class PlacedStage(_Placed[JanusStage]):
    """The stages' VideoRoom rooms over several Janus servers (a ``StageMedia``)."""

    def __init__(self, pool: JanusPool, rooms: Mapping[str, JanusStage]) -> None:
        super().__init__(
            pool,
            rooms,
            lambda: CrowdUnavailable("stage/janus_down", STAGE_DOWN),
        )

    def room(self, space: str) -> int:
        return self._any.room_number(space)

    def feed(self, space: str, user_id: str) -> int:
        return self._any.feed(space, user_id)

    async def admit(self, space: str, user_id: str) -> CrowdTicket:
        name = await self.place(space)
        return await self._on(name, lambda rooms: rooms.admit(space, user_id))

    async def release(self, space: str, user_id: str) -> None:
        name = await self._where(space)
        await self._on(name, lambda rooms: rooms.release(space, user_id))

    async def cut(self, space: str, user_id: str) -> None:
        name = await self._where(space)
        await self._on(name, lambda rooms: rooms.cut(space, user_id))

    async def guard(self, space: str, allowed: set[int]) -> list[int]:
        name = self.placements.get(space)
        if name is None:
            return []  # nobody got a ticket for it here
        return await self._on(name, lambda rooms: rooms.guard(space, allowed))

    async def close(self, space: str) -> None:
        name = self.placements.pop(space, None)
        if name is not None:
            with contextlib.suppress(CrowdUnavailable):
                await self._on(name, lambda rooms: rooms.close(space))

    # What the stage keeps (media/stage_sessions.py): recording and the restream's forwards
    # go to the Janus the stage is on (recording writes on that Janus's own disk).

    async def record(self, space: str, folder: str | None) -> None:
        name = await self._where(space)
        await self._on(name, lambda rooms: rooms.record(space, folder))

    async def forward(self, space: str, feed: int, audio_port: int, video_port: int) -> list[int]:
        name = await self._where(space)
        return await self._on(
            name, lambda rooms: rooms.forward(space, feed, audio_port, video_port)
        )

    async def unforward(self, space: str, feed: int, stream_ids: list[int]) -> None:
        name = await self._where(space)
        await self._on(name, lambda rooms: rooms.unforward(space, feed, stream_ids))
