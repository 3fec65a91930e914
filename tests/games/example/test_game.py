"""Lowest unique number: the example game's rules and the conformance suite."""

from __future__ import annotations

from datetime import timedelta

import pytest

from estaminet.games.example import GAME, REJECTION_MESSAGES, State
from estaminet.games.kit.conformance import START, check_game
from estaminet.kernel.activity import SYSTEM, Outcome, Rejection, Viewer


def play(state: State, seat: int, number: int) -> State:
    events = GAME.apply(state, seat, {"type": "pick", "number": number}, START)
    assert not isinstance(events, Rejection), events
    for event in events:
        state = GAME.evolve(state, event)
    return state


def test_game_lowest_unique_number_scores() -> None:
    state = GAME.setup(3, {"rounds": 1}, seed=1, now=START)
    state = play(state, 0, 1)
    state = play(state, 1, 1)
    state = play(state, 2, 4)
    assert GAME.outcome(state) == Outcome(
        "highest_score",
        frozenset({2}),
        {"scores": [0, 0, 1], "placings": {0: 2, 1: 2, 2: 1}},
    )


def test_game_picks_stay_secret_until_the_round_ends() -> None:
    state = GAME.setup(3, {}, seed=1, now=START)
    state = play(state, 0, 3)
    assert GAME.view(state, Viewer.player(0))["picks"] == [{"seat": 0, "pick": 3, "round": 1}]
    assert GAME.view(state, Viewer.player(1))["picks"] == []
    assert GAME.view(state, Viewer.player(1))["picked"] == [True, False, False]


def test_game_timeout_picks_by_lot_for_latecomers() -> None:
    state = GAME.setup(2, {"rounds": 1}, seed=1, now=START)
    state = play(state, 0, 2)
    deadline = GAME.deadline(state)
    assert deadline is not None
    early = GAME.apply(state, SYSTEM, {"type": "timeout"}, deadline - timedelta(seconds=1))
    assert isinstance(early, Rejection) and early.code == "lowest_unique/too_early"
    events = GAME.apply(state, SYSTEM, {"type": "timeout"}, deadline)
    assert not isinstance(events, Rejection)
    assert events[0]["type"] == "picked" and events[0]["seat"] == 1
    assert events == GAME.apply(state, SYSTEM, {"type": "timeout"}, deadline)  # reproducible


@pytest.mark.parametrize(
    ("seat", "action", "code"),
    [
        (0, {"type": "pick", "number": 0}, "bad_number"),
        (0, {"type": "pick", "number": "1"}, "bad_number"),
        (0, {"type": "jump"}, "unknown_action"),
        (7, {"type": "pick", "number": 1}, "not_a_player"),
    ],
)
def test_game_rejects_bad_input(seat: int, action: dict[str, object], code: str) -> None:
    state = GAME.setup(2, {}, seed=1, now=START)
    result = GAME.apply(state, seat, action, START)
    assert isinstance(result, Rejection) and result.code == f"lowest_unique/{code}"
    assert result.code in REJECTION_MESSAGES


def test_game_rejects_a_second_pick() -> None:
    state = play(GAME.setup(2, {}, seed=1, now=START), 0, 1)
    result = GAME.apply(state, 0, {"type": "pick", "number": 2}, START)
    assert isinstance(result, Rejection) and result.code == "lowest_unique/already_picked"


def test_game_validates_options() -> None:
    assert GAME.validate_options({"rounds": 3}, 4) is None
    assert GAME.validate_options({"rounds": 0}, 4) is not None
    assert GAME.validate_options({"colour": 1}, 4) is not None
    assert GAME.validate_options({}, 7) is not None


@pytest.mark.parametrize("seats", range(2, 7))
def test_game_conformance(seats: int) -> None:
    check_game(GAME, seats=seats, seeds=range(8))
