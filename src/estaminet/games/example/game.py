"""Lowest unique number: the tiny example game of the "new game" walkthrough.

Each round, every player secretly picks a number from 1 to ``highest``. When
all have picked (or time is up: the game picks for the latecomers by lot), the
picks are revealed and the player with the lowest number nobody else picked
scores a point. After ``rounds`` rounds the best score wins.

It shows every part of the protocol in ~250 lines: options, a seeded chance
step recorded in an event, a deadline with a default, simultaneous secret
choices, per-viewer views and the facts the secrecy checker verifies.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from estaminet.games.kit.placings import placings_by_score
from estaminet.games.kit.secrecy import Audience, Fact
from estaminet.kernel.activity import SYSTEM, Event, Outcome, Rejection, Seat, Viewer, ViewerKind
from estaminet.kernel.i18n import N_

__all__ = ["DEFAULTS", "GAME", "REJECTION_MESSAGES", "LowestUnique", "State"]

REJECTION_MESSAGES: dict[str, str] = {
    "lowest_unique/bad_option": N_("This option is not valid."),
    "lowest_unique/unknown_action": N_("This action does not exist in this game."),
    "lowest_unique/not_a_player": N_("Only the players at this table can do that."),
    "lowest_unique/game_over": N_("The game is over."),
    "lowest_unique/already_picked": N_("You have already picked a number this round."),
    "lowest_unique/bad_number": N_("Pick a whole number between 1 and %(highest)s."),
    "lowest_unique/too_early": N_("It is not time yet."),
}

DEFAULTS: dict[str, Any] = {"rounds": 3, "highest": 10, "pick_seconds": 30}
_LIMITS: dict[str, tuple[int, int]] = {
    "rounds": (1, 9),
    "highest": (3, 20),
    "pick_seconds": (5, 600),
}


@dataclass
class State:
    """Everything the rules need; plain JSON types only, so ``dump`` is ``asdict``."""

    seed: int
    options: dict[str, int]
    round: int = 1
    picks: list[int | None] = field(default_factory=list)
    scores: list[int] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    deadline: str | None = None
    ticks: int = 0


def _rejection(code: str, **params: Any) -> Rejection:
    return Rejection(f"lowest_unique/{code}", params)


def _winner(picks: Sequence[int]) -> Seat | None:
    """The seat holding the lowest number picked exactly once, if any."""
    counts = Counter(picks)
    unique = [number for number, count in counts.items() if count == 1]
    return picks.index(min(unique)) if unique else None


class LowestUnique:
    """The game object the registry holds (it satisfies ``Activity[State]``)."""

    key = "lowest_unique"
    names: Mapping[str, str] = {"fr": "Le plus petit unique", "en": "Lowest unique number"}
    min_players = 2
    max_players = 6
    duration_minutes = (2, 5)
    voice = "none"
    guarded_keys = frozenset({"pick"})

    def default_options(self) -> dict[str, Any]:
        """Three rounds, numbers 1–10, 30 seconds to pick."""
        return dict(DEFAULTS)

    def validate_options(self, options: Mapping[str, Any], players: int) -> Rejection | None:
        """Known integer options within their limits, and a fitting player count."""
        if not self.min_players <= players <= self.max_players:
            return _rejection("bad_option", option="players")
        for key, value in options.items():
            low, high = _LIMITS.get(key, (1, 0))
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                return _rejection("bad_option", option=key)
        return None

    def setup(self, seats: int, options: Mapping[str, Any], seed: int, now: datetime) -> State:
        """A first round open for picks, its deadline counted from ``now``."""
        merged = {**DEFAULTS, **options}
        deadline = now + timedelta(seconds=merged["pick_seconds"])
        return State(
            seed, merged, picks=[None] * seats, scores=[0] * seats, deadline=deadline.isoformat()
        )

    def apply(
        self, state: State, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection:
        """Validate one action; chance (picks by lot) is drawn here and written in events."""
        if self.outcome(state) is not None:
            return _rejection("game_over")
        kind = action.get("type")
        if kind == "timeout" and actor == SYSTEM:
            if state.deadline is None or now < datetime.fromisoformat(state.deadline):
                return _rejection("too_early")
            # A per-step generator: the same state always draws the same numbers.
            rng = random.Random(f"{state.seed}:{state.ticks}")
            events: list[Event] = [
                {"type": "picked", "seat": seat, "number": rng.randint(1, state.options["highest"])}
                for seat, pick in enumerate(state.picks)
                if pick is None
            ]
            return [*events, *self._close_round(state, events, now)]
        if kind != "pick":
            return _rejection("unknown_action")
        if not 0 <= actor < len(state.picks):
            return _rejection("not_a_player")
        if state.picks[actor] is not None:
            return _rejection("already_picked")
        number = action.get("number")
        highest = state.options["highest"]
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= highest:
            return _rejection("bad_number", highest=highest)
        event = {"type": "picked", "seat": actor, "number": number}
        return [event, *self._close_round(state, [event], now)]

    def _close_round(self, state: State, new: Sequence[Event], now: datetime) -> list[Event]:
        picks = list(state.picks)
        for event in new:
            picks[event["seat"]] = event["number"]
        if any(pick is None for pick in picks):
            return []
        final = state.round == state.options["rounds"]
        deadline = None if final else now + timedelta(seconds=state.options["pick_seconds"])
        return [
            {
                "type": "round_over",
                "winner": _winner([pick for pick in picks if pick is not None]),
                "deadline": deadline.isoformat() if deadline else None,
            }
        ]

    def evolve(self, state: State, event: Event) -> State:
        """Fold one event into a new state (no validation, no chance)."""
        new = self.load(self.dump(state))
        new.ticks += 1
        if event["type"] == "picked":
            new.picks[event["seat"]] = event["number"]
        elif event["type"] == "round_over":
            winner = event["winner"]
            if winner is not None:
                new.scores[winner] += 1
            new.history.append({"round": new.round, "picks": list(new.picks), "winner": winner})
            new.picks = [None] * len(new.picks)
            new.deadline = event["deadline"]
            if event["deadline"] is not None:
                new.round += 1
        return new

    def legal_actions(self, state: State, actor: Seat) -> Sequence[Mapping[str, Any]]:
        """A pick per number for a player who has not picked yet this round."""
        if self.outcome(state) is not None or not 0 <= actor < len(state.picks):
            return []
        if state.picks[actor] is not None:
            return []
        return [{"type": "pick", "number": n} for n in range(1, state.options["highest"] + 1)]

    def view(self, state: State, viewer: Viewer) -> dict[str, Any]:
        """Own pick for a player; who has picked (not what) for everyone; past rounds in full."""
        everything = viewer.kind is ViewerKind.REPLAY
        mine = viewer.seat if viewer.kind is ViewerKind.PLAYER else None
        picks = [
            {"seat": seat, "pick": pick, "round": state.round}
            for seat, pick in enumerate(state.picks)
            if pick is not None and (everything or seat == mine)
        ]
        outcome = self.outcome(state)
        return {
            "round": state.round,
            "rounds": state.options["rounds"],
            "highest": state.options["highest"],
            "deadline": state.deadline,
            "scores": list(state.scores),
            "picked": [pick is not None for pick in state.picks],
            "picks": picks,
            "history": [
                {
                    "round": past["round"],
                    "winner": past["winner"],
                    "picks": [
                        {"seat": seat, "pick": pick, "round": past["round"]}
                        for seat, pick in enumerate(past["picks"])
                    ],
                }
                for past in state.history
            ],
            "actions": list(self.legal_actions(state, mine)) if mine is not None else [],
            "outcome": None
            if outcome is None
            else {"reason": outcome.reason, "winners": sorted(outcome.winners)},
        }

    def knowledge(self, state: State) -> Sequence[Fact]:
        """Current picks: the picker and the replay; past picks: everyone."""
        facts = [
            Fact({"seat": seat, "pick": pick, "round": past["round"]}, Audience.everyone())
            for past in state.history
            for seat, pick in enumerate(past["picks"])
        ]
        facts += [
            Fact(
                {"seat": seat, "pick": pick, "round": state.round},
                Audience.of(seat, kinds=[ViewerKind.REPLAY]),
            )
            for seat, pick in enumerate(state.picks)
            if pick is not None
        ]
        return facts

    def deadline(self, state: State) -> datetime | None:
        """When the current round closes, picking for latecomers."""
        return None if state.deadline is None else datetime.fromisoformat(state.deadline)

    def outcome(self, state: State) -> Outcome | None:
        """After the last round: the best scores win (shared on a tie; nobody if all zero)."""
        if len(state.history) < state.options["rounds"]:
            return None
        details = {"scores": list(state.scores), "placings": placings_by_score(state.scores)}
        best = max(state.scores)
        if best == 0:
            return Outcome("no_winner", details=details)
        winners = frozenset(seat for seat, score in enumerate(state.scores) if score == best)
        return Outcome("highest_score", winners, details)

    def dump(self, state: State) -> dict[str, Any]:
        """Plain JSON types."""
        return asdict(state)

    def load(self, data: Mapping[str, Any]) -> State:
        """The inverse of :meth:`dump` (copies, so the input is never shared)."""
        return State(
            seed=data["seed"],
            options=dict(data["options"]),
            round=data["round"],
            picks=list(data["picks"]),
            scores=list(data["scores"]),
            history=[
                {"round": h["round"], "picks": list(h["picks"]), "winner": h["winner"]}
                for h in data["history"]
            ],
            deadline=data["deadline"],
            ticks=data["ticks"],
        )


GAME = LowestUnique()
"""The one instance registered in :mod:`estaminet.games`."""
