"""The soirée's arithmetic, pure: evening points from each game's placings, the scoreboards.

A game reports ``{seat: place}`` when it ends (1 the best, ties share a place);
the table says who sat in each seat. The evening turns places into points by one
stated rule (:data:`POINTS`, shown on the soirée's page), adds them up per
person, and ranks people with ties sharing a place. Watchers earn their own
points for a right guess (:data:`WATCHER_POINTS`) and have their own ranking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "OTHER_PLACES_POINTS",
    "POINTS",
    "WATCHER_POINTS",
    "GameResult",
    "Line",
    "VoteResult",
    "board",
    "evening_points",
    "favourites",
    "placings_of",
    "podium",
    "right_guessers",
    "watchers_board",
]

POINTS: Mapping[int, int] = {1: 10, 2: 7, 3: 5, 4: 3}
"""Evening points by place in a game; tied players share a place, so they get the same."""

OTHER_PLACES_POINTS = 1
"""Every other place: a point for playing."""

WATCHER_POINTS = 3
"""A watcher's points for a vote with the majority, or naming the right player."""


def evening_points(place: int) -> int:
    """The evening points a place in one game earns."""
    return POINTS.get(place, OTHER_PLACES_POINTS)


def placings_of(details: Mapping[str, Any] | None) -> dict[int, int]:
    """A finished game's ``{seat: place}`` as stored (JSON keys are strings; a list is by seat).

    Anything unreadable is no placing: that game gives no points (a table the host ended).
    """
    raw = (details or {}).get("placings")
    pairs: Iterable[tuple[Any, Any]]
    if isinstance(raw, Mapping):
        pairs = raw.items()
    elif isinstance(raw, list):
        pairs = enumerate(raw)
    else:
        return {}
    found: dict[int, int] = {}
    for seat, place in pairs:
        try:
            number, rank = int(seat), int(place)
        except (TypeError, ValueError):
            return {}
        if rank < 1:
            return {}
        found[number] = rank
    return found


@dataclass(frozen=True)
class GameResult:
    """One finished game of the evening: each player's place, by person."""

    position: int
    places: Mapping[str, int]
    """user id → place (only the people who played it)."""


@dataclass(frozen=True)
class VoteResult:
    """The watchers' vote of one game: each voter's choice (a seat) and the right seats."""

    position: int
    choices: Mapping[str, int]
    """voter's user id → the seat they named."""
    right: frozenset[int]
    """The seats that win the guess: the most named (a favourite) or the true ones (who is)."""


@dataclass(frozen=True)
class Line:
    """One person's line on a scoreboard: place (ties share), total, points per game."""

    user_id: str
    place: int
    total: int
    by_game: dict[int, int] = field(default_factory=dict)


def _ranked(totals: Mapping[str, int], by_game: Mapping[str, dict[int, int]]) -> list[Line]:
    ordered = sorted(totals, key=lambda user: (-totals[user], user))
    return [
        Line(
            user,
            1 + sum(1 for other in totals.values() if other > totals[user]),
            totals[user],
            by_game.get(user, {}),
        )
        for user in ordered
    ]


def board(results: Sequence[GameResult]) -> list[Line]:
    """The evening scoreboard: everyone who played at least one finished game."""
    totals: dict[str, int] = {}
    by_game: dict[str, dict[int, int]] = {}
    for result in results:
        for user, place in result.places.items():
            points = evening_points(place)
            totals[user] = totals.get(user, 0) + points
            by_game.setdefault(user, {})[result.position] = points
    return _ranked(totals, by_game)


def right_guessers(vote: VoteResult) -> set[str]:
    """The voters whose choice is among the right seats."""
    return {voter for voter, seat in vote.choices.items() if seat in vote.right}


def watchers_board(votes: Sequence[VoteResult]) -> list[Line]:
    """The watchers' ranking: everyone who voted, by their points for right guesses."""
    totals: dict[str, int] = {}
    by_game: dict[str, dict[int, int]] = {}
    for vote in votes:
        winners = right_guessers(vote)
        for voter in vote.choices:
            points = WATCHER_POINTS if voter in winners else 0
            totals[voter] = totals.get(voter, 0) + points
            by_game.setdefault(voter, {})[vote.position] = points
    return _ranked(totals, by_game)


def podium(lines: Sequence[Line]) -> list[Line]:
    """The lines on the podium: places 1 to 3 (more people when they tie), with points."""
    return [line for line in lines if line.place <= 3 and line.total > 0]


def favourites(choices: Mapping[str, int]) -> frozenset[int]:
    """The most named seats (every one of them on a tie); none without a vote."""
    counts: dict[int, int] = {}
    for seat in choices.values():
        counts[seat] = counts.get(seat, 0) + 1
    if not counts:
        return frozenset()
    best = max(counts.values())
    return frozenset(seat for seat, count in counts.items() if count == best)
