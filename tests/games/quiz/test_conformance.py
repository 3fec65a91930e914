"""Le Quiz passes the conformance suite: random playouts, termination, no leak in any view."""

from __future__ import annotations

from typing import Any

import pytest

from estaminet.games.kit.conformance import check_game
from estaminet.games.quiz import GAME, NARRATOR_SEAT, SAMPLE_SET, WATCHER_SEAT


def _options(**changes: Any) -> dict[str, Any]:
    return {**GAME.default_options(), **changes}


@pytest.mark.parametrize("seats", [1, 2, 4, 7])
def test_quiz_conformance(seats: int) -> None:
    playouts = check_game(
        GAME, seats=seats, seeds=range(5), extra_actors=[WATCHER_SEAT], timeout_share=0.15
    )
    assert all(p.outcome is not None for p in playouts)


def test_quiz_conformance_with_a_quiz_master() -> None:
    check_game(
        GAME,
        seats=3,
        options=_options(narrator="human"),
        seeds=range(5),
        extra_actors=[WATCHER_SEAT, NARRATOR_SEAT],
    )


def test_quiz_conformance_reaches_winners_nobody_and_watchers_points() -> None:
    one = {"title": "Un", "questions": [SAMPLE_SET["questions"][3]]}
    playouts = check_game(
        GAME,
        seats=2,
        options=_options(quiz=one),
        seeds=range(12),
        extra_actors=[WATCHER_SEAT],
        timeout_share=0.3,
    )
    reasons = {p.outcome.reason for p in playouts if p.outcome}
    assert reasons == {"highest_score", "no_winner"}
    assert any(
        points
        for p in playouts
        for event in p.events
        if event["type"] == "closed"
        for points in event["watch_points"].values()
    )


def test_quiz_conformance_at_the_largest_table() -> None:
    check_game(GAME, seats=GAME.max_players, seeds=range(2), extra_actors=[WATCHER_SEAT])
