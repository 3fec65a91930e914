"""Table options: defaults, suggested compositions, balance and validation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from estaminet.games.werewolf.rejections import reject
from estaminet.games.werewolf.roles import ROLE_NAMES, UNIQUE_ROLES, Role
from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_, Text

__all__ = [
    "DEFAULT_OPTIONS",
    "MAX_PLAYERS",
    "MIN_PLAYERS",
    "OPTION_NAMES",
    "SUGGESTED_COMPOSITIONS",
    "TIMERS",
    "Balance",
    "balance",
    "resolve_options",
    "suggested_composition",
    "validate_options",
]

MIN_PLAYERS = 6
MAX_PLAYERS = 18

TIMERS: dict[str, tuple[int, int]] = {
    "election_seconds": (10, 900),
    "night_step_seconds": (10, 600),
    "wolves_seconds": (10, 900),
    "debate_seconds": (10, 3600),
    "vote_seconds": (10, 900),
    "reaction_seconds": (10, 600),
    "narrator_seconds": (30, 3600),
}
"""Each timer option and its allowed range, in seconds."""

DEFAULT_OPTIONS: dict[str, Any] = {
    "composition": None,  # None: the suggested composition for the table size
    "captain": True,
    "narrator": "auto",  # "auto" or "human" (apprentice narrator)
    "wolves_win_at_parity": True,
    "reveal_roles_on_death": True,
    "dead_see_roles": False,
    "spectators_see_roles": False,
    "little_girl_risk": 20,  # percent chance of being caught, per spying
    "election_seconds": 90,
    "night_step_seconds": 40,
    "wolves_seconds": 90,
    "debate_seconds": 300,
    "vote_seconds": 75,
    "reaction_seconds": 30,  # Hunter's shot, Captain's successor and tie-break, Scapegoat
    "narrator_seconds": 180,  # a silent human narrator: the game moves on by itself
}

OPTION_NAMES: dict[str, str] = {
    "composition": N_("The cards"),
    "captain": N_("Elect a Captain (double vote, breaks ties)"),
    "narrator": N_("Narrator"),
    "wolves_win_at_parity": N_("The werewolves win when they are as many as the others"),
    "reveal_roles_on_death": N_("Reveal a player's role when they die"),
    "dead_see_roles": N_("The dead see every role"),
    "spectators_see_roles": N_(
        "Spectators see every role (they then never write where players read)"
    ),
    "little_girl_risk": N_("Risk for the Little Girl of being caught when spying, in percent"),
    "election_seconds": N_("Captain election"),
    "night_step_seconds": N_("Each night call"),
    "wolves_seconds": N_("The werewolves' choice"),
    "debate_seconds": N_("Day debate"),
    "vote_seconds": N_("Vote"),
    "reaction_seconds": N_("Hunter, successor, scapegoat"),
    "narrator_seconds": N_("Human narrator, per step"),
}
"""Each option in words, as the host's options form names it (for refusals)."""

_BOOLEANS = (
    "captain",
    "wolves_win_at_parity",
    "reveal_roles_on_death",
    "dead_see_roles",
    "spectators_see_roles",
)

W, V = Role.WEREWOLF, Role.VILLAGER
_BASE = (Role.SEER, Role.WITCH)
_ELEVEN = (Role.SEER, Role.WITCH, Role.HUNTER, Role.CUPID, Role.GUARD)
_FIFTEEN = (*_ELEVEN, Role.LITTLE_GIRL, Role.ELDER, Role.IDIOT)


def _deck(wolves: int, specials: tuple[Role, ...], villagers: int) -> dict[str, int]:
    deck = {W.value: wolves, **{role.value: 1 for role in specials}}
    deck[V.value] = villagers
    return deck


SUGGESTED_COMPOSITIONS: dict[int, dict[str, int]] = {
    6: _deck(1, _BASE, 3),
    7: _deck(2, _BASE, 3),
    8: _deck(2, (*_BASE, Role.HUNTER), 3),
    9: _deck(2, (*_BASE, Role.HUNTER, Role.CUPID), 3),
    10: _deck(2, (*_BASE, Role.HUNTER, Role.CUPID, Role.LITTLE_GIRL), 3),
    11: _deck(2, _ELEVEN, 4),
    12: _deck(3, _ELEVEN, 4),
    13: _deck(3, (*_ELEVEN, Role.LITTLE_GIRL), 4),
    14: _deck(3, (*_ELEVEN, Role.LITTLE_GIRL, Role.ELDER), 4),
    15: _deck(3, _FIFTEEN, 4),
    16: _deck(4, _FIFTEEN, 4),
    17: _deck(4, (*_FIFTEEN, Role.SCAPEGOAT), 4),
    18: _deck(4, (*_FIFTEEN, Role.SCAPEGOAT), 5),
}
"""The rules digest's table: about one wolf for three villagers."""


