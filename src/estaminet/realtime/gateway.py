"""The WebSocket gateway: one socket per tab, topics with resume, actions with acks.

Wire protocol (see docs/protocol.md): the client sends ``sub``/``unsub``/``act``/
``ping`` frames; the server sends ``event``/``subscribed``/``ack``/``error``/
``resync``/``pong`` frames. Every refusal is an ``error`` frame with a code and
a translated message; the connection stays open.

Access taken away stops at once: :meth:`Gateway.access_changed` publishes one
message on the hub's ``access`` topic, which every instance's gateway follows;
each one forgets its cached decisions and re-checks, through the topic
providers' own ``authorize``, every subscription of that person's sockets (or of
everyone's, for a room-wide change), ending with a ``left`` frame those the
person may no longer follow and closing the sockets of someone banned.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from estaminet.kernel.errors import BadInput, EstaminetError, Forbidden, NotFound, SignInRequired
from estaminet.kernel.i18n import N_, Msgid
from estaminet.kernel.ratelimit import Monotonic
from estaminet.kernel.storable import check_storable, is_storable_int
from estaminet.realtime.connection import DIRECT_SEND, Connection, DirectSend, Principal
from estaminet.realtime.frames import Frame
from estaminet.realtime.hub import Hub
from estaminet.realtime.schemas import (
    AckFrame,
    ErrorFrame,
    LeftFrame,
    PongFrame,
    ResyncFrame,
    SubscribedFrame,
)

__all__ = [
    "ACCESS_TOPIC",
    "ActionContext",
    "ActionHandler",
    "Gateway",
    "TopicProvider",
    "user_topic",
]

log = logging.getLogger(__name__)

ACCESS_TOPIC = "access"
"""The hub topic every gateway follows to hear that someone's access changed (no client can follow it)."""


def user_topic(user_id: str) -> str:
    """The private topic of one person (notifications, control messages)."""
    return f"user:{user_id}"


@dataclass(frozen=True)
class ActionContext:
    principal: Principal
    connection: Connection
    locale: str
    now: datetime


ActionHandler = Callable[[ActionContext, Mapping[str, Any]], Awaitable[Mapping[str, Any] | None]]


class TopicProvider(Protocol):
    """What a feature provides for each topic family (``room:``, ``presence:``, ``table:``…)."""

    async def authorize(self, principal: Principal, topic: str) -> None:
        """Raise an :class:`EstaminetError` if ``principal`` may not follow ``topic``."""
        ...

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        """Queue what the connection missed since ``after``; return the topic's current seq."""
        ...

    async def joined(self, connection: Connection, topic: str) -> None: ...

    async def left(self, connection: Connection, topic: str) -> None: ...


Translate = Callable[[str, Msgid, Mapping[str, Any]], str]
Authenticate = Callable[[WebSocket], Awaitable[tuple[Principal, str] | None]]
Reload = Callable[[str], Awaitable[Principal | None]]
"""The person behind an id as they are now, or ``None`` if they may no longer be here (banned, gone)."""
Clock = Callable[[], datetime]
Forget = Callable[[str | None], None]


