"""Estaminet's protocol on uvicorn: direct writes (a fast reader, a client that stops
reading) and what an idle connection keeps once its handshake is over."""

from __future__ import annotations

import asyncio
import gc
import json
import secrets
import sys
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from uvicorn.server import ServerState
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode
from websockets.http11 import Request, Response
from websockets.protocol import Protocol
from websockets.uri import parse_uri

from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import PLAIN, Encoding, Frame, encode
from estaminet.realtime.gateway import ActionContext, Gateway
from estaminet.realtime.hub import MemoryHub
from estaminet.realtime.topics import SnapshotTopics, UserTopics
from estaminet.web.wsserver import Gate, Inbox, WebSocketProtocol, uvicorn_ws
from tests.support.live_server import free_port, uvicorn_thread

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
    with uvicorn_thread(config, "gateway's server"):
        assert config.ws_protocol_class is WebSocketProtocol
        gateway.compressed = request.param  # type: ignore[attr-defined]
        yield f"ws://127.0.0.1:{port}/ws", gateway


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


# -- what an idle connection keeps: the protocol alone, fed packet by packet ---------------


class Wire:
    """The transport under the protocol: what it writes waits here for the client to read."""

    def __init__(self) -> None:
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )


class Recorded(WebSocketProtocol):
    """Notes the handshake's request, response and their headers, to tell what still holds them."""

    handshake: list[weakref.ref[Request | Response]]
    headers: list[Headers]  # not weakly referenceable (``__slots__``): held here, referrers checked

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        self.handshake = [weakref.ref(event), weakref.ref(self.response)]
        self.headers = [event.headers, self.response.headers]

    def handshake_alive(self) -> list[bool]:
        """Whether the request, the response, and each one's headers are still held (by others)."""
        gc.collect()
        messages = [ref() is not None for ref in self.handshake]
        headers = [
            any(holder is not self.headers for holder in gc.get_referrers(held))
            for held in self.headers
        ]
        return [messages[0], headers[0], messages[1], headers[1]]

    def parses_frames_only(self) -> bool:
        return self.conn.parser.gi_code is Protocol.parse.__code__  # type: ignore[attr-defined]


