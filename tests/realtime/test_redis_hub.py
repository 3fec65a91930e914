"""The Redis hub: frames cross instances in order; sequences and buffers are shared."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from estaminet.realtime.frames import Frame
from estaminet.realtime.redis_hub import RedisHub

pytestmark = pytest.mark.redis


async def test_redis_hub_delivers_across_instances(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    one, two = RedisHub(redis_url, prefix=prefix), RedisHub(redis_url, prefix=prefix)
    await one.start()
    await two.start()
    try:
        got_one: list[int] = []
        got_two: list[int] = []
        one.subscribe("room:bar", lambda f: got_one.append(f.seq))
        two.subscribe("room:bar", lambda f: got_two.append(f.seq))
        await one.wait_subscribed("room:bar")
        for _ in range(2):
            await asyncio.sleep(0.05)
        for seq in (1, 2, 3):
            await (one if seq % 2 else two).publish(Frame("room:bar", seq, {"fr": str(seq)}))
        async with asyncio.timeout(3):
            while len(got_one) < 3 or len(got_two) < 3:
                await asyncio.sleep(0.01)
        assert got_one == got_two == [1, 2, 3]
    finally:
        await one.stop()
        await two.stop()


async def test_redis_hub_sequences_and_resume_buffer(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    hub = RedisHub(redis_url, prefix=prefix, buffer_size=3)
    await hub.start()
    try:
        for _ in range(5):
            seq = await hub.next_seq("presence:bar")
            await hub.publish(Frame("presence:bar", seq, {"fr": str(seq)}), buffer=True)
        assert await hub.current_seq("presence:bar") == 5
        assert [f.seq for f in await hub.recent("presence:bar", 3) or []] == [4, 5]
        assert await hub.recent("presence:bar", 1) is None
        assert await hub.recent("presence:bar", 5) == []
        control = Frame("user:u1", 0, {}, {"action": "close", "code": 4403})
        assert Frame.from_wire(control.to_wire()) == control
    finally:
        client = hub._client
        assert client is not None
        keys = await client.keys(f"{prefix}:*")
        if keys:
            await client.delete(*keys)
        await hub.stop()
