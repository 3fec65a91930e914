"""The gateway over a real socket: subscriptions, live chat, resume, bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person


def bodies(frames: list[dict[str, Any]]) -> list[str]:
    return [
        op["html"]
        for f in frames
        if f.get("type") == "event"
        for op in f.get("ops", [])
        if "html" in op
    ]


async def test_gateway_refuses_foreign_origin_and_anonymous(live: LiveServer, people: Any) -> None:
    """Refused sockets are accepted, then closed with the documented code the browser sees."""
    alice: Person = await people("Alice")
    with pytest.raises(ConnectionClosed) as refused:
        async with alice.socket(origin="http://evil.example"):
            pass
    assert refused.value.rcvd is not None and refused.value.rcvd.code == 4403
    stranger: Person = await people()
    with pytest.raises(ConnectionClosed) as refused:
        async with stranger.socket():
            pass
    assert refused.value.rcvd is not None and refused.value.rcvd.code == 4401


async def test_gateway_chat_is_live_for_everyone_in_the_room(people: Any) -> None:
    alice, bob = await people("Alice"), await people("Bob")
    async with alice.socket() as a, bob.socket() as b:
        assert (await a.sub("room:bar"))["type"] == "subscribed"
        await b.sub("room:bar")
        ack = await a.act(
            "chat.send", {"room": "bar", "body": "Santé **tout le monde**", "client_id": "x1"}
        )
        assert ack["type"] == "ack"
        event = await b.expect(type="event", topic="room:bar", kind="chat")
        html = event["ops"][0]["html"]
        assert "<strong>tout le monde</strong>" in html and "Alice" in html
        assert event["seq"] == ack["data"]["seq"]


async def test_gateway_resume_after_drop_gives_missed_messages_once(people: Any) -> None:
    alice, bob = await people("Alice"), await people("Bob")
    async with alice.socket() as a:
        seq = (await a.sub("room:defouloir"))["seq"]
    async with bob.socket() as b:
        await b.sub("room:defouloir")
        for word in ("un", "deux", "trois"):
            assert (await b.act("chat.send", {"room": "defouloir", "body": word}, ref=word))[
                "type"
            ] == "ack"
    async with alice.socket() as a:
        await a.send({"type": "sub", "topic": "room:defouloir", "after": seq})
        catch_up = await a.expect(type="event", kind="catch_up")
        texts = [op["html"] for op in catch_up["ops"]]
        assert [w for w in ("un", "deux", "trois") if any(f">{w}<" in t for t in texts)] == [
            "un",
            "deux",
            "trois",
        ]
        assert len(texts) == 3
        assert catch_up["seq"] == seq + 3
        subscribed = await a.expect(type="subscribed", topic="room:defouloir")
        assert subscribed["seq"] == seq + 3


async def test_gateway_resume_equals_fresh_page(live: LiveServer, people: Any) -> None:
    """What a resuming client ends up with is what a fresh page shows (Zulip's check)."""
    alice = await people("Alicia")
    async with alice.socket() as a:
        start = (await a.sub("room:atelier"))["seq"]
        sent = await a.act("chat.send", {"room": "atelier", "body": "avant"}, ref="1")
        await a.act(
            "chat.edit",
            {"room": "atelier", "message": sent["data"]["message"], "body": "après"},
            ref="2",
        )
    async with alice.socket() as a:
        await a.send({"type": "sub", "topic": "room:atelier", "after": start})
        catch_up = await a.expect(type="event", kind="catch_up")
    page = await alice.http.get("/r/atelier")
    message_id = sent["data"]["message"]
    resumed = catch_up["ops"][-1]["html"]
    fresh = page.text.split(f'id="msg-{message_id}"')[1].split("</li>")[0]
    assert resumed.split(f'id="msg-{message_id}"')[1].split("</li>")[0] == fresh


async def test_gateway_messages_travel_without_their_source_the_author_asks_for_it(
    people: Any,
) -> None:
    alice, bob = await people("Alice Source"), await people("Bob Source")
    async with alice.socket() as a, bob.socket() as b:
        await a.sub("room:atelier")
        await b.sub("room:atelier")
        sent = await a.act(
            "chat.send", {"room": "atelier", "body": "Rendez-vous à *10 h*"}, ref="1"
        )
        message = sent["data"]["message"]
        event = await b.expect(type="event", kind="chat")
        html = event["ops"][0]["html"]
        assert "<em>10 h</em>" in html and "*10 h*" not in html and "msg-tools" not in html
        source = await a.act("chat.source", {"room": "atelier", "message": message}, ref="2")
        assert source["type"] == "ack" and source["data"]["body"] == "Rendez-vous à *10 h*"
        refused = await b.act("chat.source", {"room": "atelier", "message": message}, ref="3")
        assert refused["code"] == "chat/not_author"
        assert refused["message"] == "Tu ne peux modifier que tes propres messages."
        bad = await b.act("chat.source", {"room": "atelier", "message": "12"}, ref="4")
        assert bad["code"] == "gateway/malformed"
        await a.act("chat.delete", {"room": "atelier", "message": message}, ref="5")
        gone = await a.act("chat.source", {"room": "atelier", "message": message}, ref="6")
        assert gone["code"] == "chat/unknown_message"
        await b.send({"type": "ping"})
        await b.expect(type="pong")  # still usable


async def test_gateway_presence_shows_who_is_in_the_room(people: Any) -> None:
    alice, bob = await people("Alice Presence"), await people("Bob Presence")
    async with alice.socket() as a:
        await a.sub("presence:scene")
        async with bob.socket() as b:
            await b.sub("room:scene")
            event = await a.expect(type="event", topic="presence:scene")
            arrived = [op for op in event["ops"] if op["op"] == "upsert"]
            assert len(arrived) == 1 and "Bob Presence" in arrived[0]["html"]
        event = await a.expect(type="event", topic="presence:scene")
        # leaving removes that person's line; nobody's name travels again
        gone = "#" + arrived[0]["id"]
        assert any(op["op"] == "remove" and op["target"] == gone for op in event["ops"])
        assert "Presence" not in str(event)


async def test_gateway_team_room_refused_to_guest(people: Any) -> None:
    guest = await people("Gus")
    async with guest.socket() as g:
        reply = await g.sub("room:bureau")
        assert reply["type"] == "error" and reply["code"] == "venue/team_only"
        assert "équipe" in reply["message"] or "team" in reply["message"]
        reply = await g.act("chat.send", {"room": "bureau", "body": "coucou"})
        assert reply["code"] == "venue/team_only"
        assert (await g.sub("room:bar"))["type"] == "subscribed"  # still usable


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("this is not json", "gateway/malformed"),
        ("[1, 2, 3]", "gateway/malformed"),
        ('{"no": "type"}', "gateway/malformed"),
        ('{"type": "dance"}', "gateway/unknown_frame"),
        (
            '{"type": "act", "id": "z", "name": "rocket.launch", "data": {}}',
            "gateway/unknown_action",
        ),
        ('{"type": "act", "id": "z", "name": "chat.send", "data": []}', "gateway/malformed"),
        (
            '{"type": "act", "id": "z", "name": "chat.send", "data": {"room": 5, "body": "x"}}',
            "gateway/malformed",
        ),
        ('{"type": "sub", "topic": "room:bar", "after": -3}', "gateway/malformed"),
        ('{"type": "sub", "topic": "nowhere:x"}', "gateway/unknown_topic"),
        ('{"type": "sub", "topic": "user:someone-else"}', "gateway/not_yours"),
        ('{"type": "sub", "topic": "room:nowhere"}', "venue/unknown_room"),
    ],
)
async def test_gateway_bad_frames_get_an_error_and_the_socket_stays(
    people: Any, frame: str, code: str
) -> None:
    alice = await people("Alice")
    async with alice.socket() as a:
        await a.send(frame)
        error = await a.expect(type="error")
        assert error["code"] == code
        assert error["message"]  # translated text for the person
        await a.send({"type": "ping"})
        await a.expect(type="pong")


