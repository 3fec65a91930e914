"""La scène without Janus: each live performer's browser sends to each seated watcher.

Used when no Janus is configured (``StageService.media`` is ``None``). The stage
service calls the hooks here (:meth:`StageMesh.arrive`, :meth:`~StageMesh.leave`,
:meth:`~StageMesh.live`, :meth:`~StageMesh.sync` after each change); this module keeps
which tabs take part, who sends from which tab, the pairs the pure rules decided
(``stage_mesh_rules.plan_mesh``), and relays the call setup between the two tabs of a
pair only (``stage.signal``), with the messages ``media.signalling`` reads and pushes,
as voice's mesh does. Each tab gets ``voice`` frames on the space ``stage:<slug>``:
``seat`` (has it a seat, its place in line, the ICE servers), ``peer`` (call this tab,
or hang up) and ``signal``.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from estaminet.kernel.errors import BadInput, EstaminetError, Forbidden
from estaminet.kernel.i18n import N_
from estaminet.kernel.ratelimit import Monotonic, TokenBucket
from estaminet.media.signalling import push_signal, read_signal
from estaminet.media.stage_mesh_rules import MeshPlan, plan_mesh, side_of, signal_allowed
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.gateway import ActionContext, Gateway

__all__ = ["StageMesh"]

_MALFORMED = N_("This message could not be read.")
SIGNAL_BURST = 120
SIGNAL_PER_SECOND = 30.0

IceServers = Callable[[str, datetime], list[dict[str, Any]]]


class StageView(Protocol):
    """What the mesh reads of a stage the stage service keeps."""

    @property
    def performers(self) -> Mapping[str, str]: ...

    @property
    def cut(self) -> Collection[str]: ...

    @property
    def live(self) -> Collection[str]: ...

    @property
    def audience(self) -> Mapping[int, tuple[str, str]]: ...


@dataclass(eq=False)
class _MeshStage:
    slug: str
    ready: dict[int, str] = field(default_factory=dict)
    """Tabs taking part (``stage.mesh``), tab → user id, in order of arrival."""
    live_tabs: dict[str, int] = field(default_factory=dict)
    """Each live performer's sending tab."""
    plan: MeshPlan = field(default_factory=lambda: MeshPlan((), (), frozenset()))
    told: dict[int, tuple[bool, int]] = field(default_factory=dict)
    """The last seat each tab was told (only changes are sent)."""

    @property
    def space(self) -> str:
        return f"stage:{self.slug}"


