"""Why a move is refused: namespaced codes and their English messages (French in the catalog)."""

from __future__ import annotations

from typing import Any

from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_

__all__ = ["NOT_PARTICIPANT_MESSAGE", "REJECTION_MESSAGES", "reject"]

REJECTION_MESSAGES: dict[str, str] = {
    "espions/bad_players": N_("Espions is played by %(low)s to %(high)s players."),
    "espions/unknown_option": N_("This option does not exist."),
    "espions/out_of_range": N_("“%(option)s” must be a whole number from %(low)s to %(high)s."),
    "espions/game_over": N_("The game is over."),
    "espions/unknown_action": N_("This action does not exist in this game."),
    "espions/not_a_player": N_("Only the players at this table can do that."),
    "espions/too_early": N_("It is not time yet."),
    "espions/not_your_team": N_("It is the other team's turn."),
    "espions/not_spymaster": N_("Only your team's spymaster gives the clue."),
    "espions/spymaster_guess": N_(
        "The spymaster does not guess: the other players of the team choose the cards."
    ),
    "espions/not_clue_time": N_("The clue has already been given: now the team guesses."),
    "espions/not_guess_time": N_("Wait for your spymaster's clue before choosing a card."),
    "espions/empty_clue": N_("Type a clue: one word."),
    "espions/clue_too_long": N_("A clue has at most %(max)s characters."),
    "espions/not_one_word": N_(
        "A clue is a single word: letters only, no spaces or digits (hyphens are allowed)."
    ),
    "espions/clue_on_grid": N_(
        "“%(word)s” is a word still on the grid (or almost): choose another clue."
    ),
    "espions/bad_count": N_(
        "The number says how many of your cards the clue is about: from 1 to %(max)s."
    ),
    "espions/bad_card": N_("This card does not exist."),
    "espions/already_revealed": N_("This card is already turned over."),
    "espions/guess_first": N_("Choose at least one card before stopping."),
}

NOT_PARTICIPANT_MESSAGE = N_("Only the players at this table can do that.")


def reject(code: str, **params: Any) -> Rejection:
    """A refusal with the game's namespace (``espions/<code>``)."""
    return Rejection(f"espions/{code}", params)
