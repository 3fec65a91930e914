"""Loup-Garou de Thiercelieux as an :class:`~estaminet.kernel.activity.Activity`."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from estaminet.games.kit.placings import placings_by_winners
from estaminet.games.kit.secrecy import Fact
from estaminet.games.werewolf import options as table_options
from estaminet.games.werewolf.channels import channels, voice_plan
from estaminet.games.werewolf.flow import Builder, advance, enter
from estaminet.games.werewolf.fold import evolve
from estaminet.games.werewolf.knowledge import GUARDED_KEYS, TIMING_KEYS, knowledge
from estaminet.games.werewolf.moves import apply, legal_actions
from estaminet.games.werewolf.roles import Role
from estaminet.games.werewolf.state import State, dump_state, load_state
from estaminet.games.werewolf.views import view
from estaminet.kernel.activity import Event, Outcome, Rejection, Seat, Viewer

__all__ = ["GAME", "Werewolf"]


def _deal(composition: Mapping[str, int], seats: int, seed: int) -> tuple[list[str], list[str]]:
    deck = sorted(role for role, count in composition.items() for _ in range(count))
    random.Random(f"{seed}:deal").shuffle(deck)
    return deck[:seats], deck[seats:]


class Werewolf:
    """The game object held by the registry."""

    key = "werewolf"
    names: Mapping[str, str] = {
        "fr": "Loup-Garou de Thiercelieux",
        "en": "Werewolves of Thiercelieux",
    }
    min_players = table_options.MIN_PLAYERS
    max_players = table_options.MAX_PLAYERS
    duration_minutes = (30, 60)
    voice = "needed"
    guarded_keys = GUARDED_KEYS
    timing_keys = TIMING_KEYS

    def default_options(self) -> dict[str, Any]:
        """The defaults (the composition ``None`` means the suggested one for the table)."""
        return dict(table_options.DEFAULT_OPTIONS)

    def validate_options(self, options: Mapping[str, Any], players: int) -> Rejection | None:
        """``None`` if a table of ``players`` can start with ``options``."""
        return table_options.validate_options(options, players)

    def setup(self, seats: int, options: Mapping[str, Any], seed: int, now: datetime) -> State:
        """Deal the cards (by the seed) and open the Captain's election or the first night."""
        resolved = table_options.resolve_options(options, seats)
        roles, spares = _deal(resolved["composition"], seats, seed)
        state = State(seed=seed, options=resolved, roles=roles, spares=spares, alive=[True] * seats)
        state.wolf_votes, state.ballots = [None] * seats, [None] * seats
        state.voted, state.ready = [False] * seats, [False] * seats
        state.thief_seat = state.holder(Role.THIEF)
        b = Builder(state, now)
        enter(b, "election" if resolved["captain"] else "nightfall")
        if b.state.step_done and not b.state.human_narrator:
            advance(b)
        return b.state

    def apply(
        self, state: State, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection:
        """Validate an action and return its events, or a ``werewolf/...`` rejection."""
        return apply(state, actor, action, now)

    def evolve(self, state: State, event: Event) -> State:
        """Fold one event into a new state."""
        return evolve(state, event)

    def legal_actions(self, state: State, actor: Seat) -> Sequence[Mapping[str, Any]]:
        """What ``actor`` (a seat, or ``NARRATOR_SEAT``) may do now."""
        return legal_actions(state, actor)

    def view(self, state: State, viewer: Viewer) -> dict[str, Any]:
        """Everything ``viewer`` may know, JSON-ready."""
        return view(state, viewer)

    def deadline(self, state: State) -> datetime | None:
        """When the runner must send a timeout (``None`` when nothing waits on time)."""
        due = state.due or state.deadline
        if state.outcome is not None or due is None:
            return None
        return datetime.fromisoformat(due)

    def outcome(self, state: State) -> Outcome | None:
        """``village_wins``, ``wolves_win``, ``lovers_win`` or ``nobody``; ``None`` while playing."""
        if state.outcome is None:
            return None
        winners = frozenset(state.outcome["winners"])
        placings = placings_by_winners(state.seats, winners)
        return Outcome(state.outcome["reason"], winners, {"placings": placings})

    def dump(self, state: State) -> dict[str, Any]:
        """Plain JSON types."""
        return dump_state(state)

    def load(self, data: Mapping[str, Any]) -> State:
        """The inverse of :meth:`dump`."""
        return load_state(data)

    def knowledge(self, state: State) -> Sequence[Fact]:
        """The facts views may disclose and their audiences (for the secrecy checker)."""
        return knowledge(state)

    def channels(self, state: State, viewer: Viewer) -> dict[str, Any]:
        """Which chat channels ``viewer`` may read and write now."""
        return channels(state, viewer)

    def voice_plan(self, state: State) -> dict[str, Any]:
        """Voice muting and private channels, for the server only."""
        return voice_plan(state)


GAME = Werewolf()
"""The one instance registered in :mod:`estaminet.games`."""
