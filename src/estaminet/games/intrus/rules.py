"""The rules in plain words, built from the package's own numbers (shown on the table, in docs).

Pure code does not translate: each line is a :class:`~estaminet.kernel.i18n.Text`
with an English message id; the screen and the docs page render it in French
from the catalog. The numbers come from the options, so the page cannot drift
from the rules the game enforces.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.games.intrus.options import BLANK_CHOICES, DEFAULT_OPTIONS
from estaminet.games.intrus.words import MAX_CLUE_LENGTH
from estaminet.kernel.i18n import N_, Nn_, Text

__all__ = ["ROLE_NAMES", "rules_sections"]

ROLE_NAMES: dict[str, str] = {
    "civilian": N_("Civil"),
    "intruder": N_("Intrus"),
    "blank": N_("Mr White"),
}
"""Each role's name on screen (English msgid, French in the catalog)."""


def rules_sections(options: Mapping[str, Any] | None = None) -> list[tuple[Text, list[Text]]]:
    """Titled sections of short rules for a table with ``options`` (the defaults if ``None``)."""
    merged = {**DEFAULT_OPTIONS, **(options or {})}
    return [
        (
            Text(N_("The aim")),
            [
                Text(
                    N_(
                        "Most players, the civils, get the same word. The intrus get a close "
                        "word (“beach” for the civils, “swimming pool” for the intrus)."
                    )
                ),
                Text(
                    N_(
                        "Nobody is told their role: you only see your word, and you do not "
                        "know whether it is the civils' word or the intrus' word."
                    )
                ),
                Text(
                    N_(
                        "Mr White gets no word at all: he must listen to the others and "
                        "pretend he has one."
                    )
                ),
                Text(
                    Nn_(
                        "This table: %(count)s intrus. %(blank)s.",
                        "This table: %(count)s intrus. %(blank)s.",
                    ),
                    {
                        "count": merged["intruders"],
                        "blank": Text(BLANK_CHOICES[merged["blank"]]),
                    },
                ),
            ],
        ),
        (
            Text(N_("A round")),
            [
                Text(
                    N_(
                        "Clues: each player still in the game, in turn, gives one word about "
                        "their word (%(max)s characters at most), in %(seconds)s seconds. "
                        "Past that time, the turn is lost."
                    ),
                    {"max": MAX_CLUE_LENGTH, "seconds": merged["clue_seconds"]},
                ),
                Text(
                    N_(
                        "A clue is one word, and not your own word nor a form of it "
                        "(plural, feminine, a word built on it): accents and capitals do "
                        "not change anything."
                    )
                ),
                Text(
                    N_(
                        "Discussion: talk it over at the table, on voice or in the chat, "
                        "for %(seconds)s seconds at most; the vote opens earlier if "
                        "everyone is ready."
                    ),
                    {"seconds": merged["discussion_seconds"]},
                ),
                Text(
                    N_(
                        "Vote: each player still in the game votes to put someone out, "
                        "within %(seconds)s seconds. Votes stay hidden until everyone has "
                        "voted or the time is up; then they are shown."
                    ),
                    {"seconds": merged["vote_seconds"]},
                ),
                Text(
                    N_(
                        "The most voted player is out and their role is shown (not their "
                        "word). In a tie, a second vote between the tied players only; if "
                        "it is a tie again, or if nobody voted, nobody goes out this round."
                    )
                ),
                Text(
                    N_(
                        "When Mr White is put out, he may guess the civils' word "
                        "(%(seconds)s seconds). If he is right, he wins alone."
                    ),
                    {"seconds": merged["guess_seconds"]},
                ),
            ],
        ),
        (
            Text(N_("Who wins")),
            [
                Text(N_("The civils win when every intrus and Mr White are out.")),
                Text(
                    N_(
                        "The intrus and Mr White win together as soon as they are at least "
                        "as many as the civils still in the game."
                    )
                ),
                Text(
                    N_(
                        "The game has at most as many rounds as players; if intrus or Mr "
                        "White are still in the game after the last one, they win."
                    )
                ),
                Text(
                    N_(
                        "Ranking: every player of the winning side is first, whether put "
                        "out or not; the others share the second place. When Mr White "
                        "guesses the word, he alone is first."
                    )
                ),
                Text(
                    N_(
                        "At the end every word and role is shown; watchers see the clues "
                        "and the votes during the game, but no word and no role before "
                        "the end (except the roles of those put out)."
                    )
                ),
            ],
        ),
    ]
