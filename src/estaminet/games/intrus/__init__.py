"""L'Intrus (the Undercover family): one word for the civils, a close one for the intrus.

Pure rules: no I/O, no clock, no global random. See docs/games/intrus.md.
"""

from estaminet.games.intrus.game import BLANK, CIVILIAN, GAME, INTRUDER, Intrus, State, side_of
from estaminet.games.intrus.options import (
    BLANK_CHOICES,
    DEFAULT_OPTIONS,
    LIMITS,
    OPTION_NAMES,
)
from estaminet.games.intrus.pairs import PAIRS
from estaminet.games.intrus.rejections import NOT_PARTICIPANT_MESSAGE, REJECTION_MESSAGES
from estaminet.games.intrus.rules import ROLE_NAMES, rules_sections
from estaminet.games.intrus.words import MAX_CLUE_LENGTH, clue_problem, same_family

__all__ = [
    "BLANK",
    "BLANK_CHOICES",
    "CIVILIAN",
    "DEFAULT_OPTIONS",
    "GAME",
    "INTRUDER",
    "LIMITS",
    "MAX_CLUE_LENGTH",
    "NOT_PARTICIPANT_MESSAGE",
    "OPTION_NAMES",
    "PAIRS",
    "REJECTION_MESSAGES",
    "ROLE_NAMES",
    "Intrus",
    "State",
    "clue_problem",
    "rules_sections",
    "same_family",
    "side_of",
]
