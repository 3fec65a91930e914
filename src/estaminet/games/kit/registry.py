"""The catalogue of games a venue can offer, keyed by each game's ``key``.

A game is one package: its rules, its views and its screen. The screen's
templates live in the package's ``templates/`` folder (next to the module
that defines the game), named ``games/<key>.html`` (and optionally
``games/<key>_lobby.html``, ``games/<key>_options.html``); registering the game
makes that folder known to the web layer's template loader.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from estaminet.kernel.activity import Activity

__all__ = ["all_games", "get", "register", "template_dirs"]

_games: dict[str, Activity[Any]] = {}
_templates: dict[str, Path] = {}


def register(activity: Activity[Any], *, templates: Path | None = None) -> Activity[Any]:
    """Add ``activity`` to the catalogue and return it.

    ``templates`` is the folder holding the game's screen (default: ``templates/``
    beside the module that defines the game's class). Registering the same object
    twice is harmless (modules may be re-imported); registering a *different* game
    under a taken key is a programming error.
    """
    existing = _games.get(activity.key)
    if existing is not None and existing is not activity:
        raise ValueError(f"a different game is already registered as {activity.key!r}")
    _games[activity.key] = activity
    _templates[activity.key] = (
        templates or Path(inspect.getfile(type(activity))).parent / "templates"
    )
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


def template_dirs() -> tuple[Path, ...]:
    """The template folder of every registered game, in key order (a folder may not exist)."""
    return tuple(_templates[key] for key in sorted(_templates))
