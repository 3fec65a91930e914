"""Two real instances behind nginx are one venue: presence is the union of both instances'
sockets (published once per change venue-wide, a late joiner's catch-up equal to the live
list), a moderator's kick and a demotion reach the person's socket on the other instance,
a sitting's silence committed through one instance silences a voter's voice on the other
(its roster published once), and an instance killed with SIGKILL has its people removed from presence within a bounded
time (its lease in Redis expires, a survivor sweeps it and publishes the change).

The cluster (PostgreSQL, Redis, nginx running the deploy site, two ``estaminet serve``) is
this module's own, with a short instance lease; the last test kills an instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
import redis

from estaminet.people.model import Role
from estaminet.settings import Settings
from tests.scale.test_two_instances import REDIS_URL, Browser, Cluster
from tests.sittings.test_sittings_live import convene, ok, seat_of
from tests.support.databases import PG_HOST, PG_PORT, postgres_database, require_service
from tests.support.live_server import Socket
from tests.support.nginx import (
    deploy_site,
    nginx_binary,
    nginx_folder,
    ports,
    running_nginx,
    self_signed,
)
from tests.support.served import served

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

LEASE = 3.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    require_service("Redis", "127.0.0.1", 6379)
    nginx_binary()
    tmp = tmp_path_factory.mktemp("venue")
    folder = nginx_folder(tmp)
    cert, key = self_signed(folder)
    http_port, https_port = ports()
    public = f"https://localhost:{https_port}"
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    with postgres_database() as url, contextlib.ExitStack() as stack:
        env = {
            "ESTAMINET_DATABASE_URL": url,
            "ESTAMINET_BASE_URL": public,
            "ESTAMINET_HUB": "redis",
            "ESTAMINET_REDIS_URL": REDIS_URL,
            "ESTAMINET_REDIS_PREFIX": prefix,
            "ESTAMINET_INSTANCE_LEASE_SECONDS": str(LEASE),
        }
        one = stack.enter_context(served(tmp / "one", host="127.0.0.1", **env))
        two = stack.enter_context(served(tmp / "two", host="127.0.0.1", init=False, **env))
        ports_ = [int(s.base.rsplit(":", 1)[1]) for s in (one, two)]
        site = deploy_site(
            ports_, http_port, https_port, cert, key,
            ws_extra="add_header X-Upstream $upstream_addr always;",
        )  # fmt: skip
        stack.enter_context(running_nginx(folder, site, http_port, https_port))
        settings = Settings(
            data_dir=tmp / "one", secret_key="test-secret", base_url=public, database_url=url
        )
        try:
            yield Cluster(public, url, settings, [one, two], one.admin_link)
        finally:
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
            client.close()


@pytest.fixture
async def browsers(cluster: Cluster) -> Any:
    made: list[Browser] = []

    async def make(name: str | None = None, role: Role = Role.GUEST) -> Browser:
        browser = Browser(cluster)
        made.append(browser)
        if name is not None:
            await browser.join(name, role)
        return browser

    yield make
    for browser in made:
        await browser.close()


_PERSON = re.compile(r'id="pp-([a-z0-9-]+?)-([^"]+)"')


class PresenceList:
    """A room's list of people as one tab applies the ``presence:`` frames it receives."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.people: list[str] = []
        self.seqs: list[int] = []

    def apply(self, frame: dict[str, Any]) -> None:
        if frame.get("topic") != f"presence:{self.slug}" or frame.get("type") != "event":
            return
        self.seqs.append(int(frame["seq"]))
        prefix = f"pp-{self.slug}-"
        for op in frame["ops"]:
            if op["op"] == "replace":
                self.people = [
                    uid for slug, uid in _PERSON.findall(op["html"]) if slug == self.slug
                ]
            elif op["op"] == "remove" and op["target"].startswith(f"#{prefix}"):
                uid = op["target"].removeprefix(f"#{prefix}")
                if uid in self.people:
                    self.people.remove(uid)
            elif op["op"] == "upsert" and op["id"].startswith(prefix):
                uid = op["id"].removeprefix(prefix)
                if uid != "none" and uid not in self.people:
                    self.people.append(uid)

    async def follow(self, sock: Socket, within: float) -> None:
        others = []
        for frame in await sock.quiet(within):
            if frame.get("topic") == f"presence:{self.slug}":
                self.apply(frame)
            else:
                others.append(frame)
        sock.pending.extend(others)  # left for the test's other expectations

    async def until(self, sock: Socket, wanted: list[str], within: float = 10.0) -> float:
        """Follow ``sock`` until the list is ``wanted``; how long it took."""
        start = time.monotonic()
        while self.people != wanted:
            if time.monotonic() - start > within:
                raise AssertionError(f"{self.people} never became {wanted}")
            await self.follow(sock, 0.2)
        return time.monotonic() - start


