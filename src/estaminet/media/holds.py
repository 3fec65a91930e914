"""The silences features ask of rooms' voices (an assembly's "only the floor"), in memory.

Which silence a room obeys is decided by the pure rule ``voice_rules.next_hold``;
this keeps what each holder asked for and the silence in force, per room, like
the rest of voice state (in memory, per process; ``HoldSource`` refills it once
per room after a restart). With several instances, a sitting's change is applied by
the instance that committed it; every other instance with voice members in the room
is nudged and reads the room's silences again (``reread``), so a member whose socket
is there is silenced too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from estaminet.media.voice_rules import Hold, floor_silenced, next_hold, read_hold

__all__ = ["HoldSource", "RoomHolds"]

HoldSource = Callable[[str, bool], Awaitable[Mapping[str, frozenset[str]]]]
"""``(space, fresh)`` → the silences features ask of that room's voice now (holder → who
may be heard), newest first; ``fresh``: another instance may have committed a change this
one has not seen (read past any cached state)."""


class RoomHolds:
    """Per room space: what each holder (``sitting:<id>``) asks for, and the silence in force."""

    def __init__(self) -> None:
        self.in_force: dict[str, Hold] = {}
        self.asked: dict[str, dict[str, frozenset[str]]] = {}
        self.source: HoldSource | None = None
        self._read: set[str] = set()

    def silenced(self, key: str, user_id: str) -> bool:
        """Whether the silence in force in room space ``key`` keeps ``user_id`` from being heard."""
        return floor_silenced(user_id, self.in_force.get(key))

    async def read(self, key: str, *, fresh: bool = False) -> None:
        """Once per room space (after a start-up): ask the source what is asked of it now.

        ``fresh``: whatever is held here for it may be behind (this instance did not follow
        the room): drop it and read past any cached state.
        """
        if fresh:
            self.in_force.pop(key, None)
            self.asked.pop(key, None)
            self._read.discard(key)
        if key in self._read or not key.startswith("room:") or self.source is None:
            return
        self._read.add(key)
        found = dict(await self.source(key, fresh))
        if found and key not in self.asked:
            self.asked[key] = {h: frozenset(s) for h, s in found.items()}
            holder, speakers = next(iter(found.items()))  # the newest applies
            self.in_force[key] = (holder, frozenset(speakers))

    async def reread(self, key: str, latest: str | None = None) -> bool:
        """Another instance changed what is asked of room space ``key`` (``latest``: whose
        change, if known): read it all again, fresh, and play the changes through the same
        rule (``voice_rules.read_hold``); whether the silence in force changed."""
        if not key.startswith("room:") or self.source is None:
            return False
        self._read.add(key)
        found = {h: frozenset(s) for h, s in (await self.source(key, True)).items()}
        before = self.in_force.get(key)
        hold = read_hold(before, self.asked.get(key, {}), found, latest)
        if found:
            self.asked[key] = found
        else:
            self.asked.pop(key, None)
        if hold is None:
            self.in_force.pop(key, None)
        else:
            self.in_force[key] = hold
        return hold != before

    def ask(self, key: str, holder: str, speakers: frozenset[str] | None) -> bool:
        """``holder`` asks for silence (``speakers`` may still be heard) or for none; whether
        the silence in force changed."""
        asked = self.asked.setdefault(key, {})
        before = asked.get(holder)
        if speakers is None:
            asked.pop(holder, None)
        else:
            asked[holder] = speakers
        if not asked:
            del self.asked[key]
        hold = next_hold(self.in_force.get(key), holder, before, speakers)
        if hold == self.in_force.get(key):
            return False
        if hold is None:
            del self.in_force[key]
        else:
            self.in_force[key] = hold
        return True

    def forget(self) -> None:
        """Drop everything, as a restart does (the source is asked again)."""
        self.in_force.clear()
        self.asked.clear()
        self._read.clear()
