"""The state of a Loup-Garou table and the questions the rules ask about it.

Plain JSON types only (lists indexed by seat, string keys), so ``dump`` is a
deep copy and ``load`` its inverse.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from estaminet.games.werewolf.roles import VILLAGE_POWERS, Role
from estaminet.games.werewolf.script import STEPS, Phase

__all__ = ["State", "copy_state", "dump_state", "json_copy", "load_state"]


@dataclass
class State:
    """One table. ``roles`` are the current roles (the Thief's swap changes one)."""

    seed: int
    options: dict[str, Any]
    roles: list[str]
    spares: list[str]
    alive: list[bool]
    thief_seat: int | None = None
    tick: int = 0
    """Events folded so far: with the seed, it seeds each step's random draws."""
    night: int = 0
    step: str = ""
    step_done: bool = False
    deadline: str | None = None
    """When the current step ends, as the whole table sees it."""
    due: str | None = None
    """When the runner must act if not at ``deadline`` (a ghost call's hidden end, a human
    narrator's wait once the players have acted); never in a player's view."""
    started: str | None = None
    """When the current step began (the public timer runs from there)."""
    actor: int | None = None
    """Who acts in a step that is not called by role (Hunter's shot, successor...)."""
    captain: int | None = None
    lovers: list[int] = field(default_factory=list)
    cupid_seat: int | None = None
    powers_lost: bool = False
    elder_bitten: bool = False
    idiots: list[int] = field(default_factory=list)
    """Revealed Idiots: alive, but without a vote."""
    voters: list[int] | None = None
    """The Scapegoat's choice: who may vote at the next vote (``None``: everybody)."""
    heal_used: bool = False
    poison_used: bool = False
    last_protected: int | None = None
    seen: list[dict[str, Any]] = field(default_factory=list)
    # the current night
    protected: int | None = None
    wolf_votes: list[int | None] = field(default_factory=list)
    wolf_target: int | None = None
    healed: bool = False
    poisoned: int | None = None
    spied: bool = False
    spied_at: str | None = None
    """When the Little Girl began spying tonight: she reads only what is said from then on."""
    caught: bool = False
    exposed: list[int] = field(default_factory=list)
    """Little Girls caught spying: the Werewolves know them."""
    witch_done: bool = False
    # votes: the Captain's election, the day vote and its re-vote
    ballots: list[int | None] = field(default_factory=list)
    voted: list[bool] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)
    choice: int | None = None
    """The choice made in a single-player day step (tie-break, shot, successor)."""
    ready: list[bool] = field(default_factory=list)
    # deaths and their chains
    pending: list[dict[str, Any]] = field(default_factory=list)
    resume: str = ""
    deaths: list[dict[str, Any]] = field(default_factory=list)
    # what is said
    narration: list[dict[str, Any]] = field(default_factory=list)
    mark: int = 0
    said: int = 0
    """Lines said since the start: the browser numbers lines to speak each once."""
    log: list[dict[str, Any]] = field(default_factory=list)
    outcome: dict[str, Any] | None = None
    undo: list[dict[str, Any]] = field(default_factory=list)
    """The human narrator's checkpoints, one per "next" since anything became final."""
    veil: dict[str, Any] | None = None
    """After an undo: what the table still sees (``front``, the state before the undo) until
    the game reaches that ``step`` of that ``night`` again (see ``moves.behind_veil``)."""

    # -- questions ---------------------------------------------------------

    @property
    def seats(self) -> int:
        """How many players sit at the table."""
        return len(self.roles)

    @property
    def phase(self) -> Phase:
        """The broad moment of the game."""
        if self.outcome is not None:
            return Phase.END
        return STEPS[self.step].phase if self.step in STEPS else Phase.ELECTION

    @property
    def human_narrator(self) -> bool:
        """Whether a person runs the game (apprentice narrator mode)."""
        return bool(self.options["narrator"] == "human")

    def still_acting(self, seat: int) -> bool:
        """Whether ``seat`` has died but still has an act to do (the Hunter's shot, naming a
        successor, the Scapegoat's choice): until it is done, they learn nothing of the dead."""
        if self.alive[seat]:
            return False
        if self.step in _DYING_ACTS and self.actor == seat and not self.step_done:
            return True
        return any(task["kind"] in _DYING_ACTS and task["seat"] == seat for task in self.pending)

    def departed(self, seat: int) -> bool:
        """Whether ``seat`` is among the dead: dead, with no act left to do."""
        return not self.alive[seat] and not self.still_acting(seat)

    def living(self) -> list[int]:
        """Seats of the living, in seat order."""
        return [seat for seat, alive in enumerate(self.alive) if alive]

    def is_wolf(self, seat: int) -> bool:
        """Whether that seat's card is a Werewolf."""
        return self.roles[seat] == Role.WEREWOLF

    def wolves(self) -> list[int]:
        """Seats of every Werewolf, dead or alive."""
        return [seat for seat in range(self.seats) if self.is_wolf(seat)]

    def living_wolves(self) -> list[int]:
        """Seats of the living Werewolves."""
        return [seat for seat in self.living() if self.is_wolf(seat)]

    def holder(self, role: Role) -> int | None:
        """The seat holding a unique role, if that card is in play."""
        for seat, held in enumerate(self.roles):
            if held == role:
                return seat
        return None

    def has_power(self, seat: int) -> bool:
        """Whether this seat's role still has its power (the Elder's curse removes some)."""
        return not (self.powers_lost and Role(self.roles[seat]) in VILLAGE_POWERS)

    def active(self, role: Role) -> int | None:
        """The living holder of ``role`` who can still use it, if any."""
        seat = self.holder(role)
        if seat is None or not self.alive[seat] or not self.has_power(seat):
            return None
        return seat

    def in_deck(self, role: Role) -> bool:
        """Whether the role is in the public composition (dealt or spare)."""
        return bool(self.options["composition"].get(role.value, 0))

    def can_vote(self, seat: int) -> bool:
        """Whether ``seat`` may vote in the current election or vote."""
        if not self.alive[seat]:
            return False
        if self.step == "election":
            return True
        if seat in self.idiots:
            return False
        return self.voters is None or seat in self.voters

    def weight(self, seat: int) -> int:
        """The Captain's vote counts double (not in his own election)."""
        return 2 if seat == self.captain and self.step != "election" else 1

    def partner(self, seat: int) -> int | None:
        """The other lover, if ``seat`` is one of the lovers."""
        if seat in self.lovers:
            return self.lovers[1 - self.lovers.index(seat)]
        return None

    def mixed_couple(self) -> bool:
        """Whether the lovers are a Werewolf and a villager (their own camp)."""
        return len(self.lovers) == 2 and self.is_wolf(self.lovers[0]) != self.is_wolf(
            self.lovers[1]
        )


