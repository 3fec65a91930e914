"""The stage through the gateway (a real server, real sockets, a fake Janus): who may
publish, naming and cutting performers, the watchers' count, reactions aggregated."""

from __future__ import annotations

import contextlib
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
        return 1000 + sum(map(ord, user_id))

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
