"""The roles of Loup-Garou de Thiercelieux, their camps and their names."""

from __future__ import annotations

from enum import StrEnum

from estaminet.kernel.i18n import N_

__all__ = [
    "ROLE_NAMES",
    "ROLE_POWERS",
    "TITLE_NAMES",
    "UNIQUE_ROLES",
    "VILLAGE_POWERS",
    "Camp",
    "Role",
    "camp_of",
]


class Role(StrEnum):
    """A card's role (the value is the stable key used in events, views and options)."""

    WEREWOLF = "werewolf"
    VILLAGER = "villager"
    SEER = "seer"
    WITCH = "witch"
    HUNTER = "hunter"
    CUPID = "cupid"
    LITTLE_GIRL = "little_girl"
    GUARD = "guard"
    ELDER = "elder"
    IDIOT = "idiot"
    SCAPEGOAT = "scapegoat"
    THIEF = "thief"


class Camp(StrEnum):
    """Whom a role plays for (a mixed couple of lovers forms a third camp in play)."""

    WOLVES = "wolves"
    VILLAGE = "village"


UNIQUE_ROLES = frozenset(Role) - {Role.WEREWOLF, Role.VILLAGER}
"""Roles with at most one card in a deck."""

VILLAGE_POWERS = frozenset(
    {Role.SEER, Role.WITCH, Role.HUNTER, Role.GUARD, Role.LITTLE_GIRL, Role.IDIOT}
)
"""The powers lost when the village (vote, Witch or Hunter) kills the Elder.

The Scapegoat's tie rule is a curse rather than a power and stays; Cupid and
the Thief have used theirs on the first night.
"""

ROLE_NAMES: dict[Role, str] = {
    Role.WEREWOLF: N_("Werewolf"),
    Role.VILLAGER: N_("Simple Villager"),
    Role.SEER: N_("Seer"),
    Role.WITCH: N_("Witch"),
    Role.HUNTER: N_("Hunter"),
    Role.CUPID: N_("Cupid"),
    Role.LITTLE_GIRL: N_("Little Girl"),
    Role.GUARD: N_("Guard"),
    Role.ELDER: N_("Elder"),
    Role.IDIOT: N_("Village Idiot"),
    Role.SCAPEGOAT: N_("Scapegoat"),
    Role.THIEF: N_("Thief"),
}

TITLE_NAMES: dict[str, str] = {
    "captain": N_("Captain"),
    "lovers": N_("Lovers"),
}
"""Names of what is not a card: the Captain's badge and the couple made by Cupid."""

ROLE_POWERS: dict[Role, str] = {
    Role.WEREWOLF: N_("Each night, with the other Werewolves, you choose a villager to devour."),
    Role.VILLAGER: N_("You have no power: reason, debate and vote to find the Werewolves."),
    Role.SEER: N_("Each night, you see the true role of one player of your choice."),
    Role.WITCH: N_(
        "You have a healing potion and a poison potion, each usable once in the game. "
        "Each night you are shown the Werewolves' victim."
    ),
    Role.HUNTER: N_(
        "When you die, by night or by vote, you shoot a player of your choice at once."
    ),
    Role.CUPID: N_(
        "On the first night, you make two players fall in love (you may choose yourself)."
    ),
    Role.LITTLE_GIRL: N_(
        "At night you may spy on the Werewolves' chat (names hidden). "
        "If you are caught, you become their victim."
    ),
    Role.GUARD: N_(
        "Each night you protect one player from the Werewolves (yourself allowed), "
        "never the same player two nights in a row."
    ),
    Role.ELDER: N_(
        "You survive the Werewolves' first attack. If the village kills you, "
        "every villager loses their powers."
    ),
    Role.IDIOT: N_(
        "If the village votes you out, you are revealed and spared, but you can no longer vote."
    ),
    Role.SCAPEGOAT: N_(
        "If the vote is tied, you die instead. You then choose who may vote the next day."
    ),
    Role.THIEF: N_(
        "On the first night, you may swap your card with one of the two spare cards. "
        "If both are Werewolves, you must take one."
    ),
}


def camp_of(role: str) -> Camp:
    """The camp a role plays for (lovers aside)."""
    return Camp.WOLVES if role == Role.WEREWOLF else Camp.VILLAGE
