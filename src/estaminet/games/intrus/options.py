"""The table's options: how many intrus, whether there is a Mr White, and the timers.

``blank`` is ``"no"``, ``"yes"`` or ``"maybe"``: with *maybe* a Mr White is in
play one game in two, drawn by lot, and nobody knows whether there is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.games.intrus.rejections import reject
from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_, Text

__all__ = [
    "BLANK_CHOICES",
    "DEFAULT_OPTIONS",
    "LIMITS",
    "OPTION_NAMES",
    "PHASE_SECONDS",
    "validate_options",
]

BLANK_CHOICES: dict[str, str] = {
    "no": N_("No Mr White"),
    "yes": N_("One Mr White"),
    "maybe": N_("Maybe a Mr White (one game in two, nobody knows)"),
}

DEFAULT_OPTIONS: dict[str, Any] = {
    "intruders": 1,
    "blank": "no",
    "clue_seconds": 40,
    "discussion_seconds": 90,
    "vote_seconds": 45,
    "guess_seconds": 45,
}

LIMITS: dict[str, tuple[int, int]] = {
    "intruders": (1, 2),
    "clue_seconds": (15, 180),
    "discussion_seconds": (20, 600),
    "vote_seconds": (15, 300),
    "guess_seconds": (15, 180),
}

OPTION_NAMES: dict[str, str] = {
    "intruders": N_("Number of intrus"),
    "blank": N_("Mr White"),
    "clue_seconds": N_("Time for each clue (seconds)"),
    "discussion_seconds": N_("Time to discuss (seconds)"),
    "vote_seconds": N_("Time to vote (seconds)"),
    "guess_seconds": N_("Time for Mr White's guess (seconds)"),
}

PHASE_SECONDS: dict[str, str] = {
    "clues": "clue_seconds",
    "discussion": "discussion_seconds",
    "vote": "vote_seconds",
    "guess": "guess_seconds",
}
"""The option that times each phase (the same for everyone: a timer tells nothing)."""


def validate_options(
    options: Mapping[str, Any], players: int, min_players: int, max_players: int
) -> Rejection | None:
    """Known options, right types and limits; the civils outnumber everyone else."""
    if not min_players <= players <= max_players:
        return reject("bad_players", low=min_players, high=max_players)
    for key, value in options.items():
        if key not in DEFAULT_OPTIONS:
            return reject("unknown_option")
        name = Text(OPTION_NAMES[key])
        if key == "blank":
            if value not in BLANK_CHOICES:
                return reject("bad_option", option=name)
            continue
        low, high = LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return reject("out_of_range", option=name, low=low, high=high)
    merged = {**DEFAULT_OPTIONS, **options}
    others = merged["intruders"] + (0 if merged["blank"] == "no" else 1)
    if players - others <= others:
        return reject("too_few_civils")
    return None
