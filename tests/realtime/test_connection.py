"""A connection's two sending paths: written at once when idle, queued behind a busy socket."""

from __future__ import annotations

import asyncio
import json

from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame as WireFrame
from websockets.streams import StreamReader

from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import PLAIN, Encoding, Frame, frame_for_locales, text_frame
from estaminet.realtime.hub import MemoryHub

PRINCIPAL = Principal("u1", "Alice", "member")


class Wire:
    """What reached the client, in order, whichever path a text took."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.frames: list[bytes] = []
        self.closed: int | None = None


class FakeSocket:
    """The ASGI path: ``send_text`` waits while ``gate`` is closed (a paused transport)."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self.gate = asyncio.Event()
        self.gate.set()
        self.broken = False

    async def send_text(self, data: str) -> None:
        await self.gate.wait()
        if self.broken:
            raise RuntimeError("disconnected")
        self.wire.texts.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.wire.closed = code


class FakeDirect:
    """The direct path: refuses while the transport is paused or the socket is gone."""

    def __init__(self, wire: Wire, *, shared_encoding: Encoding | None = PLAIN) -> None:
        self.wire = wire
        self.paused = False
        self.gone = False
        self.shared_encoding = shared_encoding
        self.calls = 0

    def try_send_frame(self, framed: bytes) -> bool:
        assert self.shared_encoding is PLAIN
        self.calls += 1
        if self.paused or self.gone:
            return False
        self.wire.frames.append(framed)
        self.wire.texts.append(json_of(framed))
        return True

    def try_send_text(self, text: str) -> bool:
        self.calls += 1
        if self.paused or self.gone:
            return False
        self.wire.texts.append(text)
        return True


def json_of(framed: bytes) -> str:
    return parse(framed).data.decode()


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def connection(
    queue_size: int = 256, monotonic: FakeMonotonic | None = None, **direct: Encoding | None
) -> tuple[Connection, FakeSocket, FakeDirect]:
    wire = Wire()
    socket, sender = FakeSocket(wire), FakeDirect(wire, **direct)
    conn = Connection(
        socket,
        PRINCIPAL,
        "fr",
        queue_size=queue_size,
        direct=sender,
        monotonic=monotonic or FakeMonotonic(),
    )
    return conn, socket, sender


def parse(framed: bytes, extensions: list[PerMessageDeflate] | None = None) -> WireFrame:
    reader = StreamReader()
    reader.feed_data(framed)
    reader.feed_eof()
    parser = WireFrame.parse(reader.read_exact, mask=False, extensions=extensions)
    try:
        next(parser)
    except StopIteration as done:
        frame: WireFrame = done.value
        return frame
    raise AssertionError("incomplete frame")


async def test_idle_connection_sends_at_once_without_a_task() -> None:
    conn, socket, _ = connection()
    conn.push("hello")
    conn.push_json({"type": "pong"})
    assert socket.wire.texts == ["hello", '{"type":"pong"}']
    assert not conn.sending and conn.queued == 0
    assert conn._writer is None and conn._queue is None  # nothing kept for an idle socket


async def test_frames_are_serialised_once_for_every_connection() -> None:
    hub = MemoryHub()
    conns = [connection()[0] for _ in range(3)]
    for conn in conns:
        hub.subscribe("room:bar", conn.deliver)
    frame = frame_for_locales("room:bar", 1, "chat", lambda locale: {"ops": [locale, "é"]})
    await hub.publish(frame)
    sent = [conn._direct.wire.frames[0] for conn in conns]  # type: ignore[union-attr]
    assert sent[0] is sent[1] is sent[2]
    wire = parse(sent[0])
    assert wire.fin and wire.opcode.name == "TEXT"
    assert json.loads(wire.data.decode()) == json.loads(frame.text("fr"))
    assert text_frame("x" * 70_000)[:4] == b"\x81\x7f\x00\x00"  # 64-bit length form


def inflate(framed: bytes, decoder: PerMessageDeflate) -> str:
    """Read a compressed frame as a client does, with websockets' permessage-deflate decoder."""
    assert framed[0] & 0x40  # RSV1: "this message is compressed"
    return parse(framed, [decoder]).data.decode()


async def test_deflated_frames_are_compressed_once_per_window_and_decode_alone() -> None:
    text = json.dumps({"type": "event", "ops": ["Au coin du bar, ça roule ?"] * 40})
    frame = Frame("room:bar", 1, {"fr": text})
    wide, narrow = Encoding(deflate_bits=12, mem_level=5), Encoding(deflate_bits=9, mem_level=5)
    shared = frame.framed("fr", wide)
    assert frame.framed("fr", Encoding(deflate_bits=12, mem_level=5)) is shared  # built once
    assert frame.framed("fr", narrow) is not shared  # another window: its own bytes
    assert frame.framed("fr") == text_frame(text)  # the plain frame is still there
    assert len(shared) < len(text) // 4
    for framed, bits in ((shared, 12), (frame.framed("fr", narrow), 9)):
        # A client's decoder that keeps its context, as a browser's does unless told otherwise.
        assert inflate(framed, PerMessageDeflate(False, False, bits, bits)) == text
    # No context is carried over: messages decode in any order on one connection,
    # whatever that connection received before.
    other = Frame("room:bar", 2, {"fr": text.replace("bar", "zinc")}).framed("fr", wide)
    decoder = PerMessageDeflate(False, False, 12, 12)
    assert inflate(other, decoder) == text.replace("bar", "zinc")
    assert inflate(shared, decoder) == text
    assert inflate(other, decoder) == text.replace("bar", "zinc")


