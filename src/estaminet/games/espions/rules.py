"""The rules in plain words, built from the package's own numbers (shown on the table, in docs).

Pure code does not translate: each line is a :class:`~estaminet.kernel.i18n.Text`
with an English message id; the screen and the docs page render it in French
from the catalog. The numbers come from the options and constants, so the
page cannot drift from the rules the game enforces.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.games.espions.clues import MAX_CLUE_LENGTH
from estaminet.games.espions.grid import CARDS, NEUTRAL_CARDS, OTHER_TEAM_CARDS, STARTING_TEAM_CARDS
from estaminet.games.espions.options import DEFAULT_OPTIONS
from estaminet.kernel.i18n import N_, Text

__all__ = ["rules_sections"]


def rules_sections(options: Mapping[str, Any] | None = None) -> list[tuple[Text, list[Text]]]:
    """Titled sections of short rules for a table with ``options`` (the defaults if ``None``)."""
    merged = {**DEFAULT_OPTIONS, **(options or {})}
    return [
        (
            Text(N_("The aim")),
            [
                Text(
                    N_(
                        "Two teams, the reds and the blues, face a grid of %(cards)s words. "
                        "Some words are the reds' secret agents, others the blues'. The first "
                        "team to find all its agents wins."
                    ),
                    {"cards": CARDS},
                ),
                Text(
                    N_(
                        "The players are dealt by lot into the two teams. In each team one "
                        "player is the spymaster: only the two spymasters see the key, the "
                        "colour of every card."
                    )
                ),
                Text(
                    N_(
                        "The team that starts, drawn by lot, has %(first)s cards to find; the "
                        "other %(second)s. %(neutral)s cards are passers-by (neutral) and one "
                        "is the assassin."
                    ),
                    {
                        "first": STARTING_TEAM_CARDS,
                        "second": OTHER_TEAM_CARDS,
                        "neutral": NEUTRAL_CARDS,
                    },
                ),
            ],
        ),
        (
            Text(N_("The clue")),
            [
                Text(
                    N_(
                        "On the team's turn, its spymaster gives a clue: one single word and a "
                        "number, how many of the team's cards the word is about (“mer 2”)."
                    )
                ),
                Text(
                    N_(
                        "The clue may not be a word still hidden on the grid, nor almost the "
                        "same (a plural, other accents or capitals): such a clue is refused. "
                        "One word only, %(max)s letters at most; hyphens are allowed."
                    ),
                    {"max": MAX_CLUE_LENGTH},
                ),
                Text(
                    N_(
                        "The spymaster says nothing else, not even with a face: the voice stays "
                        "on for the table, so the team thinks aloud."
                    )
                ),
                Text(
                    N_(
                        "Without a clue after %(seconds)s seconds, the turn passes to the "
                        "other team."
                    ),
                    {"seconds": merged["clue_seconds"]},
                ),
            ],
        ),
        (
            Text(N_("Guessing")),
            [
                Text(
                    N_(
                        "The other players of the team discuss and may point at cards; any of "
                        "them turns a card over. The team may turn up to the number plus one, "
                        "one at a time, and may stop after the first."
                    )
                ),
                Text(N_("One of the team's own cards: well done, the team may go on.")),
                Text(
                    N_(
                        "A passer-by or a card of the other team: the turn ends (a card of "
                        "the other team counts for them)."
                    )
                ),
                Text(N_("The assassin: the team loses the game at once.")),
                Text(
                    N_("The guessing ends by itself after %(seconds)s seconds."),
                    {"seconds": merged["guess_seconds"]},
                ),
            ],
        ),
        (
            Text(N_("The end")),
            [
                Text(
                    N_(
                        "The first team whose cards are all turned over wins, even if the "
                        "other team turned over the last one."
                    )
                ),
                Text(
                    N_(
                        "At the end everyone sees the whole key, and the game can be replayed "
                        "step by step."
                    )
                ),
            ],
        ),
    ]
