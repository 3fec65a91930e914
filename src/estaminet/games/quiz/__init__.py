"""Le Quiz (and blind test): a question set, answers on the phone, a scoreboard, watchers' board.

Pure rules: no I/O, no clock, no global random. See docs/games/quiz.md.
"""

from estaminet.games.quiz.game import GAME, MAX_WATCHER_ID, NARRATOR_SEAT, WATCHER_SEAT, Quiz, State
from estaminet.games.quiz.options import DEFAULT_OPTIONS, LIMITS, OPTION_NAMES
from estaminet.games.quiz.questions import (
    DEFAULT_SECONDS,
    MAX_ACCEPTED,
    MAX_ANSWER_LENGTH,
    MAX_CHOICES,
    MAX_QUESTIONS,
    MAX_SECONDS,
    MIN_CHOICES,
    MIN_SECONDS,
    SAMPLE_SET,
    SetProblem,
    check_question,
    check_set,
    is_right,
    media_name_ok,
)
from estaminet.games.quiz.rejections import NOT_PARTICIPANT_MESSAGE, REJECTION_MESSAGES
from estaminet.games.quiz.rules import rules_sections
from estaminet.games.quiz.scoring import FASTEST_POINTS, SLOWEST_POINTS, placings, points

__all__ = [
    "DEFAULT_OPTIONS",
    "DEFAULT_SECONDS",
    "FASTEST_POINTS",
    "GAME",
    "LIMITS",
    "MAX_ACCEPTED",
    "MAX_ANSWER_LENGTH",
    "MAX_CHOICES",
    "MAX_QUESTIONS",
    "MAX_SECONDS",
    "MAX_WATCHER_ID",
    "MIN_CHOICES",
    "MIN_SECONDS",
    "NARRATOR_SEAT",
    "NOT_PARTICIPANT_MESSAGE",
    "OPTION_NAMES",
    "REJECTION_MESSAGES",
    "SAMPLE_SET",
    "SLOWEST_POINTS",
    "WATCHER_SEAT",
    "Quiz",
    "SetProblem",
    "State",
    "check_question",
    "check_set",
    "is_right",
    "media_name_ok",
    "placings",
    "points",
    "rules_sections",
]
