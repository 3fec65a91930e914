"""Direct writes on uvicorn's protocol: a fast reader and a client that stops reading."""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import Frame, encode
from estaminet.realtime.gateway import ActionContext, Gateway
from estaminet.realtime.hub import MemoryHub
from estaminet.realtime.topics import SnapshotTopics, UserTopics
from estaminet.web.wsserver import Gate, Inbox, WebSocketProtocol, uvicorn_ws
from tests.support.live_server import free_port

QUEUE = 8


class FloodTopics(SnapshotTopics):
    def __init__(self, hub: MemoryHub) -> None:
        self.hub = hub

    async def authorize(self, principal: Principal, topic: str) -> None:
        return None

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        return await self.hub.current_seq(topic)


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "deflate"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, Gateway]]:
    """A gateway on uvicorn with Estaminet's protocol, with or without permessage-deflate."""
    hub = MemoryHub()
    port = free_port()
    origin = f"http://127.0.0.1:{port}"

    async def authenticate(websocket: WebSocket) -> tuple[Principal, str]:
        return Principal(websocket.query_params.get("who", "u"), "Someone", "member"), "fr"

    gateway = Gateway(
        hub,
        authenticate=authenticate,
        translate=lambda locale, message, params: message,
        clock=lambda: datetime.now(UTC),
        allowed_origins=frozenset({origin}),
        queue_size=QUEUE,
    )
    gateway.provide("user", UserTopics(hub))
    gateway.provide("flood", FloodTopics(hub))

    async def flood(ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        for _ in range(int(data["n"])):
            seq = await hub.next_seq("flood:x")
            pad = secrets.token_urlsafe(45_000)  # 60 KB that deflate cannot shrink much
            text = encode({"type": "event", "topic": "flood:x", "seq": seq, "pad": pad})
            await hub.publish(Frame("flood:x", seq, {"fr": text, "en": text}))
        return {"last": await hub.current_seq("flood:x")}

    gateway.action("flood", flood)
    app = Starlette(routes=[WebSocketRoute("/ws", gateway.serve)])
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws=uvicorn_ws("estaminet"),
        ws_per_message_deflate=request.param,
    )
    assert config.ws == "estaminet.web.wsserver:WebSocketProtocol"
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.02)
    assert config.ws_protocol_class is WebSocketProtocol
    try:
        gateway.compressed = request.param  # type: ignore[attr-defined]
        yield f"ws://127.0.0.1:{port}/ws", gateway
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


async def read_until_closed(ws: ClientConnection) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    try:
        while True:
            got.append(json.loads(await ws.recv()))
    except ConnectionClosed:
        return got


def live(gateway: Gateway, who: str) -> Connection:
    (conn,) = gateway.connections[who]
    return conn


async def test_direct_writes_keep_order_and_leave_no_task(server: tuple[str, Gateway]) -> None:
    url, gateway = server
    origin = url.replace("ws://", "http://").removesuffix("/ws")
    async with connect(f"{url}?who=fast", origin=origin, max_size=None) as ws:  # type: ignore[arg-type]
        assert json.loads(await ws.recv())["type"] == "subscribed"
        conn = live(gateway, "fast")
        assert conn._direct is not None
        # Deflate makes each connection's bytes its own: then the server frames the text.
        assert conn._direct.takes_framed is not gateway.compressed  # type: ignore[attr-defined]
        await ws.send(json.dumps({"type": "sub", "topic": "flood:x"}))
        start = json.loads(await ws.recv())["seq"]
        await ws.send(json.dumps({"type": "act", "id": 1, "name": "flood", "data": {"n": 5}}))
        seqs = []
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "ack":
                break
            seqs.append(frame["seq"])
        assert seqs == list(range(start + 1, start + 6))
        assert not conn.sending and conn.queued == 0


async def test_a_client_that_stops_reading_is_resynced_then_closed(
    server: tuple[str, Gateway],
) -> None:
    url, gateway = server
    origin = url.replace("ws://", "http://").removesuffix("/ws")
    async with (
        connect(f"{url}?who=poster", origin=origin, max_size=None) as poster,  # type: ignore[arg-type]
        connect(f"{url}?who=slow", origin=origin, max_size=None, max_queue=1) as slow,  # type: ignore[arg-type]
    ):
        for ws in (poster, slow):
            assert json.loads(await ws.recv())["type"] == "subscribed"
        await slow.send(json.dumps({"type": "sub", "topic": "flood:x"}))
        first = json.loads(await slow.recv())["seq"]
        # The slow client reads nothing from now on: its transport fills and pauses,
        # the direct path refuses, the queue overflows (resync), then overflows again.
        await poster.send(json.dumps({"type": "act", "id": 1, "name": "flood", "data": {"n": 400}}))
        ack = json.loads(await poster.recv())
        assert ack["type"] == "ack"
        conn = live(gateway, "slow")
        assert conn.closed or conn.sending  # behind: on the queued path
        assert conn.queued <= QUEUE
        got = await read_until_closed(slow)
        assert slow.close_code == 4008
        seqs = [f["seq"] for f in got if f["type"] == "event"]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)  # in order, never twice
        assert seqs[:3] == [first + 1, first + 2, first + 3]  # the first went straight out
        assert seqs[-1] < ack["data"]["last"]  # the rest was dropped, not buffered
        assert "slow" not in gateway.connections  # the server forgot it


async def test_inbox_hands_items_over_in_order_to_one_waiting_reader() -> None:
    inbox: Inbox[int] = Inbox()
    assert inbox.empty()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert await reader == 1
    assert not inbox.empty()
    assert await inbox.get() == 2
    waiting = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    inbox.put_nowait(3)  # a cancelled reader leaves nothing behind
    assert await inbox.get() == 3


async def test_gate_waits_only_while_closed() -> None:
    gate = Gate()
    await gate.wait()  # open: no wait at all
    gate.clear()
    assert not gate.is_set()
    waiters = [asyncio.create_task(gate.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    gate.set()
    await asyncio.gather(*waiters)
    gate.clear()
    cancelled = asyncio.create_task(gate.wait())
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert gate._waiters == []
    gate.set()
    assert gate.is_set()
