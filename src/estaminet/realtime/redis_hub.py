"""The hub across several server instances: Redis pub/sub, counters and bounded lists.

Every frame goes through Redis, including to this instance's own listeners,
so all instances deliver a topic's frames in the same order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

import redis.asyncio as redis

from estaminet.realtime.frames import Frame
from estaminet.realtime.hub import Listener, MemoryHub

__all__ = ["RedisHub"]

log = logging.getLogger(__name__)


class RedisHub:
    def __init__(self, url: str, *, buffer_size: int = 512, prefix: str = "estaminet") -> None:
        self._url = url
        self._prefix = prefix
        self._buffer_size = buffer_size
        self._local = MemoryHub(buffer_size=0)
        self._client: redis.Redis | None = None
        self._pubsub: redis.client.PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._channels: dict[str, int] = {}
        self._pending: set[asyncio.Future[object]] = set()

    def _channel(self, topic: str) -> str:
        return f"{self._prefix}:t:{topic}"

    async def start(self) -> None:
        self._client = redis.Redis.from_url(self._url, decode_responses=True)
        await self._client.ping()
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        # A placeholder subscription so that listen() has something to wait on.
        await self._pubsub.subscribe(f"{self._prefix}:hello")
        self._reader = asyncio.create_task(self._read())

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]  # typed from redis 8
        if self._client is not None:
            await self._client.aclose()

    async def _read(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis hub: reading failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                frame = Frame.from_wire(json.loads(message["data"]))
            except (ValueError, KeyError, TypeError):
                log.warning("redis hub: unreadable frame on %s", message.get("channel"))
                continue
            self._local.deliver(frame)

    async def publish(self, frame: Frame, *, buffer: bool = False) -> None:
        assert self._client is not None
        data = json.dumps(frame.to_wire(), separators=(",", ":"))
        if buffer:
            key = f"{self._prefix}:b:{frame.topic}"
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.rpush(key, data)
                pipe.ltrim(key, -self._buffer_size, -1)
                pipe.publish(self._channel(frame.topic), data)
                await pipe.execute()
        else:
            await self._client.publish(self._channel(frame.topic), data)

    def subscribe(self, topic: str, listener: Listener) -> Callable[[], None]:
        unsubscribe_local = self._local.subscribe(topic, listener)
        channel = self._channel(topic)
        count = self._channels.get(channel, 0)
        self._channels[channel] = count + 1
        if count == 0 and self._pubsub is not None:
            self._track(self._pubsub.subscribe(channel))

        def unsubscribe() -> None:
            unsubscribe_local()
            left = self._channels.get(channel, 1) - 1
            if left <= 0:
                self._channels.pop(channel, None)
                if self._pubsub is not None:
                    self._track(self._pubsub.unsubscribe(channel))
            else:
                self._channels[channel] = left

        return unsubscribe

    def _track(self, awaitable: Awaitable[object]) -> None:
        """Keep a reference to a background (un)subscription until it is done."""
        future = asyncio.ensure_future(awaitable)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    async def wait_subscribed(self, topic: str, within: float = 2.0) -> None:
        """Wait until Redis confirms the subscription to ``topic`` (tests, start-up)."""
        assert self._client is not None
        channel = self._channel(topic)
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            counts = await self._client.pubsub_numsub(channel)
            if counts and counts[0][1] > 0:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError(f"no subscription to {channel}")

    async def next_seq(self, topic: str) -> int:
        assert self._client is not None
        return int(await self._client.incr(f"{self._prefix}:s:{topic}"))

    async def current_seq(self, topic: str) -> int:
        assert self._client is not None
        value = await self._client.get(f"{self._prefix}:s:{topic}")
        return int(value) if value else 0

    async def recent(self, topic: str, after: int) -> list[Frame] | None:
        assert self._client is not None
        current = await self.current_seq(topic)
        if after == current:
            return []
        if after > current:
            return None
        raw = await self._client.lrange(f"{self._prefix}:b:{topic}", 0, -1)
        frames = [Frame.from_wire(json.loads(item)) for item in raw]
        if not frames or frames[0].seq > after + 1:
            return None
        return [frame for frame in frames if frame.seq > after]
