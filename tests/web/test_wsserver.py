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
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import PLAIN, Encoding, Frame, encode
from estaminet.realtime.gateway import ActionContext, Gateway
from estaminet.realtime.hub import MemoryHub
from estaminet.realtime.topics import SnapshotTopics, UserTopics
from estaminet.web.wsserver import Gate, Inbox, WebSocketProtocol, uvicorn_ws
from tests.support.live_server import free_port

QUEUE = 8
DEFLATE_12 = Encoding(deflate_bits=12, mem_level=5)


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
    published: list[Frame] = []

    async def chat(ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """What a room does: compressible JSON, one frame for everyone subscribed."""
        for n in range(int(data["n"])):
            seq = await hub.next_seq("flood:x")
            ops = [{"author": "Mia", "text": f"Message {n} : on se voit au bar ce soir ?"}] * 8
            body = {"type": "event", "topic": "flood:x", "seq": seq, "ops": ops}
            frame = Frame("flood:x", seq, {"fr": encode(body), "en": encode(body)})
            published.append(frame)
            await hub.publish(frame)
        return {"last": await hub.current_seq("flood:x")}

    gateway.action("chat", chat)
    gateway.published = published  # type: ignore[attr-defined]
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
        # Deflate without server context takeover: one compression serves every connection.
        assert conn._direct.shared_encoding == (
            DEFLATE_12 if gateway.compressed else PLAIN  # type: ignore[attr-defined]
        )
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


async def test_a_broadcast_is_framed_once_per_encoding_and_every_client_reads_it(
    server: tuple[str, Gateway],
) -> None:
    url, gateway = server
    origin = url.replace("ws://", "http://").removesuffix("/ws")
    # A browser's offer, and a client that asks the server for a smaller window.
    narrow = ClientPerMessageDeflateFactory(server_max_window_bits=10, client_max_window_bits=True)
    async with (
        connect(f"{url}?who=a", origin=origin) as a,  # type: ignore[arg-type]
        connect(f"{url}?who=b", origin=origin, compression=None, extensions=[narrow]) as b,  # type: ignore[arg-type]
    ):
        offered = {ws: ws.response.headers.get("Sec-WebSocket-Extensions") for ws in (a, b)}
        if gateway.compressed:  # type: ignore[attr-defined]
            assert offered[a] == (
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                "server_max_window_bits=12; client_max_window_bits=12"
            )
            assert "server_max_window_bits=10" in offered[b]
            assert live(gateway, "b")._direct.shared_encoding == Encoding(10, 5)  # type: ignore[union-attr]
        else:
            assert offered == {a: None, b: None}
        for ws in (a, b):
            assert json.loads(await ws.recv())["type"] == "subscribed"
            await ws.send(json.dumps({"type": "sub", "topic": "flood:x"}))
            start = json.loads(await ws.recv())["seq"]
        published: list[Frame] = gateway.published  # type: ignore[attr-defined]
        published.clear()
        await a.send(json.dumps({"type": "act", "id": 1, "name": "chat", "data": {"n": 3}}))
        got: dict[ClientConnection, list[str]] = {a: [], b: []}
        for ws in (a, b):
            while len(got[ws]) < 3:
                text = await ws.recv()
                if json.loads(text)["type"] == "event":
                    got[ws].append(text)
        assert got[a] == got[b] == [frame.text("fr") for frame in published]
        assert [json.loads(t)["seq"] for t in got[a]] == [start + 1, start + 2, start + 3]
        for frame in published:  # both clients read French: one serialisation per encoding
            expected = (
                {("fr", DEFLATE_12), ("fr", Encoding(10, 5))}
                if gateway.compressed
                else {("fr", PLAIN)}
            )  # type: ignore[attr-defined]
            assert set(frame.framed_texts) == expected
            if gateway.compressed:  # type: ignore[attr-defined]
                assert len(frame.framed_texts["fr", DEFLATE_12]) < len(frame.text("fr")) // 3


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
