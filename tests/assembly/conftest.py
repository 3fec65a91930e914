"""A fake runner for sittings: an ordered event log and one ballot box per secret vote.

It follows the contract in docs/assembly/secret-ballots.md, so tests can
check what a real runner would store. Its boxes hold the plain sums that
the real runner keeps encrypted (``estaminet.live.ballot_box``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from estaminet.assembly import ASSEMBLY, AssemblyState, BoxReading, Decision
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
        self.box: dict[str, dict[str, Any]] = {}
        """Each box: its ballots count and the sum of their vectors (encrypted for real)."""

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
        before = ASSEMBLY.ballot_boxes(self.state)
        self.log.extend(decision.events)
        for event in decision.events:
            self.state = ASSEMBLY.evolve(self.state, event)
        fresh = []
        for name, spec in ASSEMBLY.ballot_boxes(self.state).items():
            if name not in before:  # a secret vote opened: a new, empty box
                holders = (spec.keepers[0], spec.keepers[-1])
                self.box[name] = {"ballots": 0, "totals": [0] * spec.size, "holders": holders}
                fresh.append(BoxReading(name, 0, (0,) * spec.size, holders, (False, False)))
        self.state = ASSEMBLY.refill_boxes(self.state, fresh)
        for sealed in decision.sealed:
            box = self.box[sealed.box]
            box["ballots"] += 1
            box["totals"] = [t + v for t, v in zip(box["totals"], sealed.vector, strict=True)]
            self.state = ASSEMBLY.deposit(self.state, sealed)

    def refuse(self, actor: Seat, kind: str, /, **fields: Any) -> str:
        before = ASSEMBLY.dump(self.state)
        decision = self.attempt(actor, {"type": kind, **fields})
        assert isinstance(decision, Rejection), decision
        assert ASSEMBLY.dump(self.state) == before
        return decision.code

    def readings(self, *, key: bool = True) -> list[BoxReading]:
        """What a runner reads of its boxes: totals only when it holds their key."""
        return [
            BoxReading(name, box["ballots"], tuple(box["totals"]) if key else None, box["holders"])
            for name, box in sorted(self.box.items())
        ]

    def rebuilt(self, *, key: bool = True) -> AssemblyState:
        """The state a restarted runner gets: setup, fold the log, refill the boxes."""
        state = ASSEMBLY.setup(self.seats, self.options, 0, START)
        for event in self.log:
            state = ASSEMBLY.evolve(state, event)
        return ASSEMBLY.refill_boxes(state, self.readings(key=key))

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
