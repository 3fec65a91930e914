"""State that several instances hold together: who each instance has, the union venue-wide.

Presence (who is in which room) and the like are made of *entries*: this instance has
``member`` in ``space``/``key`` (a person in a room) with a small ``value`` (their name).
An entry belongs to the instance that put it; the venue's state is the union of every
live instance's entries, in the order they first arrived. Alongside:

- a *lock* per name, so that one instance at a time publishes a change venue-wide
  (no duplicates: the holder compares the union with what was last published);
- *records*: a small string per name (what was last published, with its ``seq``),
  so a page or a catch-up on any instance shows what the frames so far said;
- *buckets*: venue-wide token buckets (sign-in throttles, chat's rate limit), so a
  person or an attacker spread over the instances gets one allowance, not one each.

:class:`MemorySharedState` is the one-process version (plain dictionaries, nothing
expires). :class:`RedisSharedState` keeps the entries in Redis, and a *lease* per
instance: a key with a time to live that the instance refreshes every third of it.
An instance that dies (``kill -9``) stops refreshing; once its lease has expired, the
first live instance to look (every third of a lease) sweeps its entries away, atomically
(one sweeper wins), and tells its watchers which keys changed, so the change is
published like any other. An instance that finds itself swept (it was paused longer
than its lease) or that lost Redis for a while puts its entries back when it can, and
its watchers are told too. So a dead instance's people are gone within about 4/3 of a
lease, and a living one's are never lost for longer than an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Protocol

import redis.asyncio as redis

from estaminet.kernel.ratelimit import TokenBucket

__all__ = ["MemorySharedState", "RedisSharedState", "SharedState", "Watcher"]

log = logging.getLogger(__name__)

Watcher = Callable[[set[str]], None]
"""Called with the keys of a space whose entries changed behind this instance's back."""

_LOST = (redis.RedisError, OSError)
_SEP = "\x1f"

# Put one entry: a venue-wide arrival number, the entry, and the key in the instance's list.
_HOLD = """
local n = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], n .. '|' .. ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return n
"""

# Remove every entry of a dead instance (unless its lease came back); returns the keys.
_SWEEP = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {} end
local keys = redis.call('SMEMBERS', KEYS[2])
local mine = ARGV[1] .. '|'
for _, key in ipairs(keys) do
  local hash = ARGV[2] .. key
  for _, field in ipairs(redis.call('HKEYS', hash)) do
    if string.sub(field, 1, #mine) == mine then redis.call('HDEL', hash, field) end
  end
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return keys
"""

# Take a token from a bucket on Redis's clock (every instance's the same): KEYS[1] the
# bucket; ARGV burst, tokens per millisecond, time to live (ms). Returns the wait in ms
# as text (0 when the token was taken; Lua numbers would come back as integers).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local held = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens, updated = tonumber(held[1]), tonumber(held[2])
if tokens == nil or updated == nil then tokens, updated = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return tostring(wait)
"""

# Release a lock only if it is still ours.
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class SharedState(Protocol):
    instance: str
    """This instance's name (random for each start)."""

    distributed: bool
    """Whether other instances may hold entries too (``False``: this process is alone)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def hold(self, space: str, key: str, member: str, value: str) -> None:
        """This instance has ``member`` in ``space``/``key`` (again: the value is replaced)."""
        ...

    async def release(self, space: str, key: str, member: str) -> None:
        """This instance no longer has ``member`` in ``space``/``key``."""
        ...

    async def held(self, space: str, key: str) -> list[tuple[str, str]]:
        """Every member of ``space``/``key`` on every live instance, once each, by first
        arrival, with the value of its earliest entry."""
        ...

    def watch(self, space: str, watcher: Watcher) -> None:
        """Call ``watcher`` with the keys of ``space`` a sweep or a re-assertion changed."""
        ...

    def lock(self, name: str) -> contextlib.AbstractAsyncContextManager[bool]:
        """Venue-wide: ``True`` inside if this instance holds ``name`` now, ``False`` if
        another does (try again later). Held for a few seconds at most."""
        ...

    async def record(self, name: str) -> str | None: ...

    async def set_record(self, name: str, value: str) -> None: ...

    async def take(self, name: str, burst: int, per_second: float, now: float) -> float:
        """A token from the venue-wide bucket ``name`` (``burst`` tokens, ``per_second``
        back): 0 when one was taken, else the seconds until one is back. ``now`` is this
        instance's monotonic clock; buckets in Redis run on Redis's clock instead."""
        ...


class _Buckets:
    """Token buckets by name, the least recently used forgotten past ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, name: str, burst: int, per_second: float, now: float) -> float:
        bucket = self.buckets.get(name)
        if bucket is None:
            bucket = self.buckets[name] = TokenBucket(burst, per_second)
            while len(self.buckets) > self.limit:
                self.buckets.popitem(last=False)
        else:
            self.buckets.move_to_end(name)
        return 0.0 if bucket.take(now) else bucket.wait_time()


