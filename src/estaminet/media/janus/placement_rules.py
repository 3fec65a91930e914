"""Which Janus server a room is on, and when a server counts as down or up again: pure rules.

Several Estaminet instances place rooms without talking to each other. Each
follows the same three rules over the same facts (the configured servers, which
of them answer, where the room already exists):

1. a room that already exists on a server that is up stays there (a server coming
   back takes no room away: nothing moves twice);
2. if it exists on several (two instances briefly disagreed on who is up), the
   one ranked first for this room wins, so every instance picks the same one;
3. otherwise the room goes to the server ranked first for it among those up.

The ranking is rendezvous (highest random weight) hashing: each server's score
for a room is a hash of both names, so rooms spread evenly, every instance
ranks alike, and a server going away moves only its own rooms.

Health has hysteresis: a server is down after ``down_after`` failed checks in a
row, and up again only after answering for ``up_after`` seconds without a miss
(at once when no other server is up: the rooms have nowhere else to be).
Times are plain seconds given by the caller (a monotonic clock); nothing here
reads a clock, the network or global randomness.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

__all__ = ["Health", "HealthPolicy", "moved", "observe", "place", "rank"]


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    down_after: int = 2
    """Failed checks in a row after which a server that was up is down."""
    up_after: float = 30.0
    """Seconds a server that was down must answer every check before it is up again."""


@dataclass(frozen=True, slots=True)
class Health:
    """What one instance believes about one server."""

    up: bool = True
    """A server is trusted until it fails: a venue starting with its servers works at once."""
    failures: int = 0
    """Failed checks in a row."""
    answering_since: float | None = None
    """When (seconds) the current run of answered checks began; ``None`` after a miss."""


def observe(
    health: Health, answered: bool, now: float, policy: HealthPolicy, *, alone: bool = False
) -> Health:
    """The belief after one check that ``answered`` (or not) at ``now``.

    ``alone``: no other server is up. Then a server that answers is up at once: waiting
    is only worth it when the rooms have somewhere else to be (and one server, the usual
    case, comes back as soon as it answers).
    """
    if not answered:
        failures = health.failures + 1
        up = health.up and failures < policy.down_after
        return Health(up=up, failures=failures, answering_since=None)
    since = health.answering_since if health.answering_since is not None else now
    up = health.up or alone or now - since >= policy.up_after
    return replace(health, up=up, failures=0, answering_since=since)


def _score(server: str, room: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{server}\x1f{room}".encode()).digest()[:8], "big")


def rank(room: str, servers: Iterable[str]) -> list[str]:
    """The servers in this room's order of preference (rendezvous hashing; ties by name)."""
    return sorted(servers, key=lambda server: (-_score(server, room), server))


def place(
    room: str, servers: Sequence[str], up: Collection[str], existing: Collection[str]
) -> str | None:
    """The server ``room`` belongs on, or ``None`` when no server is up.

    ``existing``: the servers (among those up) where the room exists now.
    """
    ranked = [server for server in rank(room, servers) if server in up]
    for server in ranked:
        if server in existing:
            return server
    return ranked[0] if ranked else None


def moved(placements: Mapping[str, str], up: Collection[str]) -> set[str]:
    """The rooms placed on a server that is no longer up: they must be placed again."""
    return {room for room, server in placements.items() if server not in up}
