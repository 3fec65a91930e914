"""The stage through the gateway (a real server, real sockets, a fake Janus): who may
publish, naming and cutting performers, the watchers' count, reactions aggregated."""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from estaminet.media.crowd import CrowdTicket
from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person, Socket

from .test_voice_live import user_id

ROOM = "scene"
TOPIC = f"stage:{ROOM}"


class FakeStage:
    """A VideoRoom that remembers what it was asked."""

    def __init__(self) -> None:
        self.admitted: list[str] = []
        self.cut_off: list[str] = []
        self.released: list[str] = []
        self.guarded: list[set[int]] = []

    def feed(self, space: str, user_id: str) -> int:
        # One number per person (a sum of the id's characters made two people share a feed
        # now and then: a board-camera test failed on it).
        return 1000 + zlib.crc32(user_id.encode()) % 1_000_000_000

    async def admit(self, space: str, user_id: str) -> CrowdTicket:
        self.admitted.append(user_id)
        expires = datetime(2030, 1, 1, tzinfo=UTC)
        return CrowdTicket("http://127.0.0.1:1/janus", 5, self.feed(space, user_id), "t", expires)

    async def release(self, space: str, user_id: str) -> None:
        self.released.append(user_id)

    async def cut(self, space: str, user_id: str) -> None:
        self.cut_off.append(user_id)

    async def guard(self, space: str, allowed: set[int]) -> list[int]:
        self.guarded.append(allowed)
        return []


@contextlib.asynccontextmanager
async def stage_on(live: LiveServer) -> AsyncIterator[FakeStage]:
    fake = FakeStage()
    stage = live.app.state.stage
    stage.media = fake
    try:
        yield fake
    finally:
        stage.media = None


async def state(sock: Socket, test: Any) -> dict[str, Any]:
    """Wait for a stage state that passes ``test``."""
    while True:
        event = await sock.take(
            lambda f: f.get("topic") == TOPIC and f.get("kind") in ("stage", "catch_up")
        )
        found: dict[str, Any] = event["stage"]
        if test(found):
            return found


async def test_a_watcher_may_not_publish_until_named_and_an_animator_cuts(
    live: LiveServer, people: Any
) -> None:
    animator = await people("Anim Scène", role=Role.ANIMATOR)
    singer, fan = await people("Chanteuse"), await people("Fan Scène")
    singer_id = await user_id(singer)
    async with stage_on(live) as fake, animator.socket() as a, singer.socket() as s:
        async with fan.socket() as f:
            for sock in (a, s, f):
                assert (await sock.sub(TOPIC))["type"] == "subscribed"
            seen = await state(f, lambda st: st["watchers"] == 3)
            assert seen["janus"] is True and seen["performers"] == []
            # Watchers get a ticket to watch, never to publish: refused, translated.
            watch = await f.act("stage.ticket", {"room": ROOM, "role": "watch"}, ref="w")
            assert watch["type"] == "ack" and watch["data"]["ticket"]["room"] == 5
            refused = await s.act("stage.ticket", {"room": ROOM, "role": "perform"}, ref="p1")
            assert refused["code"] == "stage/not_performer"
            assert "artistes" in refused["message"]
            live_refused = await f.act("stage.live", {"room": ROOM, "live": True}, ref="l1")
            assert live_refused["code"] == "stage/not_performer"
            # Only an animator names performers.
            by_fan = await f.act(
                "stage.perform", {"room": ROOM, "user": singer_id, "performer": True}, ref="n0"
            )
            assert by_fan["code"] == "stage/not_animator"
            named = await a.act(
                "stage.perform", {"room": ROOM, "user": singer_id, "performer": True}, ref="n1"
            )
            assert named["data"] == {"user": singer_id, "performer": True}
            ticket = await s.act("stage.ticket", {"room": ROOM, "role": "perform"}, ref="p2")
            assert ticket["data"]["ticket"]["participant"] == fake.feed(TOPIC, singer_id)
            assert (await s.act("stage.live", {"room": ROOM, "live": True}, ref="l2"))["data"] == {
                "live": True
            }
            shown = await state(f, lambda st: any(p["live"] for p in st["performers"]))
            assert shown["performers"][0]["name"] == "Chanteuse"
            assert shown["watchers"] == 2  # the performer is on stage, not in the audience
            assert fake.guarded[-1] == {fake.feed(TOPIC, singer_id)}
            # The animator cuts: Janus drops the feed, the performer may not publish again.
            cut = await a.act("stage.cut", {"room": ROOM, "user": singer_id, "cut": True}, ref="c")
            assert cut["data"] == {"user": singer_id, "cut": True}
            assert fake.cut_off == [singer_id]
            await state(
                f, lambda st: st["performers"][0]["cut"] and not st["performers"][0]["live"]
            )
            again = await s.act("stage.ticket", {"room": ROOM, "role": "perform"}, ref="p3")
            assert again["code"] == "stage/not_performer"
            back = await a.act(
                "stage.cut", {"room": ROOM, "user": singer_id, "cut": False}, ref="c2"
            )
            assert back["data"]["cut"] is False
            ok = await s.act("stage.ticket", {"room": ROOM, "role": "perform"}, ref="p4")
            assert ok["type"] == "ack"
        # The fan left: the count follows.
        await state(a, lambda st: st["watchers"] == 1)


