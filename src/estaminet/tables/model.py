"""The read model of a game table and its participants."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["BOT_NAMES", "Participant", "Practice", "TableInfo"]

BOT_NAMES = (
    "Anna", "Bram", "Chloé", "Dries", "Elise", "Farid", "Gilles", "Hanne", "Ilias",
    "Julie", "Kobe", "Lina", "Maxime", "Nora", "Omar", "Pauline", "Quentin", "Rania",
)  # fmt: skip
"""The bots' names at a practice table, seat by seat: first names, as the narrator reads them
aloud ("Anna died during the night")."""


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

    @property
    def players(self) -> list[Participant]:
        return sorted((p for p in self.participants if p.role == "player"), key=lambda p: p.order)

    @property
    def seat_count(self) -> int:
        """How many seats the game deals: the players, or a practice table's bots."""
        return len(self.players) if self.practice is None else self.practice.bots

    @property
    def spectators(self) -> list[Participant]:
        return [p for p in self.participants if p.role == "spectator"]

    @property
    def narrator(self) -> Participant | None:
        return next((p for p in self.participants if p.role == "narrator"), None)

    def participant(self, user_id: str) -> Participant | None:
        return next((p for p in self.participants if p.user_id == user_id), None)

    def seat_names(self) -> dict[int, str]:
        if self.practice is not None:
            return dict(enumerate(self.practice.names))
        return {p.seat: p.display_name for p in self.participants if p.seat is not None}

    @property
    def topic(self) -> str:
        return f"table:{self.id}"
