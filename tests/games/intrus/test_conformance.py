"""L'Intrus passes the conformance suite: random playouts, termination, no leak in any view."""

from __future__ import annotations

import pytest

from estaminet.games.intrus import GAME
from estaminet.games.kit.conformance import check_game


@pytest.mark.parametrize("seats", [4, 5, 6, 8])
def test_intrus_conformance(seats: int) -> None:
    playouts = check_game(GAME, seats=seats, seeds=range(6))
    assert all(p.outcome is not None for p in playouts)


@pytest.mark.parametrize("blank", ["yes", "maybe"])
def test_intrus_conformance_with_mr_white(blank: str) -> None:
    options = {**GAME.default_options(), "blank": blank}
    playouts = check_game(GAME, seats=5, options=options, seeds=range(8))
    assert all(p.outcome is not None for p in playouts)


def test_intrus_conformance_with_two_intrus_at_the_largest_table() -> None:
    options = {**GAME.default_options(), "intruders": 2, "blank": "yes"}
    check_game(GAME, seats=GAME.max_players, options=options, seeds=range(3))


def test_intrus_conformance_reaches_every_ending() -> None:
    options = {**GAME.default_options(), "blank": "yes"}
    playouts = check_game(GAME, seats=6, options=options, seeds=range(30), legal_sample=2)
    reasons = {p.outcome.reason for p in playouts if p.outcome}
    assert {"all_found", "outnumbered", "blank_guessed"} <= reasons


def test_intrus_conformance_with_nobody_acting_ends_by_the_round_limit() -> None:
    playouts = check_game(GAME, seats=4, seeds=range(2), timeout_share=1.0)
    assert {p.outcome.reason for p in playouts if p.outcome} == {"rounds_over"}
