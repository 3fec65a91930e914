"""The raised hands' queue (pure, ``now`` passed in) and who may raise or send back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from estaminet.media.stage_hands import HAND_BURST, MAX_HANDS, HandQueue, HandRefused
from estaminet.people.access import may_raise_hand, may_send_back
from estaminet.people.model import Role, User


def _user(user_id: str, role: Role) -> User:
    now = datetime(2026, 12, 4, tzinfo=UTC)
    return User(user_id, user_id, role, None, None, False, now, None)


def test_hands_keep_their_order_and_each_viewer_knows_only_their_share() -> None:
    queue = HandQueue()
    assert queue.raise_hand("ana", "Ana", 1.0) is True
    assert queue.raise_hand("bob", "Bob", 2.0) is True
    assert queue.raise_hand("ana", "Ana", 3.0) is False  # already raised: stays first
    assert queue.desk() == [{"id": "ana", "name": "Ana"}, {"id": "bob", "name": "Bob"}]
    assert queue.own("bob") == {"raised": True, "position": 2, "declined": False}
    assert queue.own("zoe") == {"raised": False, "position": None, "declined": False}
    assert queue.lower("ana", 4.0) is True
    assert queue.own("bob")["position"] == 1
    assert queue.lower("ana", 4.0) is False
    assert queue.count == 1


def test_an_answer_takes_the_hand_out_and_a_decline_is_told_until_raised_again() -> None:
    queue = HandQueue()
    queue.raise_hand("ana", "Ana", 0.0)
    queue.raise_hand("bob", "Bob", 0.0)
    assert queue.answer("ana", True).name == "Ana"
    assert queue.own("ana") == {"raised": False, "position": None, "declined": False}
    queue.answer("bob", False)
    assert queue.own("bob") == {"raised": False, "position": None, "declined": True}
    with pytest.raises(HandRefused) as refused:
        queue.answer("bob", True)
    assert refused.value.code == "none"
    queue.raise_hand("bob", "Bob", 100.0)
    assert queue.own("bob")["declined"] is False
    assert queue.drop("bob") is True and queue.count == 0


def test_raising_is_rate_limited_with_the_injected_clock_and_the_line_is_bounded() -> None:
    queue = HandQueue()
    for n in range(HAND_BURST):
        if n % 2 == 0:
            queue.raise_hand("ana", "Ana", 5.0)
        else:
            queue.lower("ana", 5.0)
    with pytest.raises(HandRefused) as refused:
        queue.raise_hand("ana", "Ana", 5.0)
    assert refused.value.code == "slow"
    assert queue.count == 0  # nothing changed
    assert queue.raise_hand("ana", "Ana", 25.0) is True  # ten seconds later: one more
    full = HandQueue()
    for n in range(MAX_HANDS):
        full.raise_hand(f"p{n}", f"P{n}", 0.0)
    with pytest.raises(HandRefused) as refused:
        full.raise_hand("late", "Late", 0.0)
    assert refused.value.code == "full"
    assert full.position("late") is None


def test_who_may_raise_a_hand_and_who_sends_a_performer_back() -> None:
    named = frozenset({"ana"})
    assert may_raise_hand("zoe", named)
    assert not may_raise_hand("ana", named)  # already a performer
    assert may_send_back(_user("ana", Role.GUEST), "ana")  # oneself
    assert not may_send_back(_user("zoe", Role.MEMBER), "ana")  # someone else
    assert may_send_back(_user("max", Role.ANIMATOR), "ana")
    banned = User(
        "max",
        "M",
        Role.ADMIN,
        None,
        None,
        False,
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert not may_send_back(banned, "ana")
