"""Who is in which room, right now (ephemeral, kept in memory by this process).

A person is in a room while at least one of their tabs follows the room's
topic. Changes are coalesced: a burst of arrivals produces one update per room.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

__all__ = ["Presence", "PresentPerson"]


@dataclass(frozen=True, order=True)
class PresentPerson:
    display_name: str
    user_id: str
    initials: str


class Presence:
    def __init__(self) -> None:
        self._tabs: dict[str, dict[str, int]] = defaultdict(dict)
        self._people: dict[str, PresentPerson] = {}

    def enter(self, room: str, person: PresentPerson) -> bool:
        """Count one more tab of ``person`` in ``room``; ``True`` if they just arrived."""
        self._people[person.user_id] = person
        tabs = self._tabs[room]
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
        return True

    def people(self, room: str) -> list[PresentPerson]:
        return sorted(
            (self._people[uid] for uid in self._tabs.get(room, {})),
            key=lambda p: (p.display_name.casefold(), p.user_id),
        )

    def count(self, room: str) -> int:
        return len(self._tabs.get(room, {}))

    def is_in(self, room: str, user_id: str) -> bool:
        return user_id in self._tabs.get(room, {})