async def presence_of(sock: Socket, slug: str) -> PresenceList:
    """Follow a room's presence from nothing (a late joiner): its catch-up is the list."""
    listed = PresenceList(slug)
    await sock.send({"type": "sub", "topic": f"presence:{slug}"})
    await sock.expect(type="subscribed", topic=f"presence:{slug}")
    await listed.follow(sock, 0.3)
    return listed


async def test_presence_is_the_union_of_both_instances_published_once(
    cluster: Cluster, browsers: Any
) -> None:
    one, two = (cluster.port_of(s) for s in cluster.instances)
    alice, bob, late = (
        await browsers("Alice ici"),
        await browsers("Bob là-bas"),
        await browsers("Léa en retard"),
    )
    ids = [await b.user_id() for b in (alice, bob)]
    async with alice.socket(on=one) as (a, _), bob.socket(on=two) as (b, _):
        seen_a, seen_b = await presence_of(a, "jeux"), await presence_of(b, "jeux")
        await a.sub("room:jeux")
        await seen_a.until(a, ids[:1])
        await b.sub("room:jeux")
        # Each sees both, in the order they came, whichever instance holds whom.
        await seen_a.until(a, ids)
        await seen_b.until(b, ids)
        # A late joiner on either instance is shown exactly the live list.
        for port in (one, two):
            async with late.socket(on=port) as (c, _):
                assert (await presence_of(c, "jeux")).people == ids
        # The room's page (whichever instance draws it) names both.
        page = (await late.http.get("/r/jeux")).text
        assert all(f"pp-jeux-{uid}" in page for uid in ids)
        # Alice leaves: both see it; each change came once (the same numbers, no repeat).
        await a.send({"type": "unsub", "topic": "room:jeux"})
        await seen_a.until(a, ids[1:])
        await seen_b.until(b, ids[1:])
        await seen_a.follow(a, 0.8)
        await seen_b.follow(b, 0.2)
        live_a = [s for s in seen_a.seqs if s > seen_a.seqs[0]]
        live_b = [s for s in seen_b.seqs if s > seen_b.seqs[0]]
        assert live_a == sorted(set(live_a)) and live_b == sorted(set(live_b))
        assert set(live_a) & set(live_b)  # the same frames reached both instances' tabs
        last = max(seen_a.seqs[-1], seen_b.seqs[-1])
        assert seen_a.seqs[-1] == seen_b.seqs[-1] == last


async def test_a_kick_through_one_instance_reaches_the_person_on_the_other(
    cluster: Cluster, browsers: Any
) -> None:
    one, two = (cluster.port_of(s) for s in cluster.instances)
    moderator = await browsers("Modé du bar", Role.MODERATOR)
    troll = await browsers("Troll de passage")
    troll_id = await troll.user_id()
    async with moderator.socket(on=one) as (m, _), troll.socket(on=two) as (t, _):
        await m.sub("room:bar")
        await t.sub("room:bar")
        await t.sub("voice:room:bar")
        await asyncio.sleep(0.3)  # Redis confirms subscriptions asynchronously
        kicked = await m.act("room.kick", {"room": "bar", "user": troll_id, "minutes": 5})
        assert kicked["type"] == "ack", kicked
        left = await t.expect(type="left", topic="room:bar", within=10)
        assert left["reason"] == "kicked"
        voice = await t.expect(type="left", topic="voice:room:bar", within=10)
        assert voice["reason"] == "kicked"
        assert (await t.sub("room:bar"))["code"] == "venue/kicked"


async def test_a_demotion_through_one_instance_ends_what_the_other_serves(
    cluster: Cluster, browsers: Any
) -> None:
    """The member has a socket on each instance: whichever instance nginx gives the admin's
    form to, the other one's socket must be told too."""
    one, two = (cluster.port_of(s) for s in cluster.instances)
    admin = await browsers("Modé des membres", Role.MODERATOR)
    member = await browsers("Max membre", Role.MEMBER)
    member_id = await member.user_id()
    async with member.socket(on=one) as (first, _), member.socket(on=two) as (second, _):
        for sock in (first, second):
            assert (await sock.sub("room:ag"))["type"] == "subscribed"
        await asyncio.sleep(0.3)  # Redis confirms subscriptions asynchronously
        token = await admin.csrf("/admin/people")
        response = await admin.http.post(
            f"/admin/people/{member_id}/role", data={"csrf": token, "role": "guest"}
        )
        assert response.status_code == 303, response.text[:300]
        for sock in (first, second):
            left = await sock.expect(type="left", topic="room:ag", within=10)
            assert left["reason"] == "access"
            assert (await sock.sub("room:ag"))["code"] == "venue/members_only"


OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}
ANSWER = {"type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\n"}


async def in_voice(sock: Socket, space: str) -> dict[str, Any]:
    assert (await sock.sub(f"voice:{space}"))["type"] == "subscribed"
    await asyncio.sleep(0.3)  # Redis confirms subscriptions asynchronously
    reply = await sock.act("voice.join", {"space": space}, ref=f"join-{space}")
    assert reply["type"] == "ack", reply
    return reply


async def voice_members(sock: Socket, space: str, count: int, within: float = 10.0) -> list[str]:
    """Wait for the public state of ``space`` to list ``count`` people; their names."""
    while True:
        event = await sock.take(
            lambda f: f.get("type") == "event" and f.get("topic") == f"voice:{space}", within
        )
        members = event["voice"]["members"]
        if len(members) == count:
            return sorted(m["name"] for m in members)


async def test_voice_across_instances_peers_signals_and_moderation(
    cluster: Cluster, browsers: Any
) -> None:
    """Two people in one browser-to-browser voice, their sockets on different instances:
    each is told of the other, offers and answers are relayed through the hub, both see
    the same members, a moderator elsewhere mutes and removes one."""
    one, two = (cluster.port_of(s) for s in cluster.instances)
    alice, bob = await browsers("Alice Voix"), await browsers("Bob Voix")
    moderator = await browsers("Modé des voix", Role.MODERATOR)
    space = "room:jeux"
    async with alice.socket(on=one) as (a, _), bob.socket(on=two) as (b, _):
        first = await in_voice(a, space)
        assert first["data"]["transport"] == "mesh" and first["data"]["peers"] == []
        second = await in_voice(b, space)
        assert [p["name"] for p in second["data"]["peers"]] == ["Alice Voix"]
        alice_id = second["data"]["peers"][0]["id"]
        joined = await a.expect(type="voice", kind="peer", within=10)
        assert joined["present"] is True and joined["offer"] is False
        bob_id = joined["peer"]["id"]
        assert joined["peer"]["name"] == "Bob Voix"
        # The newcomer calls; the offer and the answer cross the instances.
        sent = await b.act("voice.signal", {"space": space, "to": alice_id, "signal": OFFER})
        assert sent["type"] == "ack", sent
        relayed = await a.expect(type="voice", kind="signal", within=10)
        assert relayed["from"] == bob_id and relayed["signal"] == OFFER
        back = await a.act(
            "voice.signal", {"space": space, "to": bob_id, "signal": ANSWER}, ref="ans"
        )
        assert back["type"] == "ack", back
        answered = await b.expect(type="voice", kind="signal", within=10)
        assert answered["from"] == alice_id and answered["signal"] == ANSWER
        # Both instances show the same members.
        assert await voice_members(a, space, 2) == ["Alice Voix", "Bob Voix"]
        assert await voice_members(b, space, 2) == ["Alice Voix", "Bob Voix"]
        # A moderator, on whichever instance, with no voice of their own, removes Bob.
        async with moderator.socket() as (m, _):
            await m.sub(f"voice:{space}")
            removed = await m.act(
                "voice.moderate", {"space": space, "user": bob_id, "action": "remove"}
            )
            assert removed["type"] == "ack", removed
        ended = await b.expect(type="voice", kind="ended", within=10)
        assert ended["reason"] == "removed"
        gone = await a.expect(type="voice", kind="peer", within=10)
        assert gone["peer"]["id"] == bob_id and gone["present"] is False
        assert await voice_members(a, space, 1) == ["Alice Voix"]
        # Removed means out: a signal from Bob's tab is refused, nothing reaches Alice.
        refused = await b.act(
            "voice.signal", {"space": space, "to": alice_id, "signal": OFFER}, ref="late"
        )
        assert refused["code"] == "voice/not_joined"


async def stage_state(sock: Socket, test: Any, within: float = 10.0) -> dict[str, Any]:
    """Wait for a ``stage:scene`` state (a frame or a catch-up) that passes ``test``."""
    while True:
        event = await sock.take(lambda f: f.get("topic") == "stage:scene" and "stage" in f, within)
        found: dict[str, Any] = event["stage"]
        if test(found):
            return found


