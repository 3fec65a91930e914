"""The live-activity protocol shared by game tables, assembly sittings and the stage.

An activity is pure: it never touches I/O, the clock or global randomness.
The runner (``estaminet.live``) owns persistence, timers and fan-out:

* ``setup(seats, options, seed)`` builds the initial state deterministically;
* ``apply(state, actor, action, now)`` validates an action and returns the
  events it causes, or a :class:`Rejection` with a namespaced code;
* ``evolve(state, event)`` folds one event into the state (no validation,
  no randomness: chance is resolved in ``apply`` and recorded in events);
* ``view(state, viewer)`` is everything that viewer may know, JSON-ready;
* ``deadline(state)`` is the next instant at which the runner must call
  ``apply(state, SYSTEM, {"type": "timeout"}, now)``, or ``None``;
* ``outcome(state)`` is ``None`` while the activity runs.

The event log is the commit point: ``setup`` + folding the logged events
rebuilds the exact state, so restarts and replays agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

__all__ = [
    "SYSTEM",
    "VOICE_LEVELS",
    "Activity",
    "Event",
    "Outcome",
    "Rejection",
    "Seat",
    "Viewer",
    "ViewerKind",
]

Event = Mapping[str, Any]
"""A JSON-serialisable mapping with at least a ``"type"`` key."""

Seat = int
"""A player's seat number at the table (0-based). Seats, not user ids, enter the rules."""

SYSTEM: Seat = -1
"""The actor used by the runner for timeouts and default actions."""

VOICE_LEVELS = ("needed", "welcome", "none")
"""An activity's ``voice``: the game needs the table's voice, is nicer with it, or not at all."""


class ViewerKind(StrEnum):
    PLAYER = "player"
    SPECTATOR = "spectator"
    NARRATOR = "narrator"
    """A human game master (apprentice narrator, assembly facilitator)."""
    REPLAY = "replay"
    """After the end: everything revealed."""


@dataclass(frozen=True)
class Viewer:
    kind: ViewerKind
    seat: Seat | None = None

    @classmethod
    def player(cls, seat: Seat) -> Viewer:
        return cls(ViewerKind.PLAYER, seat)

    @classmethod
    def spectator(cls) -> Viewer:
        return cls(ViewerKind.SPECTATOR)

    @classmethod
    def narrator(cls) -> Viewer:
        return cls(ViewerKind.NARRATOR)


@dataclass(frozen=True)
class Rejection:
    """A refused action: a namespaced code (``werewolf/not_your_turn``) and its data."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """How an activity ended: a termination reason and the winners (seats).

    A game's ``details`` hold ``"placings"``: ``{seat: place}`` for every seat, 1 the
    best, tied seats sharing a place (``{0: 1, 1: 2, 2: 2, 3: 4}``); the evening
    soirée turns them into evening points (``docs/new-game.md``).
    """

    reason: str
    winners: frozenset[Seat] = frozenset()
    details: Mapping[str, Any] = field(default_factory=dict)


S = TypeVar("S")


class Activity(Protocol, Generic[S]):
    """What every game (and every other live activity) provides."""

    key: str
    names: Mapping[str, str]
    min_players: int
    max_players: int
    duration_minutes: tuple[int, int]
    """How long one game (or sitting) typically lasts: (shortest, longest) in minutes."""
    voice: str
    """Whether the table's voice matters: ``"needed"``, ``"welcome"`` or ``"none"``."""

    def default_options(self) -> dict[str, Any]: ...

    def validate_options(self, options: Mapping[str, Any], players: int) -> Rejection | None: ...

    def setup(self, seats: int, options: Mapping[str, Any], seed: int, now: datetime) -> S: ...

    def apply(
        self, state: S, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection: ...

    def evolve(self, state: S, event: Event) -> S: ...

    def legal_actions(self, state: S, actor: Seat) -> Sequence[Mapping[str, Any]]:
        """Every action ``actor`` may take now (used by the UI and random playouts).

        Actions with a free choice (a target) are listed once per possible choice.
        """
        ...

    def view(self, state: S, viewer: Viewer) -> dict[str, Any]: ...

    def deadline(self, state: S) -> datetime | None: ...

    def outcome(self, state: S) -> Outcome | None: ...

    def dump(self, state: S) -> dict[str, Any]: ...

    def load(self, data: Mapping[str, Any]) -> S: ...