_DYING_ACTS = frozenset({"hunter", "successor", "scapegoat"})

_FIELDS = tuple(f.name for f in fields(State))


def json_copy(value: Any) -> Any:
    """A deep copy of plain JSON data (much faster than :func:`copy.deepcopy`)."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


def copy_state(state: State) -> State:
    """A copy whose containers can be changed without touching ``state``.

    Only the top-level containers are copied: the rules never change an
    object (a narration line, a death record) once it is in the state, they
    add or replace them, so sharing those objects is safe and keeps ``evolve``
    cheap.
    """
    new = copy.copy(state)
    for name in _FIELDS:
        value = getattr(state, name)
        if isinstance(value, list):
            setattr(new, name, list(value))
        elif isinstance(value, dict):
            setattr(new, name, dict(value))
    return new


def dump_state(state: State) -> dict[str, Any]:
    """Plain JSON types: a deep copy of every field."""
    return {name: json_copy(getattr(state, name)) for name in _FIELDS}


def load_state(data: Mapping[str, Any]) -> State:
    """The inverse of :func:`dump_state` (deep-copies, so nothing is shared with ``data``).

    A field missing from an older dump takes its default.
    """
    state = State(**{name: json_copy(data[name]) for name in _FIELDS if name in data})
    if not isinstance(state.undo, list):  # one checkpoint or none, before undo had a stack
        state.undo = [] if state.undo is None else [state.undo]
    return state
