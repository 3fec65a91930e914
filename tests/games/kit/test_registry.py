"""The game registry."""

from __future__ import annotations

import pytest

import estaminet.games  # noqa: F401 - registers the built-in games
from estaminet.games import example, werewolf
from estaminet.games.kit import all_games, get, register


def test_registry_holds_the_built_in_games() -> None:
    assert get("werewolf") is werewolf.GAME
    assert get("lowest_unique") is example.GAME
    assert [game.key for game in all_games()] == sorted(game.key for game in all_games())


def test_registry_registering_twice_is_harmless() -> None:
    assert register(werewolf.GAME) is werewolf.GAME


def test_registry_refuses_another_game_under_a_taken_key() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(werewolf.Werewolf())


def test_registry_unknown_key() -> None:
    with pytest.raises(LookupError):
        get("chess")
