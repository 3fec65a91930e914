"""Who is in which room, right now (ephemeral, kept in memory by this process).

With several instances each counts its own tabs here, and the venue's presence is the
union of the instances' (``realtime/shared_state.py``, see ``VenueService``).

A person is in a room while at least one of their tabs follows the room's topic. People
are kept in the order they arrived: a room's page lists the first :data:`SHOWN` of them
and counts the others, and a change travels as what changed in that list (a person added
at the end, a person removed), never as the list again, so an arrival costs every follower
the same few hundred bytes in a room of five or of a thousand.

:class:`Snapshot` is what was last *published* for a room: pages and catch-ups are drawn
from it (not from the live counts, which may hold changes not yet sent), so what a late
joiner is shown is exactly what the others have after the same frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice

__all__ = ["FACES", "SHOWN", "Presence", "PresentPerson", "Snapshot", "list_changes"]

SHOWN = 40
"""How many people a room's page names; beyond, it says how many more there are."""

FACES = 6
"""How many faces the floor plan shows for a room."""


@dataclass(frozen=True, order=True)
class PresentPerson:
    display_name: str
    user_id: str
    initials: str


@dataclass(frozen=True)
class Snapshot:
    """A room's presence as published: the first people by arrival, and how many in all."""

    shown: tuple[PresentPerson, ...] = ()
    count: int = 0
    faces: tuple[PresentPerson, ...] = field(default=(), compare=False)

    @property
    def more(self) -> int:
        return self.count - len(self.shown)


class Presence:
    def __init__(self) -> None:
        # room -> user -> open tabs; a dict keeps the order in which people arrived
        self._tabs: dict[str, dict[str, int]] = {}
        self._people: dict[str, PresentPerson] = {}

    def enter(self, room: str, person: PresentPerson) -> bool:
        """Count one more tab of ``person`` in ``room``; ``True`` if they just arrived."""
        self._people[person.user_id] = person
        tabs = self._tabs.setdefault(room, {})
        tabs[person.user_id] = tabs.get(person.user_id, 0) + 1
        return tabs[person.user_id] == 1

    def leave(self, room: str, user_id: str) -> bool:
        """Count one tab less; ``True`` if ``user_id`` has left ``room`` altogether."""
        tabs = self._tabs.get(room)
        if not tabs or user_id not in tabs:
            return False
        tabs[user_id] -= 1
        if tabs[user_id] > 0:
            return False
        del tabs[user_id]
        if not tabs:
            del self._tabs[room]
        if not any(user_id in others for others in self._tabs.values()):
            self._people.pop(user_id, None)
        return True

    def first(self, room: str, limit: int) -> list[PresentPerson]:
        """The first ``limit`` people to have arrived in ``room`` (and still there)."""
        return [self._people[uid] for uid in islice(self._tabs.get(room, {}), limit)]

    def snapshot(self, room: str) -> Snapshot:
        shown = tuple(self.first(room, SHOWN))
        return Snapshot(shown, self.count(room), shown[:FACES])

    def count(self, room: str) -> int:
        return len(self._tabs.get(room, {}))

    def is_in(self, room: str, user_id: str) -> bool:
        return user_id in self._tabs.get(room, {})


def list_changes(before: Sequence[str], after: Sequence[str]) -> tuple[list[str], list[str]]:
    """How to turn the list ``before`` into ``after`` by removing items, then appending.

    Returns ``(removed, appended)``. Someone who left and came back moved to the end: they
    are removed, then appended again.
    """
    wanted = set(after)
    kept = [item for item in before if item in wanted]
    same = 0
    for old, new in zip(kept, after, strict=False):
        if old != new:
            break
        same += 1
    removed = [item for item in before if item not in wanted] + kept[same:]
    return removed, list(after[same:])
