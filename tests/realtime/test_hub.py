"""The in-process hub and per-connection queues."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import Frame, frame_for_locales
from estaminet.realtime.gateway import Gateway
from estaminet.realtime.hub import MemoryHub


def bare_gateway(hub: MemoryHub) -> Gateway:
    """A gateway on ``hub`` for tests that drive its topics directly (no socket is accepted)."""
    return Gateway(
        hub,
        authenticate=lambda websocket: None,  # type: ignore[arg-type,return-value]
        translate=lambda locale, message, params: message,
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
        allowed_origins=frozenset(),
    )


class FakeSocket:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed: int | None = None
        self.gate = asyncio.Event()
        self.gate.set()

    async def send_text(self, data: str) -> None:
        await self.gate.wait()
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = code


PRINCIPAL = Principal("u1", "Alice", "member")


async def test_hub_delivers_to_subscribers_only() -> None:
    hub = MemoryHub()
    got: list[Frame] = []
    unsubscribe = hub.subscribe("room:bar", got.append)
    hub.subscribe("room:jeux", lambda f: got.append(f))
    frame = Frame("room:bar", 1, {"fr": "x", "en": "x"})
    await hub.publish(frame)
    assert got == [frame]
    unsubscribe()
    await hub.publish(Frame("room:bar", 2, {"fr": "y"}))
    assert got == [frame]
    assert hub.subscriber_count("room:bar") == 0


async def test_hub_recent_serves_buffer_or_asks_resync() -> None:
    hub = MemoryHub(buffer_size=3)
    for _ in range(5):
        seq = await hub.next_seq("presence:bar")
        await hub.publish(Frame("presence:bar", seq, {"fr": str(seq)}), buffer=True)
    assert [f.seq for f in await hub.recent("presence:bar", 3) or []] == [4, 5]
    assert await hub.recent("presence:bar", 5) == []
    assert await hub.recent("presence:bar", 1) is None  # 2 is gone: resync
    assert await hub.recent("presence:bar", 9) is None  # from the future (a restart): resync


async def test_hub_broken_listener_does_not_starve_others() -> None:
    hub = MemoryHub()
    got: list[int] = []

    def broken(frame: Frame) -> None:
        raise RuntimeError("boom")

    hub.subscribe("t:x", broken)
    hub.subscribe("t:x", lambda f: got.append(f.seq))
    await hub.publish(Frame("t:x", 1, {"fr": ""}))
    assert got == [1]


def test_frames_serialised_once_per_language() -> None:
    calls: list[str] = []

    def build(locale: str) -> dict[str, object]:
        calls.append(locale)
        return {"ops": [{"op": "toast", "html": locale}]}

    frame = frame_for_locales("room:bar", 7, "chat", build)
    assert calls == []  # rendered on first use only
    assert json.loads(frame.text("fr"))["seq"] == 7
    assert frame.text("fr") is frame.text("fr")
    assert calls == ["fr"]
    frame.text("en")
    assert calls == ["fr", "en"]
    assert set(frame.to_wire()["texts"]) == {"fr", "en"}
    neutral = frame_for_locales("room:bar", 8, "chat", neutral={"ops": []})
    assert neutral.text("fr") is neutral.text("en")


async def test_connection_same_text_object_for_every_subscriber() -> None:
    hub = MemoryHub()
    sockets = [FakeSocket() for _ in range(3)]
    conns = [Connection(s, PRINCIPAL, "fr") for s in sockets]
    for conn in conns:
        hub.subscribe("room:bar", conn.deliver)
    await hub.publish(frame_for_locales("room:bar", 1, "chat", neutral={"ops": []}))
    await asyncio.sleep(0.01)
    texts = [s.sent[0] for s in sockets]
    assert texts[0] is texts[1] is texts[2]
    for conn in conns:
        assert not conn.sending  # the writer task ends with the queue


async def test_connection_overflow_resyncs_then_closes_a_slow_client() -> None:
    socket = FakeSocket()
    socket.gate.clear()  # the client reads nothing
    conn = Connection(socket, PRINCIPAL, "fr", queue_size=4)
    conn.subscriptions["room:bar"] = lambda: None
    for i in range(5):
        conn.push(f"m{i}")
    assert conn.queued == 1  # emptied, replaced by one resync frame
    socket.gate.set()
    await asyncio.sleep(0.01)
    assert json.loads(socket.sent[-1]) == {"type": "resync", "topics": ["room:bar"]}
    socket.gate.clear()
    for _ in range(2):
        for i in range(5):
            conn.push(f"n{i}")
    socket.gate.set()
    await asyncio.sleep(0.01)
    assert socket.closed == 4008
    assert conn.closed
    assert conn.queued <= 4  # memory stays bounded
    await conn.stop()


async def test_connection_holds_frames_during_catch_up() -> None:
    socket = FakeSocket()
    conn = Connection(socket, PRINCIPAL, "fr")
    conn.hold("room:bar")
    conn.deliver(Frame("room:bar", 5, {"fr": "old"}))
    conn.deliver(Frame("room:bar", 6, {"fr": "new"}))
    conn.push("catch-up")
    conn.release("room:bar", after=5)
    await asyncio.sleep(0.01)
    assert socket.sent == ["catch-up", "new"]
    await conn.stop()


async def test_hub_buffers_are_bounded_in_bytes_as_well_as_frames() -> None:
    hub = MemoryHub(buffer_size=100, buffer_bytes=2_000)
    for _ in range(50):
        seq = await hub.next_seq("presence:bar")
        body = {"ops": [{"op": "inner", "target": "x", "html": "é" * 150}]}
        await hub.publish(
            frame_for_locales("presence:bar", seq, "presence", neutral=body), buffer=True
        )
    frames, size = hub.buffered("presence:bar")
    assert size <= 2_000 and 0 < frames < 50
    # what is kept serves the recent past exactly; older gaps ask for a resync
    assert [f.seq for f in await hub.recent("presence:bar", 50 - frames) or []] == list(
        range(51 - frames, 51)
    )
    assert await hub.recent("presence:bar", 50 - frames - 1) is None
    # one frame bigger than the whole allowance is not kept at all: a resync, not a crash
    seq = await hub.next_seq("presence:bar")
    huge = {"ops": [{"op": "inner", "target": "x", "html": "x" * 5_000}]}
    await hub.publish(frame_for_locales("presence:bar", seq, "presence", neutral=huge), buffer=True)
    assert hub.buffered("presence:bar") == (0, 0)
    assert await hub.recent("presence:bar", seq - 1) is None
    assert await hub.recent("presence:bar", seq) == []
