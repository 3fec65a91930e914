"""Un dessin, un mot: one draws a word chosen among three, the others guess in the table's chat.

Pure rules: no I/O, no clock, no global random. See docs/games/dessin.md.
"""

from estaminet.games.dessin.game import GAME, INK_BURST, INK_RATE, MAX_GUESS_LENGTH, Dessin, State
from estaminet.games.dessin.ink import (
    COLOURS,
    HEIGHT,
    MAX_OPS_PER_BATCH,
    MAX_POINTS_PER_BATCH,
    MAX_POINTS_PER_TURN,
    WIDTH,
    WIDTHS,
)
from estaminet.games.dessin.options import DEFAULT_OPTIONS, LEVEL_NAMES, LIMITS, OPTION_NAMES
from estaminet.games.dessin.rejections import NOT_PARTICIPANT_MESSAGE, REJECTION_MESSAGES
from estaminet.games.dessin.rules import rules_sections
from estaminet.games.dessin.scoring import DRAWER_POINTS, GUESS_MAX, GUESS_MIN, placings
from estaminet.games.dessin.wordlist import EASY, HARD, LEVELS, MEDIUM
from estaminet.games.dessin.words import classify, fold, loose

__all__ = [
    "COLOURS",
    "DEFAULT_OPTIONS",
    "DRAWER_POINTS",
    "EASY",
    "GAME",
    "GUESS_MAX",
    "GUESS_MIN",
    "HARD",
    "HEIGHT",
    "INK_BURST",
    "INK_RATE",
    "LEVELS",
    "LEVEL_NAMES",
    "LIMITS",
    "MAX_GUESS_LENGTH",
    "MAX_OPS_PER_BATCH",
    "MAX_POINTS_PER_BATCH",
    "MAX_POINTS_PER_TURN",
    "MEDIUM",
    "NOT_PARTICIPANT_MESSAGE",
    "OPTION_NAMES",
    "REJECTION_MESSAGES",
    "WIDTH",
    "WIDTHS",
    "Dessin",
    "State",
    "classify",
    "fold",
    "loose",
    "placings",
    "rules_sections",
]
