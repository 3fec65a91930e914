"""Counting a ballot: the most voted is out; a tie goes to a second ballot, then nobody.

Blank ballots (players who did not vote in time) count for nobody. If nobody
voted at all, nobody is out and there is no second ballot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

__all__ = ["decide", "leaders"]


def leaders(votes: Sequence[int | None], candidates: Sequence[int]) -> list[int]:
    """The candidates with the most votes, in seat order (empty if nobody voted)."""
    counts = Counter(target for target in votes if target is not None and target in candidates)
    if not counts:
        return []
    most = max(counts.values())
    return sorted(seat for seat, count in counts.items() if count == most)


def decide(
    votes: Sequence[int | None], candidates: Sequence[int], ballot: int
) -> tuple[int | None, list[int]]:
    """``(out, second_ballot)``: who is out (or ``None``), and the tied candidates to vote again on.

    The second list is empty unless the first ballot ended in a tie.
    """
    top = leaders(votes, candidates)
    if len(top) == 1:
        return top[0], []
    if len(top) > 1 and ballot == 1:
        return None, top
    return None, []
