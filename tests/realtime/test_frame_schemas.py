"""The frame schemas (``estaminet.realtime.schemas``) hold for what a real server sends.

Every frame a live test receives is checked on arrival (``tests/support/live_server.py``);
here one person goes through chat, presence, a game table, an assembly sitting and voice,
and the frames of each kind are seen and checked, acks against their action's schema.
"""

from __future__ import annotations

from typing import Any

import pytest

from estaminet.people.model import Role
from estaminet.realtime.schemas import ACTIONS, TOPICS, ChatSend, EventFrame
from tests.sittings.test_sittings_live import convene, seat_of, user_id
from tests.support.frames import check, check_client_frame, check_server_frame
from tests.support.live_server import LiveServer, Socket
from tests.tables.test_tables_live import create_table, post


def test_frame_schemas_checker_refuses_what_does_not_match() -> None:
    good = {"type": "event", "topic": "room:bar", "seq": 1, "kind": "chat", "ops": []}
    check_server_frame(good)
    for bad in (
        {**good, "seq": "1"},  # a string is not a number
        {**good, "seq": True},  # nor is a boolean
        {**good, "extra": 1},  # no field that is not in the schema
        {k: v for k, v in good.items() if k != "ops"},  # none missing
        {**good, "kind": "gossip"},  # no unknown kind
        {**good, "kind": "presence"},  # presence frames do not travel on room: topics
        {**good, "ops": [{"op": "toast"}]},  # an op without its html
    ):
        with pytest.raises(AssertionError):
            check_server_frame(bad)
    with pytest.raises(AssertionError):
        check_server_frame({"type": "ack", "id": "a", "data": {"seq": 1}}, {"a": "chat.send"})
    with pytest.raises(AssertionError):
        check({"room": "bar"}, ChatSend)
    check_client_frame(
        {"type": "act", "id": "a", "name": "chat.send", "data": {"room": "b", "body": "x"}}
    )
    with pytest.raises(AssertionError):
        check_client_frame({"type": "act", "name": "chat.shout", "data": {}})
    assert EventFrame.__required_keys__ == {"type", "topic", "seq", "kind", "ops"}


async def test_frame_schemas_cover_every_topic_and_action_served(live: LiveServer) -> None:
    gateway = live.app.state.gateway
    assert set(gateway.topic_families) == set(TOPICS)
    assert set(gateway.action_names) == set(ACTIONS)


def seen(sock: Socket) -> set[tuple[str, str]]:
    return {(f["type"], str(f.get("kind", ""))) for f in sock.seen}


async def test_frame_schemas_hold_in_chat_presence_and_voice(people: Any) -> None:
    alice, bob = await people("Alice Schéma"), await people("Bob Schéma")
    async with alice.socket() as a, bob.socket() as b:
        await a.sub("room:defouloir")
        await a.sub("presence:defouloir")
        await a.sub("voice:room:defouloir")
        await b.sub("room:defouloir")
        await b.sub("presence:defouloir")
        await b.sub("voice:room:defouloir")
        sent = await a.act("chat.send", {"room": "defouloir", "body": "*salut*", "client_id": "s1"})
        message = sent["data"]["message"]
        for name, data in (
            ("chat.edit", {"room": "defouloir", "message": message, "body": "salut"}),
            ("chat.source", {"room": "defouloir", "message": message}),
            ("chat.delete", {"room": "defouloir", "message": message}),
            ("voice.join", {"space": "room:defouloir"}),
            ("voice.mute", {"space": "room:defouloir", "muted": False}),
            ("voice.speaking", {"space": "room:defouloir", "speaking": True}),
        ):
            check_client_frame({"type": "act", "id": name, "name": name, "data": data})
            assert (await a.act(name, data, ref=name))["type"] == "ack", name
        joined = await b.act("voice.join", {"space": "room:defouloir"}, ref="bj")
        assert joined["data"]["peers"]
        await a.expect(type="voice", kind="peer")
        await b.act(
            "voice.signal",
            {
                "space": "room:defouloir",
                "to": joined["data"]["peers"][0]["id"],
                "signal": {"type": "restart"},
            },
            ref="sig",
        )
        await a.expect(type="voice", kind="signal")
        await a.act("voice.leave", {"space": "room:defouloir"}, ref="leave")
        refused = await a.act(
            "chat.edit", {"room": "defouloir", "message": "x", "body": "y"}, ref="bad"
        )
        assert refused["type"] == "error"
        for sock in (a, b):  # each kind arrives (coalesced, so maybe late on a busy machine)
            for kind in ("chat", "presence", "voice"):
                await sock.take(
                    lambda f, k=kind: f.get("type") == "event" and f.get("kind") == k, within=15
                )
    for kinds in (seen(a), seen(b)):
        assert {("event", "chat"), ("event", "presence"), ("event", "voice"), ("ack", "")} <= kinds
    assert {("voice", "peer"), ("voice", "signal"), ("error", "")} <= seen(a)


async def test_frame_schemas_hold_at_a_game_table(people: Any) -> None:
    host, zoe = await people("Hôte Schéma", role=Role.MEMBER), await people("Zoé Schéma")
    table_id = await create_table(host, option_rounds="1")
    async with host.socket() as h:
        await h.sub("tables:jeux")
        await h.sub(f"table:{table_id}")
        assert await post(zoe, table_id, "join", role="player") == 303
        await h.expect(type="event", kind="lobby")
        assert await post(host, table_id, "start") == 303
        topic = f"table:{table_id}:seat:0"
        async with zoe.socket() as z:
            mine = (
                topic
                if (await z.sub(topic))["type"] == "subscribed"
                else f"table:{table_id}:seat:1"
            )
            await z.sub(mine)
            ack = await z.act(
                "table.act", {"table": table_id, "action": {"type": "pick", "number": 4}}
            )
            assert ack["type"] == "ack" and isinstance(ack["data"]["events"], int)
            await z.expect(type="event", topic=mine, kind="view")
        await h.quiet(0.4)
    assert {("event", "tables"), ("event", "lobby")} <= seen(h)


async def test_frame_schemas_hold_in_an_assembly_sitting(live: LiveServer, people: Any) -> None:
    admin = await people()
    await admin.sign_in_admin()
    folks = {n: await people(f"{n} Schéma", role=Role.MEMBER) for n in ("Anne", "Bert", "Cleo")}
    ids = {n: await user_id(p) for n, p in folks.items()}
    sitting = await convene(
        admin,
        voters=[ids["Anne"], ids["Bert"]],
        facilitator=ids["Anne"],
        secretary=ids["Bert"],
        timekeeper=ids["Cleo"],
    )
    topic, _ = await seat_of(folks["Anne"], sitting)
    async with folks["Anne"].socket() as anne:
        await anne.sub(topic)
        await anne.sub(f"table:{sitting}")
        for ref, action in (
            ("in", {"type": "attendance.check_in"}),
            ("open", {"type": "sitting.open"}),
        ):
            answer = await anne.act("table.act", {"table": sitting, "action": action}, ref=ref)
            assert answer["type"] == "ack", answer
        keys = await anne.act("ballot.keys", {"table": sitting}, ref="keys")
        assert keys["type"] == "ack" and keys["data"]["keys"] == []
        await anne.expect(type="event", topic=topic, kind="view")
        await anne.quiet(0.4)
    assert ("event", "view") in seen(anne)