class Gateway:
    """Accepts sockets, routes their frames and keeps the registry of live connections."""

    def __init__(
        self,
        hub: Hub,
        *,
        authenticate: Authenticate,
        reload: Reload | None = None,
        translate: Translate,
        clock: Clock,
        allowed_origins: frozenset[str],
        max_frame_bytes: int = 16_384,
        max_depth: int = 32,
        queue_size: int = 256,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self.hub = hub
        self._authenticate = authenticate
        self._reload = reload
        self._translate = translate
        self._clock = clock
        self._allowed_origins = allowed_origins
        self._max_frame = max_frame_bytes
        self._max_depth = max_depth
        self._queue_size = queue_size
        self._monotonic = monotonic
        self._providers: dict[str, TopicProvider] = {}
        self._access_of: dict[str, str] = {}
        self._actions: dict[str, ActionHandler] = {}
        self._ids = itertools.count(1)
        self.connections: dict[str, set[Connection]] = defaultdict(set)
        self._forgetters: list[Forget] = []
        self._stop_access: Callable[[], None] | None = None
        self._rechecks: set[asyncio.Task[None]] = set()

    # -- composition ---------------------------------------------------------

    def provide(
        self, prefix: str, provider: TopicProvider, *, access_of: str | None = None
    ) -> None:
        """Serve topics named ``prefix:…`` with ``provider``.

        ``access_of``: another prefix whose topic of the same name decides who may follow
        these (``presence:bar`` is for whoever may follow ``room:bar``). A connection that
        already follows that topic is not asked again: its access was decided when it
        subscribed, and is decided again for all its topics when access changes
        (:meth:`recheck`). Anyone else goes through ``provider.authorize``.
        """
        self._providers[prefix] = provider
        if access_of is not None:
            self._access_of[prefix] = access_of

    @property
    def topic_families(self) -> tuple[str, ...]:
        """The prefixes of every topic served (``room``, ``tables``…), for checks that cover all."""
        return tuple(sorted(self._providers))

    @property
    def action_names(self) -> tuple[str, ...]:
        """The name of every action served (``chat.send``…), for checks that cover all."""
        return tuple(sorted(self._actions))

    def action(self, name: str, handler: ActionHandler) -> None:
        """Route ``act`` frames named ``name`` to ``handler``."""
        if name in self._actions:
            raise ValueError(f"action {name} registered twice")
        self._actions[name] = handler

    def on_access_changed(self, forget: Forget) -> None:
        """Call ``forget(user_id)`` (``None``: anyone) before re-checking, to drop cached decisions."""
        self._forgetters.append(forget)

    # -- access taken away -----------------------------------------------------

    async def start(self) -> None:
        """Follow the ``access`` topic (once the hub has started)."""
        if self._stop_access is None:
            self._stop_access = self.hub.subscribe(ACCESS_TOPIC, self._on_access)

    async def stop(self) -> None:
        if self._stop_access is not None:
            self._stop_access()
            self._stop_access = None
        for task in list(self._rechecks):
            task.cancel()

    async def access_changed(self, user_id: str | None = None) -> None:
        """Someone's access changed (role, team, ban), or a room's (``user_id`` ``None``).

        Call after the commit. Every instance re-checks what the sockets concerned follow.
        """
        self._forget(user_id)  # this instance at once; the hub brings it to the others
        await self.hub.publish(Frame(ACCESS_TOPIC, 0, {}, {"action": "recheck", "user": user_id}))

    async def forget_everywhere(self, user_id: str | None = None) -> None:
        """A decision the features cache changed without taking anything away from an open
        socket (a kick, which ends the room's topics itself): every instance drops its
        cached decisions about ``user_id`` (``None``: anyone), and re-checks nothing.

        Call after the commit."""
        self._forget(user_id)
        await self.hub.publish(Frame(ACCESS_TOPIC, 0, {}, {"action": "forget", "user": user_id}))

    def _forget(self, user_id: str | None) -> None:
        for forget in self._forgetters:
            try:
                forget(user_id)
            except Exception:
                log.exception("forgetting cached access failed")

    def _on_access(self, frame: Frame) -> None:
        control = frame.control or {}
        user = control.get("user")
        if control.get("action") == "recheck":
            self.recheck_here(user if isinstance(user, str) else None)
        elif control.get("action") == "forget":
            self._forget(user if isinstance(user, str) else None)

    def recheck_here(self, user_id: str | None) -> None:
        """On this instance only: forget cached access, re-check that person's sockets (or all)."""
        self._forget(user_id)
        if user_id is None:
            targets = [c for conns in self.connections.values() for c in conns]
        else:
            targets = list(self.connections.get(user_id, ()))
        for conn in targets:
            task = asyncio.get_running_loop().create_task(self.recheck(conn))
            self._rechecks.add(task)
            task.add_done_callback(self._rechecks.discard)

    async def recheck(self, conn: Connection) -> None:
        """Re-decide everything ``conn`` follows; end (``left``) what it may no longer follow."""
        if conn.closed:
            return
        if self._reload is not None:
            fresh = await self._reload(conn.principal.user_id)
            if fresh is None:
                conn.close_soon(_banned().close_code)
                return
            # Only who they are now changes; what belongs to this socket (e.g. its session) stays.
            conn.principal = dataclasses.replace(
                conn.principal, display_name=fresh.display_name, role=fresh.role
            )
        for topic in list(conn.subscriptions):
            if topic == user_topic(conn.principal.user_id):
                continue
            try:
                await self._provider(topic).authorize(conn.principal, topic)
            except EstaminetError:
                if topic in conn.subscriptions:
                    await self._unsubscribe(conn, topic)
                    left: LeftFrame = {"type": "left", "topic": topic, "reason": "access"}
                    conn.push_json(left)
            except Exception:
                log.exception("re-checking %s failed", topic)

    # -- the socket ----------------------------------------------------------

    async def serve(self, websocket: WebSocket) -> None:
        """The WebSocket endpoint (one call per tab, for the life of the socket)."""
        origin = _origin(websocket.scope)
        if origin is None or origin.rstrip("/") not in self._allowed_origins:
            await _refuse(websocket, _origin_refused())
            return
        who = await self._authenticate(websocket)
        if who is None:
            await _refuse(websocket, _not_signed_in())
            return
        principal, locale = who
        await websocket.accept()
        # Nothing reads the handshake's headers from here on: an idle socket need not keep
        # them (a kilobyte with a browser's cookies) for its whole life.
        websocket.scope["headers"] = []
        direct: DirectSend | None = websocket.scope.get("extensions", {}).get(DIRECT_SEND)
        conn = Connection(
            websocket,
            principal,
            locale,
            queue_size=self._queue_size,
            id=next(self._ids),
            direct=direct,
            monotonic=self._monotonic,
        )
        conn.on_control = self._on_control
        self.connections[principal.user_id].add(conn)
        try:
            await self._subscribe(conn, user_topic(principal.user_id), None)
            await self._read(websocket, conn)
        finally:
            await conn.stop()
            await self._drop(conn)

    async def _read(self, websocket: WebSocket, conn: Connection) -> None:
        while not conn.closed:
            try:
                message = await websocket.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                raw_bytes = message.get("bytes") or b""
                if len(raw_bytes) > self._max_frame:
                    self._error(conn, None, _too_large())
                    continue
                try:
                    raw = raw_bytes.decode("utf-8")
                except UnicodeDecodeError:
                    self._error(conn, None, _malformed())
                    continue
            await self._handle(conn, raw)
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close()

    async def _handle(self, conn: Connection, raw: str) -> None:
        if len(raw) > self._max_frame and len(raw.encode("utf-8")) > self._max_frame:
            self._error(conn, None, _too_large())
            return
        if not _shallow(raw, self._max_depth):
            self._error(conn, None, _malformed())
            return
        try:
            frame = json.loads(raw)
        except (ValueError, RecursionError):
            self._error(conn, None, _malformed())
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            self._error(conn, None, _malformed())
            return
        kind = frame["type"]
        ref = frame.get("id")
        ref = ref if isinstance(ref, str | int) and len(str(ref)) <= 64 else None
        try:
            check_storable((frame,))  # no NUL or lone surrogate reaches a feature (or PostgreSQL)
            if kind == "ping":
                pong: PongFrame = {"type": "pong"}
                conn.push_json(pong)
            elif kind == "sub":
                await self._subscribe(conn, _topic(frame), _after(frame), _era(frame))
            elif kind == "unsub":
                await self._unsubscribe(conn, _topic(frame))
            elif kind == "act":
                await self._act(conn, frame, ref)
            else:
                raise BadInput("gateway/unknown_frame", N_("Unknown message type."))
        except EstaminetError as error:
            self._error(conn, ref, error, topic=frame.get("topic"))
        except Exception:
            log.exception("gateway frame failed")
            self._error(conn, ref, EstaminetError("gateway/internal"))

    async def _act(self, conn: Connection, frame: Mapping[str, Any], ref: Any) -> None:
        name = frame.get("name")
        data = frame.get("data", {})
        handler = self._actions.get(name) if isinstance(name, str) else None
        if handler is None:
            raise BadInput("gateway/unknown_action", N_("Unknown action."))
        if not isinstance(data, dict):
            raise BadInput("gateway/malformed", N_("This message could not be read."))
        ctx = ActionContext(conn.principal, conn, conn.locale, self._clock())
        result = await handler(ctx, data)
        reply: AckFrame = {"type": "ack", "id": ref}
        if result:
            reply["data"] = dict(result)
        conn.push_json(reply)

    # -- topics --------------------------------------------------------------

    def _provider(self, topic: str) -> TopicProvider:
        prefix = topic.split(":", 1)[0]
        provider = self._providers.get(prefix)
        if provider is None:
            raise NotFound("gateway/unknown_topic", N_("This conversation does not exist."))
        return provider

    async def _subscribe(
        self, conn: Connection, topic: str, after: int | None, era: str | None = None
    ) -> None:
        provider = self._provider(topic)
        if not self._access_decided(conn, topic):
            await provider.authorize(conn.principal, topic)
        numbered_by_hub = getattr(provider, "numbered_by_hub", False)
        if numbered_by_hub and era is not None and era != self.hub.era:
            # A number the hub gave in another life (the server was restarted since): this
            # era's changes after it would be laid over a state they do not follow from, or
            # the numbers might meet and nothing be sent. The whole state, then.
            after = None
        fresh = topic not in conn.subscriptions
        if fresh:
            conn.hold(topic)
            conn.subscriptions[topic] = self.hub.subscribe(topic, conn.deliver)
        else:
            conn.hold(topic)
        floor = after if after is not None else 0
        try:
            current = await provider.catch_up(conn, topic, after if after is not None else -1)
            # What the catch-up brought (up to ``current``) is not sent again: a frame
            # published while it was read (a notice delivered as a tab comes back) is in it.
            floor = max(floor, current)
        finally:
            conn.release(topic, floor)
        subscribed: SubscribedFrame = {"type": "subscribed", "topic": topic, "seq": current}
        if numbered_by_hub:
            subscribed["era"] = self.hub.era
        conn.push_json(subscribed)
        if fresh:
            await provider.joined(conn, topic)

    def _access_decided(self, conn: Connection, topic: str) -> bool:
        """Whether ``conn`` follows the topic whose access is ``topic``'s (see :meth:`provide`)."""
        prefix, _, name = topic.partition(":")
        twin = self._access_of.get(prefix)
        return twin is not None and f"{twin}:{name}" in conn.subscriptions

    async def _unsubscribe(self, conn: Connection, topic: str) -> None:
        unsubscribe = conn.subscriptions.pop(topic, None)
        if unsubscribe is None:
            return
        unsubscribe()
        await self._provider(topic).left(conn, topic)

    async def _drop(self, conn: Connection) -> None:
        conn.closed = True
        self.connections[conn.principal.user_id].discard(conn)
        if not self.connections[conn.principal.user_id]:
            del self.connections[conn.principal.user_id]
        for topic in list(conn.subscriptions):
            with contextlib.suppress(Exception):
                await self._unsubscribe(conn, topic)

    def _on_control(self, conn: Connection, frame: Frame) -> None:
        control = frame.control or {}
        action = control.get("action")
        if action == "leave":
            topic = str(control.get("topic"))
            if topic in conn.subscriptions:
                asyncio.get_running_loop().create_task(self._unsubscribe(conn, topic))
                conn.push_json({"type": "left", "topic": topic, "reason": control.get("reason")})
        elif action == "resync":
            # Frames of this topic may have been missed (the hub lost its broker for a while).
            if frame.topic in conn.subscriptions:
                resync: ResyncFrame = {"type": "resync", "topics": [frame.topic]}
                conn.push_json(resync)
        elif action == "close":
            session = control.get("session")
            if session is None or session == conn.principal.session:
                conn.close_soon(int(control.get("code", Forbidden.close_code)))

    # -- errors --------------------------------------------------------------

    def _error(
        self, conn: Connection, ref: Any, error: EstaminetError, *, topic: Any = None
    ) -> None:
        payload: ErrorFrame = {
            "type": "error",
            "code": error.code,
            "message": self._translate(conn.locale, error.message, error.params),
        }
        if ref is not None:
            payload["id"] = ref
        if isinstance(topic, str):
            payload["topic"] = topic
        conn.push_json(payload)


async def _refuse(websocket: WebSocket, error: EstaminetError) -> None:
    """Accept, then close with the error's close code: a socket closed during the handshake
    reaches the browser as 1006 whatever the code, and the tab would never learn why
    (docs/protocol.md)."""
    with contextlib.suppress(Exception):
        await websocket.accept()
        await websocket.close(code=error.close_code)


def _origin(scope: Mapping[str, Any]) -> str | None:
    """The handshake's ``Origin`` (the first one), read from the scope without Starlette's
    ``Headers``, which the ``WebSocket`` would keep, and a copy of the list with it."""
    for name, value in scope["headers"]:
        if name == b"origin":
            return bytes(value).decode("latin-1")
    return None


def _origin_refused() -> Forbidden:
    return Forbidden("gateway/origin_refused")


def _not_signed_in() -> SignInRequired:
    return SignInRequired("gateway/not_signed_in")


def _banned() -> Forbidden:
    return Forbidden("gateway/banned")


def _shallow(raw: str, limit: int) -> bool:
    """Whether arrays and objects in ``raw`` nest at most ``limit`` deep (brackets inside
    strings aside). A frame nested a thousand deep would otherwise exhaust the parser's stack."""
    if raw.count("[") + raw.count("{") <= limit:
        return True
    depth = 0
    in_string = escaped = False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


def _malformed() -> BadInput:
    return BadInput("gateway/malformed", N_("This message could not be read."))


def _too_large() -> BadInput:
    return BadInput("gateway/too_large", N_("This message is too long."))


def _topic(frame: Mapping[str, Any]) -> str:
    topic = frame.get("topic")
    if not isinstance(topic, str) or not 0 < len(topic) <= 120:
        raise _malformed()
    return topic


def _era(frame: Mapping[str, Any]) -> str | None:
    era = frame.get("era")
    if era is None:
        return None
    if not isinstance(era, str) or not 0 < len(era) <= 40:
        raise _malformed()
    return era


def _after(frame: Mapping[str, Any]) -> int | None:
    after = frame.get("after")
    if after is None:
        return None
    if not is_storable_int(after) or after < 0:
        raise _malformed()
    return after
