"""The state instances hold together (``realtime/shared_state.py``): the union of every live
instance's entries by first arrival, an instance's lease, the sweep of a dead instance's
entries (once, by one sweeper), an instance putting its entries back after it was swept
or lost Redis, venue-wide locks and records.

The Redis tests use the shared Redis under a prefix of their own; the outage test uses a
``redis-server`` of its own (killed and restarted)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as redis

from estaminet.realtime.shared_state import MemorySharedState, RedisSharedState
from tests.support.redis_server import OwnRedis


async def _until(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def _crash(state: RedisSharedState) -> None:
    """What ``kill -9`` leaves: no more renewals, the lease left to expire (nothing deleted)."""
    assert state._task is not None and state._client is not None
    state._task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await state._task
    await state._client.aclose()


@contextlib.asynccontextmanager
async def _instances(
    url: str, count: int, lease: float = 1.5
) -> AsyncIterator[list[RedisSharedState]]:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    made = [RedisSharedState(url, prefix=prefix, lease=lease) for _ in range(count)]
    for state in made:
        await state.start()
    try:
        yield made
    finally:
        for state in made:
            with contextlib.suppress(Exception):
                await state.stop()
        client = redis.Redis.from_url(url)
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_memory_state_is_this_process_alone() -> None:
    state = MemorySharedState()
    assert not state.distributed
    await state.hold("presence", "bar", "u1", "Alice")
    await state.hold("presence", "bar", "u2", "Bob")
    await state.hold("presence", "bar", "u1", "Alice bis")  # again: value replaced, place kept
    assert await state.held("presence", "bar") == [("u1", "Alice bis"), ("u2", "Bob")]
    await state.release("presence", "bar", "u1")
    await state.release("presence", "bar", "nobody")  # not there: nothing happens
    assert await state.held("presence", "bar") == [("u2", "Bob")]
    assert await state.held("presence", "salle") == []
    async with state.lock("x") as first, state.lock("x") as second:
        assert (first, second) == (True, False)
    async with state.lock("x") as again:
        assert again
    assert await state.record("r") is None
    await state.set_record("r", "v")
    assert await state.record("r") == "v"


@pytest.mark.redis
async def test_the_union_of_two_instances_by_first_arrival(redis_url: str) -> None:
    async with _instances(redis_url, 2) as (one, two):
        assert one.distributed and one.instance != two.instance
        await one.hold("presence", "bar", "alice", "A")
        await two.hold("presence", "bar", "bob", "B")
        await two.hold("presence", "bar", "alice", "A on two")  # a second tab, elsewhere
        await one.hold("presence", "bar", "carol", "C")
        expected = [("alice", "A"), ("bob", "B"), ("carol", "C")]
        assert await one.held("presence", "bar") == expected
        assert await two.held("presence", "bar") == expected
        # Alice leaves on one: still there through two, now from her arrival there.
        await one.release("presence", "bar", "alice")
        assert await two.held("presence", "bar") == [
            ("bob", "B"),
            ("alice", "A on two"),
            ("carol", "C"),
        ]
        await two.release("presence", "bar", "alice")
        assert await one.held("presence", "bar") == [("bob", "B"), ("carol", "C")]
        assert await one.held("presence", "salle") == []
        assert await one.held("voice", "bar") == []  # spaces are apart


@pytest.mark.redis
async def test_a_dead_instance_is_swept_once_within_its_lease(redis_url: str) -> None:
    async with _instances(redis_url, 3, lease=1.5) as (one, two, three):
        told: list[tuple[str, set[str]]] = []
        for name, state in (("two", two), ("three", three)):
            state.watch("presence", lambda keys, name=name: told.append((name, keys)))
        await one.hold("presence", "bar", "alice", "A")
        await one.hold("presence", "salle", "alice", "A")
        await two.hold("presence", "bar", "bob", "B")
        await _crash(one)
        start = asyncio.get_running_loop().time()
        await _until(lambda: bool(told), within=5.0)
        took = asyncio.get_running_loop().time() - start
        assert took < 1.5 * 4 / 3 + 1.0, took  # a lease, then the next look
        await asyncio.sleep(1.2)  # both survivors looked again: only one swept it
        assert len(told) == 1
        assert told[0][1] == {"bar", "salle"}
        assert await two.held("presence", "bar") == [("bob", "B")]
        assert await three.held("presence", "salle") == []


@pytest.mark.redis
async def test_a_living_instance_is_never_swept(redis_url: str) -> None:
    async with _instances(redis_url, 2, lease=1.0) as (one, two):
        await one.hold("presence", "bar", "alice", "A")
        await asyncio.sleep(2.5)  # several leases: renewed every third
        assert await two.sweep() == set()
        assert await two.held("presence", "bar") == [("alice", "A")]


@pytest.mark.redis
async def test_an_instance_swept_while_paused_puts_its_entries_back(redis_url: str) -> None:
    async with _instances(redis_url, 2, lease=1.0) as (one, two):
        told: list[set[str]] = []
        one.watch("presence", told.append)
        await one.hold("presence", "bar", "alice", "A")
        await one.hold("presence", "salle", "alice", "A")
        await one.release("presence", "salle", "alice")
        # It paused for longer than its lease: the other swept it.
        assert one._client is not None
        await one._client.delete(one._alive(one.instance))
        # (the keys it ever held there: a change is looked for in each, published if any)
        assert await two.sweep() == {"presence\x1fbar", "presence\x1fsalle"}
        assert await two.held("presence", "bar") == []
        await _until(lambda: bool(told), within=3.0)  # its next renewal sees it
        assert told == [{"bar"}]
        assert await two.held("presence", "bar") == [("alice", "A")]
        assert await two.held("presence", "salle") == []


@pytest.mark.redis
async def test_a_lock_is_held_by_one_instance_and_records_are_shared(redis_url: str) -> None:
    async with _instances(redis_url, 2) as (one, two):
        async with one.lock("presence:bar") as first:
            async with two.lock("presence:bar") as second:
                assert (first, second) == (True, False)
            async with two.lock("presence:salle") as other:
                assert other
        async with two.lock("presence:bar") as after:
            assert after
        assert await two.record("presence:bar") is None
        await one.set_record("presence:bar", '{"seq": 3}')
        assert await two.record("presence:bar") == '{"seq": 3}'


@pytest.mark.redis
async def test_redis_away_keeps_own_entries_and_puts_them_back(own_redis: OwnRedis) -> None:
    async with _instances(own_redis.url, 1, lease=0.6) as (one,):
        told: list[set[str]] = []
        one.watch("presence", told.append)
        await one.hold("presence", "bar", "alice", "A")
        own_redis.kill()
        await one.hold("presence", "bar", "bob", "B")  # no Redis: kept here
        await one.release("presence", "bar", "alice")
        assert await one.held("presence", "bar") == [("bob", "B")]
        async with one.lock("presence:bar") as alone:
            assert alone  # alone while Redis is away: this instance publishes its own
        own_redis.start()  # back, empty
        await _until(lambda: bool(told), within=10.0)
        assert told[-1] == {"bar"}
        assert await one.held("presence", "bar") == [("bob", "B")]


async def test_memory_buckets_refill_and_stay_bounded() -> None:
    state = MemorySharedState(max_buckets=3)
    assert [await state.take("chat:u1", 2, 1.0, now=0.0) for _ in range(3)] == [0.0, 0.0, 1.0]
    assert await state.take("chat:u1", 2, 1.0, now=1.0) == 0.0  # a second later: one back
    for n in range(10):
        await state.take(f"chat:u{n + 2}", 2, 1.0, now=0.0)
    assert len(state.buckets.buckets) == 3


@pytest.mark.redis
async def test_a_bucket_is_one_allowance_for_every_instance(redis_url: str) -> None:
    """Five tries an account, alternating instances: the sixth is refused on both (each
    instance alone would have let three more through)."""
    async with _instances(redis_url, 2) as (one, two):
        waits = [
            await (one if n % 2 else two).take("signin:a:zoe", 5, 2 / 60, now=0.0) for n in range(5)
        ]
        assert waits == [0.0] * 5
        refused = [
            await one.take("signin:a:zoe", 5, 2 / 60, 0.0),
            await two.take("signin:a:zoe", 5, 2 / 60, 0.0),
        ]
        # one token comes back every 30 s: the wait says so, in seconds
        assert all(25.0 < wait <= 30.0 for wait in refused), refused
        assert await two.take("signin:a:marc", 5, 2 / 60, 0.0) == 0.0  # another bucket
        # a fast bucket refills on Redis's clock, for both instances
        assert [await one.take("chat:u1", 1, 20.0, 0.0) for _ in range(2)][1] > 0
        await asyncio.sleep(0.1)
        assert await two.take("chat:u1", 1, 20.0, 0.0) == 0.0
        # the bucket expires once it would be full again: Redis keeps no key for it
        client = redis.Redis.from_url(redis_url)
        try:
            ttl = await client.pttl(f"{one._p}:b:chat:u1")
            assert 0 < ttl <= 1050
        finally:
            await client.aclose()


@pytest.mark.redis
async def test_buckets_fall_back_to_this_instance_while_redis_is_away(
    own_redis: OwnRedis,
) -> None:
    async with _instances(own_redis.url, 1) as (one,):
        assert await one.take("chat:u1", 1, 0.5, now=0.0) == 0.0
        own_redis.kill()
        # no Redis: this instance's own bucket (an allowance here), still limited
        assert await one.take("chat:u1", 1, 0.5, now=0.0) == 0.0
        assert await one.take("chat:u1", 1, 0.5, now=0.0) == 2.0
        own_redis.start()
