"""Why a move is refused: namespaced codes and their English messages (French in the catalog)."""

from __future__ import annotations

from typing import Any

from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_

__all__ = ["NOT_PARTICIPANT_MESSAGE", "REJECTION_MESSAGES", "reject"]

REJECTION_MESSAGES: dict[str, str] = {
    "dessin/bad_players": N_("Un dessin, un mot is played by %(low)s to %(high)s players."),
    "dessin/unknown_option": N_("This option does not exist."),
    "dessin/out_of_range": N_("“%(option)s” must be a whole number from %(low)s to %(high)s."),
    "dessin/bad_level": N_("Choose the words' difficulty from the list."),
    "dessin/game_over": N_("The game is over."),
    "dessin/unknown_action": N_("This action does not exist in this game."),
    "dessin/not_a_player": N_("Only the players at this table can do that."),
    "dessin/too_early": N_("It is not time yet."),
    "dessin/not_drawer": N_("Only the one drawing can do that."),
    "dessin/not_choosing": N_("The word has already been chosen."),
    "dessin/bad_choice": N_("Choose one of the three words offered."),
    "dessin/not_drawing": N_("Nobody is drawing now: wait for the next turn."),
    "dessin/old_turn": N_("This drawing belongs to a turn that is over."),
    "dessin/bad_ink": N_("This drawing could not be read."),
    "dessin/batch_too_big": N_("Too many points at once: at most %(max)s in one go."),
    "dessin/drawing_full": N_("The drawing is full: undo or clear to go on."),
    "dessin/drawing_too_fast": N_("You are drawing too fast for the table: wait a moment."),
    "dessin/nothing_to_undo": N_("There is nothing to undo."),
    "dessin/bad_guess": N_("Type your guess as a short text."),
    "dessin/drawer_says_word": N_("You are drawing: you cannot write the word or something close."),
    "dessin/already_found": N_(
        "You have found the word already: do not give it away to the others."
    ),
    "dessin/not_close": N_("This is neither the word nor close to it."),
}

NOT_PARTICIPANT_MESSAGE = N_("Only the players at this table can do that.")


def reject(code: str, **params: Any) -> Rejection:
    """A refusal with the game's namespace (``dessin/<code>``)."""
    return Rejection(f"dessin/{code}", params)