async def test_a_connection_with_an_extension_is_given_text_only() -> None:
    conn, socket, _ = connection(shared_encoding=None)
    conn.deliver(Frame("room:bar", 1, {"fr": "x"}))
    assert socket.wire.texts == ["x"] and socket.wire.frames == []


async def test_paused_transport_queues_and_order_is_kept() -> None:
    conn, socket, sender = connection()
    conn.push("1")
    sender.paused = True
    socket.gate.clear()
    conn.push("2")  # refused by the direct path: queued, a writer starts
    assert conn.sending and conn.queued == 1
    sender.paused = False  # the transport drains…
    conn.push("3")  # …but "2" is still waiting: "3" must not overtake it
    assert sender.calls == 2
    assert conn.queued == 2
    await asyncio.sleep(0)
    socket.gate.set()
    await asyncio.sleep(0.01)
    assert socket.wire.texts == ["1", "2", "3"]
    assert not conn.sending and conn._queue is None
    conn.push("4")  # idle again: at once
    assert socket.wire.texts[-1] == "4" and not conn.sending


async def test_held_frames_keep_their_order_behind_the_catch_up() -> None:
    conn, socket, _ = connection()
    conn.hold("room:bar")
    conn.deliver(Frame("room:bar", 5, {"fr": "old"}))
    conn.deliver(Frame("room:bar", 6, {"fr": "new"}))
    conn.push("catch-up")
    conn.release("room:bar", after=5)
    conn.deliver(Frame("room:bar", 7, {"fr": "live"}))
    assert socket.wire.texts == ["catch-up", "new", "live"]
    assert conn._holding is None


async def test_slow_client_overflowing_now_and_then_is_kept() -> None:
    """Three overflows close the connection only within a minute (the injected clock)."""
    clock = FakeMonotonic()
    conn, socket, sender = connection(queue_size=4, monotonic=clock)

    async def overflow_once() -> None:
        sender.paused = True
        socket.gate.clear()
        for i in range(5):
            conn.push(f"m{i}")  # four queued, the fifth overflows
        socket.gate.set()
        sender.paused = False
        await asyncio.sleep(0.01)

    for _ in range(5):
        await overflow_once()
        clock.now += 31  # two at most within any minute
    assert socket.wire.closed is None and not conn.closed
    await overflow_once()
    await overflow_once()
    assert socket.wire.closed == 4008  # the third within 60 s


async def test_slow_client_overflows_resyncs_then_is_closed() -> None:
    conn, socket, sender = connection(queue_size=4)
    conn.subscriptions["room:bar"] = lambda: None
    sender.paused = True
    socket.gate.clear()
    for i in range(5):
        conn.push(f"m{i}")
    assert conn.queued == 1  # emptied, replaced by one resync frame
    sender.paused = False
    conn.push("after")  # still behind the resync
    socket.gate.set()
    await asyncio.sleep(0.01)
    assert [json.loads(t) if t.startswith("{") else t for t in socket.wire.texts] == [
        {"type": "resync", "topics": ["room:bar"]},
        "after",
    ]
    sender.paused = True
    socket.gate.clear()
    for _ in range(2):
        for i in range(6):
            conn.push(f"n{i}")
    assert conn.queued <= 4  # memory stays bounded
    socket.gate.set()
    await asyncio.sleep(0.01)
    assert socket.wire.closed == 4008
    assert conn.closed and not conn.sending
    conn.push("ignored")
    assert "ignored" not in socket.wire.texts


async def test_closed_socket_stops_the_connection() -> None:
    conn, socket, sender = connection()
    sender.gone = True
    socket.broken = True
    conn.push("lost")  # the direct path refuses; the ASGI send finds the socket gone
    await asyncio.sleep(0.01)
    assert conn.closed and not conn.sending
    conn.push("ignored")
    assert sender.calls == 1


async def test_a_failing_direct_write_falls_back_to_the_queue() -> None:
    conn, socket, sender = connection()

    def broken(text: str) -> bool:
        raise OSError("transport gone")

    sender.try_send_text = broken  # type: ignore[method-assign]
    conn.push("x")
    await asyncio.sleep(0.01)
    assert socket.wire.texts == ["x"]  # the ASGI send decides whether it can still go


async def test_stop_cancels_a_waiting_writer() -> None:
    conn, socket, sender = connection()
    sender.paused = True
    socket.gate.clear()
    conn.push("waiting")
    await asyncio.sleep(0)
    await conn.stop()
    assert conn.closed and not conn.sending


async def test_frames_queue_behind_a_paused_transport_in_order() -> None:
    conn, socket, sender = connection()
    conn.deliver(Frame("room:bar", 1, {"fr": "a"}))
    sender.paused = True
    socket.gate.clear()
    conn.deliver(Frame("room:bar", 2, {"fr": "b"}))  # refused as a frame, then as a text: queued
    sender.paused = False
    conn.deliver(Frame("room:bar", 3, {"fr": "c"}))  # the queue is not empty: behind "b"
    assert conn.queued == 2 and len(socket.wire.frames) == 1
    socket.gate.set()
    await asyncio.sleep(0.01)
    assert socket.wire.texts == ["a", "b", "c"]
    conn.deliver(Frame("room:bar", 4, {"fr": "d"}))
    assert socket.wire.texts[-1] == "d" and len(socket.wire.frames) == 2
