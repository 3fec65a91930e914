"""Espions: two teams, a 5×5 grid of words, one-word clues from spymasters who alone see the key.

Pure rules: no I/O, no clock, no global random. See docs/games/espions.md.
"""

from estaminet.games.espions.clues import MAX_CLUE_LENGTH, clue_problem, fold, same_word
from estaminet.games.espions.display import breakable
from estaminet.games.espions.game import (
    GAME,
    SAMPLE_CLUE,
    TURN_END_NAMES,
    Espions,
    State,
    cards_left,
    placings,
)
from estaminet.games.espions.grid import (
    ASSASSIN,
    CARDS,
    COLOUR_NAMES,
    NEUTRAL,
    TEAM_NAMES,
    TEAMS,
    deal,
    opponent,
    spymaster,
    team_of,
)
from estaminet.games.espions.options import DEFAULT_OPTIONS, LIMITS, OPTION_NAMES
from estaminet.games.espions.rejections import NOT_PARTICIPANT_MESSAGE, REJECTION_MESSAGES
from estaminet.games.espions.rules import rules_sections
from estaminet.games.espions.words_fr import WORDS

__all__ = [
    "ASSASSIN",
    "CARDS",
    "COLOUR_NAMES",
    "DEFAULT_OPTIONS",
    "GAME",
    "LIMITS",
    "MAX_CLUE_LENGTH",
    "NEUTRAL",
    "NOT_PARTICIPANT_MESSAGE",
    "OPTION_NAMES",
    "REJECTION_MESSAGES",
    "SAMPLE_CLUE",
    "TEAMS",
    "TEAM_NAMES",
    "TURN_END_NAMES",
    "WORDS",
    "Espions",
    "State",
    "breakable",
    "cards_left",
    "clue_problem",
    "deal",
    "fold",
    "opponent",
    "placings",
    "rules_sections",
    "same_word",
    "spymaster",
    "team_of",
]
