"""The table's options: how long a spymaster may think, how long a team may guess."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.games.espions.rejections import reject
from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_, Text

__all__ = ["DEFAULT_OPTIONS", "LIMITS", "OPTION_NAMES", "validate_options"]

DEFAULT_OPTIONS: dict[str, Any] = {"clue_seconds": 120, "guess_seconds": 120}

LIMITS: dict[str, tuple[int, int]] = {"clue_seconds": (30, 600), "guess_seconds": (30, 600)}

OPTION_NAMES: dict[str, str] = {
    "clue_seconds": N_("Time for the clue (seconds)"),
    "guess_seconds": N_("Time to guess (seconds)"),
}


def validate_options(
    options: Mapping[str, Any], players: int, min_players: int, max_players: int
) -> Rejection | None:
    """Known options, whole numbers within their limits, and enough players for two teams."""
    if not min_players <= players <= max_players:
        return reject("bad_players", low=min_players, high=max_players)
    for key, value in options.items():
        if key not in DEFAULT_OPTIONS:
            return reject("unknown_option")
        low, high = LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return reject("out_of_range", option=Text(OPTION_NAMES[key]), low=low, high=high)
    return None
