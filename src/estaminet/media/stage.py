"""La scène: performers publishing through Janus VideoRoom, an audience watching, applause.

State is kept in memory by this process: who the animator named (performers), who is
cut, who says they are live, who dropped, the raised hands, and who follows the
stage's ``stage:<slug>`` topic (the audience). With several instances (``SharedState``
distributed) that memory is a copy: the stage of a space is a record of the shared
state (``stage:<slug>``, JSON), changed only under the space's venue-wide lock
(read, change, write: :meth:`StageService.change`), and each instance holds its own
watchers as entries (``stage``/``<slug>``), so the audience is the union of every
instance's. After a change the acting instance publishes the frames (the hub carries
them everywhere) and nudges the others on the internal topic ``stage-sync:<slug>``
(not followable by browsers), which read the record again; an instance's watchers
swept (it died) are taken off by the sweeper, which applies the dropped rule to the
performers it had. Janus carries the media; Estaminet decides
who may publish (``people.access.may_perform``) and gives each person a ticket
for the stage's VideoRoom room. Reactions are counted per stage and published at
most once per :data:`~estaminet.media.stage_rules.WINDOW_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from estaminet.kernel.errors import BadInput, EstaminetError, Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.kernel.ratelimit import Monotonic, TokenBucket
from estaminet.media.crowd import CrowdTicket, CrowdUnavailable
from estaminet.media.stage_hands import Hand, HandQueue, HandRefused
from estaminet.media.stage_mesh import StageMesh
from estaminet.media.stage_rules import REACTIONS, WINDOW_SECONDS, ReactionTally
from estaminet.people.access import (
    can_animate_stage,
    may_perform,
    may_raise_hand,
    may_send_back,
)
from estaminet.people.model import User
from estaminet.people.queries import active_user
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import Frame, frame_for_locales
from estaminet.realtime.gateway import ActionContext, Gateway
from estaminet.realtime.hub import Hub
from estaminet.realtime.shared_state import MemorySharedState, SharedState
from estaminet.realtime.topics import HubNumbered, SnapshotTopics
from estaminet.store import Database
from estaminet.venue.kinds import RoomKind
from estaminet.venue.rooms import Room, access_room
from estaminet.web.templating import Templates

if TYPE_CHECKING:
    from estaminet.media.stage_sessions import StageKeep

__all__ = ["StageMedia", "StageService"]

log = logging.getLogger(__name__)

_MALFORMED = N_("This message could not be read.")
REACT_BURST = 6
"""Reactions one person may send at once; then :data:`REACT_PER_SECOND`."""
REACT_PER_SECOND = 2.0
GUARD_SECONDS = 3.0
DROP_GRACE_SECONDS = 30.0
"""How long a live performer whose connection dropped stays on stage, said dropped to the
watchers (« La connexion de X a lâché… »), before being taken off."""
"""How often Janus's publishers are checked against the named performers while anyone watches."""
LOCK_WAIT_SECONDS = 5.0
"""How long a change waits for the stage's venue-wide lock (several instances) before giving up."""
_AUDIENCE = "stage"
"""The shared state's space of the watchers: ``stage``/``<slug>``, member = user id."""


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
    hands: HandQueue = field(default_factory=HandQueue)
    dropped: dict[str, float] = field(default_factory=dict)
    """Live performers whose every connection went away: id → when (monotonic; the wall
    clock's seconds with several instances)."""
    everyone: dict[str, str] | None = None
    """With several instances: the watchers of every instance (user id → name), as last read."""
    generation: int = 0
    """With several instances: counts the reads and changes of the record applied here."""

    @property
    def key(self) -> str:
        return f"stage:{self.slug}"

    @property
    def desk(self) -> str:
        """The animators' topic: the raised hands with names."""
        return desk_topic(self.slug)

    def people(self) -> dict[str, str]:
        """Who watches the stage (user id → name): here, and on the other instances."""
        here = {user: name for user, name in self.audience.values()}
        if self.everyone is None:
            return here
        return {**self.everyone, **here}

    def here(self, user_id: str) -> bool:
        """Whether ``user_id`` has a tab following the stage on this instance."""
        return any(user == user_id for user, _ in self.audience.values())

    def dump(self) -> dict[str, Any]:
        """What the record of the stage keeps (``StageService.change``)."""
        return {
            "performers": list(self.performers.items()),
            "cut": sorted(self.cut),
            "live": sorted(self.live),
            "dropped": self.dropped,
            "hands": [[h.user_id, h.name, h.raised_at] for h in self.hands.hands.values()],
            "declined": sorted(self.hands.declined),
        }

    def load(self, record: Mapping[str, Any]) -> None:
        self.performers = {str(user): str(name) for user, name in record["performers"]}
        self.cut = set(record["cut"])
        self.live = set(record["live"])
        self.dropped = {str(user): float(at) for user, at in record["dropped"].items()}
        self.hands.hands = {
            str(user): Hand(str(user), str(name), float(at)) for user, name, at in record["hands"]
        }
        self.hands.declined = set(record["declined"])


