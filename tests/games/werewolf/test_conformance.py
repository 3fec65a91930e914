"""The shared conformance suite on Loup-Garou: sizes 6–18, role mixes, both narrators."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from estaminet.games.kit.conformance import check_game
from estaminet.games.werewolf import GAME, NARRATOR_SEAT

EVERY_ROLE = {
    "werewolf": 3, "villager": 1, "seer": 1, "witch": 1, "hunter": 1, "cupid": 1,
    "little_girl": 1, "guard": 1, "elder": 1, "idiot": 1, "scapegoat": 1, "thief": 1,
}  # fmt: skip
"""Twelve players and the Thief's two spare cards."""


def options(**changes: Any) -> dict[str, Any]:
    return {**GAME.default_options(), **changes}


@pytest.mark.parametrize("seats", range(6, 19))
def test_conformance_auto_narrator_every_table_size(seats: int) -> None:
    check_game(GAME, seats=seats, options=options(), seeds=range(2))


@pytest.mark.parametrize("seats", [6, 9, 13, 18])
def test_conformance_human_narrator(seats: int) -> None:
    check_game(
        GAME,
        seats=seats,
        options=options(narrator="human"),
        seeds=range(2),
        extra_actors=[NARRATOR_SEAT],
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"captain": False, "reveal_roles_on_death": False},
        {"wolves_win_at_parity": False, "little_girl_risk": 60, "dead_see_roles": True},
        {"narrator": "human", "spectators_see_roles": True, "captain": False},
    ],
    ids=["defaults", "no-captain-no-reveal", "no-parity-risky-spy", "human-open-spectators"],
)
def test_conformance_every_role(changes: dict[str, Any]) -> None:
    extra = [NARRATOR_SEAT] if changes.get("narrator") == "human" else []
    check_game(
        GAME,
        seats=12,
        options=options(composition=EVERY_ROLE, **changes),
        seeds=range(4),
        extra_actors=extra,
    )


def test_conformance_reaches_the_different_endings() -> None:
    lovers = {"werewolf": 1, "cupid": 1, "hunter": 1, "villager": 3}
    reasons: Counter[str] = Counter()
    for playout in check_game(
        GAME,
        seats=6,
        options=options(composition=lovers, wolves_win_at_parity=False),
        seeds=range(12),
        timeout_share=0.3,
    ):
        assert playout.outcome is not None
        reasons[playout.outcome.reason] += 1
        # The winners share the first place, everyone else the second (the evening's points).
        placings = playout.outcome.details["placings"]
        assert {seat for seat, place in placings.items() if place == 1} == playout.outcome.winners
        assert set(placings.values()) <= {1, 2}
    assert {"village_wins", "wolves_win"} <= set(reasons)
