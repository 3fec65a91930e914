"""Rejection codes of Loup-Garou and their English messages (translated at the edge).

Params that name something (an option, a role) are :class:`~estaminet.kernel.i18n.Text`
values translated first, never raw keys.
"""

from __future__ import annotations

from typing import Any

from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_, Msgid, Nn_

__all__ = ["REJECTION_MESSAGES", "reject"]

REJECTION_MESSAGES: dict[str, Msgid] = {
    # actions
    "werewolf/game_over": N_("The game is over."),
    "werewolf/unknown_action": N_("This action does not exist in Loup-Garou."),
    "werewolf/malformed_action": N_("This action is incomplete or badly formed."),
    "werewolf/forged_action": N_("You can only act for yourself."),
    "werewolf/unknown_player": N_("Only the players at this table can do that."),
    "werewolf/wrong_phase": N_("That cannot be done at this moment of the game."),
    "werewolf/not_your_turn": N_("It is not your turn."),
    "werewolf/dead_player": N_("The dead no longer play."),
    "werewolf/already_acted": N_("You have already made your choice."),
    "werewolf/powers_lost": N_("The village killed the Elder: you have lost your power."),
    "werewolf/unknown_target": N_("There is no such player at this table."),
    "werewolf/dead_target": N_("This player is already dead."),
    "werewolf/not_yourself": N_("You cannot choose yourself."),
    "werewolf/not_a_candidate": N_("Choose one of the tied players."),
    "werewolf/fellow_wolf": N_("The Werewolves cannot devour one of their own."),
    "werewolf/same_protection_twice": N_("You cannot protect the same player two nights in a row."),
    "werewolf/potion_used": N_("You have already used this potion."),
    "werewolf/must_take_wolf": N_("Both spare cards are Werewolves: you must take one."),
    "werewolf/unknown_card": N_("There is no such spare card."),
    "werewolf/same_player_twice": N_("Choose two different players."),
    "werewolf/already_spied": N_("You have already spied tonight."),
    "werewolf/cannot_vote": N_("You cannot vote in this vote."),
    "werewolf/already_voted": N_("You have already voted."),
    "werewolf/no_voters": N_("Choose at least one player who may vote."),
    "werewolf/not_narrator": N_("Only the narrator can do that."),
    "werewolf/nothing_to_undo": N_("There is no step to undo."),
    "werewolf/unconfirmed_default": N_(
        "Someone has not acted yet: confirm that the game goes on without them."
    ),
    "werewolf/too_early": N_("The timer has not run out yet."),
    # options
    "werewolf/bad_player_count": N_("Loup-Garou is played by %(min)s to %(max)s players."),
    "werewolf/unknown_option": N_("This option does not exist in Loup-Garou."),
    "werewolf/bad_option": N_("The option “%(option)s” has a value that is not allowed."),
    "werewolf/bad_timer": N_("The option “%(option)s” takes from %(low)s to %(high)s seconds."),
    "werewolf/unknown_role": N_("The composition has a card that does not exist in Loup-Garou."),
    "werewolf/unique_role": N_("There can be only one card of this role: %(role)s."),
    "werewolf/composition_size": Nn_(
        "The composition has %(cards)s card; it needs %(needed)s "
        "(one per player, plus two spare cards with a Thief).",
        "The composition has %(cards)s cards; it needs %(needed)s "
        "(one per player, plus two spare cards with a Thief).",
        "cards",
    ),
    "werewolf/no_wolves": N_("The composition needs at least one Werewolf."),
    "werewolf/too_many_wolves": N_("The Werewolves must be fewer than the villagers."),
    "werewolf/thief_needs_two_wolves": N_(
        "With a Thief, put at least two Werewolves in the deck, so that one is always in play."
    ),
}


def reject(code: str, **params: Any) -> Rejection:
    """A rejection with the namespaced ``werewolf/<code>``."""
    full = f"werewolf/{code}"
    assert full in REJECTION_MESSAGES, full  # every code needs a message for the edge
    return Rejection(full, params)
