"""Verdicts, points and placings: the arithmetic of a round, apart from the flow.

A round's answer is *valid* unless it is empty, does not start with the
round's letter, or was contested and refused by the table. A contest is
settled by the other players (everyone but the answer's author): the answer is
refused when more than half of them vote against it (the contester's vote
counts against it); a tie, or players who did not vote, keep the answer.
Valid answers score 10 when nobody else gave the same answer in that category,
5 when someone did (compared by :func:`~estaminet.games.petit_bac.words.comparison_key`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from estaminet.games.petit_bac.words import comparison_key, starts_with

__all__ = [
    "SHARED_POINTS",
    "UNIQUE_POINTS",
    "is_refused",
    "placings",
    "points",
    "verdicts",
]

UNIQUE_POINTS = 10
SHARED_POINTS = 5


def is_refused(votes: Sequence[bool | None], seats: int) -> bool:
    """More than half of the other players (``seats - 1``) voted against the answer."""
    against = sum(1 for vote in votes if vote is False)
    return against * 2 > seats - 1


def verdicts(
    answers: Sequence[Sequence[str]], letter: str, contests: Sequence[Mapping[str, Any]]
) -> list[list[str]]:
    """``empty``, ``wrong_letter``, ``refused`` or ``valid`` for each seat and category."""
    seats = len(answers)
    refused = {
        (contest["seat"], contest["category"])
        for contest in contests
        if is_refused(contest["votes"], seats)
    }
    table: list[list[str]] = []
    for seat, sheet in enumerate(answers):
        row = []
        for category, answer in enumerate(sheet):
            if not answer.strip():
                row.append("empty")
            elif not starts_with(answer, letter):
                row.append("wrong_letter")
            elif (seat, category) in refused:
                row.append("refused")
            else:
                row.append("valid")
        table.append(row)
    return table


def points(answers: Sequence[Sequence[str]], verdict: Sequence[Sequence[str]]) -> list[list[int]]:
    """10 for a valid answer nobody else gave in its category, 5 for a shared one, else 0."""
    categories = len(answers[0]) if answers else 0
    result = [[0] * categories for _ in answers]
    for category in range(categories):
        keys = {
            seat: comparison_key(sheet[category])
            for seat, sheet in enumerate(answers)
            if verdict[seat][category] == "valid"
        }
        counts = Counter(keys.values())
        for seat, key in keys.items():
            result[seat][category] = UNIQUE_POINTS if counts[key] == 1 else SHARED_POINTS
    return result


def placings(scores: Sequence[int]) -> list[int]:
    """Each seat's place, 1 for the best; equal scores share a place (1, 1, 3)."""
    return [1 + sum(1 for other in scores if other > score) for score in scores]
