"""Why a move or a question set is refused: namespaced codes, English messages (French in the catalog)."""

from __future__ import annotations

from typing import Any

from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_

__all__ = ["NOT_PARTICIPANT_MESSAGE", "REJECTION_MESSAGES", "reject"]

REJECTION_MESSAGES: dict[str, str] = {
    "quiz/bad_players": N_("Le Quiz is played by %(low)s to %(high)s players."),
    "quiz/unknown_option": N_("This option does not exist."),
    "quiz/out_of_range": N_("“%(option)s” must be a whole number from %(low)s to %(high)s."),
    # A question set (the editor, the CSV import and the table's options say the same).
    "quiz/bad_set": N_("This question set cannot be read."),
    "quiz/title_empty": N_("Give the question set a title."),
    "quiz/title_long": N_("A title has at most %(max)s characters."),
    "quiz/question_count": N_("A question set has from %(low)s to %(high)s questions."),
    "quiz/text_empty": N_("The question has no text."),
    "quiz/text_long": N_("A question has at most %(max)s characters."),
    "quiz/bad_kind": N_("A question is either with choices or with a free answer."),
    "quiz/choice_count": N_("A question with choices has from %(low)s to %(high)s choices."),
    "quiz/choice_empty": N_("A choice is empty."),
    "quiz/choice_long": N_("A choice has at most %(max)s characters."),
    "quiz/choice_twice": N_("Two choices are the same: “%(choice)s”."),
    "quiz/no_right_choice": N_("Mark at least one choice as the right one."),
    "quiz/bad_right_choice": N_(
        "The right answer must be the number of a choice, from 1 to %(count)s."
    ),
    "quiz/accepted_count": N_("A free answer needs from %(low)s to %(high)s accepted answers."),
    "quiz/accepted_empty": N_("An accepted answer is empty."),
    "quiz/accepted_long": N_("An accepted answer has at most %(max)s characters."),
    "quiz/bad_seconds": N_(
        "The time per question is a whole number of seconds, from %(low)s to %(high)s."
    ),
    "quiz/bad_media": N_("The picture or sound of this question cannot be found."),
    # Moves.
    "quiz/game_over": N_("The quiz is over."),
    "quiz/unknown_action": N_("This action does not exist in this game."),
    "quiz/not_a_player": N_("Only the players and the watchers of this table can answer."),
    "quiz/too_early": N_("It is not time yet."),
    "quiz/question_closed": N_("This question is closed: wait for the next one."),
    "quiz/already_answered": N_("You have already answered this question."),
    "quiz/bad_choice": N_("Choose one of the question's answers."),
    "quiz/bad_answer": N_("Type an answer of %(max)s characters at most."),
}

NOT_PARTICIPANT_MESSAGE = N_("Only the players and the watchers of this table can answer.")


def reject(code: str, **params: Any) -> Rejection:
    """A refusal with the game's namespace (``quiz/<code>``)."""
    return Rejection(f"quiz/{code}", params)