async def test_one_stage_across_instances_performers_hands_sessions_and_audience(
    cluster: Cluster, browsers: Any
) -> None:
    """The animator's socket on one instance, the watchers' on the other: naming, a hand
    raised there and accepted here, a session opened here and closed there, the audience
    counted over both; a late joiner's catch-up on either instance says the same."""
    one, two = (cluster.port_of(s) for s in cluster.instances)
    animator = await browsers("Anim des deux", Role.ANIMATOR)
    singer, fan = await browsers("Chanteuse là-bas", Role.MEMBER), await browsers("Fan là-bas")
    singer_id, fan_id = await singer.user_id(), await fan.user_id()
    async with (
        animator.socket(on=one) as (a, _),
        animator.socket(on=two) as (a2, _),
        singer.socket(on=two) as (s, _),
        fan.socket(on=two) as (f, _),
    ):
        for sock in (a, a2, s, f):
            assert (await sock.sub("stage:scene"))["type"] == "subscribed"
        assert (await a.sub("stagedesk:scene"))["type"] == "subscribed"
        assert (await f.sub(f"stagehand:scene:{fan_id}"))["type"] == "subscribed"
        await asyncio.sleep(0.3)  # Redis confirms subscriptions asynchronously
        # Three people watch (the animator's two tabs count once), on both instances.
        await stage_state(a, lambda st: st["watchers"] == 3)
        await stage_state(f, lambda st: st["watchers"] == 3)

        # Named on one: the singer, whose socket is on two, is a performer there.
        named = await a.act(
            "stage.perform", {"room": "scene", "user": singer_id, "performer": True}
        )
        assert named["type"] == "ack", named
        seen = await stage_state(s, lambda st: bool(st["performers"]))
        assert [p["id"] for p in seen["performers"]] == [singer_id]
        # Her ticket to perform, asked on two, is hers (no Janus here: refused for that only).
        ticket = await s.act("stage.ticket", {"room": "scene", "role": "perform"}, ref="t")
        assert ticket["code"] == "stage/no_janus", ticket

        # A hand raised on two reaches the desk on one; accepted there, seen on two.
        raised = await f.act("stage.hand", {"room": "scene", "raised": True}, ref="h")
        assert raised["data"] == {"raised": True, "position": 1}, raised
        desk = await a.take(lambda x: x.get("topic") == "stagedesk:scene" and x.get("hands"), 10)
        assert [h["id"] for h in desk["hands"]] == [fan_id]
        accepted = await a.act("stage.answer", {"room": "scene", "user": fan_id, "accept": True})
        assert accepted["type"] == "ack", accepted
        both = await stage_state(f, lambda st: len(st["performers"]) == 2)
        assert [p["id"] for p in both["performers"]] == [singer_id, fan_id]
        own = await f.take(lambda x: x.get("topic", "").startswith("stagehand:") and "hand" in x)
        while own["hand"]["raised"]:
            own = await f.take(
                lambda x: x.get("topic", "").startswith("stagehand:") and "hand" in x
            )
        assert own["hand"] == {"raised": False, "position": None, "declined": False}

        # Cut through two: the list on one says so.
        cut = await a2.act("stage.cut", {"room": "scene", "user": singer_id, "cut": True})
        assert cut["type"] == "ack", cut
        await stage_state(
            a, lambda st: any(p["id"] == singer_id and p["cut"] for p in st["performers"])
        )

        # A session opened on one, shown on two; closed on two, closed on one.
        opened = await a.act("stage.open", {"room": "scene", "title": "Soirée à deux"}, ref="o")
        assert opened["type"] == "ack", opened
        await stage_state(s, lambda st: (st["session"] or {}).get("title") == "Soirée à deux")
        for _ in range(4):  # nginx alternates: the stage's page on both instances says it
            page = (await fan.http.get("/r/scene")).text
            assert "Soirée à deux" in page, page[:300]
        again = await a2.act("stage.open", {"room": "scene", "title": "Autre"}, ref="o2")
        assert again["code"] == "stage/already_open", again
        closed = await a2.act("stage.close", {"room": "scene"}, ref="c")
        assert closed["type"] == "ack", closed
        await stage_state(a, lambda st: st["session"] is None)

        # The instances' own topics are not a browser's to follow.
        for topic in ("stage-sync:scene", f"stage-run:{one}"):
            assert (await f.sub(topic))["code"] == "gateway/unknown_topic"

        # A late joiner on either instance is shown the same stage.
        late = await browsers("Léo en retard", Role.MEMBER)
        for port in (one, two):
            async with late.socket(on=port) as (c, _):
                assert (await c.sub("stage:scene"))["type"] == "subscribed"
                shown = await stage_state(c, lambda st: True)
                assert [p["id"] for p in shown["performers"]] == [singer_id, fan_id]
                assert [p["cut"] for p in shown["performers"]] == [True, False]
                assert shown["session"] is None


