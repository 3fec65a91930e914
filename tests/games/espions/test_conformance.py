"""Espions passes the conformance suite: random playouts, termination, no key in any view."""

from __future__ import annotations

import pytest

from estaminet.games.espions import GAME
from estaminet.games.kit.conformance import check_game


@pytest.mark.parametrize("seats", [4, 5, 6, 9])
def test_espions_conformance(seats: int) -> None:
    playouts = check_game(GAME, seats=seats, seeds=range(6))
    assert all(p.outcome is not None for p in playouts)


def test_espions_conformance_reaches_every_ending() -> None:
    playouts = check_game(GAME, seats=4, seeds=range(12), timeout_share=0.05)
    reasons = {p.outcome.reason for p in playouts if p.outcome}
    assert reasons == {"assassin", "all_found"}
    ends = {turn["end"] for p in playouts for turn in p.final.turns}
    assert {"wrong", "stopped", "timeout", "assassin", "all_found"} <= ends


def test_espions_conformance_with_short_timers_at_the_largest_table() -> None:
    options = {"clue_seconds": 30, "guess_seconds": 30}
    check_game(GAME, seats=GAME.max_players, options=options, seeds=range(2))
