"""The read model of a game table and its participants."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Participant", "TableInfo"]


@dataclass(frozen=True)
class Participant:
    user_id: str
    display_name: str
    role: str  # player, spectator, narrator
    seat: int | None
    order: int


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

    @property
    def players(self) -> list[Participant]:
        return sorted((p for p in self.participants if p.role == "player"), key=lambda p: p.order)

    @property
    def spectators(self) -> list[Participant]:
        return [p for p in self.participants if p.role == "spectator"]

    @property
    def narrator(self) -> Participant | None:
        return next((p for p in self.participants if p.role == "narrator"), None)

    def participant(self, user_id: str) -> Participant | None:
        return next((p for p in self.participants if p.user_id == user_id), None)

    def seat_names(self) -> dict[int, str]:
        return {p.seat: p.display_name for p in self.participants if p.seat is not None}

    @property
    def topic(self) -> str:
        return f"table:{self.id}"