async def test_a_sitting_through_one_instance_silences_the_voice_on_the_other(
    cluster: Cluster, browsers: Any
) -> None:
    """The facilitator's socket is on one instance, a voter's on the other: the silence
    and the floor, committed through the first, reach the voter's voice on the second
    (no new join there), and the room's roster says so once."""
    one, two = (cluster.port_of(s) for s in cluster.instances)
    admin = await browsers()
    await admin.sign_in(cluster.admin_link)
    anais = await browsers("Anaïs Présidente", Role.MEMBER)
    chloe = await browsers("Chloé Votante", Role.MEMBER)
    a, c = await anais.user_id(), await chloe.user_id()
    sitting = await convene(
        cast(Any, admin), voters=[a, c], facilitator=a, secretary=a, timekeeper=a
    )
    space = "room:ag"

    def allow(silenced: bool) -> Any:
        return lambda f: (
            f.get("type") == "voice"
            and f.get("kind") == "allow"
            and f.get("space") == space
            and f.get("silenced") is silenced
        )

    async with anais.socket(on=one) as (f, _), chloe.socket(on=two) as (v, _):
        for sock in (f, v):
            assert (await in_voice(sock, space))["data"]["allow"]["silenced"] is False
        await ok(f, sitting, "in-a", type="attendance.check_in")
        await ok(v, sitting, "in-c", type="attendance.check_in")
        await ok(f, sitting, "open", type="sitting.open")
        await ok(f, sitting, "next", type="agenda.next_item")
        await voice_members(v, space, 2)
        await v.quiet(1.0)

        # Silence, committed through instance one: Chloé, on instance two, is silenced.
        await ok(f, sitting, "hush", type="speaker.silence", on=True)
        told = await v.take(allow(True), within=10)
        assert told["send_to"] == [] and told["muted_by_moderator"] is False
        rosters = [
            e["voice"]["members"]
            for e in await v.quiet(1.5)
            if e.get("type") == "event" and e.get("topic") == f"voice:{space}"
        ]
        assert len(rosters) == 1, rosters  # once, venue-wide
        assert {m["id"]: m["muted"] for m in rosters[0]} == {a: False, c: True}

        # The floor given to her through instance one.
        seat = (await seat_of(cast(Any, chloe), sitting))[1]
        await ok(f, sitting, "floor", type="speaker.give_floor", seat=seat)
        assert (await v.take(allow(False), within=10))["send_to"] == [a]
        floor = await v.expect(type="voice", kind="floor", within=10)
        assert floor["handover"] == "open" and floor["space"] == space


async def test_a_killed_instance_has_its_people_removed_within_its_lease(
    cluster: Cluster, browsers: Any
) -> None:
    """Runs last: it kills an instance."""
    one, two = (cluster.port_of(s) for s in cluster.instances)
    stays, goes = await browsers("Sam reste"), await browsers("Gaby part")
    ids = [await b.user_id() for b in (stays, goes)]
    async with stays.socket(on=two) as (s, _), goes.socket(on=one) as (g, _):
        seen = await presence_of(s, "bar")
        await s.sub("room:bar")
        await g.sub("room:bar")
        await seen.until(s, ids)
        await in_voice(s, "room:defouloir")
        await in_voice(g, "room:defouloir")
        joined = await s.expect(type="voice", kind="peer", within=10)
        assert joined["peer"]["id"] == ids[1] and joined["present"] is True
        victim = cluster.instances[0].process
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        # Gone within a lease and the next look (a third of a lease), plus the publishing.
        took = await seen.until(s, ids[:1], within=LEASE * 4 / 3 + 5)
        assert took < LEASE * 4 / 3 + 2.0, took
        # And out of the voice: the survivor's member is told the peer is gone.
        gone = await s.expect(type="voice", kind="peer", within=5)
        assert gone["peer"]["id"] == ids[1] and gone["present"] is False
        # A late joiner, on the survivor, is told the same.
        late = await browsers("Tom tardif")
        async with late.socket() as (c, port):
            assert port == two
            assert (await presence_of(c, "bar")).people == ids[:1]
    assert one != two
