"""The state of a sitting: a plain fold of its events (see :mod:`.sitting`).

The values here are mutable for convenience, but the activity never
mutates a state it was given: ``evolve`` works on a copy. Seats appear
in sets and mappings; whatever could reveal an order of arrival that must
stay hidden (who voted in a secret ballot) is a set, written out sorted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from typing import Any

from estaminet.assembly.counting import MajorityRule
from estaminet.assembly.methods import Method
from estaminet.assembly.preparation import Preparation
from estaminet.kernel.activity import Seat

__all__ = [
    "Amendment",
    "AssemblyState",
    "ItemRecord",
    "Method",
    "Motion",
    "QuorumCheck",
    "Request",
    "RequestKind",
    "SealedBox",
    "Status",
    "Subject",
    "Turn",
    "Vote",
    "VoteSpec",
]


class Status(StrEnum):
    """Where the sitting is."""

    WAITING = "waiting"
    """Prepared; members may check in and give proxies."""
    SITTING = "sitting"
    CLOSED = "closed"


class RequestKind(StrEnum):
    """What someone in the speaking queue asks for."""

    SPEAK = "speak"
    POINT_OF_ORDER = "point_of_order"
    """A process or technical point: goes before every request to speak."""


@dataclass
class Request:
    """A place in the speaking queue."""

    seat: Seat
    kind: RequestKind


@dataclass
class Turn:
    """The person who has the floor, until ``ends_at`` (then ``overtime``)."""

    seat: Seat
    kind: RequestKind
    started_at: datetime
    ends_at: datetime
    overtime: bool = False


@dataclass
class ItemRecord:
    """What happened on one agenda item."""

    started_at: datetime
    ends_at: datetime | None
    overtime: bool = False
    spoken: dict[Seat, int] = field(default_factory=dict)
    """Turns taken to speak (points of order do not count)."""
    notes: list[str] = field(default_factory=list)


@dataclass
class Amendment:
    """A replacement text proposed for a motion; voted before the motion itself."""

    id: int
    author: Seat
    text: str
    status: str = "open"
    """open | withdrawn | adopted | rejected"""


@dataclass
class Motion:
    """A proposal; ``text`` is its current wording after adopted amendments."""

    id: int
    item: str | None
    author: Seat
    text: str
    original: str
    status: str = "open"
    """open | withdrawn | adopted | rejected (a failed consent round leaves it open)."""
    amendments: list[Amendment] = field(default_factory=list)


@dataclass(frozen=True)
class Subject:
    """What a vote decides: a motion, or one of its amendments."""

    motion: int
    amendment: int | None = None


@dataclass(frozen=True)
class VoteSpec:
    """A vote as prepared and shown before it opens; stored with its result."""

    method: Method
    question: str
    options: tuple[str, ...] = ()
    max_choices: int = 1
    rule: MajorityRule = field(default_factory=MajorityRule)
    secret: bool = False
    quorum: Fraction | None = None
    """Overrides the assembly's quorum for this vote (e.g. 2/3 for statutes)."""
    subject: Subject | None = None
    live_counts: bool = False
    duration_seconds: int | None = None
    """Closes by itself this long after opening."""


@dataclass(frozen=True)
class QuorumCheck:
    """Attendance measured against a quorum at one moment."""

    voting_members: int
    present: int
    """Voting members checked in."""
    represented: int
    """Absent voting members whose proxy holder is checked in."""
    required: int
    """Present or represented members needed (0 when there is no quorum)."""

    @property
    def count(self) -> int:
        """Voting members present or represented."""
        return self.present + self.represented

    @property
    def reached(self) -> bool:
        """Whether the quorum is reached."""
        return self.count >= self.required

    def as_dict(self) -> dict[str, Any]:
        """JSON form, for views, events and the minutes."""
        return {
            "voting_members": self.voting_members,
            "present": self.present,
            "represented": self.represented,
            "required": self.required,
            "reached": self.reached,
        }


@dataclass
class SealedBox:
    """What this process knows of an open secret vote's ballot box (kept in memory only).

    ``totals`` is the running sum of the ballots' count vectors, or ``None``
    while the box is *locked* (rebuilt by a process that does not hold its
    key). ``holders[i]`` keeps share ``i`` of the key; ``kept[i]`` says whether
    their page confirmed storing it. Never logged, never in ``dump``.
    """

    ballots: int = 0
    totals: list[int] | None = None
    holders: tuple[Seat, ...] = ()
    kept: tuple[bool, ...] = ()

    @property
    def locked(self) -> bool:
        """Whether the totals cannot be read here until the key holders give their shares."""
        return self.totals is None


@dataclass
class Vote:
    """A vote from draft to result.

    ``voters`` is who has voted (a set: arrival order is not kept). For an
    open vote ``ballots`` maps each voter to their ballot. For a secret vote
    ``ballots`` stays empty and ``box`` holds the number of ballots and the
    sum of their count vectors, with no voter: it comes from the runner's
    ballot box, never from the event log, and ``dump`` leaves it out.
    """

    id: int
    spec: VoteSpec
    item: str | None
    status: str = "draft"
    """draft | open | closed | cancelled"""
    opened_at: datetime | None = None
    closes_at: datetime | None = None
    closed_at: datetime | None = None
    eligible: frozenset[Seat] = frozenset()
    quorum: QuorumCheck | None = None
    """Attendance when the vote opened."""
    counted: frozenset[Seat] | None = None
    """Voting members present or represented when the vote opened (``None`` in logs older
    than this record: then only the count in :attr:`quorum` is known)."""
    wording: str | None = None
    """The text of the motion or amendment put to the vote, as it stood when the vote opened."""
    voters: set[Seat] = field(default_factory=set)
    ballots: dict[Seat, Any] = field(default_factory=dict)
    box: SealedBox | None = None
    objections: dict[Seat, str] = field(default_factory=dict)
    result: dict[str, Any] | None = None

    @property
    def late_voters(self) -> int:
        """Voters who were neither present nor represented when the vote opened."""
        if self.counted is None:
            at_opening = 0 if self.quorum is None else self.quorum.count
            return max(0, len(self.voters) - at_opening)
        return len(self.voters - self.counted)

    @property
    def present_base(self) -> int:
        """The "present or represented" base: at the opening, plus every late arrival who voted.

        Members who arrive during the vote may vote (their right does not
        lapse for being late), so they enter the base: yes + no + abstain
        can never exceed it. Members who leave during the vote stay in it.
        """
        at_opening = 0 if self.quorum is None else self.quorum.count
        return at_opening + self.late_voters


@dataclass
class AssemblyState:
    """A sitting in progress (or finished)."""

    options: dict[str, Any]
    prep: Preparation
    status: Status = Status.WAITING
    started_at: datetime | None = None
    closed_at: datetime | None = None
    opening_quorum: QuorumCheck | None = None
    present: set[Seat] = field(default_factory=set)
    attended: set[Seat] = field(default_factory=set)
    """Everyone who was checked in at some point of the sitting."""
    proxies: dict[Seat, Seat] = field(default_factory=dict)
    """Giver to holder; a proxy is used only while the giver is absent and the holder present."""
    current_item: str | None = None
    items: dict[str, ItemRecord] = field(default_factory=dict)
    queue: list[Request] = field(default_factory=list)
    speaker: Turn | None = None
    silenced: bool = False
    """The facilitator asked for silence: only the floor (and the chair) is heard in the voice."""
    signals: dict[Seat, str] = field(default_factory=dict)
    motions: dict[int, Motion] = field(default_factory=dict)
    votes: dict[int, Vote] = field(default_factory=dict)
