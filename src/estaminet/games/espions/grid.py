"""The grid and the two teams: who plays for whom, who holds the key, how the key is dealt.

Seats are drawn by lot when the table starts; the teams follow the seats:
even seats play for **red**, odd seats for **blue**, and the first seat of each
team (0 and 1) is its spymaster. The starting team, the 25 words and the key
are drawn from the table's seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from estaminet.games.espions.words_fr import WORDS
from estaminet.kernel.i18n import N_

__all__ = [
    "ASSASSIN",
    "CARDS",
    "COLOURS",
    "COLOUR_NAMES",
    "NEUTRAL",
    "NEUTRAL_CARDS",
    "OTHER_TEAM_CARDS",
    "STARTING_TEAM_CARDS",
    "TEAMS",
    "TEAM_NAMES",
    "Deal",
    "deal",
    "opponent",
    "spymaster",
    "team_of",
    "team_seats",
]

TEAMS = ("red", "blue")
NEUTRAL = "neutral"
ASSASSIN = "assassin"
COLOURS = (*TEAMS, NEUTRAL, ASSASSIN)
CARDS = 25
STARTING_TEAM_CARDS = 9
OTHER_TEAM_CARDS = 8
NEUTRAL_CARDS = 7

TEAM_NAMES: dict[str, str] = {"red": N_("Reds"), "blue": N_("Blues")}
"""Each team's name without an article (messages add their own: "the %(team)s win")."""

COLOUR_NAMES: dict[str, str] = {
    "red": N_("red"),
    "blue": N_("blue"),
    "neutral": N_("passer-by"),
    "assassin": N_("assassin"),
}
"""What a card is, in words: a colour is never told by colour alone."""

Deal = tuple[str, list[str], list[str]]
"""The starting team, the 25 words and the key (one colour per card)."""


def team_of(seat: int) -> str:
    """``red`` for even seats, ``blue`` for odd ones."""
    return TEAMS[seat % 2]


def spymaster(team: str) -> int:
    """The seat of ``team``'s spymaster: its first seat."""
    return TEAMS.index(team)


def opponent(team: str) -> str:
    """The other team."""
    return TEAMS[1 - TEAMS.index(team)]


def team_seats(team: str, seats: int) -> list[int]:
    """Every seat of ``team`` at a table of ``seats`` players."""
    return [seat for seat in range(seats) if team_of(seat) == team]


def deal(rng: random.Random, words: Sequence[str] = WORDS) -> Deal:
    """Draw the starting team, 25 words and the key: 9 cards for the starting team, 8 for the
    other, 7 neutral and the assassin, in a shuffled order."""
    starting = rng.choice(TEAMS)
    chosen = rng.sample(list(words), CARDS)
    key = (
        [starting] * STARTING_TEAM_CARDS
        + [opponent(starting)] * OTHER_TEAM_CARDS
        + [NEUTRAL] * NEUTRAL_CARDS
        + [ASSASSIN]
    )
    rng.shuffle(key)
    return starting, chosen, key
