"""The read model of a game table and its participants."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

__all__ = ["BOT_NAMES", "Participant", "Practice", "TableInfo", "watcher_id"]

BOT_NAMES = (
    "Anna", "Bram", "Chloé", "Dries", "Elise", "Farid", "Gilles", "Hanne", "Ilias",
    "Julie", "Kobe", "Lina", "Maxime", "Nora", "Omar", "Pauline", "Quentin", "Rania",
)  # fmt: skip
"""The bots' names at a practice table, seat by seat: first names, as the narrator reads them
aloud ("Anna died during the night")."""


def watcher_id(table_id: int, user_id: str) -> str:
    """How a watcher is named in a game's event log: a stable pseudonym for this person at
    this table, never their account id (a deleted account leaves no trace in the log; the
    screen shows the name while the person is still at the table)."""
    return hashlib.blake2b(f"{table_id}:{user_id}".encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class Participant:
    user_id: str
    display_name: str
    role: str  # player, spectator, narrator
    seat: int | None
    order: int


@dataclass(frozen=True)
class Practice:
    """A practice table: its narrator alone, a bot in every seat."""

    bots: int
    paused_at: datetime | None = None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    @property
    def names(self) -> tuple[str, ...]:
        return BOT_NAMES[: self.bots]


@dataclass(frozen=True)
class TableInfo:
    id: int
    key: str
    kind: str
    room_id: int
    room_slug: str
    title: str
    host_id: str | None
    status: str
    options: dict[str, Any]
    private: bool
    max_spectators: int
    created_at: datetime
    outcome: dict[str, Any] | None
    participants: tuple[Participant, ...] = field(default_factory=tuple)
    watch_votes: dict[str, int] = field(default_factory=dict)
    """The watchers' votes (voter → seat), read only once the game is over."""
    practice: Practice | None = None
    """Set for a practice table (private to its narrator, never counted in any score)."""

    # A table is read once and then read from many times (each screen of a move reads its
    # seats and names; a table may have hundreds of spectators): what is derived from the
    # participants is worked out once per read. ``players`` and ``seat_names()`` hand out
    # copies (callers build on them); ``watcher_names`` is shared, for screens to read.

    @cached_property
    def _players(self) -> tuple[Participant, ...]:
        return tuple(
            sorted((p for p in self.participants if p.role == "player"), key=lambda p: p.order)
        )

    @property
    def players(self) -> list[Participant]:
        return list(self._players)

    @property
    def seat_count(self) -> int:
        """How many seats the game deals: the players, or a practice table's bots."""
        return len(self._players) if self.practice is None else self.practice.bots

    @property
    def spectators(self) -> list[Participant]:
        return [p for p in self.participants if p.role == "spectator"]

    @property
    def narrator(self) -> Participant | None:
        return next((p for p in self.participants if p.role == "narrator"), None)

    @cached_property
    def _by_user(self) -> dict[str, Participant]:
        return {p.user_id: p for p in self.participants}

    def participant(self, user_id: str) -> Participant | None:
        return self._by_user.get(user_id)

    @cached_property
    def _seat_names(self) -> dict[int, str]:
        if self.practice is not None:
            return dict(enumerate(self.practice.names))
        return {p.seat: p.display_name for p in self.participants if p.seat is not None}

    def seat_names(self) -> dict[int, str]:
        return dict(self._seat_names)

    @cached_property
    def seat_users(self) -> dict[int, str]:
        """Each seated player's user id by seat (shared, for screens to read: the circle's
        ``data-user``, which lights whoever speaks)."""
        return {p.seat: p.user_id for p in self._players if p.seat is not None}

    @cached_property
    def watcher_names(self) -> dict[str, str]:
        """Each person at the table under their :func:`watcher_id`, with their name."""
        return {watcher_id(self.id, p.user_id): p.display_name for p in self.participants}

    @property
    def topic(self) -> str:
        return f"table:{self.id}"
