"""The WebSocket gateway: one socket per tab, topics with resume, actions with acks.

Wire protocol (see docs/protocol.md): the client sends ``sub``/``unsub``/``act``/
``ping`` frames; the server sends ``event``/``subscribed``/``ack``/``error``/
``resync``/``pong`` frames. Every refusal is an ``error`` frame with a code and
a translated message; the connection stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from estaminet.kernel.errors import BadInput, EstaminetError, NotFound
from estaminet.kernel.i18n import N_, Msgid
from estaminet.kernel.storable import check_storable, is_storable_int
from estaminet.realtime.connection import DIRECT_SEND, Connection, DirectSend, Principal
from estaminet.realtime.frames import Frame
from estaminet.realtime.hub import Hub

__all__ = [
    "ActionContext",
    "ActionHandler",
    "Gateway",
    "TopicProvider",
    "user_topic",
]

log = logging.getLogger(__name__)


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
Clock = Callable[[], datetime]


class Gateway:
    """Accepts sockets, routes their frames and keeps the registry of live connections."""

    def __init__(
        self,
        hub: Hub,
        *,
        authenticate: Authenticate,
        translate: Translate,
        clock: Clock,
        allowed_origins: frozenset[str],
        max_frame_bytes: int = 16_384,
        queue_size: int = 256,
    ) -> None:
        self.hub = hub
        self._authenticate = authenticate
        self._translate = translate
        self._clock = clock
        self._allowed_origins = allowed_origins
        self._max_frame = max_frame_bytes
        self._queue_size = queue_size
        self._providers: dict[str, TopicProvider] = {}
        self._actions: dict[str, ActionHandler] = {}
        self._ids = itertools.count(1)
        self.connections: dict[str, set[Connection]] = defaultdict(set)

    # -- composition ---------------------------------------------------------

    def provide(self, prefix: str, provider: TopicProvider) -> None:
        """Serve topics named ``prefix:…`` with ``provider``."""
        self._providers[prefix] = provider

    def action(self, name: str, handler: ActionHandler) -> None:
        """Route ``act`` frames named ``name`` to ``handler``."""
        if name in self._actions:
            raise ValueError(f"action {name} registered twice")
        self._actions[name] = handler

    # -- the socket ----------------------------------------------------------

    async def serve(self, websocket: WebSocket) -> None:
        """The WebSocket endpoint (one call per tab, for the life of the socket)."""
        origin = websocket.headers.get("origin")
        if origin is None or origin.rstrip("/") not in self._allowed_origins:
            await websocket.close(code=4403)
            return
        who = await self._authenticate(websocket)
        if who is None:
            await websocket.close(code=4401)
            return
        principal, locale = who
        await websocket.accept()
        direct: DirectSend | None = websocket.scope.get("extensions", {}).get(DIRECT_SEND)
        conn = Connection(
            websocket,
            principal,
            locale,
            queue_size=self._queue_size,
            id=next(self._ids),
            direct=direct,
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
        try:
            frame = json.loads(raw)
        except ValueError:
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
                conn.push_json({"type": "pong"})
            elif kind == "sub":
                await self._subscribe(conn, _topic(frame), _after(frame))
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
        reply: dict[str, Any] = {"type": "ack", "id": ref}
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

    async def _subscribe(self, conn: Connection, topic: str, after: int | None) -> None:
        provider = self._provider(topic)
        await provider.authorize(conn.principal, topic)
        fresh = topic not in conn.subscriptions
        if fresh:
            conn.hold(topic)
            conn.subscriptions[topic] = self.hub.subscribe(topic, conn.deliver)
        else:
            conn.hold(topic)
        try:
            current = await provider.catch_up(conn, topic, after if after is not None else -1)
        finally:
            conn.release(topic, after if after is not None else 0)
        conn.push_json({"type": "subscribed", "topic": topic, "seq": current})
        if fresh:
            await provider.joined(conn, topic)

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
        elif action == "close":
            conn.close_soon(int(control.get("code", 4403)))

    # -- errors --------------------------------------------------------------

    def _error(
        self, conn: Connection, ref: Any, error: EstaminetError, *, topic: Any = None
    ) -> None:
        payload: dict[str, Any] = {
            "type": "error",
            "code": error.code,
            "message": self._translate(conn.locale, error.message, error.params),
        }
        if ref is not None:
            payload["id"] = ref
        if isinstance(topic, str):
            payload["topic"] = topic
        conn.push_json(payload)


def _malformed() -> BadInput:
    return BadInput("gateway/malformed", N_("This message could not be read."))


def _too_large() -> BadInput:
    return BadInput("gateway/too_large", N_("This message is too long."))


def _topic(frame: Mapping[str, Any]) -> str:
    topic = frame.get("topic")
    if not isinstance(topic, str) or not 0 < len(topic) <= 120:
        raise _malformed()
    return topic


def _after(frame: Mapping[str, Any]) -> int | None:
    after = frame.get("after")
    if after is None:
        return None
    if not is_storable_int(after) or after < 0:
        raise _malformed()
    return after
