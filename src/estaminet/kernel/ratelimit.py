"""A token bucket: bursts allowed, a steady rate enforced. Time is passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Monotonic", "TokenBucket"]

Monotonic = Callable[[], float]
"""A monotonic clock in seconds (``time.monotonic``), injected into services so that
tests move it instead of sleeping (throttles, cooldowns, short caches)."""


@dataclass
class TokenBucket:
    capacity: float
    rate: float
    """Tokens regained per second."""
    tokens: float = -1.0
    updated: float = 0.0

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Spend ``cost`` tokens at monotonic time ``now`` if there are enough."""
        if self.tokens < 0:
            self.tokens, self.updated = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def wait_time(self, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens are back (after a refused ``take``)."""
        return max(0.0, (cost - self.tokens) / self.rate)
