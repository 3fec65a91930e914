"""Why a move is refused: namespaced codes and their English messages (French in the catalog)."""

from __future__ import annotations

from typing import Any

from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_

__all__ = ["NOT_PARTICIPANT_MESSAGE", "REJECTION_MESSAGES", "reject"]

REJECTION_MESSAGES: dict[str, str] = {
    "petit_bac/bad_players": N_("Le Petit Bac is played by %(low)s to %(high)s players."),
    "petit_bac/unknown_option": N_("This option does not exist."),
    "petit_bac/bad_option": N_("The option “%(option)s” has a value that is not allowed."),
    "petit_bac/out_of_range": N_("“%(option)s” must be a whole number from %(low)s to %(high)s."),
    "petit_bac/bad_letters": N_("Letters left out: type only letters from A to Z."),
    "petit_bac/too_few_letters": N_(
        "Too many letters left out: each of the %(rounds)s rounds needs a letter of its own."
    ),
    "petit_bac/category_too_long": N_("A category name has at most %(max)s characters."),
    "petit_bac/category_count": N_(
        "Choose from %(low)s to %(high)s categories (there are %(count)s now)."
    ),
    "petit_bac/game_over": N_("The game is over."),
    "petit_bac/unknown_action": N_("This action does not exist in this game."),
    "petit_bac/not_a_player": N_("Only the players at this table can do that."),
    "petit_bac/too_early": N_("It is not time yet."),
    "petit_bac/writing_over": N_("The answers are closed: someone said stop or the time ran out."),
    "petit_bac/bad_answers": N_("Send one answer per category, as text."),
    "petit_bac/too_long": N_(
        "The answer for “%(category)s” is too long: %(max)s characters at most."
    ),
    "petit_bac/not_complete": N_("Fill in every category before saying stop."),
    "petit_bac/not_review": N_("Answers can be contested only once they are shown."),
    "petit_bac/bad_target": N_("This answer does not exist."),
    "petit_bac/own_answer": N_("You cannot contest your own answer."),
    "petit_bac/not_contestable": N_(
        "This answer already scores nothing (empty or not starting with the letter)."
    ),
    "petit_bac/already_contested": N_("This answer is already contested: vote on it."),
    "petit_bac/own_answer_vote": N_("You cannot vote on your own answer."),
    "petit_bac/not_contested": N_("Nobody contested this answer: there is no vote on it."),
    "petit_bac/already_voted": N_("You have already voted on this answer."),
    "petit_bac/bad_vote": N_("Vote to keep or to refuse the answer."),
    "petit_bac/already_ready": N_("You have already said you are ready."),
}

NOT_PARTICIPANT_MESSAGE = N_("Only the players at this table can do that.")


def reject(code: str, **params: Any) -> Rejection:
    """A refusal with the game's namespace (``petit_bac/<code>``)."""
    return Rejection(f"petit_bac/{code}", params)
