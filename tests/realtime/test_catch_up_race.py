"""A frame published while a topic's catch-up is being read is sent once: if the catch-up
already holds it (its seq is not above the catch-up's), the live copy is dropped; if it is
newer, it follows the catch-up. (A notice delivered while a tab came back was shown twice.)"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import Frame
from estaminet.realtime.hub import MemoryHub
from estaminet.realtime.topics import SnapshotTopics
from tests.realtime.test_hub import FakeSocket, bare_gateway

PRINCIPAL = Principal("u1", "Alice", "member")


class _Racing(SnapshotTopics):
    """A topic whose catch-up reads the state while two frames are published: one that the
    catch-up includes (seq 3) and one that comes after it (seq 4)."""

    def __init__(self, hub: MemoryHub) -> None:
        self.hub = hub

    async def authorize(self, principal: Principal, topic: str) -> None:
        return None

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        await self.hub.publish(Frame(topic, 3, {"fr": "live 3"}))  # committed before the read
        connection.push_catch_up(topic, 3, [{"op": "toast", "html": "caught up to 3"}])
        await self.hub.publish(Frame(topic, 4, {"fr": "live 4"}))  # after the read
        return 3


async def test_a_frame_the_catch_up_holds_is_not_sent_again() -> None:
    hub = MemoryHub()
    gateway = bare_gateway(hub)
    gateway.provide("race", _Racing(hub))
    socket = FakeSocket()
    conn = Connection(socket, PRINCIPAL, "fr")
    await gateway._subscribe(conn, "race:x", 2)
    await asyncio.sleep(0.01)
    sent: list[Any] = [json.loads(s) if s.startswith("{") else s for s in socket.sent]
    assert [f["kind"] for f in sent if isinstance(f, dict) and f.get("type") == "event"] == [
        "catch_up"
    ]
    assert "live 3" not in sent and sent.count("live 4") == 1
    await conn.stop()
