"""The silences features ask of rooms' voices (an assembly's "only the floor"), in memory.

Which silence a room obeys is decided by the pure rule ``voice_rules.next_hold``;
this keeps what each holder asked for and the silence in force, per room, like
the rest of voice state (in memory, per process; ``HoldSource`` refills it once
per room after a restart).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from estaminet.media.voice_rules import Hold, floor_silenced, next_hold

__all__ = ["HoldSource", "RoomHolds"]

HoldSource = Callable[[str], Awaitable[Mapping[str, frozenset[str]]]]
"""``space`` → the silences features ask of that room's voice now (holder → who may be
heard), newest first."""


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

    async def read(self, key: str) -> None:
        """Once per room space (after a start-up): ask the source what is asked of it now."""
        if key in self._read or not key.startswith("room:") or self.source is None:
            return
        self._read.add(key)
        found = dict(await self.source(key))
        if found and key not in self.asked:
            self.asked[key] = {h: frozenset(s) for h, s in found.items()}
            holder, speakers = next(iter(found.items()))  # the newest applies
            self.in_force[key] = (holder, frozenset(speakers))

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