async def test_gateway_oversized_frame_and_message(live: LiveServer, people: Any) -> None:
    alice = await people("Alice")
    async with alice.socket() as a:
        await a.sub("room:bar")
        await a.send(
            json.dumps(
                {
                    "type": "act",
                    "id": "big",
                    "name": "chat.send",
                    "data": {"room": "bar", "body": "x" * 20_000},
                }
            )
        )
        assert (await a.expect(type="error"))["code"] == "gateway/too_large"
        reply = await a.act(
            "chat.send", {"room": "bar", "body": "y" * (live.settings.chat_max_length + 1)}
        )
        assert reply["code"] == "chat/too_long"
        assert "2000" in reply["message"]
        assert (await a.act("chat.send", {"room": "bar", "body": "ok"}, ref="after"))[
            "type"
        ] == "ack"


async def test_gateway_flood_is_slowed_for_that_person_only(live: LiveServer, people: Any) -> None:
    flooder, calm = await people("Flooder"), await people("Calm")
    async with flooder.socket() as f, calm.socket() as c:
        await f.sub("room:defouloir")
        await c.sub("room:defouloir")
        replies = [
            await f.act("chat.send", {"room": "defouloir", "body": f"spam {i}"}, ref=str(i))
            for i in range(8)
        ]
        refused = [r for r in replies if r["type"] == "error"]
        assert refused and all(r["code"] == "chat/slow_down" for r in refused)
        assert "Attends" in refused[0]["message"] and " s " in refused[0]["message"]
        assert (await c.act("chat.send", {"room": "defouloir", "body": "moi ça va"}, ref="calm"))[
            "type"
        ] == "ack"
        live.monotonic.advance(1.1)  # the bucket refills with time: no need to wait for it
        assert (await f.act("chat.send", {"room": "defouloir", "body": "pardon"}, ref="later"))[
            "type"
        ] == "ack"


