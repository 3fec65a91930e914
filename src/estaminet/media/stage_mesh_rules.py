"""The stage without Janus, as pure rules: who gets a seat, who sends to whom, what each
side of a pair may say.

Without a video server each live performer's browser sends its stream to every seated
watcher over its own peer connection (a mesh *from the performer*). Seats are few (a
performer's upload is sent once per seat) and given by order of arrival on the stage;
the others wait in line, in the same order. No I/O and no clock: tabs are numbers, people
are ids, and the caller passes everything in.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "MeshPlan",
    "Side",
    "answer_sends_media",
    "plan_mesh",
    "side_of",
    "signal_allowed",
]


@dataclass(frozen=True)
class MeshPlan:
    """One stage's mesh: the seated tabs and the waiting line (both in order of arrival),
    and the pairs ``(sender tab, receiver tab)`` that may set up a call."""

    seated: tuple[int, ...]
    waiting: tuple[int, ...]
    pairs: frozenset[tuple[int, int]]

    def place(self, tab: int) -> int:
        """A waiting tab's place in line (1: next to get a seat); 0 when not waiting."""
        try:
            return self.waiting.index(tab) + 1
        except ValueError:
            return 0


def plan_mesh(
    tabs: Sequence[tuple[int, str]],
    performers: Collection[str],
    cut: Collection[str],
    live_tabs: Mapping[str, int],
    seats: int,
) -> MeshPlan:
    """Seats and pairs for the tabs on a stage.

    ``tabs``: the tabs ready to take part, ``(tab, user id)`` in order of arrival;
    ``performers``: the named performers (their tabs are on stage, never in a seat);
    ``cut``: performers the animator cut (they send to nobody); ``live_tabs``: the tab each
    performer went live from; ``seats``: how many tabs may receive.
    """
    present = {tab for tab, _ in tabs}
    audience = [tab for tab, user in tabs if user not in performers]
    seated = tuple(audience[: max(seats, 0)])
    waiting = tuple(audience[len(seated) :])
    senders = [
        tab
        for user, tab in live_tabs.items()
        if user in performers and user not in cut and tab in present
    ]
    pairs = frozenset((sender, receiver) for sender in senders for receiver in seated)
    return MeshPlan(seated, waiting, pairs)


class Side(enum.Enum):
    """Which end of a pair a tab speaks from."""

    SENDER = "sender"
    RECEIVER = "receiver"


def side_of(tab: int, other: int, pairs: Collection[tuple[int, int]]) -> Side | None:
    """Whether ``tab`` sends to ``other`` or receives from it; ``None``: no pair."""
    if (tab, other) in pairs:
        return Side.SENDER
    if (other, tab) in pairs:
        return Side.RECEIVER
    return None


_SAYS: dict[Side, frozenset[str]] = {
    Side.SENDER: frozenset({"offer", "candidate"}),
    Side.RECEIVER: frozenset({"answer", "candidate", "restart"}),
}


def signal_allowed(side: Side, kind: str, sdp: str | None) -> bool:
    """A performer offers (and sends candidates); a watcher answers, sends candidates or
    asks for a restart, and its answer never sends media (:func:`answer_sends_media`)."""
    if kind not in _SAYS[side]:
        return False
    return not (kind == "answer" and (sdp is None or answer_sends_media(sdp)))


_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def answer_sends_media(sdp: str) -> bool:
    """Whether an SDP answer would send audio or video: an accepted ``m=audio``/``m=video``
    section whose direction (its own ``a=`` line, else the session's, else ``sendrecv``)
    is ``sendrecv`` or ``sendonly``. A watcher's answer must say ``recvonly`` or
    ``inactive`` for every one."""
    lines = [line.strip() for line in sdp.replace("\r\n", "\n").split("\n")]
    session = "sendrecv"
    sections: list[list[str]] = []
    for line in lines:
        if line.startswith("m="):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        elif line[2:] in _DIRECTIONS and line.startswith("a="):
            session = line[2:]
    for section in sections:
        media = section[0][2:].split()
        if not media or media[0] not in ("audio", "video"):
            continue
        if len(media) > 1 and media[1] == "0":
            continue  # a rejected section carries nothing
        direction = session
        for line in section[1:]:
            if line.startswith("a=") and line[2:] in _DIRECTIONS:
                direction = line[2:]
        if direction in ("sendrecv", "sendonly"):
            return True
    return False
