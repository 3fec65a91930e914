"""Sign-in throttling: a token bucket per account and one per client address.

Every password attempt takes a token from the bucket of the account it names
(whether or not the account exists, so the answer tells nothing) and from the
bucket of the address it comes from. Guessing one account's password is
slowed down to a few tries a minute, one address cannot try many accounts,
and someone signing in to another account from another address is not
touched. The buckets are the venue's (``realtime/shared_state.py``): with
several instances on Redis, one allowance for all of them, whichever instance
each attempt reaches; with one process, its memory, bounded (past
``MAX_BUCKETS`` the least recently used go).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from estaminet.kernel.errors import RateLimited
from estaminet.kernel.i18n import N_
from estaminet.realtime.shared_state import MemorySharedState, SharedState

__all__ = ["SignInThrottle"]


@dataclass(frozen=True)
class _Rule:
    burst: int
    per_minute: float


class SignInThrottle:
    """Answers "may this attempt go on?"; time is passed in (a monotonic clock)."""

    def __init__(
        self,
        *,
        account_burst: int,
        account_per_minute: float,
        address_burst: int,
        address_per_minute: float,
        shared: SharedState | None = None,
    ) -> None:
        self._account = _Rule(account_burst, account_per_minute)
        self._address = _Rule(address_burst, address_per_minute)
        self.shared: SharedState = shared if shared is not None else MemorySharedState()

    async def _take(self, name: str, rule: _Rule, now: float) -> float:
        return await self.shared.take(name, rule.burst, rule.per_minute / 60.0, now)

    async def check(self, account: str, address: str | None, now: float) -> None:
        """Spend one attempt for ``account`` from ``address``, or raise ``people/slow_down``."""
        wait = await self._take(f"signin:ip:{address or '-'}", self._address, now)
        if not wait:
            wait = await self._take(f"signin:a:{account.strip().lower()}", self._account, now)
        if wait:
            minutes = max(1, math.ceil(wait / 60.0))
            raise RateLimited(
                "people/slow_down",
                N_("Too many sign-in attempts. Wait %(minutes)s min before trying again."),
                minutes=minutes,
            )
