"""The hub across several server instances: Redis pub/sub, counters and bounded lists.

Every frame goes through Redis, including to this instance's own listeners,
so all instances deliver a topic's frames in the same order.

When Redis cannot be reached the hub degrades instead of failing: this instance
keeps serving its own sockets (frames are delivered locally, ephemeral sequence
numbers continue from the last known ones, resumes answer "resync"), says so once
in its log and in :meth:`RedisHub.health` (``/healthz``), and probes Redis in the
background. When Redis is back it converges: every topic numbered here during the
outage has its counter moved past what any client saw and its resume buffer
dropped, the control frames published meanwhile (access re-checks, closes, leaves)
are sent on to the other instances, and every socket on every instance following a
topic that may have missed frames is sent a ``resync`` frame (it subscribes again
and gets the current state, not silence).

Pub/sub keeps nothing for an instance that is not subscribed at the moment of a
publication, and after an outage the instances come back one by one: a control
frame sent on by the first one back would be lost for one still reconnecting. So the
frames sent on are also appended to a short Redis stream (``<prefix>:late``), each
instance reads what was added there since it lost Redis once it has subscribed
again, and a frame's stream id keeps it from being delivered twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable

import redis.asyncio as redis

from estaminet.realtime.frames import Frame
from estaminet.realtime.hub import Listener, MemoryHub, new_era

__all__ = ["UNREACHABLE", "RedisHub"]

log = logging.getLogger(__name__)

UNREACHABLE = "redis unreachable"
"""What :meth:`RedisHub.health` says (and ``/healthz`` shows) while Redis is away."""

# What a lost Redis raises (refused, reset, timed out); redis' own errors cover most.
_LOST = (redis.RedisError, OSError)
# Control frames kept while Redis is away, sent on to the other instances when it is back;
# as many are kept in the stream of frames sent on late, and remembered as delivered.
_HELD_CONTROLS = 1000
# Move a counter this far past the highest number given during an outage, so that no
# client's last seen number can equal the new current one by chance.
_SEQ_GAP = 1

_RAISE_TO = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = tonumber(ARGV[1])
if current < wanted then redis.call('SET', KEYS[1], wanted) return wanted end
return current
"""


def resync_frame(topic: str) -> Frame:
    """The control frame that has every socket following ``topic`` told to resync."""
    return Frame(topic, 0, {}, {"action": "resync"})


