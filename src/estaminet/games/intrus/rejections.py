"""Why a move is refused: namespaced codes and their English messages (French in the catalog)."""

from __future__ import annotations

from typing import Any

from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_

__all__ = ["NOT_PARTICIPANT_MESSAGE", "REJECTION_MESSAGES", "reject"]

REJECTION_MESSAGES: dict[str, str] = {
    "intrus/bad_players": N_("L'Intrus is played by %(low)s to %(high)s players."),
    "intrus/unknown_option": N_("This option does not exist."),
    "intrus/bad_option": N_("The option “%(option)s” has a value that is not allowed."),
    "intrus/out_of_range": N_("“%(option)s” must be a whole number from %(low)s to %(high)s."),
    "intrus/too_few_civils": N_(
        "Too few players for this mix: the civils must outnumber the intrus and Mr White "
        "together. Choose fewer intrus or no Mr White."
    ),
    "intrus/game_over": N_("The game is over."),
    "intrus/unknown_action": N_("This action does not exist in this game."),
    "intrus/not_a_player": N_("Only the players at this table can do that."),
    "intrus/too_early": N_("It is not time yet."),
    "intrus/eliminated": N_("You are out of the game: you can still listen and watch."),
    "intrus/not_your_turn": N_("Wait for your turn to give a clue."),
    "intrus/bad_clue": N_("Send your clue as text."),
    "intrus/empty_clue": N_("Type one word as your clue."),
    "intrus/clue_too_long": N_("A clue has at most %(max)s characters."),
    "intrus/one_word": N_("One word only: no spaces."),
    "intrus/letters_only": N_(
        "A clue is made of letters (a hyphen or an apostrophe may join them)."
    ),
    "intrus/own_word": N_("This is your own word, or too close to it: find another clue."),
    "intrus/not_discussion": N_("The discussion is not on now."),
    "intrus/already_ready": N_("You have already said you are ready to vote."),
    "intrus/not_vote": N_("The vote is not open."),
    "intrus/already_voted": N_("You have already voted."),
    "intrus/bad_target": N_("Vote for one of the players named on the ballot."),
    "intrus/own_vote": N_("You cannot vote for yourself."),
    "intrus/not_guess": N_("Only Mr White, just eliminated, may guess the word now."),
    "intrus/bad_guess": N_("Type the word you think the civils have."),
}

NOT_PARTICIPANT_MESSAGE = N_("Only the players at this table can do that.")


def reject(code: str, **params: Any) -> Rejection:
    """A refusal with the game's namespace (``intrus/<code>``)."""
    return Rejection(f"intrus/{code}", params)