async def test_bad_stage_input_is_refused_and_changes_nothing(
    live: LiveServer, people: Any
) -> None:
    animator = await people("Anim Deux", role=Role.ANIMATOR)
    async with animator.socket() as a:
        before = await a.act("stage.ticket", {"room": ROOM, "role": "watch"}, ref="f")
        assert before["code"] == "stage/follow_first"
        assert (await a.sub(TOPIC))["type"] == "subscribed"
        no_janus = await a.act("stage.ticket", {"room": ROOM, "role": "watch"}, ref="j")
        assert no_janus["code"] == "stage/no_janus"
        assert "apt-get install janus" in no_janus["message"]
        bad_role = await a.act("stage.ticket", {"room": ROOM, "role": "star"}, ref="r")
        assert bad_role["code"] == "gateway/malformed"
        stranger = await a.act(
            "stage.perform", {"room": ROOM, "user": "nobody", "performer": True}, ref="s"
        )
        assert stranger["code"] == "stage/not_here"
        not_named = await a.act("stage.cut", {"room": ROOM, "user": "nobody", "cut": True}, ref="c")
        assert not_named["code"] == "stage/not_performer_yet"
        boo = await a.act("stage.react", {"room": ROOM, "reaction": "boo"}, ref="b")
        assert boo["code"] == "stage/unknown_reaction"
        bar = await a.act("stage.ticket", {"room": "bar", "role": "watch"}, ref="x")
        assert bar["code"] == "stage/not_a_stage"
        named = [p["id"] for p in live.app.state.stage.state(ROOM)["performers"]]
        assert "nobody" not in named
        # Still connected: the next action is answered.
        assert (await a.act("stage.live", {"room": ROOM, "live": False}, ref="k"))["type"] == "ack"


async def test_reactions_are_rate_limited_and_sent_as_one_frame_per_window(
    live: LiveServer, people: Any
) -> None:
    ana, bob = await people("Ana Bravo"), await people("Bob Bravo")
    async with ana.socket() as a, bob.socket() as b:
        for sock in (a, b):
            assert (await sock.sub(TOPIC))["type"] == "subscribed"
        for n in range(6):
            sent = await a.act("stage.react", {"room": ROOM, "reaction": "applause"}, ref=f"a{n}")
            assert sent["type"] == "ack"
        flood = await a.act("stage.react", {"room": ROOM, "reaction": "applause"}, ref="a7")
        assert flood["code"] == "stage/slow_down"
        await b.act("stage.react", {"room": ROOM, "reaction": "heart"}, ref="b1")
        wave = await b.take(lambda f: f.get("topic") == TOPIC and f.get("kind") == "reactions")
        assert wave["reactions"] == {"applause": 6, "heart": 1}
        # One frame for the whole burst: nothing else arrives.
        more = [f for f in b.seen if f.get("kind") == "reactions"]
        assert len(more) == 1
        live.monotonic.advance(10)  # the bucket refills
        again = await a.act("stage.react", {"room": ROOM, "reaction": "wow"}, ref="a8")
        assert again["type"] == "ack"


async def test_a_stage_page_without_janus_says_what_to_install(people: Any) -> None:
    guest: Person = await people("Curieux")
    page = (await guest.http.get(f"/r/{ROOM}")).text
    assert "apt-get install janus" in page
    assert "data-stage-no-janus" in page


DESK = f"stagedesk:{ROOM}"


def _hand_topic(uid: str) -> str:
    return f"stagehand:{ROOM}:{uid}"


async def hands(sock: Socket, test: Any) -> list[dict[str, Any]]:
    """Wait for the animators' queue that passes ``test``."""
    while True:
        event = await sock.take(
            lambda f: f.get("topic") == DESK and f.get("kind") in ("hands", "catch_up")
        )
        if test(event["hands"]):
            return list(event["hands"])


