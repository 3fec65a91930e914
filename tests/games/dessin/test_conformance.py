"""Un dessin, un mot passes the conformance suite: random playouts, termination, no leak."""

from __future__ import annotations

import pytest

from estaminet.games.dessin import GAME
from estaminet.games.kit.conformance import check_game


@pytest.mark.parametrize("seats", [2, 3, 5])
def test_dessin_conformance(seats: int) -> None:
    playouts = check_game(GAME, seats=seats, seeds=range(5))
    assert all(p.outcome is not None for p in playouts)


def test_dessin_conformance_reaches_every_kind_of_event() -> None:
    playouts = check_game(GAME, seats=4, seeds=range(6), timeout_share=0.15)
    kinds = {event["type"] for p in playouts for event in p.events}
    assert {"chosen", "ink", "hint", "near", "found", "turn_over", "next_turn"} <= kinds
    assert {p.outcome.reason for p in playouts if p.outcome} >= {"highest_score"}


def test_dessin_conformance_with_options() -> None:
    options = {**GAME.default_options(), "rounds": 2, "hints": 0, "level": "hard"}
    check_game(GAME, seats=3, options=options, seeds=range(3))


def test_dessin_conformance_at_the_largest_table() -> None:
    check_game(GAME, seats=GAME.max_players, seeds=range(1))
