"""A scripted table for rule tests: chosen roles, a fake clock, one-line actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from estaminet.games.kit.conformance import START
from estaminet.games.werewolf import GAME, NARRATOR_SEAT, State
from estaminet.games.werewolf import game as game_module
from estaminet.kernel.activity import SYSTEM, Event, Rejection, Viewer

W, V = "werewolf", "villager"
EIGHT = [W, W, "seer", V, V, V, V, V]
"""Two Werewolves (seats 0, 1), the Seer (2) and five Villagers."""


class Table:
    """One game with the roles dealt as given (seat order) and the spares for a Thief."""

    def __init__(self, roles: Sequence[str], spares: Sequence[str] = (), **options: Any) -> None:
        composition: dict[str, int] = {}
        for role in [*roles, *spares]:
            composition[role] = composition.get(role, 0) + 1
        self.options = {"composition": composition, **options}
        rejection = GAME.validate_options(self.options, len(roles))
        assert rejection is None, rejection
        self.now = START
        with mock.patch.object(game_module, "_deal", return_value=(list(roles), list(spares))):
            self.state: State = GAME.setup(len(roles), self.options, seed=7, now=self.now)
        self.events: list[Event] = []

    # -- acting -------------------------------------------------------------------

    def _apply(self, actor: int, action: Mapping[str, Any]) -> Sequence[Event] | Rejection:
        return GAME.apply(self.state, actor, action, self.now)

    def _fold(self, events: Sequence[Event]) -> None:
        for event in events:
            self.state = GAME.evolve(self.state, event)
        self.events.extend(events)

    def act(self, actor: int, kind: str, **fields: Any) -> Sequence[Event]:
        """Apply an action that must be accepted."""
        result = self._apply(actor, {"type": kind, **fields})
        assert not isinstance(result, Rejection), (kind, fields, result)
        self._fold(result)
        return result

    def refuse(self, actor: int, kind: str, **fields: Any) -> str:
        """Apply an action that must be rejected; return the code (the state is unchanged)."""
        result = self._apply(actor, {"type": kind, **fields})
        assert isinstance(result, Rejection), (kind, fields, result)
        return result.code

    def timeout(self) -> Sequence[Event]:
        """Let the clock pass the deadline and fire the runner's timeout."""
        deadline = GAME.deadline(self.state)
        assert deadline is not None, "no deadline set"
        self.now = max(self.now, deadline) + timedelta(seconds=1)
        return self.act(SYSTEM, "timeout")

    def next(self) -> Sequence[Event]:
        """The human narrator presses "next" (and confirms when the screen asks to)."""
        offered = [a for a in GAME.legal_actions(self.state, NARRATOR_SEAT)]
        action = next(a for a in offered if a["type"] == "narrator_next")
        return self.act(
            NARRATOR_SEAT, "narrator_next", **{k: v for k, v in action.items() if k != "type"}
        )

    def undo(self) -> Sequence[Event]:
        """The human narrator presses "undo"."""
        return self.act(NARRATOR_SEAT, "narrator_undo")

    def until(self, step: str, limit: int = 40) -> None:
        """Let timers run out until the game reaches ``step``."""
        for _ in range(limit):
            if self.state.step == step:
                return
            self.timeout()
        raise AssertionError(f"never reached {step}; at {self.state.step}")

    def vote_all(self, target: int | None, kind: str = "vote") -> None:
        """Every living player with a vote votes for ``target`` (stops when the vote closes)."""
        for seat in range(self.state.seats):
            if self.state.step_done or self.state.step not in ("vote", "revote", "election"):
                return
            if self.state.can_vote(seat) and not self.state.voted[seat]:
                self.act(seat, kind, target=target)

    # -- looking ------------------------------------------------------------------------

    @property
    def step(self) -> str:
        return self.state.step

    def view(self, seat: int) -> dict[str, Any]:
        return GAME.view(self.state, Viewer.player(seat))

    def narration(self) -> list[str]:
        return [line["msgid"] for line in self.state.narration]

    def log(self) -> list[str]:
        return [line["msgid"] for line in self.state.log]

    def alive(self) -> list[int]:
        return self.state.living()

    def outcome(self) -> tuple[str, set[int]] | None:
        outcome = GAME.outcome(self.state)
        return None if outcome is None else (outcome.reason, set(outcome.winners))


def at(seconds: int) -> datetime:
    return START + timedelta(seconds=seconds)


def to_vote(table: Table, victim: int = 7) -> None:
    """Play the first night quickly: the wolves (seats 0, 1) take ``victim``; reach the vote."""
    table.until("wolves")
    for wolf in table.state.living_wolves():
        table.act(wolf, "wolf_vote", target=victim)
    table.until("vote")
