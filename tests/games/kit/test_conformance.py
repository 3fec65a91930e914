"""The conformance suite catches broken games (checked on deliberately broken variants)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pytest

from estaminet.games.example import LowestUnique, State
from estaminet.games.kit.conformance import ConformanceError, check_game
from estaminet.kernel.activity import Event, Rejection, Seat, Viewer, ViewerKind


class Leaky(LowestUnique):
    """Shows every current pick to everyone."""

    def view(self, state: State, viewer: Viewer) -> dict[str, Any]:
        return super().view(state, Viewer(ViewerKind.REPLAY))


class Mutating(LowestUnique):
    """Folds events into the state it was given."""

    def evolve(self, state: State, event: Event) -> State:
        new = super().evolve(state, event)
        state.ticks += 1
        return new


class Liar(LowestUnique):
    """Lists a number it then refuses."""

    def legal_actions(self, state: State, actor: Seat) -> Sequence[Mapping[str, Any]]:
        actions = list(super().legal_actions(state, actor))
        return [*actions, {"type": "pick", "number": 99}] if actions else []


class Endless(LowestUnique):
    """Never ends."""

    def evolve(self, state: State, event: Event) -> State:
        new = super().evolve(state, event)
        new.history = new.history[-1:] if new.options["rounds"] > 1 else []
        return new


class Forgetful(LowestUnique):
    """Loses the scores on dump."""

    def dump(self, state: State) -> dict[str, Any]:
        data = super().dump(state)
        data["scores"] = [0] * len(data["scores"])
        return data


class Shapeshifting(LowestUnique):
    """Shows its scores as a tuple while playing, as a list once loaded: the same JSON,
    another value (the table service would send a frame where nothing changed)."""

    def evolve(self, state: State, event: Event) -> State:
        new = super().evolve(state, event)
        new.scores = tuple(new.scores)  # type: ignore[assignment]
        return new

    def view(self, state: State, viewer: Viewer) -> dict[str, Any]:
        return {**super().view(state, viewer), "scores": state.scores}


class Random(LowestUnique):
    """Draws with a fresh generator each call (not reproducible)."""

    calls = 0

    def apply(
        self, state: State, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection:
        Random.calls += 1
        result = super().apply(state, actor, action, now)
        if isinstance(result, Rejection):
            return result
        return [{**event, "noise": Random.calls} for event in result]


@pytest.mark.parametrize(
    ("game", "message"),
    [
        (Leaky(), "leak"),
        (Mutating(), "mutated"),
        (Liar(), "rejected"),
        (Endless(), "no outcome"),
        (Forgetful(), "round-trip"),
        (Random(), "deterministic"),
        (Shapeshifting(), "another value"),
    ],
    ids=["leak", "mutation", "liar", "endless", "forgetful", "random", "shapeshifting"],
)
def test_conformance_catches_broken_games(game: LowestUnique, message: str) -> None:
    with pytest.raises(ConformanceError, match=message):
        check_game(game, seats=3, seeds=range(3), max_steps=200)


def test_conformance_passes_a_correct_game() -> None:
    playouts = check_game(LowestUnique(), seats=3, seeds=range(3))
    assert all(playout.outcome is not None for playout in playouts)