class StageMesh:
    """The browser-to-browser stages of one process (``docs/stage.md``, "Sans Janus")."""

    def __init__(
        self,
        *,
        seats: int,
        max_signal_bytes: int,
        stages: Mapping[str, StageView],
        access: Callable[[Principal, str], Awaitable[object]],
        active: Callable[[], bool],
        ice_servers: IceServers | None = None,
        monotonic: Monotonic,
    ) -> None:
        self.seats = seats
        self.max_signal_bytes = max_signal_bytes
        self._views = stages
        self._access = access
        self._active = active
        self.ice_servers = ice_servers
        self.monotonic = monotonic
        self.stages: dict[str, _MeshStage] = {}
        self.conns: dict[int, Connection] = {}
        self.names: dict[int, str] = {}
        """Each tab's name on the wire: random, so it says nothing of who or which socket."""
        self._tabs: dict[str, int] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._left: set[int] = set()

    def install(self, gateway: Gateway) -> None:
        gateway.action("stage.mesh", self._ready)
        gateway.action("stage.signal", self._signal)

    # -- hooks the stage service calls ------------------------------------------------

    def leave(self, connection: Connection, slug: str) -> bool:
        """The tab stopped following the stage: it sends and receives nothing any more.
        ``True`` when a performer was live from it (they are no longer live)."""
        stage = self.stages.get(slug)
        if stage is None:
            return False
        was_live = connection.id in stage.live_tabs.values()
        stage.ready.pop(connection.id, None)
        stage.told.pop(connection.id, None)
        for user, tab in list(stage.live_tabs.items()):
            if tab == connection.id:
                del stage.live_tabs[user]
        if connection.id in self.conns:
            self._left.add(connection.id)  # forgotten once the next sync has told its peers
        return was_live

    def live(self, slug: str, user_id: str, connection: Connection, live: bool) -> None:
        """A performer goes live from this tab (their stream leaves from here), or stops."""
        stage = self._stage(slug)
        if live:
            stage.live_tabs[user_id] = connection.id
        else:
            stage.live_tabs.pop(user_id, None)

    def sync(self, slug: str, now: datetime) -> None:
        """After any change on the stage: recompute seats and pairs, tell the tabs concerned
        (a new pair: the sender offers, the receiver waits for the offer; a gone pair: both
        hang up; a seat or place in line that changed: that tab)."""
        stage = self.stages.get(slug)
        if stage is None or not self._active():
            return
        view = self._views.get(slug)
        audience = view.audience if view is not None else {}
        performers = view.performers if view is not None else {}
        cut = view.cut if view is not None else ()
        for user in [u for u in stage.live_tabs if view is None or u not in view.live]:
            del stage.live_tabs[user]  # cut, sent back to the audience, or stopped
        for tab in [t for t in stage.ready if t not in audience]:
            stage.ready.pop(tab, None)
        before = stage.plan
        stage.plan = plan_mesh(
            [(tab, stage.ready[tab]) for tab in audience if tab in stage.ready],
            frozenset(performers),
            frozenset(cut),
            stage.live_tabs,
            self.seats,
        )
        for sender, receiver in sorted(before.pairs - stage.plan.pairs):
            self._peer(receiver, stage, sender, "", present=False, offer=False)
            self._peer(sender, stage, receiver, "", present=False, offer=True)
        for sender, receiver in sorted(stage.plan.pairs - before.pairs):
            performer = next(u for u, t in stage.live_tabs.items() if t == sender)
            self._peer(receiver, stage, sender, performers.get(performer, ""), True, False)
            self._peer(sender, stage, receiver, "", present=True, offer=True)
        for tab, user in stage.ready.items():
            seat = (tab in stage.plan.seated, stage.plan.place(tab))
            if stage.told.get(tab) != seat:
                stage.told[tab] = seat
                self._seat(tab, stage, user, now)
        for tab in [t for t in self._left if not any(t in s.ready for s in self.stages.values())]:
            self._left.discard(tab)
            self.conns.pop(tab, None)
            name = self.names.pop(tab, None)
            if name is not None:
                self._tabs.pop(name, None)
        if not stage.ready and not stage.live_tabs:
            del self.stages[slug]

    # -- actions ----------------------------------------------------------------------

    async def _ready(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        slug = _slug(data)
        await self._access(ctx.principal, slug)
        if not self._active():
            raise BadInput(
                "stage/not_mesh",
                N_("This stage goes through the video server, not browser to browser."),
            )
        view = self._views.get(slug)
        if view is None or ctx.connection.id not in view.audience:
            raise BadInput("stage/follow_first", _MALFORMED)
        stage = self._stage(slug)
        conn = ctx.connection
        self.conns[conn.id] = conn
        if conn.id not in self.names:
            name = secrets.token_urlsafe(9)
            self.names[conn.id] = name
            self._tabs[name] = conn.id
        stage.ready.setdefault(conn.id, ctx.principal.user_id)
        stage.told.pop(conn.id, None)  # tell this tab its seat again, whatever it was
        self.sync(slug, ctx.now)
        return {"seats": self.seats}

    async def _signal(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        slug = _slug(data)
        target = data.get("to")
        if not isinstance(target, str) or not 0 < len(target) <= 64:
            raise BadInput("gateway/malformed", _MALFORMED)
        signal = read_signal(
            data.get("signal"), max_bytes=self.max_signal_bytes, too_large="stage/signal_too_large"
        )
        await self._access(ctx.principal, slug)
        stage = self.stages.get(slug)
        me = ctx.connection.id
        other = self._tabs.get(target)
        side = (
            side_of(me, other, stage.plan.pairs)
            if stage is not None and other is not None and me in stage.ready
            else None
        )
        if side is None or other is None:
            raise Forbidden(
                "stage/not_your_peer",
                N_("This person is not receiving the stage from you, nor sending it to you."),
            )
        sdp = signal.get("sdp")
        if not signal_allowed(side, signal["type"], sdp if isinstance(sdp, str) else None):
            raise Forbidden(
                "stage/watchers_receive_only",
                N_("On the stage, only performers send sound and picture; watchers receive."),
            )
        if not self._rate(ctx.principal.user_id):
            raise EstaminetError(
                "stage/slow_down_signals", N_("Too many call setup messages; wait a moment.")
            )
        push_signal(self.conns[other], f"stage:{slug}", self.names[me], signal)
        return {}

    # -- sending ------------------------------------------------------------------------

    def _stage(self, slug: str) -> _MeshStage:
        return self.stages.setdefault(slug, _MeshStage(slug))

    def _peer(
        self, tab: int, stage: _MeshStage, other: int, name: str, present: bool, offer: bool
    ) -> None:
        conn, other_name = self.conns.get(tab), self.names.get(other)
        if conn is None or other_name is None:
            return
        conn.push_json(
            {
                "type": "voice",
                "space": stage.space,
                "kind": "peer",
                "peer": {"id": other_name, "name": name},
                "present": present,
                "offer": offer,
            }
        )

    def _seat(self, tab: int, stage: _MeshStage, user_id: str, now: datetime) -> None:
        conn = self.conns.get(tab)
        if conn is None:
            return
        conn.push_json(
            {
                "type": "voice",
                "space": stage.space,
                "kind": "seat",
                "seated": tab in stage.plan.seated,
                "waiting": stage.plan.place(tab),
                "seats": self.seats,
                "ice_servers": self.ice_servers(user_id, now) if self.ice_servers else [],
            }
        )

    def _rate(self, user_id: str) -> bool:
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) > 20_000:
                self._buckets.clear()
            bucket = self._buckets[user_id] = TokenBucket(SIGNAL_BURST, SIGNAL_PER_SECOND)
        return bucket.take(self.monotonic())


def _slug(data: Mapping[str, Any]) -> str:
    room = data.get("room")
    if not isinstance(room, str) or not 0 < len(room) <= 60:
        raise BadInput("gateway/malformed", _MALFORMED)
    return room