MAX_BUCKETS = 100_000
"""Buckets one process keeps (a forgotten bucket starts full again)."""


class MemorySharedState:
    """One process: the union is this process's entries; nothing expires."""

    distributed = False

    def __init__(self, max_buckets: int = MAX_BUCKETS) -> None:
        self.instance = secrets.token_hex(6)
        self._entries: dict[tuple[str, str], dict[str, str]] = {}
        self._records: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.buckets = _Buckets(max_buckets)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def hold(self, space: str, key: str, member: str, value: str) -> None:
        entries = self._entries.setdefault((space, key), {})
        entries[member] = value

    async def release(self, space: str, key: str, member: str) -> None:
        entries = self._entries.get((space, key))
        if entries is not None:
            entries.pop(member, None)
            if not entries:
                del self._entries[(space, key)]

    async def held(self, space: str, key: str) -> list[tuple[str, str]]:
        return list(self._entries.get((space, key), {}).items())

    def watch(self, space: str, watcher: Watcher) -> None:
        return None  # nobody else changes this process's entries

    @asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[bool]:
        lock = self._locks[name]
        if lock.locked():
            yield False
            return
        async with lock:
            yield True

    async def record(self, name: str) -> str | None:
        return self._records.get(name)

    async def set_record(self, name: str, value: str) -> None:
        self._records[name] = value

    async def take(self, name: str, burst: int, per_second: float, now: float) -> float:
        return self.buckets.take(name, burst, per_second, now)


