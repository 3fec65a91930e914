"""Le Petit Bac passes the conformance suite: random playouts, termination, no leak in any view."""

from __future__ import annotations

import pytest

from estaminet.games.kit.conformance import check_game
from estaminet.games.petit_bac import GAME


@pytest.mark.parametrize("seats", [2, 3, 4, 7])
def test_petit_bac_conformance(seats: int) -> None:
    playouts = check_game(GAME, seats=seats, seeds=range(6))
    assert all(p.outcome is not None for p in playouts)


def test_petit_bac_conformance_with_custom_categories_and_one_round() -> None:
    options = {
        **GAME.default_options(),
        "rounds": 1,
        "category_job": False,
        "custom_categories": "Marque, Chanteur ou chanteuse",
    }
    check_game(GAME, seats=5, options=options, seeds=range(4))


def test_petit_bac_conformance_reaches_winners_and_refusals() -> None:
    playouts = check_game(GAME, seats=3, seeds=range(10), timeout_share=0.05)
    verdicts = {
        verdict
        for p in playouts
        for event in p.events
        if event["type"] == "scored"
        for row in event["verdicts"]
        for verdict in row
    }
    assert {"valid", "empty", "wrong_letter", "refused"} <= verdicts
    assert {p.outcome.reason for p in playouts if p.outcome} >= {"highest_score"}


def test_petit_bac_conformance_at_the_largest_table() -> None:
    check_game(GAME, seats=GAME.max_players, seeds=range(2))
