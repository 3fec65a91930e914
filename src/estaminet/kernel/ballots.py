"""Secret ballots between pure rules and their runner: sealed vectors, boxes, readings.

A secret ballot leaves the rules as a :class:`SealedBallot`: a one-hot count
vector of fixed length, with no voter and no time. The runner adds it to the
box of its vote, encrypted (``estaminet.live.ballot_box``), and adds its
plaintext to the running totals it keeps in memory. The rules name the boxes
that must exist (:class:`BoxSpec`, one per open secret vote); after a
rebuild the runner gives back what it can read of each box
(:class:`BoxReading`): the number of ballots always, the totals only if
this process holds the box's private key. See ``docs/assembly/secret-ballots.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar, runtime_checkable

from estaminet.kernel.activity import Activity, Event, Rejection, Seat

__all__ = [
    "BoxReading",
    "BoxSpec",
    "SealedBallot",
    "SealedDecision",
    "SecretBallots",
    "secret_ballots",
]

S = TypeVar("S")


@dataclass(frozen=True)
class SealedBallot:
    """A secret ballot for its box: a count vector (one-hot per choice), no voter, no time."""

    box: str
    vector: tuple[int, ...]


@dataclass(frozen=True)
class BoxSpec:
    """A ballot box the rules need open now: its vector length and who keeps its key.

    ``keepers`` are the seats asked to keep a share of the private key each
    (the facilitator first, then the secretary); the runner falls back on the
    first when the second cannot take it.
    """

    box: str
    size: int
    keepers: tuple[Seat, ...]


@dataclass(frozen=True)
class BoxReading:
    """What a runner can tell the rules about one box.

    ``totals`` is ``None`` when this process cannot decrypt the box (it was
    rebuilt without the key): the box is *locked* until the key holders
    give their shares back. ``holders[i]`` keeps share ``i``; ``kept[i]``
    says whether that holder's page confirmed it stored the share.
    """

    box: str
    ballots: int
    totals: tuple[int, ...] | None
    holders: tuple[Seat, ...] = ()
    kept: tuple[bool, ...] = ()


class SealedDecision(Protocol):
    """What an accepted action causes: events for the log, sealed ballots for the boxes."""

    @property
    def events(self) -> Sequence[Event]: ...

    @property
    def sealed(self) -> Sequence[SealedBallot]: ...


@runtime_checkable
class SecretBallots(Protocol[S]):
    """An activity whose actions may carry secret ballots (an assembly sitting).

    Its runner calls :meth:`apply_sealed` instead of ``apply``, keeps one encrypted
    box per entry of :meth:`ballot_boxes`, folds each sealed ballot in with
    :meth:`deposit` (never into the log) and tells the rules what it can read of
    each box with :meth:`refill_boxes`.
    """

    def apply_sealed(
        self, state: S, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> SealedDecision | Rejection: ...

    def deposit(self, state: S, ballot: SealedBallot) -> S: ...

    def ballot_boxes(self, state: S) -> Mapping[str, BoxSpec]: ...

    def refill_boxes(self, state: S, readings: Iterable[BoxReading]) -> S: ...


def secret_ballots(rules: Activity[S]) -> SecretBallots[S] | None:
    """``rules`` as an activity with secret ballots, or ``None`` (every game)."""
    return rules if isinstance(rules, SecretBallots) else None