async def own_hand(sock: Socket, uid: str, test: Any) -> dict[str, Any]:
    """Wait for this person's own hand that passes ``test``."""
    while True:
        event = await sock.take(
            lambda f: f.get("topic") == _hand_topic(uid) and f.get("kind") in ("hand", "catch_up")
        )
        if test(event["hand"]):
            return dict(event["hand"])


async def test_a_raised_hand_brings_a_watcher_on_stage_and_back_and_only_animators_see_names(
    live: LiveServer, people: Any
) -> None:
    animator = await people("Anim Mains", role=Role.ANIMATOR)
    fan, other = await people("Fan Main"), await people("Autre Main")
    fan_id, other_id = await user_id(fan), await user_id(other)
    async with stage_on(live), animator.socket() as a, fan.socket() as f, other.socket() as o:
        # Raising a hand needs to be in the audience first.
        early = await f.act("stage.hand", {"room": ROOM, "raised": True}, ref="e")
        assert early["code"] == "stage/follow_first"
        for sock in (a, f, o):
            assert (await sock.sub(TOPIC))["type"] == "subscribed"
        assert (await a.sub(DESK))["type"] == "subscribed"
        # The queue with names is the animators'; one's hand is one's own.
        assert (await f.sub(DESK))["code"] == "gateway/not_yours"
        assert (await f.sub(_hand_topic(other_id)))["code"] == "gateway/not_yours"
        assert (await f.sub(_hand_topic(fan_id)))["type"] == "subscribed"
        assert (await o.sub(_hand_topic(other_id)))["type"] == "subscribed"

        up = await f.act("stage.hand", {"room": ROOM, "raised": True}, ref="f1")
        assert up["data"] == {"raised": True, "position": 1}
        up = await o.act("stage.hand", {"room": ROOM, "raised": True}, ref="o1")
        assert up["data"] == {"raised": True, "position": 2}
        queue = await hands(a, lambda h: len(h) == 2)
        assert [h["name"] for h in queue] == ["Fan Main", "Autre Main"]
        assert (await state(f, lambda st: st["hands"] == 2))["hands"] == 2
        assert (await own_hand(o, other_id, lambda h: h["position"] == 2))["raised"] is True
        # Lowering moves the others up.
        down = await f.act("stage.hand", {"room": ROOM, "raised": False}, ref="f2")
        assert down["data"] == {"raised": False, "position": None}
        await own_hand(o, other_id, lambda h: h["position"] == 1)
        await hands(a, lambda h: [p["id"] for p in h] == [other_id])

        # Only animators answer; only a raised hand can be answered.
        by_fan = await f.act("stage.answer", {"room": ROOM, "user": other_id, "accept": True})
        assert by_fan["code"] == "stage/not_animator"
        not_raised = await a.act(
            "stage.answer", {"room": ROOM, "user": fan_id, "accept": True}, ref="a0"
        )
        assert not_raised["code"] == "stage/no_hand"
        assert "main" in not_raised["message"]
        bad = await a.act("stage.answer", {"room": ROOM, "user": other_id, "accept": "oui"})
        assert bad["code"] == "gateway/malformed"

        # Accepted: a performer (may take a performer's ticket), the hand is down.
        yes = await a.act("stage.answer", {"room": ROOM, "user": other_id, "accept": True}, ref="y")
        assert yes["data"] == {"user": other_id, "accept": True}
        on = await state(f, lambda st: other_id in [p["id"] for p in st["performers"]])
        assert on["hands"] == 0
        assert (await own_hand(o, other_id, lambda h: not h["raised"]))["declined"] is False
        ticket = await o.act("stage.ticket", {"room": ROOM, "role": "perform"}, ref="t")
        assert ticket["type"] == "ack"
        again = await o.act("stage.hand", {"room": ROOM, "raised": True}, ref="o2")
        assert again["code"] == "stage/already_performer"
        # A watcher may not send a performer back; the performer may, by themselves.
        push = await f.act(
            "stage.perform", {"room": ROOM, "user": other_id, "performer": False}, ref="p"
        )
        assert push["code"] == "stage/not_animator"
        back = await o.act(
            "stage.perform", {"room": ROOM, "user": other_id, "performer": False}, ref="b"
        )
        assert back["data"] == {"user": other_id, "performer": False}
        await state(f, lambda st: other_id not in [p["id"] for p in st["performers"]])
        refused = await o.act("stage.ticket", {"room": ROOM, "role": "perform"}, ref="t2")
        assert refused["code"] == "stage/not_performer"

        # Declined: the fan is told (and only the fan), the queue empties.
        await f.act("stage.hand", {"room": ROOM, "raised": True}, ref="f3")
        no = await a.act("stage.answer", {"room": ROOM, "user": fan_id, "accept": False}, ref="n")
        assert no["data"] == {"user": fan_id, "accept": False}
        told = await own_hand(f, fan_id, lambda h: h["declined"])
        assert told == {"raised": False, "position": None, "declined": True}
        await hands(a, lambda h: h == [])
        assert fan_id not in [p["id"] for p in live.app.state.stage.state(ROOM)["performers"]]

        # A flood of raise/lower is refused without changing anything.
        answers = [
            await f.act("stage.hand", {"room": ROOM, "raised": n % 2 == 0}, ref=f"r{n}")
            for n in range(6)
        ]
        slow = [x for x in answers if x["type"] == "error"]
        assert slow and {x["code"] for x in slow} == {"stage/hand_slow_down"}
        assert "main" in slow[0]["message"]
        raised_now = live.app.state.stage.hand_state(ROOM, fan_id)["raised"]
        last_ok = [x for x in answers if x["type"] == "ack"][-1]["data"]["raised"]
        assert raised_now is last_ok
        malformed = await f.act("stage.hand", {"room": ROOM, "raised": "yes"}, ref="m")
        assert malformed["code"] == "gateway/malformed"
        # The watcher saw counts and their own hand, never the queue's names.
        for frame in f.seen:
            assert frame.get("kind") != "hands", frame
            if frame.get("topic") == TOPIC and "stage" in frame:
                assert set(frame["stage"]) >= {"hands"}
                assert "Autre Main" not in str(frame.get("stage", {}).get("hands"))

        # Leaving the stage takes one's hand down.
        live.monotonic.advance(60)
        await o.act("stage.hand", {"room": ROOM, "raised": True}, ref="o3")
        await hands(a, lambda h: other_id in [p["id"] for p in h])
    await asyncio.sleep(0)
    assert live.app.state.stage.desk_state(ROOM) == []