class RedisHub:
    def __init__(
        self,
        url: str,
        *,
        buffer_size: int = 512,
        prefix: str = "estaminet",
        retry_every: float = 0.5,
    ) -> None:
        self._url = url
        self._prefix = prefix
        self._buffer_size = buffer_size
        self._retry_every = retry_every
        self._local = MemoryHub(buffer_size=0)
        self._client: redis.Redis | None = None
        self._pubsub: redis.client.PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._topics: dict[str, int] = {}
        self._pending: set[asyncio.Future[object]] = set()
        # Degraded mode: the last number known per ephemeral topic, the topics numbered or
        # published here while Redis was away, and the control frames to send on.
        self._down = False
        self._seen: dict[str, int] = {}
        self._touched: set[str] = set()
        self._held: deque[Frame] = deque(maxlen=_HELD_CONTROLS)
        # Frames sent on late: the stream id to read on from after an outage, and the ids
        # already delivered here (or sent from here, delivered during the outage).
        self._late_from = "0-0"
        self._late_done: dict[str, None] = {}
        self.era = ""
        """The venue's era of numbers, kept in Redis: a Redis started again empty numbers
        from 1 again, under a new era (read at start and whenever Redis is back)."""

    def _channel(self, topic: str) -> str:
        return f"{self._prefix}:t:{topic}"

    # -- health ------------------------------------------------------------------

    def health(self) -> str | None:
        """``None`` while Redis answers, else what is wrong (for ``/healthz``)."""
        return UNREACHABLE if self._down else None

    def _lost(self, error: BaseException) -> None:
        if not self._down:
            self._down = True
            log.warning(
                "redis hub: Redis is unreachable (%s); this instance serves its own sockets "
                "only, other instances' frames are not received until it is back",
                error or type(error).__name__,
            )

    # -- life --------------------------------------------------------------------

    async def start(self) -> None:
        self._client = redis.Redis.from_url(
            self._url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5
        )
        await self._client.ping()
        await self._read_era()
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        # A placeholder subscription so that listen() has something to wait on.
        await self._pubsub.subscribe(f"{self._prefix}:hello")
        # Frames sent on late before this instance started are not its business.
        last = await self._client.xrevrange(self._late_key, count=1)
        if last:
            self._first_time(_text(last[0][0]))
        self._reader = asyncio.create_task(self._read())

    async def _read_era(self) -> None:
        """The era in Redis; the first instance to find none names it."""
        assert self._client is not None
        key = f"{self._prefix}:era"
        await self._client.set(key, new_era(), nx=True)
        self.era = _text(await self._client.get(key))

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        with contextlib.suppress(*_LOST):
            if self._pubsub is not None:
                await self._pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]  # typed from redis 8
        with contextlib.suppress(*_LOST):
            if self._client is not None:
                await self._client.aclose()

    async def _read(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                if self._down:
                    await self._reconnect()
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except _LOST as error:
                self._lost(error)
                await asyncio.sleep(self._retry_every)
                continue
            except Exception:
                log.exception("redis hub: reading failed; retrying")
                await asyncio.sleep(self._retry_every)
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                wire = json.loads(message["data"])
                frame = Frame.from_wire(wire)
            except (ValueError, KeyError, TypeError):
                log.warning("redis hub: unreadable frame on %s", message.get("channel"))
                continue
            late = wire.get("late")
            if late is not None and not self._first_time(str(late)):
                continue
            self._note(frame.topic, frame.seq)
            self._local.deliver(frame)

    @property
    def _late_key(self) -> str:
        return f"{self._prefix}:late"

    def _first_time(self, late: str) -> bool:
        """Whether the frame sent on late with stream id ``late`` is new here (and remember it)."""
        if late in self._late_done:
            return False
        self._late_done[late] = None
        if len(self._late_done) > _HELD_CONTROLS:
            del self._late_done[next(iter(self._late_done))]
        if _stream_id(late) > _stream_id(self._late_from):
            self._late_from = late
        return True

    async def _reconnect(self) -> None:
        """Redis answers again: subscribe anew, then converge (raises while it does not)."""
        assert self._client is not None
        assert self._pubsub is not None
        await self._client.ping()
        await self._read_era()
        # A fresh connection for the subscriptions: the old one may be half dead.
        with contextlib.suppress(*_LOST):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(
            f"{self._prefix}:hello", *(self._channel(topic) for topic in self._topics)
        )
        touched, held = set(self._touched), list(self._held)
        async with self._client.pipeline(transaction=False) as pipe:
            # Every counter past the numbers known here (a Redis restarted empty starts
            # again at 0); the topics numbered here meanwhile also lose their resume buffer,
            # so a resume from before the outage resyncs instead of skipping frames.
            for topic, seq in self._seen.items():
                gap = _SEQ_GAP if topic in touched else 0
                pipe.eval(_RAISE_TO, 1, f"{self._prefix}:s:{topic}", seq + gap)
            for topic in touched:
                pipe.delete(f"{self._prefix}:b:{topic}")
            await pipe.execute()
        # What the others sent on while this instance was not subscribed yet.
        for late, fields in await self._client.xrange(self._late_key, min=self._late_from) or ():
            if self._first_time(_text(late)) and fields:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    self._local.deliver(Frame.from_wire(json.loads(fields["frame"])))
        for frame in held:
            # Delivered here during the outage: kept in the stream for the instances still
            # reconnecting, published for those already back.
            late = _text(
                await self._client.xadd(
                    self._late_key, {"frame": _wire(frame)}, maxlen=_HELD_CONTROLS, approximate=True
                )
            )
            self._first_time(late)
            wire = {**frame.to_wire(), "late": late}
            await self._client.publish(
                self._channel(frame.topic), json.dumps(wire, separators=(",", ":"))
            )
        for topic in touched:
            await self._client.publish(self._channel(topic), _wire(resync_frame(topic)))
        self._touched.difference_update(touched)
        self._held.clear()
        self._down = False
        log.warning(
            "redis hub: Redis is back; %d topics resynchronised, %d control frames sent on",
            len(self._topics),
            len(held),
        )
        # Frames from other instances were missed on every topic followed here.
        for topic in list(self._topics):
            if topic not in touched:
                self._local.deliver(resync_frame(topic))

    def _note(self, topic: str, seq: int) -> None:
        if seq > self._seen.get(topic, 0):
            self._seen[topic] = seq

    # -- publishing ----------------------------------------------------------------

    async def publish(self, frame: Frame, *, buffer: bool = False) -> None:
        assert self._client is not None
        if not self._down:
            data = _wire(frame)
            try:
                if buffer:
                    key = f"{self._prefix}:b:{frame.topic}"
                    async with self._client.pipeline(transaction=True) as pipe:
                        pipe.rpush(key, data)
                        pipe.ltrim(key, -self._buffer_size, -1)
                        pipe.publish(self._channel(frame.topic), data)
                        await pipe.execute()
                else:
                    await self._client.publish(self._channel(frame.topic), data)
                return
            except _LOST as error:
                self._lost(error)
        # Degraded: this instance's listeners only; the others hear of it when Redis is back.
        if frame.control is not None:
            self._held.append(frame)
        else:
            self._touched.add(frame.topic)
        self._local.deliver(frame)

    def subscribe(self, topic: str, listener: Listener) -> Callable[[], None]:
        local = self._local.subscribe(topic, listener)
        count = self._topics.get(topic, 0)
        self._topics[topic] = count + 1
        if count == 0 and self._pubsub is not None and not self._down:
            self._track(self._pubsub.subscribe(self._channel(topic)))
        return _Unsubscribe(self, topic, local)

    def _unsubscribe(self, topic: str, local: Callable[[], None]) -> None:
        local()
        left = self._topics.get(topic, 1) - 1
        if left <= 0:
            self._topics.pop(topic, None)
            if self._pubsub is not None and not self._down:
                self._track(self._pubsub.unsubscribe(self._channel(topic)))
        else:
            self._topics[topic] = left

    def _track(self, awaitable: Awaitable[object]) -> None:
        """Keep a reference to a background (un)subscription until it is done."""
        future = asyncio.ensure_future(awaitable)
        self._pending.add(future)
        future.add_done_callback(self._settled)

    def _settled(self, future: asyncio.Future[object]) -> None:
        self._pending.discard(future)
        if not future.cancelled() and isinstance(future.exception(), _LOST):
            self._lost(future.exception())  # type: ignore[arg-type]  # checked just above

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

    # -- sequences and resumes -------------------------------------------------------

    async def next_seq(self, topic: str) -> int:
        assert self._client is not None
        if not self._down:
            try:
                seq = int(await self._client.incr(f"{self._prefix}:s:{topic}"))
            except _LOST as error:
                self._lost(error)
            else:
                self._note(topic, seq)
                return seq
        seq = self._seen.get(topic, 0) + 1
        self._seen[topic] = seq
        self._touched.add(topic)
        return seq

    async def current_seq(self, topic: str) -> int:
        assert self._client is not None
        if not self._down:
            try:
                value = await self._client.get(f"{self._prefix}:s:{topic}")
            except _LOST as error:
                self._lost(error)
            else:
                seq = int(value) if value else 0
                self._note(topic, seq)
                return seq
        return self._seen.get(topic, 0)

    async def recent(self, topic: str, after: int) -> list[Frame] | None:
        assert self._client is not None
        if self._down:
            return [] if after == self._seen.get(topic, 0) else None
        try:
            current = await self.current_seq(topic)
            if self._down:
                return None
            if after == current:
                return []
            if after > current:
                return None
            raw = await self._client.lrange(f"{self._prefix}:b:{topic}", 0, -1)
        except _LOST as error:
            self._lost(error)
            return None
        frames = [Frame.from_wire(json.loads(item)) for item in raw]
        if not frames or frames[0].seq > after + 1:
            return None
        return [frame for frame in frames if frame.seq > after]


def _text(value: bytes | str | None) -> str:
    """A stream id as text (the client decodes replies; its types allow bytes and None)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _stream_id(value: str) -> tuple[int, int]:
    milliseconds, _, sequence = value.partition("-")
    return int(milliseconds), int(sequence or 0)


def _wire(frame: Frame) -> str:
    return json.dumps(frame.to_wire(), separators=(",", ":"))


class _Unsubscribe:
    """What :meth:`RedisHub.subscribe` returns: three slots rather than a closure and its
    cells (each idle socket keeps one per topic it follows)."""

    __slots__ = ("hub", "local", "topic")

    def __init__(self, hub: RedisHub, topic: str, local: Callable[[], None]) -> None:
        self.hub = hub
        self.topic = topic
        self.local = local

    def __call__(self) -> None:
        self.hub._unsubscribe(self.topic, self.local)
