"""The table's options: rounds, the three timers, hint letters and the words' difficulty."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.games.dessin.rejections import reject
from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_, Text

__all__ = ["DEFAULT_OPTIONS", "LEVEL_NAMES", "LIMITS", "OPTION_NAMES", "validate_options"]

DEFAULT_OPTIONS: dict[str, Any] = {
    "rounds": 1,
    "choose_seconds": 15,
    "draw_seconds": 80,
    "reveal_seconds": 6,
    "hints": 2,
    "level": "mixed",
}

LIMITS: dict[str, tuple[int, int]] = {
    "rounds": (1, 5),
    "choose_seconds": (5, 60),
    "draw_seconds": (30, 240),
    "reveal_seconds": (3, 30),
    "hints": (0, 3),
}

LEVEL_NAMES: dict[str, str] = {
    "mixed": N_("One easy, one medium, one hard"),
    "easy": N_("Easy words"),
    "medium": N_("Medium words"),
    "hard": N_("Hard words"),
}
"""The choices of ``level`` (which lists the three words offered come from)."""

OPTION_NAMES: dict[str, str] = {
    "rounds": N_("Rounds (each player draws once per round)"),
    "choose_seconds": N_("Time to choose the word (seconds)"),
    "draw_seconds": N_("Time to draw (seconds)"),
    "reveal_seconds": N_("Time the word is shown after a turn (seconds)"),
    "hints": N_("Letters given as hints during a turn"),
    "level": N_("Words"),
}


def validate_options(
    options: Mapping[str, Any], players: int, min_players: int, max_players: int
) -> Rejection | None:
    """Known options with the right types and limits."""
    if not min_players <= players <= max_players:
        return reject("bad_players", low=min_players, high=max_players)
    for key, value in options.items():
        if key not in DEFAULT_OPTIONS:
            return reject("unknown_option")
        if key == "level":
            if value not in LEVEL_NAMES:
                return reject("bad_level")
            continue
        low, high = LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return reject("out_of_range", option=Text(OPTION_NAMES[key]), low=low, high=high)
    return None