async def echo(scope: Any, receive: Any, send: Any) -> None:
    """Answers each message with ``echo`` before it; ``bye`` makes it close."""
    assert (await receive())["type"] == "websocket.connect"
    if scope["path"] == "/refused":
        await send({"type": "websocket.close"})
        return
    await send({"type": "websocket.accept"})
    while (message := await receive())["type"] != "websocket.disconnect":
        if message.get("text") == "bye":
            await send({"type": "websocket.close", "code": 1000})
        elif message.get("text") is not None:
            await send({"type": "websocket.send", "text": "echo " + message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": b"echo " + message["bytes"]})


class Session:
    """One connection: a websockets client protocol talking to ours, no socket between."""

    def __init__(
        self,
        opened: list[Session],
        deflate: bool,
        path: str = "/ws",
        *,
        config: uvicorn.Config | None = None,
        state: ServerState | None = None,
    ) -> None:
        opened.append(self)
        config = config or uvicorn.Config(
            echo, ws_per_message_deflate=deflate, ws_ping_interval=None, log_config=None
        )
        self.state = state or ServerState()
        self.server = Recorded(
            config=config,
            server_state=self.state,
            app_state={},
            _loop=asyncio.get_running_loop(),
        )
        self.wire = Wire()
        self.server.connection_made(self.wire)  # type: ignore[arg-type]
        offer = [ClientPerMessageDeflateFactory()] if deflate else None
        self.client = ClientProtocol(parse_uri(f"ws://127.0.0.1:8000{path}"), extensions=offer)
        self.client.send_request(self.client.connect())
        self.handshake = self.from_client()

    def from_client(self) -> bytes:
        return b"".join(self.client.data_to_send())

    def deliver(self, *packets: bytes) -> None:
        for packet in packets:
            self.server.data_received(packet)

    async def exchange(self) -> list[Any]:
        """Let the app run, then hand the client what the server wrote; its events."""
        for _ in range(20):
            await asyncio.sleep(0)
        self.client.receive_data(bytes(self.wire.written))
        self.wire.written.clear()
        return self.client.events_received()

    async def texts(self) -> list[str]:
        return [e.data.decode() for e in await self.exchange() if isinstance(e, WsFrame)]

    def lose(self) -> None:
        if self.server in self.state.connections:
            self.server.connection_lost(None)


@pytest.fixture
async def sessions() -> AsyncIterator[list[Session]]:
    """Sessions a test opens, ended (the app returns) even when the test fails."""
    opened: list[Session] = []
    yield opened
    for session in opened:
        session.lose()
    for session in opened:
        await asyncio.gather(*session.state.tasks)


@pytest.fixture(params=[False, True], ids=["plain", "deflate"])
def deflate(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def one_byte_at_a_time(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


async def test_handshake_request_and_response_are_let_go_once_the_connection_is_open(
    sessions: list[Session], deflate: bool
) -> None:
    session = Session(sessions, deflate)
    session.deliver(session.handshake)
    # The request is answered (the app runs): websockets' parser and uvicorn no longer keep it.
    assert session.server.handshake_alive() == [False, False, True, True]
    assert session.server.parses_frames_only()
    (response,) = await session.exchange()
    assert isinstance(response, Response) and response.status_code == 101
    assert bool(session.client.extensions) is deflate
    # The 101 is written: uvicorn no longer keeps the response either.
    assert session.server.handshake_alive() == [False, False, False, False]
    session.client.send_text(b"bonjour")
    session.deliver(session.from_client())
    assert await session.texts() == ["echo bonjour"]


async def test_frames_whole_split_and_fragmented_still_parse_after_the_swap(
    sessions: list[Session], deflate: bool
) -> None:
    session = Session(sessions, deflate)
    session.deliver(session.handshake)
    await session.exchange()
    assert session.server.parses_frames_only()
    long = "on se voit au bar ce soir ? " * 40
    session.client.send_text(long.encode())
    whole = session.from_client()
    assert bool(whole[0] & 0x40) is deflate  # compressed (RSV1) when deflate was agreed
    session.deliver(*one_byte_at_a_time(whole))
    assert await session.texts() == [f"echo {long}"]
    session.client.send_text(b"frag", fin=False)
    session.client.send_continuation(b"men", fin=False)
    session.client.send_continuation(b"ted", fin=True)
    fragmented = session.client.data_to_send()
    session.deliver(fragmented[0], *one_byte_at_a_time(fragmented[1]), fragmented[2])
    assert await session.texts() == ["echo fragmented"]
    session.client.send_binary(b"\x00\x01")
    session.client.send_ping(b"hi")
    session.deliver(session.from_client())
    events = await session.exchange()
    assert [(e.opcode, bytes(e.data)) for e in events] == [
        (Opcode.PONG, b"hi"),  # websockets answers at once, the app a little later
        (Opcode.BINARY, b"echo \x00\x01"),
    ]
    if deflate:
        assert isinstance(session.server.conn.extensions[0], PerMessageDeflate)


@pytest.mark.parametrize("cut", [2, 6, 8], ids=["after-header", "after-mask", "in-payload"])
async def test_a_frame_cut_in_the_handshake_packet_keeps_the_parser_until_its_end(
    sessions: list[Session], deflate: bool, cut: int
) -> None:
    session = Session(sessions, deflate)
    early = WsFrame(Opcode.TEXT, b"early").serialize(mask=True, extensions=[])
    cut_one = WsFrame(Opcode.TEXT, b"cut in two").serialize(mask=True, extensions=[])
    session.deliver(session.handshake + early + cut_one[:cut])
    # Mid-frame (after the header or the mask the buffer is even empty): not swapped.
    assert not session.server.parses_frames_only()
    assert session.server.handshake_alive()[:2] == [True, True]
    events = await session.exchange()
    assert isinstance(events[0], Response) and events[0].status_code == 101
    assert [bytes(e.data) for e in events[1:]] == [b"echo early"]
    session.deliver(cut_one[cut:])
    assert session.server.parses_frames_only()
    assert session.server.handshake_alive() == [False, False, False, False]
    session.client.send_text(b"after")
    session.deliver(session.from_client())
    assert await session.texts() == ["echo cut in two", "echo after"]


async def test_close_from_either_side_after_the_swap(
    sessions: list[Session], deflate: bool
) -> None:
    for closer in ("client", "server"):
        session = Session(sessions, deflate)
        session.deliver(session.handshake)
        await session.exchange()
        assert session.server.parses_frames_only()
        if closer == "client":
            session.client.send_close(1000, "au revoir")
        else:
            session.client.send_text(b"bye")
        session.deliver(session.from_client())
        events = await session.exchange()
        assert [(e.opcode, bytes(e.data)[:2]) for e in events] == [(Opcode.CLOSE, b"\x03\xe8")]
        if closer == "server":  # the client answers the server's close
            session.deliver(session.from_client())
        assert session.wire.closed


async def test_a_refused_handshake_is_still_answered_403(sessions: list[Session]) -> None:
    session = Session(sessions, False, path="/refused")
    session.deliver(session.handshake)
    (response,) = await session.exchange()
    assert isinstance(response, Response) and response.status_code == 403
    assert session.wire.closed


async def test_the_visitor_middleware_keeps_no_parsed_request_for_a_sockets_life() -> None:
    """The visitor middleware reads the cookies and headers on arrival; while the socket's
    app runs (the socket's whole life), nothing of that reading is kept."""
    from starlette.requests import HTTPConnection

    from estaminet.web.visitor import VisitorMiddleware

    inside = asyncio.Event()
    leave = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        inside.set()
        await leave.wait()

    async def load_user(session: str) -> None:
        return None

    middleware = VisitorMiddleware(app, load_user, "fr", secure=False)
    scope = {
        "type": "websocket",
        "path": "/ws",
        "headers": [(b"cookie", b"estaminet_session=abc; estaminet_device=" + b"d" * 24)],
    }
    task = asyncio.create_task(middleware(scope, None, None))
    await inside.wait()
    gc.collect()
    kept = [o for o in gc.get_objects() if isinstance(o, HTTPConnection) and o.scope is scope]
    leave.set()
    await task
    assert kept == []
    assert scope["state"]["device"] == "d" * 24 and scope["state"]["user"] is None


async def test_an_open_socket_keeps_none_of_its_handshake_headers(
    server: tuple[str, Gateway],
) -> None:
    """Once the gateway has checked the origin and accepted the socket, nothing of the
    handshake's headers is kept for the socket's life (an idle connection's memory)."""
    url, _ = server
    origin = url.replace("ws://", "http://").removesuffix("/ws")
    marker = secrets.token_hex(16).encode()
    async with connect(
        f"{url}?who=headers", origin=origin, additional_headers={"X-Marker": marker.decode()}
    ) as ws:  # type: ignore[arg-type]
        assert json.loads(await ws.recv())["type"] == "subscribed"
        # A list of header pairs holding the marker: the scope's, or a copy Starlette made
        # (lists are always tracked by the collector; pairs of bytes may not be). The HTTP
        # protocol that read the upgrade is garbage in a cycle: collected first.
        gc.collect()
        kept = [
            o
            for o in gc.get_objects()
            if isinstance(o, list)
            and any(isinstance(p, tuple) and len(p) == 2 and p[1] == marker for p in o)
        ]
        assert kept == []
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv())["type"] == "pong"


async def test_a_connection_keeps_only_its_own_attributes(sessions: list[Session]) -> None:
    """What uvicorn sets to the same value on every connection of a server (its config,
    app, loop, logger...) is kept once for the server: a connection's attributes stay
    under the 30 past which CPython 3.11 stops sharing their keys between connections
    (each one's dictionary would then weigh 1.6 KB instead of 0.3 KB)."""
    first = Session(sessions, deflate=True)
    config, loop = first.server.config, asyncio.get_running_loop()
    second = Recorded(config=config, server_state=first.state, app_state={}, _loop=loop)
    for server in (first.server, second):
        assert server.config is config and server.loop is loop
        assert server.app is config.loaded_app
        assert server.connections is first.state.connections
        assert server.logger.name == "uvicorn.error" and server.close_timeout == 10.0
    first.deliver(first.handshake)
    (response,) = await first.exchange()
    assert isinstance(response, Response) and response.status_code == 101
    first.client.send_text(b"bonjour")
    first.deliver(first.from_client())
    assert await first.texts() == ["echo bonjour"]
    own = vars(first.server)
    assert "config" not in own and "loop" not in own and "app" not in own
    assert len(own) < 30, sorted(own)
    # What it weighs: keys shared with the class's other instances (1,584 B before, 280 now).
    assert sys.getsizeof(own) < 600, sys.getsizeof(own)
    # Another server in the same process: its connections read their own server's values.
    other = Session(sessions, deflate=False)
    assert other.server.config is not config and other.server.config.ws_per_message_deflate is False
    assert first.server.config is config and second.config is config
    # A value unlike its server's (uvicorn gives none): that connection keeps its own.
    second.app_state = {"mine": True}
    assert second.app_state == {"mine": True} and first.server.app_state == {}
    assert first.server.app_state is not second.app_state


async def test_keepalive_pings_go_on_the_servers_ticks_and_a_silent_peer_is_closed(
    sessions: list[Session],
) -> None:
    """Pings are uvicorn's (a ping every interval, the next once the pong is back, 1011
    when none comes in time) but due by the tick of one timer for all of a server's
    connections, not a timer each."""
    config = uvicorn.Config(echo, ws_ping_interval=0.2, ws_ping_timeout=0.2, log_config=None)
    state = ServerState()
    opened = [Session(sessions, False, config=config, state=state) for _ in range(30)]
    for session in opened:
        session.deliver(session.handshake)
    for session in opened:
        (response,) = await session.exchange()
        assert isinstance(response, Response) and response.status_code == 101
    pings = opened[0].server._server.pings
    assert pings is not None and pings.tick == pytest.approx(0.02)
    assert len(pings.due) <= 2  # 30 connections, one or two ticks: not 30 timers
    # One closes: it is no longer due.
    gone = opened.pop()
    gone.server.connection_lost(None)
    assert all(gone.server not in due for due in pings.due.values())
    await asyncio.sleep(0.3)
    for session in opened:
        (ping,) = await session.exchange()
        assert isinstance(ping, WsFrame) and ping.opcode is Opcode.PING
    assert not gone.wire.written
    # The ones that answer are pinged again an interval later; the silent one is closed.
    silent = opened.pop()
    for session in opened:
        session.deliver(session.from_client())  # the client's protocol answered the ping
    await asyncio.sleep(0.3)
    for session in opened:
        (ping,) = await session.exchange()
        assert isinstance(ping, WsFrame) and ping.opcode is Opcode.PING
        assert not session.wire.closed
    (close,) = await silent.exchange()
    assert isinstance(close, WsFrame) and close.opcode is Opcode.CLOSE
    assert silent.wire.closed
