"""Points for an answer, places from scores, and the watchers' board.

**The rule**: a right answer scores ``1000 × (1 − t / 2T)`` points, rounded down,
where ``T`` is the question's time and ``t`` the time taken (from the moment the
question opened to the moment the server received the answer, at most ``T``): 1000
for an instant answer, 500 at the last moment. A wrong answer, or none, scores 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from estaminet.games.quiz.questions import is_right

__all__ = ["FASTEST_POINTS", "SLOWEST_POINTS", "placings", "points", "ranking"]

FASTEST_POINTS = 1000
SLOWEST_POINTS = 500


def points(question: Mapping[str, Any], entry: Mapping[str, Any] | None) -> int:
    """What one answer (``{"answer", "elapsed_ms"}`` or ``None``) scores for ``question``."""
    if entry is None or not is_right(question, entry["answer"]):
        return 0
    allowed: int = question["seconds"] * 1000
    taken = min(max(int(entry["elapsed_ms"]), 0), allowed)
    return FASTEST_POINTS - (FASTEST_POINTS - SLOWEST_POINTS) * taken // allowed


def placings(scores: Sequence[int]) -> list[int]:
    """Each seat's place, 1 for the best; equal scores share a place (1, 1, 3)."""
    return [1 + sum(1 for other in scores if other > score) for score in scores]


def ranking(scores: Mapping[str, int]) -> list[dict[str, Any]]:
    """The watchers' board: best first (ties by id, for a stable order), with places."""
    order = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    values = [score for _, score in order]
    return [
        {"watcher": watcher, "score": score, "place": 1 + sum(1 for v in values if v > score)}
        for watcher, score in order
    ]
