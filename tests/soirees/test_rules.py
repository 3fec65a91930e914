"""The soirée's arithmetic: places to evening points, scoreboards with shared places, votes."""

from __future__ import annotations

from estaminet.soirees.rules import (
    GameResult,
    VoteResult,
    board,
    evening_points,
    favourites,
    placings_of,
    podium,
    right_guessers,
    watchers_board,
)


def test_rules_places_give_the_stated_points() -> None:
    assert [evening_points(place) for place in range(1, 8)] == [10, 7, 5, 3, 1, 1, 1]


def test_rules_placings_read_as_stored() -> None:
    assert placings_of({"placings": {"0": 1, "1": 2, "2": 2}}) == {0: 1, 1: 2, 2: 2}
    assert placings_of({"placings": [2, 1]}) == {0: 2, 1: 1}  # a list by seat
    assert placings_of({}) == {} and placings_of(None) == {}  # a table ended by its host
    assert placings_of({"placings": {"a": 1}}) == {}
    assert placings_of({"placings": {"0": 0}}) == {}
    assert placings_of({"placings": "first"}) == {}


def test_rules_board_adds_games_and_ties_share_a_place() -> None:
    lines = board(
        [
            GameResult(0, {"ada": 1, "bob": 2, "cy": 2}),
            GameResult(1, {"bob": 1, "ada": 2, "cy": 3, "dee": 5}),
        ]
    )
    assert [(line.user_id, line.place, line.total) for line in lines] == [
        ("ada", 1, 17),
        ("bob", 1, 17),
        ("cy", 3, 12),
        ("dee", 4, 1),
    ]
    assert lines[2].by_game == {0: 7, 1: 5}
    assert [line.user_id for line in podium(lines)] == ["ada", "bob", "cy"]


def test_rules_watchers_score_with_the_majority_or_the_right_player() -> None:
    assert favourites({"w1": 2, "w2": 2, "w3": 0}) == frozenset({2})
    assert favourites({"w1": 1, "w2": 0}) == frozenset({0, 1})  # a tie: both
    assert favourites({}) == frozenset()
    who_is = VoteResult(1, {"w1": 3, "w2": 1}, frozenset({3}))  # "who is the intruder?"
    assert right_guessers(who_is) == {"w1"}
    lines = watchers_board([VoteResult(0, {"w1": 2, "w2": 2, "w3": 0}, frozenset({2})), who_is])
    assert [(line.user_id, line.place, line.total) for line in lines] == [
        ("w1", 1, 6),
        ("w2", 2, 3),
        ("w3", 3, 0),
    ]
    assert [line.user_id for line in podium(lines)] == ["w1", "w2"]  # no podium with 0 points