class RedisSharedState:
    """Entries in Redis hashes, one lease per instance, a sweeper for the dead ones."""

    distributed = True

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "estaminet",
        lease: float = 10.0,
        lock_seconds: float = 5.0,
    ) -> None:
        self.instance = secrets.token_hex(6)
        self._url = url
        self._p = f"{prefix}:ss"
        self.lease = lease
        self._lock_ms = int(lock_seconds * 1000)
        self._client: redis.Redis | None = None
        self._task: asyncio.Task[None] | None = None
        # This instance's own entries, to put back after a sweep or an outage.
        self._mine: dict[tuple[str, str], dict[str, str]] = {}
        self._watchers: dict[str, list[Watcher]] = defaultdict(list)
        self._stale = False
        self._started = False
        # While Redis is away, buckets are this instance's own (an allowance per instance).
        self._local_buckets = _Buckets(MAX_BUCKETS)

    # -- keys ----------------------------------------------------------------------

    def _hash(self, space: str, key: str) -> str:
        return f"{self._p}:h:{space}{_SEP}{key}"

    def _alive(self, instance: str) -> str:
        return f"{self._p}:alive:{instance}"

    def _own(self, instance: str) -> str:
        return f"{self._p}:own:{instance}"

    @property
    def _instances(self) -> str:
        return f"{self._p}:instances"

    # -- life ------------------------------------------------------------------------

    async def start(self) -> None:
        self._client = redis.Redis.from_url(
            self._url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5
        )
        await self._renew()
        self._started = True
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            with contextlib.suppress(*_LOST):
                # Gone for good: the others sweep this instance's entries at their next look.
                await self._client.delete(self._alive(self.instance))
            with contextlib.suppress(*_LOST):
                await self._client.aclose()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await self._renew()
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except _LOST as error:
                if not self._stale:
                    log.warning("shared state: Redis unreachable (%s)", error)
                self._stale = True
            except Exception:
                log.exception("shared state: renewing the lease failed")

    async def _renew(self) -> None:
        """Refresh this instance's lease; put its entries back if they were swept or lost."""
        assert self._client is not None
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.set(self._alive(self.instance), "1", px=int(self.lease * 1000))
            pipe.sadd(self._instances, self.instance)
            _, added = await pipe.execute()
        if (added and self._started) or self._stale:
            await self._reassert()

    async def _reassert(self) -> None:
        assert self._client is not None
        own = {_str(key) for key in await self._client.smembers(self._own(self.instance))}
        keys = own | {f"{space}{_SEP}{key}" for space, key in self._mine}
        mine = f"{self.instance}|"
        for joined in sorted(keys):
            space, _, key = joined.partition(_SEP)
            hash_ = self._hash(space, key)
            fields = [_str(f) for f in await self._client.hkeys(hash_)]
            stale = [f for f in fields if f.startswith(mine)]
            if stale:
                await self._client.hdel(hash_, *stale)
            for member, value in list(self._mine.get((space, key), {}).items()):
                await self._put(space, key, member, value)
        self._stale = False
        log.warning("shared state: this instance's entries are back in Redis (%d)", len(keys))
        self._tell(keys)

    async def sweep(self) -> set[str]:
        """Remove the entries of every instance whose lease expired; returns what changed
        (``space\\x1fkey``), and tells the watchers."""
        assert self._client is not None
        changed: set[str] = set()
        for found in await self._client.smembers(self._instances):
            other = _str(found)
            if other == self.instance:
                continue
            keys = await self._client.eval(
                _SWEEP,
                3,
                self._alive(other),
                self._own(other),
                self._instances,
                other,
                f"{self._p}:h:",
            )
            if keys:
                log.warning("shared state: instance %s is gone; %d keys swept", other, len(keys))
            changed.update(_str(key) for key in keys)
        self._tell(changed)
        return changed

    def _tell(self, keys: set[str]) -> None:
        by_space: dict[str, set[str]] = defaultdict(set)
        for joined in keys:
            space, _, key = joined.partition(_SEP)
            by_space[space].add(key)
        for space, changed in by_space.items():
            for watcher in self._watchers.get(space, ()):
                try:
                    watcher(changed)
                except Exception:
                    log.exception("shared state: a watcher of %s failed", space)

    # -- entries ---------------------------------------------------------------------

    async def _put(self, space: str, key: str, member: str, value: str) -> None:
        assert self._client is not None
        await self._client.eval(
            _HOLD,
            3,
            self._hash(space, key),
            self._own(self.instance),
            f"{self._p}:arrivals",
            f"{self.instance}|{member}",
            value,
            f"{space}{_SEP}{key}",
        )

    async def hold(self, space: str, key: str, member: str, value: str) -> None:
        self._mine.setdefault((space, key), {})[member] = value
        try:
            await self._put(space, key, member, value)
        except _LOST as error:
            self._lost(error)

    async def release(self, space: str, key: str, member: str) -> None:
        entries = self._mine.get((space, key))
        if entries is not None:
            entries.pop(member, None)
            if not entries:
                del self._mine[(space, key)]
        assert self._client is not None
        try:
            await self._client.hdel(self._hash(space, key), f"{self.instance}|{member}")
        except _LOST as error:
            self._lost(error)

    async def held(self, space: str, key: str) -> list[tuple[str, str]]:
        assert self._client is not None
        if not self._stale:
            try:
                raw = await self._client.hgetall(self._hash(space, key))
            except _LOST as error:
                self._lost(error)
            else:
                return _union({_str(k): _str(v) for k, v in raw.items()})
        # Redis away: what this instance knows, its own entries.
        return list(self._mine.get((space, key), {}).items())

    def _lost(self, error: BaseException) -> None:
        if not self._stale:
            log.warning("shared state: Redis unreachable (%s); entries kept here", error)
        self._stale = True

    def watch(self, space: str, watcher: Watcher) -> None:
        self._watchers[space].append(watcher)

    # -- locks and records -----------------------------------------------------------

    @asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[bool]:
        assert self._client is not None
        token = secrets.token_hex(8)
        key = f"{self._p}:lock:{name}"
        try:
            got = bool(await self._client.set(key, token, nx=True, px=self._lock_ms))
        except _LOST as error:
            self._lost(error)
            got = True  # alone while Redis is away: publish here (resynced when it is back)
            token = ""
        try:
            yield got
        finally:
            if got and token:
                with contextlib.suppress(*_LOST):
                    await self._client.eval(_UNLOCK, 1, key, token)

    async def record(self, name: str) -> str | None:
        assert self._client is not None
        try:
            value = await self._client.get(f"{self._p}:r:{name}")
        except _LOST as error:
            self._lost(error)
            return None
        return None if value is None else str(value)

    async def set_record(self, name: str, value: str) -> None:
        assert self._client is not None
        try:
            await self._client.set(f"{self._p}:r:{name}", value)
        except _LOST as error:
            self._lost(error)

    async def take(self, name: str, burst: int, per_second: float, now: float) -> float:
        assert self._client is not None
        # Past the time a bucket takes to fill up again it is full anyway: it may go.
        ttl_ms = int(burst / per_second * 1000) + 1000
        try:
            wait_ms = await self._client.eval(
                _TAKE, 1, f"{self._p}:b:{name}", burst, per_second / 1000, ttl_ms
            )
        except _LOST as error:
            self._lost(error)
            return self._local_buckets.take(name, burst, per_second, now)
        return float(wait_ms) / 1000


def _str(value: str | bytes) -> str:
    """Redis answers text here (``decode_responses``); typed as either."""
    return value.decode() if isinstance(value, bytes) else value


def _union(raw: dict[str, str]) -> list[tuple[str, str]]:
    """``instance|member`` → ``arrival|value``: each member once, by earliest arrival."""
    first: dict[str, tuple[int, str]] = {}
    for field_, stored in raw.items():
        member = field_.partition("|")[2]
        number, _, value = stored.partition("|")
        arrival = int(number)
        seen = first.get(member)
        if seen is None or arrival < seen[0]:
            first[member] = (arrival, value)
    return [(member, value) for member, (_, value) in sorted(first.items(), key=lambda i: i[1][0])]
