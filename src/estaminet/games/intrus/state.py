"""The state of a game of L'Intrus: plain JSON data, the roles, and the current timer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from estaminet.games.intrus.options import PHASE_SECONDS

__all__ = [
    "BLANK",
    "CIVILIAN",
    "INTRUDER",
    "State",
    "in_range",
    "load_state",
    "phase_deadline",
    "side_of",
]

CIVILIAN, INTRUDER, BLANK = "civilian", "intruder", "blank"


@dataclass
class State:
    """Everything the rules need; plain JSON types only, so ``dump`` is ``asdict``."""

    seed: int
    options: dict[str, Any]
    roles: list[str]
    words: list[str | None]
    civilian_word: str
    intruder_word: str
    alive: list[bool]
    starter: int
    order: list[int]
    started: str
    round: int = 1
    phase: str = "clues"
    turn: int = 0
    clues: list[dict[str, Any]] = field(default_factory=list)
    ready: list[bool] = field(default_factory=list)
    ballot: int = 1
    candidates: list[int] = field(default_factory=list)
    votes: list[int | None] = field(default_factory=list)
    ballots: list[dict[str, Any]] = field(default_factory=list)
    eliminated: list[dict[str, Any]] = field(default_factory=list)
    guesser: int | None = None
    guesses: list[dict[str, Any]] = field(default_factory=list)
    winner: str | None = None
    reason: str | None = None
    ticks: int = 0


def side_of(role: str) -> str:
    """``"civilians"`` for a civil, ``"intruders"`` for an intrus or Mr White."""
    return "civilians" if role == CIVILIAN else "intruders"


def in_range(value: Any, size: int) -> TypeGuard[int]:
    """Whether ``value`` is a seat number (an int, not a bool) below ``size``."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < size


def phase_deadline(state: State) -> datetime:
    """When the current step closes: its start plus its timer option (the same for every role)."""
    seconds = state.options[PHASE_SECONDS[state.phase]]
    return datetime.fromisoformat(state.started) + timedelta(seconds=seconds)


def load_state(data: Mapping[str, Any]) -> State:
    """A state from its ``asdict`` form (deep copies, so the input is never shared)."""
    return State(
        seed=data["seed"],
        options=dict(data["options"]),
        roles=list(data["roles"]),
        words=list(data["words"]),
        civilian_word=data["civilian_word"],
        intruder_word=data["intruder_word"],
        alive=list(data["alive"]),
        starter=data["starter"],
        order=list(data["order"]),
        started=data["started"],
        round=data["round"],
        phase=data["phase"],
        turn=data["turn"],
        clues=[dict(c) for c in data["clues"]],
        ready=list(data["ready"]),
        ballot=data["ballot"],
        candidates=list(data["candidates"]),
        votes=list(data["votes"]),
        ballots=[
            {**b, "votes": [dict(v) for v in b["votes"]], "again": list(b["again"])}
            for b in data["ballots"]
        ],
        eliminated=[dict(e) for e in data["eliminated"]],
        guesser=data["guesser"],
        guesses=[dict(g) for g in data["guesses"]],
        winner=data["winner"],
        reason=data["reason"],
        ticks=data["ticks"],
    )
