"""Points: the sooner a guesser finds, the more they score; the drawer scores by how many found."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "DRAWER_POINTS",
    "GUESS_FIRST_BONUS",
    "GUESS_MAX",
    "GUESS_MIN",
    "drawer_points",
    "guess_points",
    "placings",
]

GUESS_MAX = 100
"""A guess at the very start of the drawing."""
GUESS_MIN = 20
"""A guess at the last second."""
GUESS_FIRST_BONUS = 10
"""The first to find gets this much more; each later finder gets this much less than the
time alone would give (so at the same instant, earlier still scores more)."""
DRAWER_POINTS = 60
"""The drawer's share when every guesser finds (a share of it when some do)."""


def guess_points(left: float, total: float, found_before: int) -> int:
    """Points for a guess with ``left`` of ``total`` seconds to go, after ``found_before`` others."""
    share = max(0.0, min(1.0, left / total)) if total > 0 else 0.0
    base = GUESS_MIN + round((GUESS_MAX - GUESS_MIN) * share)
    bonus = GUESS_FIRST_BONUS if found_before == 0 else -GUESS_FIRST_BONUS * (found_before - 1)
    return max(GUESS_MIN // 2, base + bonus)


def drawer_points(found: int, guessers: int) -> int:
    """The drawer's points: ``DRAWER_POINTS`` × the share of guessers who found."""
    return round(DRAWER_POINTS * found / guessers) if guessers else 0


def placings(scores: Sequence[int]) -> dict[int, int]:
    """``{seat: place}``, 1 = best; equal scores share a place (1, 2, 2, 4)."""
    return {
        seat: 1 + sum(1 for other in scores if other > score) for seat, score in enumerate(scores)
    }
