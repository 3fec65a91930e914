"""The rules in plain words, built from the package's own numbers (shown on the table, in docs).

Pure code does not translate: each line is a :class:`~estaminet.kernel.i18n.Text`
with an English message id; the screen and the docs page render it in French
from the catalog. The numbers come from the options and constants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.games.dessin.options import DEFAULT_OPTIONS
from estaminet.games.dessin.scoring import DRAWER_POINTS, GUESS_FIRST_BONUS, GUESS_MAX, GUESS_MIN
from estaminet.kernel.i18n import N_, Nn_, Text

__all__ = ["rules_sections"]

_OFFERED = {
    "mixed": N_("one easy, one medium and one hard"),
    "easy": N_("three easy ones"),
    "medium": N_("three medium ones"),
    "hard": N_("three hard ones"),
}


def rules_sections(options: Mapping[str, Any] | None = None) -> list[tuple[Text, list[Text]]]:
    """Titled sections of short rules for a table with ``options`` (the defaults if ``None``)."""
    merged = {**DEFAULT_OPTIONS, **(options or {})}
    return [
        (
            Text(N_("The aim")),
            [
                Text(
                    N_(
                        "In turn, each player draws a word; the others try to find it by "
                        "typing in the table's chat. No letters and no numbers in the drawing!"
                    )
                ),
                Text(
                    Nn_(
                        "Everyone draws once in each round; the game has %(count)s round.",
                        "Everyone draws once in each round; the game has %(count)s rounds.",
                        "count",
                    ),
                    {"count": merged["rounds"]},
                ),
            ],
        ),
        (
            Text(N_("Drawing")),
            [
                Text(
                    N_(
                        "The one who draws chooses a word among three (%(level)s) within "
                        "%(seconds)s seconds; after that, the first one is taken."
                    ),
                    {
                        "level": Text(_OFFERED[merged["level"]]),
                        "seconds": merged["choose_seconds"],
                    },
                ),
                Text(
                    N_(
                        "Then %(seconds)s seconds to draw it: a pencil, colours, thicknesses, "
                        "an eraser, undo and clear. Everyone sees the drawing as it is made."
                    ),
                    {"seconds": merged["draw_seconds"]},
                ),
                Text(
                    Nn_(
                        "The others see how many letters the word has; %(count)s letter is "
                        "given as a hint while the time runs.",
                        "The others see how many letters the word has; %(count)s letters are "
                        "given as hints while the time runs.",
                        "count",
                    ),
                    {"count": merged["hints"]},
                ),
            ],
        ),
        (
            Text(N_("Guessing")),
            [
                Text(
                    N_(
                        "Type your guesses in the table's chat. A right answer is not shown "
                        "to the others: it would give the word away."
                    )
                ),
                Text(
                    N_(
                        "Capitals, hyphens and spaces do not matter. An answer missing its "
                        "accents, or one letter off, is “close!”: you alone are told."
                    )
                ),
                Text(
                    N_(
                        "The turn ends when everyone has found, or when the time is up; the "
                        "word is then shown to all for %(seconds)s seconds."
                    ),
                    {"seconds": merged["reveal_seconds"]},
                ),
            ],
        ),
        (
            Text(N_("Points")),
            [
                Text(
                    N_(
                        "Finding the word scores from %(high)s points at the start down to "
                        "%(low)s at the last second: the sooner, the more."
                    ),
                    {"high": GUESS_MAX, "low": GUESS_MIN},
                ),
                Text(
                    N_(
                        "The first to find gets %(bonus)s points more; each later one %(bonus)s "
                        "less than the one before at the same moment."
                    ),
                    {"bonus": GUESS_FIRST_BONUS},
                ),
                Text(
                    N_(
                        "The one who draws scores %(points)s points when everyone finds, a "
                        "share of them when some do (half of them if half find)."
                    ),
                    {"points": DRAWER_POINTS},
                ),
                Text(
                    N_(
                        "After the last turn the highest total wins; equal totals share "
                        "their place."
                    )
                ),
            ],
        ),
    ]
