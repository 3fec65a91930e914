"""The stage without Janus through the gateway (a real server, real sockets, no Janus):
seats by order of arrival, the performer's tab paired with each seated watcher, call setup
relayed along those pairs only, every refusal (a watcher offering or answering with media,
signalling outside one's pairs, a waiting watcher, malformed messages) clear and harmless,
a seat freed for the next in line, cut and bring back."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person, Socket

from .test_stage_live import stage_on
from .test_voice_live import user_id

ROOM = "scene"
TOPIC = f"stage:{ROOM}"

_HEAD = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
RECVONLY = (
    _HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n"
)
SENDS_BACK = (
    _HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n"
)
NO_DIRECTION = _HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"  # sendrecv by default
OFFER = (
    _HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n"
)
CANDIDATE = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}


def mesh(kind: str) -> Any:
    return lambda f: f.get("type") == "voice" and f.get("space") == TOPIC and f.get("kind") == kind


async def seat(sock: Socket, test: Any = lambda f: True) -> dict[str, Any]:
    """The next seat frame that passes ``test``."""
    return await sock.take(lambda f: mesh("seat")(f) and test(f))


async def peer(sock: Socket, present: bool = True) -> dict[str, Any]:
    return await sock.take(lambda f: mesh("peer")(f) and f["present"] is present)


async def signal(sock: Socket, to: str, body: dict[str, Any], ref: str) -> dict[str, Any]:
    return await sock.act("stage.signal", {"room": ROOM, "to": to, "signal": body}, ref=ref)


@contextlib.asynccontextmanager
async def on_stage(person: Person) -> AsyncIterator[Socket]:
    """A tab following the stage and taking part browser to browser."""
    async with person.socket() as sock:
        assert (await sock.sub(TOPIC))["type"] == "subscribed"
        ready = await sock.act("stage.mesh", {"room": ROOM}, ref="ready")
        assert ready["data"] == {"seats": 4}
        yield sock


async def test_four_seats_by_arrival_signalling_only_along_pairs_and_the_next_in_line(
    live: LiveServer, people: Any
) -> None:
    animator = await people("Anim Maille", role=Role.ANIMATOR)
    singer = await people("Chanteuse Maille")
    fans = [await people(f"Fan {n}") for n in range(1, 6)]
    singer_id = await user_id(singer)
    async with contextlib.AsyncExitStack() as stack:
        a = await stack.enter_async_context(on_stage(animator))
        s = await stack.enter_async_context(on_stage(singer))
        named = await a.act(
            "stage.perform", {"room": ROOM, "user": singer_id, "performer": True}, ref="n"
        )
        assert named["type"] == "ack"
        assert (await seat(s, lambda f: not f["seated"]))["waiting"] == 0  # on stage, not seated
        first = [await stack.enter_async_context(on_stage(fan)) for fan in fans[:3]]
        w4 = await stack.enter_async_context(on_stage(fans[3]))
        w5 = await stack.enter_async_context(on_stage(fans[4]))
        # Seats by order of arrival: the animator (in the audience too) and three fans.
        assert (await seat(a))["seated"] is True
        for sock in first:
            told = await seat(sock)
            assert told["seated"] is True and told["waiting"] == 0 and told["seats"] == 4
        assert (await seat(w4))["waiting"] == 1
        assert (await seat(w5))["waiting"] == 2

        # The singer goes live: one pair per seat, the singer's tab calls each.
        assert (await s.act("stage.live", {"room": ROOM, "live": True}, ref="l"))["type"] == "ack"
        calls = [await peer(s) for _ in range(4)]
        assert all(c["offer"] is True for c in calls)
        watchers = {c["peer"]["id"] for c in calls}
        assert len(watchers) == 4
        told = {}
        for sock in (a, *first):
            wait = await peer(sock)
            assert wait["offer"] is False and wait["peer"]["name"] == "Chanteuse Maille"
            told[id(sock)] = wait["peer"]["id"]
        singer_name = told[id(first[0])]
        assert set(told.values()) == {singer_name}  # every watcher names the same tab
        assert not [f for f in await w4.quiet() if mesh("peer")(f)]  # waiting: no call

        # Offer, answer and candidates go along the pair, named by the tabs' random names.
        w1 = first[0]
        for name in watchers:
            assert (await signal(s, name, {"type": "offer", "sdp": OFFER}, f"o{name}"))[
                "type"
            ] == "ack"
        got = await w1.take(mesh("signal"))
        assert got["from"] == singer_name and got["signal"] == {"type": "offer", "sdp": OFFER}
        answer = await signal(w1, singer_name, {"type": "answer", "sdp": RECVONLY}, "ans")
        assert answer["type"] == "ack"
        back = await s.take(mesh("signal"))
        assert back["signal"]["type"] == "answer"
        w1_name = back["from"]
        assert w1_name in watchers
        cand = await signal(w1, singer_name, {"type": "candidate", "candidate": CANDIDATE}, "c")
        assert cand["type"] == "ack"
        assert (await s.take(mesh("signal")))["signal"]["candidate"] == CANDIDATE

        # A watcher never sends media: no offer, no answer that would send, nothing to a
        # tab that is not its performer, nothing while waiting in line.
        offer = await signal(w1, singer_name, {"type": "offer", "sdp": OFFER}, "wo")
        assert offer["code"] == "stage/watchers_receive_only"
        assert "seuls les artistes" in offer["message"].lower()
        sends = await signal(w1, singer_name, {"type": "answer", "sdp": SENDS_BACK}, "ws")
        assert sends["code"] == "stage/watchers_receive_only"
        bare = await signal(w1, singer_name, {"type": "answer", "sdp": NO_DIRECTION}, "wb")
        assert bare["code"] == "stage/watchers_receive_only"
        other = next(n for n in watchers if n != w1_name)
        sideways = await signal(w1, other, {"type": "offer", "sdp": OFFER}, "sw")
        assert sideways["code"] == "stage/not_your_peer"
        queued = await signal(w4, singer_name, {"type": "answer", "sdp": RECVONLY}, "q")
        assert queued["code"] == "stage/not_your_peer"
        nobody = await signal(s, "not-a-tab", {"type": "offer", "sdp": OFFER}, "x")
        assert nobody["code"] == "stage/not_your_peer"
        performer_answers = await signal(s, w1_name, {"type": "answer", "sdp": RECVONLY}, "pa")
        assert performer_answers["code"] == "stage/watchers_receive_only"
        # Malformed: clear errors, the socket stays up, nothing relayed.
        for ref, data in {
            "m1": {"room": ROOM, "to": singer_name, "signal": "offer"},
            "m2": {"room": ROOM, "to": singer_name, "signal": {"type": "hello"}},
            "m3": {"room": ROOM, "to": 7, "signal": {"type": "candidate"}},
            "m4": {"room": ROOM, "to": singer_name, "signal": {"type": "answer", "sdp": 5}},
            "m5": {"room": 3, "to": singer_name, "signal": {"type": "candidate"}},
        }.items():
            refused = await w1.act("stage.signal", data, ref=ref)
            assert refused["code"] == "gateway/malformed", (ref, refused)
        huge = await signal(w1, singer_name, {"type": "answer", "sdp": "a" * 13_000}, "h")
        assert huge["code"] == "stage/signal_too_large"
        assert not [f for f in await s.quiet() if mesh("signal")(f)]
        assert (await w1.act("stage.react", {"room": ROOM, "reaction": "heart"}, ref="up"))[
            "type"
        ] == "ack"

        # A watcher leaves: the singer hangs up on them, the first in line gets the seat
        # and a call, the next moves up.
        await w1.ws.close()
        gone = await peer(s, present=False)
        assert gone["peer"]["id"] == w1_name
        assert (await seat(w4, lambda f: f["seated"]))["waiting"] == 0
        assert (await seat(w5))["waiting"] == 1
        call = await peer(s)
        assert call["offer"] is True and call["peer"]["id"] not in watchers
        assert (await peer(w4))["peer"]["id"] == singer_name
        await signal(s, call["peer"]["id"], {"type": "offer", "sdp": OFFER}, "o4")
        assert (await w4.take(mesh("signal")))["signal"]["type"] == "offer"


async def test_cut_hangs_up_every_call_and_bring_back_waits_for_the_performer(
    live: LiveServer, people: Any
) -> None:
    animator = await people("Anim Coupe", role=Role.ANIMATOR)
    duo = await people("Duo Coupe")
    fan = await people("Fan Coupe")
    duo_id = await user_id(duo)
    async with on_stage(animator) as a, on_stage(duo) as d:
        await a.act("stage.perform", {"room": ROOM, "user": duo_id, "performer": True}, ref="n")
        async with on_stage(fan) as f:
            await d.act("stage.live", {"room": ROOM, "live": True}, ref="l")
            calls = {(await peer(d))["peer"]["id"] for _ in range(2)}
            duo_name = (await peer(f))["peer"]["id"]
            a_watcher = next(iter(calls))
            cut = await a.act("stage.cut", {"room": ROOM, "user": duo_id, "cut": True}, ref="c")
            assert cut["type"] == "ack"
            hung = {(await peer(d, present=False))["peer"]["id"] for _ in range(2)}
            assert hung == calls
            assert (await peer(f, present=False))["peer"]["id"] == duo_name
            # Cut: the server relays nothing more from the performer.
            after = await signal(d, a_watcher, {"type": "offer", "sdp": OFFER}, "after")
            assert after["code"] == "stage/not_your_peer"
            # Brought back: nothing is sent until the performer goes live again.
            await a.act("stage.cut", {"room": ROOM, "user": duo_id, "cut": False}, ref="b")
            assert not [x for x in await f.quiet(0.5) if mesh("peer")(x)]
            await d.act("stage.live", {"room": ROOM, "live": True}, ref="l2")
            assert (await peer(f))["peer"]["id"] == duo_name
            # Sent back to the audience: calls end; the duo takes a seat like any watcher.
            await a.act(
                "stage.perform", {"room": ROOM, "user": duo_id, "performer": False}, ref="u"
            )
            assert (await peer(f, present=False))["peer"]["id"] == duo_name
            assert (await seat(d, lambda x: x["seated"]))["seats"] == 4


async def test_mesh_refusals_before_following_and_with_janus(live: LiveServer, people: Any) -> None:
    guest = await people("Curieuse Maille")
    async with guest.socket() as g:
        early = await g.act("stage.mesh", {"room": ROOM}, ref="e")
        assert early["code"] == "stage/follow_first"
        bar = await g.act("stage.mesh", {"room": "bar"}, ref="b")
        assert bar["code"] == "stage/not_a_stage"
        odd = await g.act("stage.mesh", {"room": ""}, ref="o")
        assert odd["code"] == "gateway/malformed"
        assert (await g.sub(TOPIC))["type"] == "subscribed"
        async with stage_on(live):
            with_janus = await g.act("stage.mesh", {"room": ROOM}, ref="j")
            assert with_janus["code"] == "stage/not_mesh"
        ok = await g.act("stage.mesh", {"room": ROOM}, ref="k")
        assert ok["data"] == {"seats": 4}
        assert (await seat(g))["ice_servers"] == []


async def test_the_page_without_janus_shows_the_seats_and_what_to_install(people: Any) -> None:
    guest: Person = await people("Curieux Maille")
    page = (await guest.http.get(f"/r/{ROOM}")).text
    assert 'data-stage-mesh="4"' in page
    assert "apt-get install janus" in page
    assert "au plus 4" in page or "4 personnes" in page or "4 spectateur" in page
    assert "data-stage-full" in page
    assert "data-stage-watchers" in page  # the stage itself is there


async def test_closing_the_tab_the_performer_is_live_from_ends_their_live(
    live: LiveServer, people: Any
) -> None:
    animator = await people("Anim Onglet", role=Role.ANIMATOR)
    singer = await people("Deux Onglets")
    singer_id = await user_id(singer)
    async with on_stage(animator) as a, on_stage(singer) as other_tab:
        await a.act("stage.perform", {"room": ROOM, "user": singer_id, "performer": True}, ref="n")
        async with on_stage(singer) as sending:
            await sending.act("stage.live", {"room": ROOM, "live": True}, ref="l")
            assert (await peer(a))["peer"]["name"] == "Deux Onglets"
        # The sending tab is closed; the other tab stays: the watcher hangs up, and the
        # stage no longer says the singer is live (no black screen for a gone stream).
        await peer(a, present=False)
        performers = live.app.state.stage.state(ROOM)["performers"]
        assert [p["live"] for p in performers if p["id"] == singer_id] == [False]
        assert (await other_tab.act("stage.react", {"room": ROOM, "reaction": "wow"}, ref="r"))[
            "type"
        ] == "ack"
