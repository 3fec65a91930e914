"""Rooms on several real Janus servers: spread, agreed by instances that never talk, moved
when their Janus is killed (fresh tickets that work on the survivor), and not moved back
when it returns."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from estaminet.media.crowd import CrowdUnavailable
from estaminet.media.janus.audiobridge import JanusCrowd
from estaminet.media.janus.placement import JanusPool, JanusServer, PlacedCrowd, PlacedStage
from estaminet.media.janus.placement_rules import HealthPolicy, rank
from estaminet.media.janus.videoroom import JanusStage
from tests.media.janus.test_faults import _joins
from tests.media.janus.test_videoroom import VideoRoomSide
from tests.support.janus import RunningJanus, janus_layout, require_janus

POLICY = HealthPolicy(down_after=2, up_after=30.0)


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Instance:
    """What one Estaminet instance holds: its own clients, its own view of who is up."""

    pool: JanusPool
    crowd: PlacedCrowd
    stage: PlacedStage
    moved: list[set[str]] = field(default_factory=list)

    async def aclose(self) -> None:
        await self.pool.aclose()


def instance(servers: list[RunningJanus], key: str, ticks: Ticks) -> Instance:
    pool = JanusPool(
        [JanusServer(j.layout.url, j.client()) for j in servers],
        POLICY,
        check_timeout=2.0,
        monotonic=ticks,
    )
    crowds, stages = {}, {}
    for j in servers:
        client = pool.servers[j.layout.url].client
        options = {
            "public_url": j.layout.url,
            "key": key,
            "room_admin_key": j.layout.room_admin_key,
            "ticket_seconds": 120,
        }
        crowds[j.layout.url] = JanusCrowd(client, **options)  # type: ignore[arg-type]
        stages[j.layout.url] = JanusStage(client, **options)  # type: ignore[arg-type]
    made = Instance(pool, PlacedCrowd(pool, crowds), PlacedStage(pool, stages))

    async def told(spaces: set[str]) -> None:
        made.moved.append(spaces)

    made.crowd.on_moved(told)
    made.stage.on_moved(told)
    return made


def _start(folder: Path) -> RunningJanus:
    janus = RunningJanus(janus_layout(folder), require_janus())
    janus.start()
    return janus


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[RunningJanus]]:
    """Two Janus for the module (tests that kill one start their own)."""
    started: list[RunningJanus] = []
    try:
        for name in ("a", "b"):
            started.append(_start(tmp_path_factory.mktemp(f"janus-{name}") / "conf"))
        yield started
    finally:
        for janus in started:
            janus.stop()


@pytest.fixture
def own_pair(tmp_path: Path) -> Iterator[list[RunningJanus]]:
    started: list[RunningJanus] = []
    try:
        for name in ("a", "b"):
            started.append(_start(tmp_path / name / "conf"))
        yield started
    finally:
        for janus in started:
            janus.stop()


@pytest.fixture
def key() -> str:
    return secrets.token_hex(8)


@pytest.fixture
async def two_instances(
    pair: list[RunningJanus], key: str
) -> AsyncIterator[tuple[Instance, Instance]]:
    first, second = instance(pair, key, Ticks()), instance(list(reversed(pair)), key, Ticks())
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_rooms_spread_and_instances_agree(
    pair: list[RunningJanus], two_instances: tuple[Instance, Instance]
) -> None:
    first, second = two_instances
    by_server: dict[str, list[str]] = {j.layout.url: [] for j in pair}
    for n in range(24):
        space = f"room:salle-{n}"
        ticket = await first.crowd.admit(space, "u-alice", "Alice")
        by_server[ticket.server].append(space)
        # The other instance, which never heard of it, puts its people in the same room.
        other = await second.crowd.admit(space, "u-bob", "Bob")
        assert (other.server, other.room) == (ticket.server, ticket.room)
    assert all(len(spaces) >= 5 for spaces in by_server.values()), by_server
    # Each room exists on its server only.
    for janus in pair:
        for space in by_server[janus.layout.url][:3]:
            assert await first.crowd.rooms[janus.layout.url].exists(space)
            for elsewhere in pair:
                if elsewhere is not janus:
                    assert not await first.crowd.rooms[elsewhere.layout.url].exists(space)


async def test_a_killed_janus_rooms_move_to_the_survivor(
    own_pair: list[RunningJanus], key: str
) -> None:
    ticks = Ticks()
    here, there = instance(own_pair, key, ticks), instance(own_pair, key, Ticks())
    try:
        spaces = [f"room:salle-{n}" for n in range(12)]
        tickets = {s: await here.crowd.admit(s, "u-alice", "Alice") for s in spaces}
        stage = await here.stage.admit("stage:scene", "u-alice")
        victim = next(j for j in own_pair if j.layout.url == tickets[spaces[0]].server)
        survivor = next(j for j in own_pair if j is not victim)
        on_victim = {s for s, t in tickets.items() if t.server == victim.layout.url}

        victim.kill()
        await here.pool.check()
        assert here.moved == []  # one missed check is not enough (hysteresis)
        await here.pool.check()
        assert here.pool.up() == {survivor.layout.url}
        expected = set(on_victim)
        if stage.server == victim.layout.url:
            expected.add("stage:scene")
        assert set().union(*here.moved) == expected

        # New tickets, on the survivor, that Janus lets in (a real join).
        for space in sorted(on_victim):
            ticket = await here.crowd.admit(space, "u-alice", "Alice")
            assert ticket.server == survivor.layout.url
            assert ticket.room == tickets[space].room
            assert await _joins(ticket.server, ticket.room, ticket.participant, ticket.token)
        again = await here.stage.admit("stage:scene", "u-alice")
        assert again.server == survivor.layout.url
        side = VideoRoomSide(again.server, again.token)
        try:
            await side.open()
            assert (await side.join_stage(again.room, again.participant))["videoroom"] == "joined"
        finally:
            await side.aclose()

        # Another instance, still believing the victim up, finds the rooms where they are
        # now (Janus itself says where a room exists) and puts its people there too.
        for space in sorted(on_victim):
            assert (await there.crowd.admit(space, "u-bob", "Bob")).server == survivor.layout.url
        assert there.pool.health(victim.layout.url).failures >= 1  # not answering counted
    finally:
        await here.aclose()
        await there.aclose()


async def test_a_janus_coming_back_takes_no_room_back(
    own_pair: list[RunningJanus], key: str
) -> None:
    ticks = Ticks()
    here = instance(own_pair, key, ticks)
    try:
        spaces = [f"room:salle-{n}" for n in range(12)]
        first = {s: (await here.crowd.admit(s, "u-alice", "Alice")).server for s in spaces}
        victim = next(j for j in own_pair if j.layout.url == first[spaces[0]])
        victim.kill()
        await here.pool.check()
        await here.pool.check()
        moved = {s for s, server in first.items() if server == victim.layout.url}
        for space in moved:
            await here.crowd.admit(space, "u-alice", "Alice")

        victim.start()
        for _ in range(5):  # answering, but not long enough yet
            ticks.now += 5
            await here.pool.check()
            assert victim.layout.url not in here.pool.up()
        ticks.now += 10
        await here.pool.check()
        assert victim.layout.url in here.pool.up()

        # The moved rooms stay where their people are; new rooms use the returned Janus again.
        here.moved.clear()
        for space in moved:
            ticket = await here.crowd.admit(space, "u-carla", "Carla")
            assert ticket.server != victim.layout.url
        assert here.moved == []
        fresh = {(await here.crowd.admit(f"room:neuve-{n}", "u-a", "A")).server for n in range(12)}
        assert victim.layout.url in fresh
    finally:
        await here.aclose()


async def test_no_janus_up_is_unavailable(own_pair: list[RunningJanus], key: str) -> None:
    here = instance(own_pair, key, Ticks())
    try:
        for n in range(6):
            await here.crowd.admit(f"room:salle-{n}", "u-alice", "Alice")
        for janus in own_pair:
            janus.kill()
        await here.pool.check()
        await here.pool.check()
        assert here.pool.up() == set()
        assert here.moved == []  # both dead at once: nowhere to move, nobody told "moved"
        with pytest.raises(CrowdUnavailable) as crowd:
            await here.crowd.admit("room:bar", "u-alice", "Alice")
        assert crowd.value.code == "voice/crowd_unavailable"
        with pytest.raises(CrowdUnavailable) as stage:
            await here.stage.admit("stage:scene", "u-alice")
        assert stage.value.code == "stage/janus_down"
        assert not await here.crowd.healthy()
    finally:
        await here.aclose()


async def test_a_single_janus_restarted_moves_nothing_and_is_back_at_once(
    tmp_path: Path, key: str
) -> None:
    """One Janus (the usual venue): its death has nowhere to move rooms to, so nobody is told
    « moved »; it is trusted again as soon as it answers (no hysteresis wait alone)."""
    janus = _start(tmp_path / "solo" / "conf")
    here = instance([janus], key, Ticks())
    try:
        await here.crowd.admit("room:bar", "u-alice", "Alice")
        janus.kill()
        await here.pool.check()
        await here.pool.check()
        assert here.pool.up() == set()
        assert here.moved == []
        assert not await here.crowd.healthy()
        with pytest.raises(CrowdUnavailable):
            await here.crowd.admit("room:bar", "u-alice", "Alice")
        janus.start()
        assert await here.crowd.healthy()
        ticket = await here.crowd.admit("room:bar", "u-alice", "Alice")
        assert await _joins(ticket.server, ticket.room, ticket.participant, ticket.token)
    finally:
        await here.aclose()
        janus.stop()


async def test_two_instances_that_disagreed_come_together_on_the_first_ranked(
    pair: list[RunningJanus], key: str
) -> None:
    """Each instance believed a different server down and made the room there: once both
    are up everywhere, both pick the first-ranked of the two, and whoever this instance
    had on the other is told to move."""
    space = "room:desaccord"
    names = [j.layout.url for j in pair]
    first, second = rank(space, names)
    here_ticks, there_ticks = Ticks(), Ticks()
    here, there = instance(pair, key, here_ticks), instance(pair, key, there_ticks)
    try:
        for _ in range(POLICY.down_after):
            await here.pool.report(first, False)
            await there.pool.report(second, False)
        assert (await here.crowd.admit(space, "u-alice", "Alice")).server == second
        assert (await there.crowd.admit(space, "u-bob", "Bob")).server == first
        # Both servers answer again, long enough, for both instances.
        for ticks, made, name in ((here_ticks, here, first), (there_ticks, there, second)):
            await made.pool.report(name, True)
            ticks.now += POLICY.up_after
            await made.pool.report(name, True)
            assert made.pool.up() == set(names)
        assert (await here.crowd.admit(space, "u-carla", "Carla")).server == first
        assert (await there.crowd.admit(space, "u-dirk", "Dirk")).server == first
        await asyncio.sleep(0.1)  # the notice goes out in its own task
        assert here.moved == [{space}]  # Alice, on the second, follows
        assert there.moved == []
    finally:
        await here.aclose()
        await there.aclose()
