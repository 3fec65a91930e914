"""A topic whose access is another's (``presence:bar`` is for whoever may follow
``room:bar``) is not authorised twice on a connection that follows both; anyone else is
asked, and an access change re-decides both."""

from __future__ import annotations

import asyncio
import json

from estaminet.kernel.errors import Forbidden
from estaminet.kernel.i18n import N_
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.gateway import Gateway
from estaminet.realtime.hub import MemoryHub
from estaminet.realtime.topics import SnapshotTopics
from tests.realtime.test_hub import FakeSocket, bare_gateway

PRINCIPAL = Principal("u1", "Alice", "member")


class _Counted(SnapshotTopics):
    def __init__(self) -> None:
        self.asked: list[str] = []
        self.refused: set[str] = set()

    async def authorize(self, principal: Principal, topic: str) -> None:
        self.asked.append(topic)
        if topic.partition(":")[2] in self.refused:
            raise Forbidden("venue/kicked", N_("You are not allowed to do that."))

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        return 0


def _gateway() -> tuple[Gateway, _Counted, _Counted]:
    gateway = bare_gateway(MemoryHub())
    chat, presence = _Counted(), _Counted()
    gateway.provide("room", chat)
    gateway.provide("presence", presence, access_of="room")
    return gateway, chat, presence


async def test_following_the_chat_decides_the_presence_of_the_same_room_only() -> None:
    gateway, chat, presence = _gateway()
    conn = Connection(FakeSocket(), PRINCIPAL, "fr")
    await gateway._subscribe(conn, "room:bar", None)
    await gateway._subscribe(conn, "presence:bar", None)
    await gateway._subscribe(conn, "presence:cave", None)  # another room: asked
    assert chat.asked == ["room:bar"]
    assert presence.asked == ["presence:cave"]
    await conn.stop()


async def test_without_the_chat_the_presence_is_asked_and_can_be_refused() -> None:
    gateway, _chat, presence = _gateway()
    presence.refused.add("bar")
    conn = Connection(FakeSocket(), PRINCIPAL, "fr")
    await gateway._handle(conn, json.dumps({"type": "sub", "topic": "presence:bar"}))
    assert presence.asked == ["presence:bar"] and "presence:bar" not in conn.subscriptions
    # Left the chat (a kick, a page closed): the presence is asked again.
    await gateway._subscribe(conn, "room:bar", None)
    await gateway._unsubscribe(conn, "room:bar")
    await gateway._handle(conn, json.dumps({"type": "sub", "topic": "presence:bar"}))
    assert presence.asked == ["presence:bar", "presence:bar"]
    assert "presence:bar" not in conn.subscriptions
    await conn.stop()


async def test_an_access_change_re_decides_the_presence_too() -> None:
    gateway, chat, presence = _gateway()
    socket = FakeSocket()
    conn = Connection(socket, PRINCIPAL, "fr")
    gateway.connections[PRINCIPAL.user_id].add(conn)
    await gateway._subscribe(conn, "room:bar", None)
    await gateway._subscribe(conn, "presence:bar", None)
    chat.refused.add("bar")
    presence.refused.add("bar")
    await gateway.recheck(conn)
    await asyncio.sleep(0)
    assert "room:bar" not in conn.subscriptions and "presence:bar" not in conn.subscriptions
    assert presence.asked == ["presence:bar"]  # asked by the re-check, not at subscription
    await conn.stop()


async def test_a_forget_reaches_every_instance_and_takes_nothing_away() -> None:
    hub = MemoryHub()
    forgotten: list[tuple[str, str | None]] = []
    gateways = []
    for name in ("one", "two"):
        gateway = bare_gateway(hub)
        chat = _Counted()
        gateway.provide("room", chat)
        gateway.on_access_changed(lambda user, name=name: forgotten.append((name, user)))
        await gateway.start()
        gateways.append((gateway, chat))
    two, two_chat = gateways[1]
    conn = Connection(FakeSocket(), PRINCIPAL, "fr")
    two.connections[PRINCIPAL.user_id].add(conn)
    await two._subscribe(conn, "room:bar", None)
    await gateways[0][0].forget_everywhere("u1")
    await asyncio.sleep(0.01)
    assert ("one", "u1") in forgotten and ("two", "u1") in forgotten
    assert two_chat.asked == ["room:bar"]  # nothing re-checked: the socket keeps its topic
    assert "room:bar" in conn.subscriptions
    for gateway, _ in gateways:
        await gateway.stop()
    await conn.stop()
