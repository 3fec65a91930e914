"""The stage's pure rules: which reactions exist and how a burst of them is aggregated.

No I/O, no clock of its own: ``now`` (a monotonic time in seconds) is passed in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["REACTIONS", "WINDOW_SECONDS", "ReactionTally"]

REACTIONS: tuple[str, ...] = ("applause", "heart", "laugh", "wow")
"""The reactions an audience may send (one emoji each on the page)."""

WINDOW_SECONDS = 0.5
"""Reactions are counted over this window and published once per window, never per click."""


@dataclass
class ReactionTally:
    """The reactions of one stage since the window opened."""

    counts: Counter[str] = field(default_factory=Counter)
    opened: float | None = None
    """When the first reaction of this window arrived; ``None``: nothing waiting."""

    def add(self, reaction: str, now: float) -> bool:
        """Count one reaction; ``True`` when it opens a window (schedule a flush then)."""
        if reaction not in REACTIONS:
            raise ValueError(reaction)
        self.counts[reaction] += 1
        if self.opened is None:
            self.opened = now
            return True
        return False

    def due(self, now: float) -> bool:
        return self.opened is not None and now - self.opened >= WINDOW_SECONDS

    def flush(self, now: float) -> dict[str, int] | None:
        """The window's counts once it is over (and a fresh window), else ``None``."""
        if not self.due(now):
            return None
        counts = {
            reaction: self.counts[reaction] for reaction in REACTIONS if self.counts[reaction]
        }
        self.counts = Counter()
        self.opened = None
        return counts