def suggested_composition(players: int) -> dict[str, int]:
    """The suggested deck (role key → count) for ``players`` seats."""
    if players not in SUGGESTED_COMPOSITIONS:
        raise ValueError(f"no suggested composition for {players} players")
    return dict(SUGGESTED_COMPOSITIONS[players])


@dataclass(frozen=True)
class Balance:
    """How a deck leans, for the composition editor."""

    wolves: int
    village: int
    wolf_share: float
    verdict: str
    """``balanced``, ``wolves_favoured`` or ``village_favoured``."""
    message: str
    """An English msgid explaining the verdict."""


_VERDICTS = {
    "balanced": N_("Balanced: about one Werewolf for three villagers."),
    "wolves_favoured": N_("Too many Werewolves: the village will struggle."),
    "village_favoured": N_("Too few Werewolves: the village will win easily."),
}


def balance(composition: Mapping[str, int]) -> Balance:
    """Wolves against village in a deck, and a verdict by the rule of thumb.

    A Thief's two spare cards are counted as dealt: the editor shows the deck.
    """
    wolves = composition.get(W.value, 0)
    village = sum(count for role, count in composition.items() if role != W.value)
    total = wolves + village
    share = wolves / total if total else 0.0
    # The digest: ~1 wolf for 3 villagers and at least 2/3 of the table on the village side.
    if share > 1 / 3:
        verdict = "wolves_favoured"
    elif share < 1 / 7:
        verdict = "village_favoured"
    else:
        verdict = "balanced"
    return Balance(wolves, village, round(share, 3), verdict, _VERDICTS[verdict])


def resolve_options(options: Mapping[str, Any], players: int) -> dict[str, Any]:
    """Defaults filled in and the composition made explicit (validated options only)."""
    merged = {**DEFAULT_OPTIONS, **options}
    if merged["composition"] is None:
        merged["composition"] = suggested_composition(players)
    merged["composition"] = {role: count for role, count in merged["composition"].items() if count}
    return merged


def _bad_option(key: str) -> Rejection:
    return reject("bad_option", option=Text(OPTION_NAMES[key]))


def _check_composition(composition: Any, players: int) -> Rejection | None:
    if not isinstance(composition, Mapping):
        return _bad_option("composition")
    roles = {role.value for role in Role}
    for role, count in composition.items():
        if role not in roles:
            return reject("unknown_role")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            return _bad_option("composition")
        if Role(role) in UNIQUE_ROLES and count > 1:
            return reject("unique_role", role=Text(ROLE_NAMES[Role(role)]))
    cards = sum(composition.values())
    thief = composition.get(Role.THIEF.value, 0)
    needed = players + 2 * thief
    if cards != needed:
        return reject("composition_size", cards=cards, needed=needed)
    wolves = composition.get(W.value, 0)
    if wolves < 1:
        return reject("no_wolves")
    if thief and wolves < 2:
        return reject("thief_needs_two_wolves")
    if wolves * 2 >= players:
        return reject("too_many_wolves")
    return None


def validate_options(options: Mapping[str, Any], players: int) -> Rejection | None:
    """``None`` if these options can start a table of ``players``, else why not."""
    if not MIN_PLAYERS <= players <= MAX_PLAYERS:
        return reject("bad_player_count", min=MIN_PLAYERS, max=MAX_PLAYERS)
    for key in options:
        if key not in DEFAULT_OPTIONS:
            return reject("unknown_option")
    for key in _BOOLEANS:
        if key in options and not isinstance(options[key], bool):
            return _bad_option(key)
    if options.get("narrator", "auto") not in ("auto", "human"):
        return _bad_option("narrator")
    risk = options.get("little_girl_risk", 20)
    if isinstance(risk, bool) or not isinstance(risk, int) or not 0 <= risk <= 100:
        return _bad_option("little_girl_risk")
    for key, (low, high) in TIMERS.items():
        value = options.get(key, DEFAULT_OPTIONS[key])
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return reject("bad_timer", option=Text(OPTION_NAMES[key]), low=low, high=high)
    composition = options.get("composition")
    if composition is None:
        return None
    return _check_composition(composition, players)
