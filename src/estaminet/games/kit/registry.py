"""The catalogue of games a venue can offer, keyed by each game's ``key``."""

from __future__ import annotations

from typing import Any

from estaminet.kernel.activity import Activity

__all__ = ["all_games", "get", "register"]

_games: dict[str, Activity[Any]] = {}


def register(activity: Activity[Any]) -> Activity[Any]:
    """Add ``activity`` to the catalogue and return it.

    Registering the same object twice is harmless (modules may be re-imported);
    registering a *different* game under a taken key is a programming error.
    """
    existing = _games.get(activity.key)
    if existing is not None and existing is not activity:
        raise ValueError(f"a different game is already registered as {activity.key!r}")
    _games[activity.key] = activity
    return activity


def get(key: str) -> Activity[Any]:
    """The game registered as ``key``; :class:`LookupError` if there is none."""
    try:
        return _games[key]
    except KeyError:
        raise LookupError(f"no game registered as {key!r}") from None


def all_games() -> tuple[Activity[Any], ...]:
    """Every registered game, sorted by key (a stable order for menus)."""
    return tuple(_games[key] for key in sorted(_games))
