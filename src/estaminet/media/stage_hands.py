"""Raised hands on a stage: the queue of watchers asking to come on stage (pure).

No I/O, no clock of its own: ``now`` (a monotonic time in seconds) is passed in. The
service decides who may raise a hand (``people.access.may_raise_hand``) and who answers
(``people.access.can_animate_stage``); this keeps the order, the names, the limits and
what each viewer may know of it (:meth:`HandQueue.own`, :meth:`HandQueue.desk`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from estaminet.kernel.ratelimit import TokenBucket

__all__ = ["HAND_BURST", "HAND_PER_MINUTE", "MAX_HANDS", "Hand", "HandQueue", "HandRefused"]

MAX_HANDS = 50
"""Hands raised at once on one stage; beyond, a raise is refused (``stage/queue_full``)."""
HAND_BURST = 4
"""Raises (and lowers) one person may make at once; then :data:`HAND_PER_MINUTE`."""
HAND_PER_MINUTE = 6.0


class HandRefused(Exception):
    """A change the queue does not allow; ``code`` names it (``full``, ``slow``, ``none``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Hand:
    user_id: str
    name: str
    raised_at: float


@dataclass
class HandQueue:
    """One stage's raised hands, in the order they were raised."""

    hands: dict[str, Hand] = field(default_factory=dict)
    declined: set[str] = field(default_factory=set)
    """People whose last hand the animator declined (told once, until they raise again)."""
    _budgets: dict[str, TokenBucket] = field(default_factory=dict)

    def _spend(self, user_id: str, now: float) -> None:
        budget = self._budgets.get(user_id)
        if budget is None:
            if len(self._budgets) > 5_000:
                self._budgets.clear()
            budget = self._budgets[user_id] = TokenBucket(HAND_BURST, HAND_PER_MINUTE / 60)
        if not budget.take(now):
            raise HandRefused("slow")

    def raise_hand(self, user_id: str, name: str, now: float) -> bool:
        """Raise this person's hand (at the end of the line); ``False`` if it already was."""
        if user_id in self.hands:
            return False
        if len(self.hands) >= MAX_HANDS:
            raise HandRefused("full")
        self._spend(user_id, now)
        self.hands[user_id] = Hand(user_id, name, now)
        self.declined.discard(user_id)
        return True

    def lower(self, user_id: str, now: float) -> bool:
        """The person lowers their own hand; ``False`` if it was not raised."""
        if user_id not in self.hands:
            return False
        self._spend(user_id, now)
        del self.hands[user_id]
        return True

    def answer(self, user_id: str, accept: bool) -> Hand:
        """The animator accepts or declines this hand; it leaves the queue either way."""
        hand = self.hands.pop(user_id, None)
        if hand is None:
            raise HandRefused("none")
        if not accept:
            self.declined.add(user_id)
        return hand

    def drop(self, user_id: str) -> bool:
        """The person left the stage or went on it another way: their hand goes, silently."""
        self.declined.discard(user_id)
        return self.hands.pop(user_id, None) is not None

    def position(self, user_id: str) -> int | None:
        """1 for the first in line; ``None`` if this person's hand is not raised."""
        for index, other in enumerate(self.hands, start=1):
            if other == user_id:
                return index
        return None

    @property
    def count(self) -> int:
        return len(self.hands)

    def own(self, user_id: str) -> dict[str, object]:
        """What one watcher knows: their own hand, its place, whether it was declined."""
        position = self.position(user_id)
        return {
            "raised": position is not None,
            "position": position,
            "declined": user_id in self.declined,
        }

    def desk(self) -> list[dict[str, str]]:
        """What the animators know: every hand in order, with the person's name."""
        return [{"id": hand.user_id, "name": hand.name} for hand in self.hands.values()]