def desk_topic(slug: str) -> str:
    """``stagedesk:<slug>``: the raised hands in order with names, for the animators only."""
    return f"stagedesk:{slug}"


def hand_topic(slug: str, user_id: str) -> str:
    """``stagehand:<slug>:<user>``: one watcher's own hand (raised, place, declined)."""
    return f"stagehand:{slug}:{user_id}"


_HAND_REFUSALS = {
    "full": ("stage/queue_full", N_("Too many hands are raised already; try again later.")),
    "slow": ("stage/hand_slow_down", N_("Easy with the hand; wait a moment.")),
    "none": ("stage/no_hand", N_("This person's hand is not raised.")),
}


def _hand_refusal(refused: HandRefused) -> EstaminetError:
    code, message = _HAND_REFUSALS[refused.code]
    if refused.code == "none":
        return NotFound(code, message)
    return EstaminetError(code, message)


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
        mesh_seats: int = 4,
        max_signal_bytes: int = 12_000,
        shared: SharedState | None = None,
    ) -> None:
        self.db = db
        self.shared: SharedState = shared if shared is not None else MemorySharedState()
        """With several instances: each stage's record, and the watchers of each instance."""
        self.record_parts: dict[str, tuple[Callable[[str], Any], Callable[[str, Any], None]]] = {}
        """More of a stage's record, from other modules: name → (read it, set it from the record)."""
        self._following: dict[str, Callable[[], None]] = {}
        self._reloads: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._expiring: set[tuple[str, str, float]] = set()
        """Drops this instance will look at once their grace is over (several instances)."""
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
        self.mesh = StageMesh(  # without Janus: browser to browser (media/stage_mesh.py)
            seats=mesh_seats,
            max_signal_bytes=max_signal_bytes,
            stages=self.stages,
            access=self.access,
            active=lambda: self.media is None,
            ice_servers=ice_servers,
            monotonic=monotonic,
        )
        self.keep: StageKeep | None = None
        """Sessions, recording and restream (``media/stage_sessions.py``), when wired."""
        self.state_extras: list[Callable[[str], Mapping[str, Any]]] = []
        """More of a stage's state, from other modules (the table it shows: stage_table.py)."""
        self.panel_parts: list[Callable[[Mapping[str, Any], Room, User], Awaitable[str]]] = []
        """More of the stage's panel, from other modules (the animator's table picker)."""
        self.shared.watch(_AUDIENCE, self._swept)

    def install(self, gateway: Gateway) -> None:
        gateway.provide("stage", _StageTopics(self))
        gateway.provide("stagedesk", _DeskTopics(self))
        gateway.provide("stagehand", _HandTopics(self))
        gateway.action("stage.ticket", self._ticket)
        gateway.action("stage.live", self._live)
        gateway.action("stage.perform", self._perform)
        gateway.action("stage.cut", self._cut)
        gateway.action("stage.react", self._react)
        self.mesh.install(gateway)
        gateway.action("stage.hand", self._hand)
        gateway.action("stage.answer", self._answer)
        if self.keep is not None:
            self.keep.install(gateway)

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
        stage = self.stages.get(slug)
        if stage is None:
            stage = self.stages[slug] = _Stage(slug)
            if self.shared.distributed:
                self._following[slug] = self.hub.subscribe(
                    f"stage-sync:{slug}", lambda frame: self._nudged(slug, frame)
                )
        return stage

    # -- several instances ------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def change(self, slug: str) -> AsyncIterator[_Stage]:
        """Change the stage of ``slug``: alone, this process's; with several instances, under
        the space's venue-wide lock, from the record read afresh, written back (and the
        others nudged) if the block ends without an exception. Publish after it."""
        stage = self.stage(slug)
        if not self.shared.distributed:
            yield stage
            return
        async with self._venue_lock(slug):
            await self._load(stage, locked=True)
            yield stage
            stage.generation += 1  # a read started before this change is older than it
            record = {
                **stage.dump(),
                "parts": {name: get(slug) for name, (get, _) in self.record_parts.items()},
            }
            await self.shared.set_record(f"stage:{slug}", json.dumps(record))
        await self._nudge(slug)

    async def _nudge(self, slug: str) -> None:
        """Tell the other instances to read the stage of ``slug`` again."""
        control = {"action": "stage_sync", "i": self.shared.instance}
        await self.hub.publish(Frame(f"stage-sync:{slug}", 0, {}, control))

    @contextlib.asynccontextmanager
    async def _venue_lock(self, slug: str) -> AsyncIterator[None]:
        deadline = self.monotonic() + LOCK_WAIT_SECONDS
        while True:
            async with self.shared.lock(f"stage:{slug}") as got:
                if got:
                    yield
                    return
            if self.monotonic() > deadline:
                raise EstaminetError("stage/busy", N_("The stage is busy; try again in a moment."))
            await asyncio.sleep(0.02)

    async def _load(self, stage: _Stage, *, locked: bool = False) -> None:
        """Read the stage's record and every instance's watchers (several instances). A read
        that a newer one (or a change made here) overtook is dropped; under the stage's
        lock (``locked``) the record is the newest there is."""
        generation = stage.generation
        raw = await self.shared.record(f"stage:{stage.slug}")
        everyone = dict(await self.shared.held(_AUDIENCE, stage.slug))
        if not locked and stage.generation != generation:
            return
        stage.generation += 1
        stage.everyone = everyone
        if raw is not None:
            record = json.loads(raw)
            stage.load(record)
            for user_id, at in stage.dropped.items():
                # Marked by another instance, which may die before the grace is over.
                self._expire_later(stage.slug, user_id, at)
            parts = record.get("parts", {})
            for name, (_, put) in self.record_parts.items():
                put(stage.slug, parts.get(name))

    async def refresh(self, slug: str) -> None:
        """Before a read of the stage (a catch-up, a ticket): the venue's, with several
        instances; alone, nothing to do."""
        if self.shared.distributed:
            await self._load(self.stage(slug))

    def _nudged(self, slug: str, frame: Frame) -> None:
        if (frame.control or {}).get("i") != self.shared.instance:
            self._reload_soon(slug)

    def _reload_soon(self, slug: str) -> None:
        """Read the record of ``slug`` again: now, or once more after the current read."""
        if slug in self._reloads:
            self._again.add(slug)
            return
        task = asyncio.get_running_loop().create_task(self._reload(slug))
        self._reloads[slug] = task
        task.add_done_callback(lambda _: self._reloaded(slug))

    def _reloaded(self, slug: str) -> None:
        self._reloads.pop(slug, None)
        if slug in self._again:
            self._again.discard(slug)
            self._reload_soon(slug)

    async def _reload(self, slug: str) -> None:
        try:
            await self._load(self.stage(slug))
            self.mesh.sync(slug, self.clock())
            if self.keep is not None:
                await self.keep.changed(slug)  # a recording or restream run here follows
        except Exception:
            log.exception("stage: reading the venue's stage %s failed", slug)

    def _swept(self, slugs: set[str]) -> None:
        """Another instance died: its watchers left; its live performers dropped."""
        for slug in slugs:
            self._spawn(self._after_sweep(slug))

    def _spawn(self, awaitable: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _after_sweep(self, slug: str) -> None:
        try:
            stage = self.stage(slug)
            async with self.change(slug):
                people = stage.people()
                gone = [u for u in {*stage.performers, *stage.hands.hands} if u not in people]
                hands = {u for u in gone if self._gone(stage, u)}
            if hands:
                await self._publish_hands(stage, hands)
            await self.publish(slug)
        except Exception:
            log.exception("stage: taking off the watchers of a gone instance (%s) failed", slug)

    def _drop_time(self) -> float:
        """When a performer dropped: monotonic alone, the wall clock across instances."""
        return self.clock().timestamp() if self.shared.distributed else self.monotonic()

    def _expire_later(self, slug: str, user_id: str, at: float) -> None:
        """Look at the stage's drops once the grace of this one is over."""
        if (slug, user_id, at) in self._expiring:
            return
        self._expiring.add((slug, user_id, at))
        if len(self._expiring) > 10_000:
            self._expiring.clear()

        def expire() -> None:
            self._expiring.discard((slug, user_id, at))
            self._spawn(self.expire_dropped(slug))

        delay = max(0.0, at + DROP_GRACE_SECONDS - self._drop_time())
        asyncio.get_running_loop().call_later(delay, expire)

    def _gone(self, stage: _Stage, user_id: str) -> bool:
        """``user_id`` has no tab on the stage anywhere now: a live performer is said dropped
        (taken off after the grace), a hand goes. ``True`` if a hand was lowered."""
        if user_id in stage.live and user_id in stage.performers:
            if user_id not in stage.dropped:
                # The watchers are told, not left before a frozen picture; off the stage
                # if not back within the grace.
                at = stage.dropped[user_id] = self._drop_time()
                self._expire_later(stage.slug, user_id, at)
        else:
            stage.live.discard(user_id)
        return stage.hands.drop(user_id)

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
        if role == "perform":
            await self.refresh(slug)
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
        async with self.change(slug) as stage:
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
            stage.dropped.pop(user.id, None)
        self.mesh.live(slug, user.id, ctx.connection, live)
        await self._guard(stage)
        await self.publish(slug)
        return {"live": live}

    async def _animator(
        self, ctx: ActionContext, data: Mapping[str, Any], *, self_back: bool = False
    ) -> tuple[_Stage, str]:
        slug = _slug(data)
        target = data.get("user")
        if not isinstance(target, str) or not 0 < len(target) <= 64:
            raise _malformed()
        user, _ = await self.access(ctx.principal, slug)
        allowed = may_send_back(user, target) if self_back else can_animate_stage(user)
        if not allowed:
            raise Forbidden(
                "stage/not_animator", N_("Only the stage's animators can put people on stage.")
            )
        return self.stage(slug), target

    async def _perform(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        performer = data.get("performer")
        if not isinstance(performer, bool):
            raise _malformed()
        # Back to the audience: an animator's decision, or the performer's own.
        stage, target = await self._animator(ctx, data, self_back=not performer)
        hand = False
        async with self.change(stage.slug):
            if performer:
                self._name(stage, target)
                hand = stage.hands.drop(target)
            else:
                stage.performers.pop(target, None)
                stage.cut.discard(target)
                stage.live.discard(target)
                stage.dropped.pop(target, None)
        if hand:
            await self._publish_hands(stage, {target})
        if not performer:
            await self._take_off(stage, target)
        await self.publish(stage.slug)
        return {"user": target, "performer": performer}

    def _name(self, stage: _Stage, target: str) -> None:
        name = stage.people().get(target)
        if name is None:
            raise NotFound("stage/not_here", N_("This person is not watching the stage right now."))
        stage.performers[target] = name
        stage.cut.discard(target)

    async def _hand(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """A watcher raises (or lowers) a hand to come on stage."""
        slug = _slug(data)
        raised = data.get("raised")
        if not isinstance(raised, bool):
            raise _malformed()
        user, _ = await self.access(ctx.principal, slug)
        self._in_audience(self.stage(slug), ctx.connection)
        async with self.change(slug) as stage:
            if raised and not may_raise_hand(user.id, frozenset(stage.performers)):
                raise BadInput(
                    "stage/already_performer", N_("You are already a performer on this stage.")
                )
            try:
                if raised:
                    changed = stage.hands.raise_hand(user.id, user.display_name, self.monotonic())
                else:
                    changed = stage.hands.lower(user.id, self.monotonic())
            except HandRefused as refused:
                raise _hand_refusal(refused) from None
        if changed:
            await self._publish_hands(stage, {user.id})
            await self.publish(slug)
        return {"raised": raised, "position": stage.hands.position(user.id)}

    async def _answer(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """An animator accepts a raised hand (the person becomes a performer) or declines it."""
        accept = data.get("accept")
        if not isinstance(accept, bool):
            raise _malformed()
        stage, target = await self._animator(ctx, data)
        async with self.change(stage.slug):
            if target not in stage.hands.hands:
                raise _hand_refusal(HandRefused("none"))
            if accept:
                self._name(stage, target)
            stage.hands.answer(target, accept)
        await self._publish_hands(stage, {target})
        await self.publish(stage.slug)
        return {"user": target, "accept": accept}

    async def _cut(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        stage, target = await self._animator(ctx, data)
        cut = data.get("cut")
        if not isinstance(cut, bool):
            raise _malformed()
        async with self.change(stage.slug):
            if target not in stage.performers:
                raise NotFound("stage/not_performer_yet", N_("This person is not a performer."))
            if cut:
                stage.cut.add(target)
                stage.live.discard(target)
                stage.dropped.pop(target, None)
            else:
                stage.cut.discard(target)
        if cut:
            await self._take_off(stage, target)
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
                "dropped": user_id in stage.dropped,
            }
            for user_id, name in stage.performers.items()
        ]
        people = stage.people()
        audience = [
            {"id": user_id, "name": name}
            for user_id, name in sorted(people.items(), key=lambda p: p[1].lower())
            if user_id not in stage.performers
        ]
        state = {
            "performers": performers,
            "audience": audience,
            "watchers": len(audience),
            "hands": stage.hands.count,
            "janus": media is not None,
            **(self.keep.public(slug) if self.keep is not None else {}),
        }
        for extra in self.state_extras:
            state.update(extra(slug))
        return state

    def desk_state(self, slug: str) -> list[dict[str, str]]:
        stage = self.stages.get(slug)
        return stage.hands.desk() if stage is not None else []

    def hand_state(self, slug: str, user_id: str) -> dict[str, Any]:
        stage = self.stages.get(slug)
        return (stage.hands if stage is not None else HandQueue()).own(user_id)

    async def _publish_hands(self, stage: _Stage, touched: set[str]) -> None:
        """The animators' queue (names), then each affected watcher's own hand (their place)."""
        topic = stage.desk
        seq = await self.hub.next_seq(topic)
        await self.hub.publish(
            frame_for_locales(topic, seq, "hands", neutral={"ops": [], "hands": stage.hands.desk()})
        )
        for user_id in sorted(touched | set(stage.hands.hands)):
            topic = hand_topic(stage.slug, user_id)
            seq = await self.hub.next_seq(topic)
            await self.hub.publish(
                frame_for_locales(
                    topic, seq, "hand", neutral={"ops": [], "hand": stage.hands.own(user_id)}
                )
            )

    async def publish(self, slug: str) -> None:
        self.mesh.sync(slug, self.clock())
        topic = f"stage:{slug}"
        seq = await self.hub.next_seq(topic)
        await self.hub.publish(
            frame_for_locales(topic, seq, "stage", neutral={"ops": [], "stage": self.state(slug)})
        )
        if self.keep is not None:
            await self.keep.changed(slug)

    async def arrive(self, connection: Connection, slug: str) -> None:
        principal = connection.principal
        stage = self.stage(slug)
        first = self.shared.distributed and not stage.here(principal.user_id)
        stage.audience[connection.id] = (principal.user_id, principal.display_name)
        if self.shared.distributed:
            if first:
                await self.shared.hold(_AUDIENCE, slug, principal.user_id, principal.display_name)
                await self._nudge(slug)
            await self._load(stage)
        if principal.user_id in stage.dropped:
            async with self.change(slug):
                if stage.dropped.pop(principal.user_id, None) is not None:
                    # Back after a drop: their page goes live again by itself (or they click).
                    stage.live.discard(principal.user_id)
        await self.publish(slug)

    async def leave(self, connection: Connection, slug: str) -> None:
        stage = self.stages.get(slug)
        if stage is None or stage.audience.pop(connection.id, None) is None:
            return
        user_id = connection.principal.user_id
        left_live_tab = self.mesh.leave(connection, slug)
        here = stage.here(user_id)
        if self.shared.distributed and not here:
            await self.shared.release(_AUDIENCE, slug, user_id)
            await self._nudge(slug)
            await self._load(stage)
        if here:
            if left_live_tab:
                async with self.change(slug):
                    stage.live.discard(user_id)  # their stream left from that tab; another stays
        else:
            # A tab on another instance keeps them watching (and live).
            elsewhere = self.shared.distributed and user_id in stage.people()
            hand = False
            if (
                left_live_tab
                or user_id in stage.performers
                or user_id in stage.live
                or user_id in stage.hands.hands
                or user_id in stage.hands.declined
            ):
                async with self.change(slug):
                    elsewhere = self.shared.distributed and user_id in stage.people()
                    if elsewhere and left_live_tab:
                        stage.live.discard(user_id)
                    hand = not elsewhere and self._gone(stage, user_id)
            if hand:
                await self._publish_hands(stage, {user_id})
            if self.media is not None and not elsewhere:
                with contextlib.suppress(CrowdUnavailable):
                    await self.media.release(stage.key, user_id)
        await self.publish(slug)

    async def expire_dropped(self, slug: str) -> list[str]:
        """Take off the stage the dropped performers not back within the grace; returns them."""
        stage = self.stages.get(slug)
        if stage is None:
            return []
        now = self._drop_time()
        async with self.change(slug):
            gone = [u for u, at in stage.dropped.items() if now - at >= DROP_GRACE_SECONDS]
            for user_id in gone:
                del stage.dropped[user_id]
                stage.live.discard(user_id)
        if gone:
            await self.publish(slug)
        return gone

    # -- the panel ------------------------------------------------------------------

    async def room_panel(self, context: Mapping[str, Any], room: Room, user: User) -> str:
        """The stage itself: the live feeds, the performer's preview, the audience's side."""
        topic = f"stage:{room.slug}"
        await self.refresh(room.slug)  # several instances: the venue's (session, table)
        return self.templates.render(
            "media/_stage_panel.html",
            str(context["locale"]),
            {
                **context,
                "room": room,
                "topic": topic,
                "seq": await self.hub.current_seq(topic),
                # Followed from 0: the first catch-up brings one's hand (or the queue).
                "hand_topic": hand_topic(room.slug, user.id),
                "desk_topic": desk_topic(room.slug),
                "janus": self.media is not None,
                "mesh_seats": self.mesh.seats,
                "can_animate": can_animate_stage(user),
                "reactions": REACTIONS,
                "keep": self.keep.public(room.slug) if self.keep is not None else None,
                "parts": [await part(context, room, user) for part in self.panel_parts],
            },
        )


class _StageTopics(HubNumbered):
    """``stage:<slug>``: the stage's state (a fresh snapshot on resume) and reaction waves."""

    def __init__(self, service: StageService) -> None:
        self.service = service

    async def authorize(self, principal: Principal, topic: str) -> None:
        await self.service.access(principal, topic.partition(":")[2])

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        current = await self.service.hub.current_seq(topic)
        if after != current:
            await self.service.refresh(topic.partition(":")[2])
            state = self.service.state(topic.partition(":")[2])
            connection.push_catch_up(topic, current, [], stage=state)
        return current

    async def joined(self, connection: Connection, topic: str) -> None:
        await self.service.arrive(connection, topic.partition(":")[2])

    async def left(self, connection: Connection, topic: str) -> None:
        await self.service.leave(connection, topic.partition(":")[2])


class _DeskTopics(HubNumbered, SnapshotTopics):
    """``stagedesk:<slug>``: the raised hands in order, with names, for the animators only."""

    def __init__(self, service: StageService) -> None:
        self.service = service

    async def authorize(self, principal: Principal, topic: str) -> None:
        user, _ = await self.service.access(principal, topic.partition(":")[2])
        if not can_animate_stage(user):
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that."))

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        current = await self.service.hub.current_seq(topic)
        if after != current:
            await self.service.refresh(topic.partition(":")[2])
            hands = self.service.desk_state(topic.partition(":")[2])
            connection.push_catch_up(topic, current, [], hands=hands)
        return current


class _HandTopics(HubNumbered, SnapshotTopics):
    """``stagehand:<slug>:<user>``: one person's own raised hand, for that person only."""

    def __init__(self, service: StageService) -> None:
        self.service = service

    async def authorize(self, principal: Principal, topic: str) -> None:
        slug, _, user_id = topic.partition(":")[2].partition(":")
        if user_id != principal.user_id:
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that."))
        await self.service.access(principal, slug)

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        current = await self.service.hub.current_seq(topic)
        if after != current:
            slug, _, user_id = topic.partition(":")[2].partition(":")
            await self.service.refresh(slug)
            hand = self.service.hand_state(slug, user_id)
            connection.push_catch_up(topic, current, [], hand=hand)
        return current