async def test_gateway_html_in_names_and_messages_is_text(people: Any) -> None:
    evil = await people('<img src=x onerror="alert(1)">')
    watcher = await people("Watcher")
    async with evil.socket() as e, watcher.socket() as w:
        await w.sub("room:bar")
        await e.sub("room:bar")
        await e.act("chat.send", {"room": "bar", "body": "<script>alert(2)</script>"})
        event = await w.expect(type="event", kind="chat")
        html = event["ops"][0]["html"]
        assert "<img" not in html and "<script" not in html
        assert "&lt;img src=x" in html and "&lt;script&gt;" in html


async def test_gateway_mention_notifies_the_person(people: Any) -> None:
    alice, zoe = await people("Alice"), await people("Zoé Mention")
    async with alice.socket() as a, zoe.socket() as z:
        await a.sub("room:bar")
        await a.act("chat.send", {"room": "bar", "body": "@Zoé Mention tu viens ?"})
        notice = await z.expect(type="event", kind="notice")
        assert notice["topic"].startswith("user:")
        assert "Alice" in notice["ops"][0]["html"] and "/r/bar#msg-" in notice["ops"][0]["html"]


async def test_gateway_moderator_mutes_and_kicks(live: LiveServer, people: Any) -> None:
    mod = await people("Modo", role=Role.MODERATOR)
    troll = await people("Troll")
    async with mod.socket() as m, troll.socket() as t:
        await t.sub("room:bar")
        troll_id = (await troll.http.get("/me")).text.split('data-me="')[1].split('"')[0]
        reply = await t.act("room.mute", {"room": "bar", "user": troll_id, "minutes": 5})
        assert reply["code"] == "venue/not_moderator"
        assert (await m.act("room.mute", {"room": "bar", "user": troll_id, "minutes": 5}))[
            "type"
        ] == "ack"
        await t.expect(type="event", kind="notice")
        assert (await t.act("chat.send", {"room": "bar", "body": "hé"}, ref="m"))[
            "code"
        ] == "chat/muted"
        assert (await m.act("room.kick", {"room": "bar", "user": troll_id, "minutes": 5}, ref="k"))[
            "type"
        ] == "ack"
        left = await t.expect(type="left", topic="room:bar")
        assert left["reason"] == "kicked"
        assert (await t.sub("room:bar"))["code"] == "venue/kicked"
        refused = await t.act("chat.send", {"room": "bar", "body": "re"}, ref="m2")
        assert refused["code"] == "venue/kicked"
        bad = await m.act("room.kick", {"room": "bar", "user": troll_id, "minutes": 0}, ref="k0")
        assert bad["code"] == "venue/bad_duration"


async def test_gateway_a_socket_s_first_subscriptions_use_the_sign_in_s_read(
    live: LiveServer, people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handshake reads the person (the session's sign-in); the room checks right after
    it do not read them again, and still decide on who they are."""
    import estaminet.venue.service as venue_service

    marie = await people("Marie")
    # The venue's clock for its short caches stands still: however slow the machine, the
    # sign-in's read is still fresh when the subscriptions come.
    monkeypatch.setattr(live.app.state.venue, "monotonic", lambda: 0.0)
    async with marie.socket() as socket:

        async def no_second_read(*args: Any) -> Any:
            raise AssertionError("the person was read again")

        monkeypatch.setattr(venue_service, "user_by_id", no_second_read)
        assert (await socket.sub("room:bar"))["type"] == "subscribed"
        assert (await socket.sub("presence:bar"))["type"] == "subscribed"
        refused = await socket.sub("room:ag")  # the members' room: a guest may not
        assert refused["type"] == "error" and refused["code"] == "venue/members_only"
