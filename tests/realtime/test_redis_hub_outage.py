"""The Redis hub when its Redis goes away for a while: each instance keeps serving its own
listeners, says so (log, ``health``), and converges when Redis is back (resync frames, the
held control frames sent on, counters past every number given meanwhile).

Redis here is one of our own (``redis-server`` on a free loopback port, no disk), killed and
restarted: the shared one is never touched."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from estaminet.realtime.frames import Frame
from estaminet.realtime.redis_hub import UNREACHABLE, RedisHub
from tests.support.redis_server import OwnRedis

pytestmark = pytest.mark.redis


async def _until(check: object, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def test_redis_going_away_degrades_each_instance_then_converges(
    own_redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="estaminet.realtime.redis_hub")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    one = RedisHub(own_redis.url, prefix=prefix, retry_every=0.1)
    two = RedisHub(own_redis.url, prefix=prefix, retry_every=0.1)
    await one.start()
    await two.start()
    try:
        era = one.era
        assert era and two.era == era  # one life of the venue's numbers, named in Redis
        got_one: list[Frame] = []
        got_two: list[Frame] = []
        for topic in ("presence:bar", "room:bar"):
            one.subscribe(topic, got_one.append)
            two.subscribe(topic, got_two.append)
            await one.wait_subscribed(topic)
        await asyncio.sleep(0.1)  # both instances' subscriptions confirmed
        for _ in range(3):
            seq = await one.next_seq("presence:bar")
            await one.publish(Frame("presence:bar", seq, {"fr": str(seq)}), buffer=True)
        await _until(lambda: len(got_two) == 3)
        assert one.health() is None and two.health() is None

        own_redis.kill()
        # This instance keeps serving its own listeners, numbering on from what it knew.
        seq = await one.next_seq("presence:bar")
        assert seq == 4
        await one.publish(Frame("presence:bar", seq, {"fr": "4"}), buffer=True)
        assert [f.seq for f in got_one if f.control is None][-1] == 4
        close = Frame("user:u1", 0, {}, {"action": "close", "code": 4403})
        await one.publish(close)  # held, sent on when Redis is back
        assert one.health() == UNREACHABLE
        assert await one.current_seq("presence:bar") == 4
        assert await one.recent("presence:bar", 2) is None  # resync, not a wrong answer
        await _until(lambda: two.health() == UNREACHABLE)  # its reader noticed too
        assert "Redis is unreachable" in caplog.text
        assert [f.seq for f in got_two] == [1, 2, 3]  # the other instance heard nothing
        got_one.clear()
        got_two.clear()

        own_redis.start()  # back, and empty (no disk)
        await _until(lambda: one.health() is None and two.health() is None)
        assert "Redis is back" in caplog.text
        # Redis came back empty: a new era, the same on both (pages resuming with a number of
        # the old one get the whole state of a buffered topic).
        assert one.era == two.era != era
        # Everyone following the topic is told to resync: the other instance for the topic
        # numbered here, this one for what the other may have sent.
        await _until(lambda: any(f.control == {"action": "resync"} for f in got_two))
        resyncs_two = {f.topic for f in got_two if f.control == {"action": "resync"}}
        resyncs_one = {f.topic for f in got_one if f.control == {"action": "resync"}}
        assert "presence:bar" in resyncs_two
        assert resyncs_one == {"presence:bar", "room:bar"}
        # The counter went past every number given during the outage; old resumes resync.
        assert await two.current_seq("presence:bar") == 5
        assert await two.recent("presence:bar", 4) is None
        assert await two.recent("presence:bar", 5) == []
        # And frames cross instances again.
        got_one.clear()
        got_two.clear()
        seq = await two.next_seq("presence:bar")
        assert seq == 6
        await two.publish(Frame("presence:bar", seq, {"fr": "6"}), buffer=True)
        await _until(lambda: [f.seq for f in got_one] == [6])
        assert [f.seq for f in got_two] == [6]
    finally:
        await one.stop()
        await two.stop()


async def _ban_during_an_outage(
    own_redis: OwnRedis, *, one_retries: float, two_retries: float
) -> tuple[list[Frame], Frame, RedisHub, RedisHub]:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    one = RedisHub(own_redis.url, prefix=prefix, retry_every=one_retries)
    two = RedisHub(own_redis.url, prefix=prefix, retry_every=two_retries)
    await one.start()
    await two.start()
    got_two: list[Frame] = []
    two.subscribe("user:u1", got_two.append)
    await two.wait_subscribed("user:u1")
    own_redis.kill()
    close = Frame("user:u1", 0, {}, {"action": "close", "code": 4403})
    await one.publish(close)
    assert got_two == []
    await _until(lambda: two.health() == UNREACHABLE)
    own_redis.start()
    return got_two, close, one, two


async def test_redis_hub_control_frames_held_during_an_outage_reach_the_others(
    own_redis: OwnRedis,
) -> None:
    """A ban made while Redis is away still closes the person's sockets elsewhere, once
    Redis is back: here the other instance is back first, and hears it once."""
    got_two, close, one, two = await _ban_during_an_outage(
        own_redis, one_retries=4.0, two_retries=0.05
    )
    try:
        await _until(lambda: two.health() is None)
        assert one.health() == UNREACHABLE  # the raced order: the other is subscribed first
        await _until(lambda: close in got_two)
        await asyncio.sleep(0.3)
        assert got_two.count(close) == 1
    finally:
        await one.stop()
        await two.stop()


async def test_a_control_frame_sent_on_reaches_an_instance_that_reconnects_later(
    own_redis: OwnRedis,
) -> None:
    """Redis' pub/sub keeps nothing for an instance not subscribed yet: the ban's instance is
    back first and sends it on while the other is still reconnecting; the other finds it in
    the stream of frames sent on late, delivers it once, and an instance started afterwards
    does not replay it."""
    got_two, close, one, two = await _ban_during_an_outage(
        own_redis, one_retries=0.05, two_retries=4.0
    )
    three = RedisHub(own_redis.url, prefix=one._prefix, retry_every=0.1)
    try:
        await _until(lambda: one.health() is None)
        assert two.health() == UNREACHABLE  # the raced order: sent on before it subscribes
        await _until(lambda: close in got_two)
        await asyncio.sleep(0.3)
        assert got_two.count(close) == 1
        # An instance started afterwards that loses its own connection (Redis stays up, its
        # stream too) reads on from where it started: nothing from before is replayed.
        await three.start()
        got_three: list[Frame] = []
        three.subscribe("user:u1", got_three.append)
        await three.wait_subscribed("user:u1")
        three._lost(ConnectionResetError("the test cut this instance's line"))
        await _until(lambda: three.health() is None)
        assert got_three == [Frame("user:u1", 0, {}, {"action": "resync"})]
    finally:
        await one.stop()
        await two.stop()
        await three.stop()
