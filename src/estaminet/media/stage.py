"""La scène: performers publishing through Janus VideoRoom, an audience watching, applause.

State is kept in memory by this process, like voice: who the animator named
(performers), who is cut, who says they are live, and who follows the stage's
``stage:<slug>`` topic (the audience). Janus carries the media; Estaminet decides
who may publish (``people.access.may_perform``) and gives each person a ticket
for the stage's VideoRoom room. Reactions are counted per stage and published at
most once per :data:`~estaminet.media.stage_rules.WINDOW_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from estaminet.kernel.errors import BadInput, EstaminetError, Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.kernel.ratelimit import Monotonic, TokenBucket
from estaminet.media.crowd import CrowdTicket, CrowdUnavailable
from estaminet.media.stage_rules import REACTIONS, WINDOW_SECONDS, ReactionTally
from estaminet.people.access import can_animate_stage, may_perform
from estaminet.people.model import User
from estaminet.people.queries import active_user
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import frame_for_locales
from estaminet.realtime.gateway import ActionContext, Gateway
from estaminet.realtime.hub import Hub
from estaminet.store import Database
from estaminet.venue.kinds import RoomKind
from estaminet.venue.rooms import Room, access_room
from estaminet.web.templating import Templates

__all__ = ["StageMedia", "StageService"]

log = logging.getLogger(__name__)

_MALFORMED = N_("This message could not be read.")
REACT_BURST = 6
"""Reactions one person may send at once; then :data:`REACT_PER_SECOND`."""
REACT_PER_SECOND = 2.0
GUARD_SECONDS = 3.0
"""How often Janus's publishers are checked against the named performers while anyone watches."""


class StageMedia(Protocol):
    """The SFU a stage runs on (Janus VideoRoom), as the stage service sees it."""

    def feed(self, space: str, user_id: str) -> int: ...

    async def admit(self, space: str, user_id: str) -> CrowdTicket: ...

    async def release(self, space: str, user_id: str) -> None: ...

    async def cut(self, space: str, user_id: str) -> None: ...

    async def guard(self, space: str, allowed: set[int]) -> list[int]: ...


