"""Sign-in throttling: a token bucket per account and one per client address.

Every password attempt takes a token from the bucket of the account it names
(whether or not the account exists, so the answer tells nothing) and from the
bucket of the address it comes from. Guessing one account's password is
slowed down to a few tries a minute, one address cannot try many accounts,
and someone signing in to another account from another address is not
touched. The buckets live in this process: with several instances each keeps
its own (an attacker spread over them gets each instance's allowance).
Memory is bounded: past ``max_keys`` the least recently used buckets go.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from estaminet.kernel.errors import RateLimited
from estaminet.kernel.i18n import N_
from estaminet.kernel.ratelimit import TokenBucket

__all__ = ["SignInThrottle"]


@dataclass(frozen=True)
class _Rule:
    burst: int
    per_minute: float


class _Buckets:
    def __init__(self, rule: _Rule, max_keys: int) -> None:
        self.rule = rule
        self.max_keys = max_keys
        self.buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, key: str, now: float) -> float:
        """0 when a token was taken, else the seconds until one is back."""
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(self.rule.burst, self.rule.per_minute / 60.0)
            self.buckets[key] = bucket
            while len(self.buckets) > self.max_keys:
                self.buckets.popitem(last=False)
        else:
            self.buckets.move_to_end(key)
        return 0.0 if bucket.take(now) else bucket.wait_time()


class SignInThrottle:
    """Answers "may this attempt go on?"; time is passed in (a monotonic clock)."""

    def __init__(
        self,
        *,
        account_burst: int,
        account_per_minute: float,
        address_burst: int,
        address_per_minute: float,
        max_keys: int = 50_000,
    ) -> None:
        self._accounts = _Buckets(_Rule(account_burst, account_per_minute), max_keys)
        self._addresses = _Buckets(_Rule(address_burst, address_per_minute), max_keys)

    def check(self, account: str, address: str | None, now: float) -> None:
        """Spend one attempt for ``account`` from ``address``, or raise ``people/slow_down``."""
        wait = self._addresses.take(address or "-", now)
        if not wait:
            wait = self._accounts.take(account.strip().lower(), now)
        if wait:
            minutes = max(1, math.ceil(wait / 60.0))
            raise RateLimited(
                "people/slow_down",
                N_("Too many sign-in attempts. Wait %(minutes)s min before trying again."),
                minutes=minutes,
            )