async def test_a_live_performer_whose_connection_drops_is_said_dropped_then_taken_off(
    live: LiveServer, people: Any
) -> None:
    animator = await people("Anim Coupure", role=Role.ANIMATOR)
    singer, fan = await people("Chanteur Coupé"), await people("Fan Coupure")
    singer_id = await user_id(singer)
    service = live.app.state.stage

    def mine(st: dict[str, Any]) -> dict[str, Any] | None:
        return next((p for p in st["performers"] if p["id"] == singer_id), None)

    async with stage_on(live) as fake, animator.socket() as a, fan.socket() as f:
        for sock in (a, f):
            assert (await sock.sub(TOPIC))["type"] == "subscribed"
        async with singer.socket() as s:
            assert (await s.sub(TOPIC))["type"] == "subscribed"
            await state(a, lambda st: any(p["id"] == singer_id for p in st["audience"]))
            await a.act("stage.perform", {"room": ROOM, "user": singer_id, "performer": True})
            assert (await s.act("stage.live", {"room": ROOM, "live": True}, ref="l"))["data"]
            seen = await state(f, lambda st: bool((p := mine(st)) and p["live"]))
            assert mine(seen)["dropped"] is False  # type: ignore[index]
        # The singer's socket is gone while live: said dropped, still on the bill, and
        # Janus is told to drop the feed and the tickets.
        gone = await state(f, lambda st: bool((p := mine(st)) and p["dropped"]))
        assert mine(gone)["live"] is True  # type: ignore[index]
        assert singer_id in fake.released
        assert await service.expire_dropped(ROOM) == []  # not before the grace
        live.monotonic.advance(31)
        assert await service.expire_dropped(ROOM) == [singer_id]
        off = await state(f, lambda st: bool((p := mine(st)) and not p["live"]))
        assert mine(off)["dropped"] is False  # type: ignore[index]
        # Back within the grace: no longer dropped; live again when their page says so.
        async with singer.socket() as s:
            await s.act("stage.live", {"room": ROOM, "live": False}, ref="x")
            assert (await s.sub(TOPIC))["type"] == "subscribed"
            assert (await s.act("stage.live", {"room": ROOM, "live": True}, ref="l2"))["data"]
        await state(f, lambda st: bool((p := mine(st)) and p["dropped"]))
        async with singer.socket() as s:
            assert (await s.sub(TOPIC))["type"] == "subscribed"
            back = await state(f, lambda st: bool((p := mine(st)) and not p["dropped"]))
            assert mine(back)["live"] is False  # type: ignore[index]
