"""Le Petit Bac: a letter by lot, one word per category, "stop !", answers checked by the table.

Pure rules: no I/O, no clock, no global random. See docs/games/petit-bac.md.
"""

from estaminet.games.petit_bac.game import GAME, PetitBac, State
from estaminet.games.petit_bac.options import (
    BUILTIN_CATEGORIES,
    DEFAULT_OPTIONS,
    MAX_ANSWER_LENGTH,
    OPTION_NAMES,
    categories,
)
from estaminet.games.petit_bac.rejections import NOT_PARTICIPANT_MESSAGE, REJECTION_MESSAGES
from estaminet.games.petit_bac.rules import rules_sections
from estaminet.games.petit_bac.scoring import SHARED_POINTS, UNIQUE_POINTS
from estaminet.games.petit_bac.words import comparison_key, starts_with

__all__ = [
    "BUILTIN_CATEGORIES",
    "DEFAULT_OPTIONS",
    "GAME",
    "MAX_ANSWER_LENGTH",
    "NOT_PARTICIPANT_MESSAGE",
    "OPTION_NAMES",
    "REJECTION_MESSAGES",
    "SHARED_POINTS",
    "UNIQUE_POINTS",
    "PetitBac",
    "State",
    "categories",
    "comparison_key",
    "rules_sections",
    "starts_with",
]
