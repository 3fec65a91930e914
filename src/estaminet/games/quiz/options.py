"""The table's options: the question set (a copy), the scoreboard's pause, a quiz master.

The set is **copied** into the options when the host chooses it in the lobby
(``quiz``: ``{"title", "questions"}``, see :mod:`~estaminet.games.quiz.questions`),
so the game and its replay never depend on the set as it is edited later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.games.quiz.questions import SAMPLE_SET, SetProblem, check_set
from estaminet.games.quiz.rejections import reject
from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_, Text

__all__ = ["DEFAULT_OPTIONS", "LIMITS", "OPTION_NAMES", "validate_options"]

DEFAULT_OPTIONS: dict[str, Any] = {
    "quiz": SAMPLE_SET,
    "pause_seconds": 8,
    "narrator": "",
}

LIMITS: dict[str, tuple[int, int]] = {"pause_seconds": (3, 60)}

OPTION_NAMES: dict[str, str] = {
    "pause_seconds": N_("Time on the scoreboard between questions (seconds)"),
}


def validate_options(
    options: Mapping[str, Any], players: int, min_players: int, max_players: int
) -> Rejection | None:
    """Known options, numbers in range, and a set that passes every check of the editor."""
    if not min_players <= players <= max_players:
        return reject("bad_players", low=min_players, high=max_players)
    for key, value in options.items():
        if key not in DEFAULT_OPTIONS:
            return reject("unknown_option")
        if key in LIMITS:
            low, high = LIMITS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                return reject("out_of_range", option=Text(OPTION_NAMES[key]), low=low, high=high)
        elif key == "narrator" and value not in ("", "human"):
            return reject("unknown_option")
    checked = check_set({**DEFAULT_OPTIONS, **options}["quiz"])
    if isinstance(checked, SetProblem):
        return checked.rejection
    return None
