"""A fake runner for sittings: an ordered event log and an unordered ballot box.

It follows the contract in docs/assembly/secret-ballots.md, so tests can
check what a real runner would store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from estaminet.assembly import ASSEMBLY, AssemblyState, Decision, SealedBallot
from estaminet.kernel.activity import SYSTEM, Event, Rejection, Seat, Viewer

START = datetime(2025, 3, 1, 19, 0, tzinfo=UTC)

FACILITATOR, SECRETARY, TIMEKEEPER = 0, 1, 2
MEMBERS = (3, 4, 5, 6)
OBSERVER = 7
VOTERS = (0, 1, 2, 3, 4, 5, 6)


def prepared(**rules: Any) -> dict[str, Any]:
    """Le LAB's assembly: eight seats, seven voting members, seat 7 observes."""
    base_rules: dict[str, Any] = {
        "voters": list(VOTERS),
        "quorum": "1/2",
        "proxies": {"allowed": True, "max_per_person": 1},
        "speaking_seconds": 120,
        "point_of_order_seconds": 30,
        "live_counts": False,
    }
    base_rules.update(rules)
    return {
        "title": "AG du LAB",
        "date": "2025-03-01",
        "place": None,
        "convocation": "Bienvenue à toutes et tous.",
        "agenda": [
            {"title": "Accueil", "minutes": 5},
            {
                "title": "Comptes",
                "minutes": 20,
                "links": ["https://example.org/comptes.pdf"],
                "children": [{"title": "Budget", "minutes": 10, "speaking_seconds": 60}],
            },
            {"title": "Divers", "minutes": 0},
        ],
        "rules": base_rules,
        "roles": {"facilitator": FACILITATOR, "secretary": SECRETARY, "timekeeper": TIMEKEEPER},
    }


class Sitting:
    """Drives ASSEMBLY like the runner does; ``now`` advances only when told."""

    def __init__(self, seats: int = 8, **rules: Any) -> None:
        self.options = prepared(**rules)
        self.seats = seats
        self.state: AssemblyState = ASSEMBLY.setup(seats, self.options, 0, START)
        self.now = START
        self.log: list[Event] = []
        self.box: Counter[tuple[str, str]] = Counter()

    def later(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def attempt(self, actor: Seat, action: Mapping[str, Any]) -> Decision | Rejection:
        return ASSEMBLY.apply_sealed(self.state, actor, action, self.now)

    def act(self, actor: Seat, kind: str, /, **fields: Any) -> list[Event]:
        decision = self.attempt(actor, {"type": kind, **fields})
        assert not isinstance(decision, Rejection), decision
        self._commit(decision)
        return list(decision.events)

    def timeout(self) -> list[Event]:
        decision = self.attempt(SYSTEM, {"type": "timeout"})
        assert isinstance(decision, Decision)
        self._commit(decision)
        return list(decision.events)

    def _commit(self, decision: Decision) -> None:
        self.log.extend(decision.events)
        for sealed in decision.sealed:
            self.box[(sealed.box, sealed.content)] += 1
        for event in decision.events:
            self.state = ASSEMBLY.evolve(self.state, event)
        for sealed in decision.sealed:
            self.state = ASSEMBLY.deposit(self.state, sealed)

    def refuse(self, actor: Seat, kind: str, /, **fields: Any) -> str:
        before = ASSEMBLY.dump(self.state)
        decision = self.attempt(actor, {"type": kind, **fields})
        assert isinstance(decision, Rejection), decision
        assert ASSEMBLY.dump(self.state) == before
        return decision.code

    def sealed_ballots(self) -> list[SealedBallot]:
        return [SealedBallot(b, c) for (b, c), n in sorted(self.box.items()) for _ in range(n)]

    def rebuilt(self) -> AssemblyState:
        """The state a restarted runner gets: setup, fold the log, re-deposit the box."""
        state = ASSEMBLY.setup(self.seats, self.options, 0, START)
        for event in self.log:
            state = ASSEMBLY.evolve(state, event)
        return ASSEMBLY.deposit_all(state, self.sealed_ballots())

    def view(self, seat: Seat | None = None) -> dict[str, Any]:
        viewer = Viewer.spectator() if seat is None else Viewer.player(seat)
        return ASSEMBLY.view(self.state, viewer)

    def everyone_in(self, *seats: Seat) -> None:
        for seat in seats or VOTERS:
            self.act(seat, "attendance.check_in")

    def open_sitting(self, *seats: Seat) -> None:
        self.everyone_in(*seats)
        self.act(FACILITATOR, "sitting.open")
        self.act(FACILITATOR, "agenda.next_item")

    def run_vote(self, spec: Mapping[str, Any]) -> int:
        self.act(FACILITATOR, "vote.prepare", vote=dict(spec))
        vote_id = max(self.state.votes)
        self.act(FACILITATOR, "vote.open", vote=vote_id)
        return vote_id


@pytest.fixture
def sitting() -> Sitting:
    """A sitting of le LAB, not yet opened."""
    return Sitting()


@pytest.fixture
def in_session() -> Sitting:
    """Everyone with a vote checked in, the sitting open, item 1 under discussion."""
    running = Sitting()
    running.open_sitting()
    return running
