"""Placings: how a game reports each seat's place when it ends (``Outcome.details["placings"]``).

Every game gives ``{seat: place}`` for every seat, 1 the best, tied seats sharing a
place (``{0: 1, 1: 2, 2: 2, 3: 4}``). The evening soirée turns places into evening
points; these helpers build the two usual shapes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

__all__ = ["placings_by_score", "placings_by_winners"]


def placings_by_score(scores: Sequence[int]) -> dict[int, int]:
    """Each seat's place by its score, the highest first; equal scores share a place."""
    return {
        seat: 1 + sum(1 for other in scores if other > score) for seat, score in enumerate(scores)
    }


def placings_by_winners(seats: int, winners: Collection[int]) -> dict[int, int]:
    """The winners share the first place, everyone else the second (nobody won: all second)."""
    return {seat: 1 if seat in winners else 2 for seat in range(seats)}