@dataclass(eq=False)
class _Stage:
    slug: str
    performers: dict[str, str] = field(default_factory=dict)
    """Named performers, id → display name, in the order they were named."""
    cut: set[str] = field(default_factory=set)
    live: set[str] = field(default_factory=set)
    audience: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Connections following the stage: connection id → (user id, display name)."""
    tally: ReactionTally = field(default_factory=ReactionTally)

    @property
    def key(self) -> str:
        return f"stage:{self.slug}"

    def people(self) -> dict[str, str]:
        return {user: name for user, name in self.audience.values()}


def _malformed() -> BadInput:
    return BadInput("gateway/malformed", _MALFORMED)


def _slug(data: Mapping[str, Any]) -> str:
    room = data.get("room")
    if not isinstance(room, str) or not 0 < len(room) <= 60:
        raise _malformed()
    return room


def _ticket(ticket: CrowdTicket) -> dict[str, Any]:
    return {
        "server": ticket.server,
        "room": ticket.room,
        "participant": ticket.participant,
        "token": ticket.token,
        "expires_at": ticket.expires_at.isoformat(),
    }


class StageService:
    """The stages of the venue's rooms of kind ``stage`` (``docs/stage.md``)."""

    def __init__(
        self,
        db: Database,
        hub: Hub,
        templates: Templates,
        clock: Callable[[], datetime],
        *,
        media: StageMedia | None = None,
        ice_servers: Callable[[str, datetime], list[dict[str, Any]]] | None = None,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self.db = db
        self.hub = hub
        self.templates = templates
        self.clock = clock
        self.media = media
        self.ice_servers = ice_servers
        self.monotonic = monotonic
        self.stages: dict[str, _Stage] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._guarding: asyncio.Task[None] | None = None

    def install(self, gateway: Gateway) -> None:
        gateway.provide("stage", _StageTopics(self))
        gateway.action("stage.ticket", self._ticket)
        gateway.action("stage.live", self._live)
        gateway.action("stage.perform", self._perform)
        gateway.action("stage.cut", self._cut)
        gateway.action("stage.react", self._react)

    # -- access ---------------------------------------------------------------------

    async def access(self, principal: Principal, slug: str) -> tuple[User, Room]:
        """The person and the stage room, if they may be in it; raises the refusal if not."""
        async with self.db.read() as conn:
            user = await active_user(conn, principal.user_id)
            room = await access_room(conn, user, slug)
        if room.kind is not RoomKind.STAGE:
            raise NotFound("stage/not_a_stage", N_("This room has no stage."))
        return user, room

    def stage(self, slug: str) -> _Stage:
        return self.stages.setdefault(slug, _Stage(slug))

    def _in_audience(self, stage: _Stage, conn: Connection) -> None:
        if conn.id not in stage.audience:
            raise BadInput("stage/follow_first", _MALFORMED)

    def _require_media(self) -> StageMedia:
        if self.media is None:
            raise EstaminetError(
                "stage/no_janus",
                N_(
                    "The stage needs the Janus video server, which is not installed here "
                    "(apt-get install janus). The chat still works."
                ),
            )
        return self.media

    # -- actions --------------------------------------------------------------------

    async def _ticket(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        slug = _slug(data)
        role = data.get("role")
        if role not in ("watch", "perform"):
            raise _malformed()
        user, _ = await self.access(ctx.principal, slug)
        stage = self.stage(slug)
        self._in_audience(stage, ctx.connection)
        if role == "perform" and not may_perform(
            user.id, frozenset(stage.performers), frozenset(stage.cut)
        ):
            raise Forbidden(
                "stage/not_performer",
                N_("Only the performers the animator named can go live on the stage."),
            )
        media = self._require_media()
        ticket = await media.admit(stage.key, user.id)
        self._keep_guarding()
        ice = self.ice_servers(user.id, ctx.now) if self.ice_servers else []
        return {"ticket": _ticket(ticket), "ice_servers": ice}

    async def _live(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        slug = _slug(data)
        live = data.get("live")
        if not isinstance(live, bool):
            raise _malformed()
        user, _ = await self.access(ctx.principal, slug)
        stage = self.stage(slug)
        if live:
            self._in_audience(stage, ctx.connection)
            if not may_perform(user.id, frozenset(stage.performers), frozenset(stage.cut)):
                raise Forbidden(
                    "stage/not_performer",
                    N_("Only the performers the animator named can go live on the stage."),
                )
            stage.live.add(user.id)
        else:
            stage.live.discard(user.id)
        await self._guard(stage)
        await self.publish(slug)
        return {"live": live}

    async def _animator(self, ctx: ActionContext, data: Mapping[str, Any]) -> tuple[_Stage, str]:
        slug = _slug(data)
        target = data.get("user")
        if not isinstance(target, str) or not 0 < len(target) <= 64:
            raise _malformed()
        user, _ = await self.access(ctx.principal, slug)
        if not can_animate_stage(user):
            raise Forbidden(
                "stage/not_animator", N_("Only the stage's animators can put people on stage.")
            )
        return self.stage(slug), target

    async def _perform(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        stage, target = await self._animator(ctx, data)
        performer = data.get("performer")
        if not isinstance(performer, bool):
            raise _malformed()
        if performer:
            name = stage.people().get(target)
            if name is None:
                raise NotFound(
                    "stage/not_here", N_("This person is not watching the stage right now.")
                )
            stage.performers[target] = name
            stage.cut.discard(target)
        else:
            stage.performers.pop(target, None)
            stage.cut.discard(target)
            stage.live.discard(target)
            await self._take_off(stage, target)
        await self.publish(stage.slug)
        return {"user": target, "performer": performer}

    async def _cut(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        stage, target = await self._animator(ctx, data)
        cut = data.get("cut")
        if not isinstance(cut, bool):
            raise _malformed()
        if target not in stage.performers:
            raise NotFound("stage/not_performer_yet", N_("This person is not a performer."))
        if cut:
            stage.cut.add(target)
            stage.live.discard(target)
            await self._take_off(stage, target)
        else:
            stage.cut.discard(target)
        await self.publish(stage.slug)
        return {"user": target, "cut": cut}

    async def _react(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        slug = _slug(data)
        reaction = data.get("reaction")
        if reaction not in REACTIONS:
            raise BadInput("stage/unknown_reaction", N_("This reaction does not exist."))
        stage = self.stages.get(slug)
        if stage is None:
            raise BadInput("stage/follow_first", _MALFORMED)
        self._in_audience(stage, ctx.connection)
        user_id = ctx.principal.user_id
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) > 20_000:
                self._buckets.clear()
            bucket = self._buckets[user_id] = TokenBucket(REACT_BURST, REACT_PER_SECOND)
        if not bucket.take(self.monotonic()):
            raise EstaminetError("stage/slow_down", N_("Easy with the applause; wait a moment."))
        assert isinstance(reaction, str)
        if stage.tally.add(reaction, self.monotonic()):
            self._schedule(slug)
        return {}

    # -- Janus ----------------------------------------------------------------------

    async def _take_off(self, stage: _Stage, user_id: str) -> None:
        if self.media is not None:
            with contextlib.suppress(CrowdUnavailable):
                await self.media.cut(stage.key, user_id)

    async def _guard(self, stage: _Stage) -> None:
        """Janus cannot tell a watcher's ticket from a performer's: kick unnamed publishers."""
        if self.media is None:
            return
        allowed = {self.media.feed(stage.key, u) for u in stage.performers if u not in stage.cut}
        with contextlib.suppress(CrowdUnavailable):
            await self.media.guard(stage.key, allowed)

    def _keep_guarding(self) -> None:
        """While anyone holds a ticket, check Janus's publishers every few seconds: a watcher
        publishing with their own ticket (Janus cannot tell it from a performer's) is kicked."""
        if self._guarding is None or self._guarding.done():
            self._guarding = asyncio.get_running_loop().create_task(self._guard_loop())

    async def _guard_loop(self) -> None:
        while any(stage.audience for stage in self.stages.values()):
            await asyncio.sleep(GUARD_SECONDS)
            for stage in list(self.stages.values()):
                if stage.audience:
                    try:
                        await self._guard(stage)
                    except Exception:  # an upkeep task must outlive a surprise
                        log.exception("stage guard failed")

    # -- reactions ------------------------------------------------------------------

    def _schedule(self, slug: str) -> None:
        if slug in self._timers:
            return
        loop = asyncio.get_running_loop()
        self._timers[slug] = loop.call_later(
            WINDOW_SECONDS, lambda: loop.create_task(self.flush_reactions(slug))
        )

    async def flush_reactions(self, slug: str) -> dict[str, int] | None:
        """Publish the window's reaction counts on ``stage:<slug>`` (one frame), if it is over."""
        self._timers.pop(slug, None)
        stage = self.stages.get(slug)
        if stage is None:
            return None
        counts = stage.tally.flush(self.monotonic())
        if counts is None:
            if stage.tally.opened is not None:
                self._schedule(slug)
            return None
        topic = stage.key
        seq = await self.hub.next_seq(topic)
        await self.hub.publish(
            frame_for_locales(topic, seq, "reactions", neutral={"ops": [], "reactions": counts})
        )
        return counts

    # -- state ----------------------------------------------------------------------

    def state(self, slug: str) -> dict[str, Any]:
        """The stage as everyone following it may know: performers, audience, watchers."""
        stage = self.stages.get(slug) or _Stage(slug)
        media = self.media
        performers = [
            {
                "id": user_id,
                "name": name,
                "feed": media.feed(stage.key, user_id) if media is not None else 0,
                "live": user_id in stage.live,
                "cut": user_id in stage.cut,
            }
            for user_id, name in stage.performers.items()
        ]
        people = stage.people()
        audience = [
            {"id": user_id, "name": name}
            for user_id, name in sorted(people.items(), key=lambda p: p[1].lower())
            if user_id not in stage.performers
        ]
        return {
            "performers": performers,
            "audience": audience,
            "watchers": len(audience),
            "janus": media is not None,
        }

    async def publish(self, slug: str) -> None:
        topic = f"stage:{slug}"
        seq = await self.hub.next_seq(topic)
        await self.hub.publish(
            frame_for_locales(topic, seq, "stage", neutral={"ops": [], "stage": self.state(slug)})
        )

    async def arrive(self, connection: Connection, slug: str) -> None:
        principal = connection.principal
        self.stage(slug).audience[connection.id] = (principal.user_id, principal.display_name)
        await self.publish(slug)

    async def leave(self, connection: Connection, slug: str) -> None:
        stage = self.stages.get(slug)
        if stage is None or stage.audience.pop(connection.id, None) is None:
            return
        user_id = connection.principal.user_id
        if user_id not in stage.people():
            stage.live.discard(user_id)
            if self.media is not None:
                with contextlib.suppress(CrowdUnavailable):
                    await self.media.release(stage.key, user_id)
        await self.publish(slug)

    # -- the panel ------------------------------------------------------------------

    async def room_panel(self, context: Mapping[str, Any], room: Room, user: User) -> str:
        """The stage itself: the live feeds, the performer's preview, the audience's side."""
        topic = f"stage:{room.slug}"
        return self.templates.render(
            "media/_stage_panel.html",
            str(context["locale"]),
            {
                **context,
                "room": room,
                "topic": topic,
                "seq": await self.hub.current_seq(topic),
                "janus": self.media is not None,
                "can_animate": can_animate_stage(user),
                "reactions": REACTIONS,
            },
        )


class _StageTopics:
    """``stage:<slug>``: the stage's state (a fresh snapshot on resume) and reaction waves."""

    def __init__(self, service: StageService) -> None:
        self.service = service

    async def authorize(self, principal: Principal, topic: str) -> None:
        await self.service.access(principal, topic.partition(":")[2])

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        current = await self.service.hub.current_seq(topic)
        if after != current:
            state = self.service.state(topic.partition(":")[2])
            connection.push_catch_up(topic, current, [], stage=state)
        return current

    async def joined(self, connection: Connection, topic: str) -> None:
        await self.service.arrive(connection, topic.partition(":")[2])

    async def left(self, connection: Connection, topic: str) -> None:
        await self.service.leave(connection, topic.partition(":")[2])
