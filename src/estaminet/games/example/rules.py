"""The rules of Lowest unique number in plain words, from the game's own numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.games.example.game import DEFAULTS
from estaminet.kernel.i18n import N_, Nn_, Text

__all__ = ["rules_sections"]


def rules_sections(options: Mapping[str, Any] | None = None) -> list[tuple[Text, list[Text]]]:
    """Titled sections of short rules for a table with ``options`` (the defaults if ``None``)."""
    merged = {**DEFAULTS, **(options or {})}
    return [
        (
            Text(N_("The aim")),
            [
                Text(
                    N_("Each round, everyone secretly picks a number from 1 to %(highest)s."),
                    {"highest": merged["highest"]},
                ),
                Text(N_("The lowest number that nobody else picked scores one point.")),
                Text(
                    Nn_("The game has %(count)s round.", "The game has %(count)s rounds."),
                    {"count": merged["rounds"]},
                ),
            ],
        ),
        (
            Text(N_("Time")),
            [
                Text(
                    N_(
                        "You have %(seconds)s seconds to pick; after that, the game picks a "
                        "number for you by lot."
                    ),
                    {"seconds": merged["pick_seconds"]},
                )
            ],
        ),
    ]
