"""Pure agenda rules: who sees what, where a yes lands, who moves up, when reminders fall."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from estaminet.agenda.rules import (
    Answer,
    Notice,
    Visibility,
    can_see_event,
    change_is_notable,
    promotions,
    reminder_schedule,
    seat_answer,
    should_deliver,
)
from estaminet.kernel.errors import Conflict
from estaminet.people.model import Role, User

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def person(role: Role, banned: bool = False) -> User:
    return User("u", "U", role, None, None, False, NOW, NOW if banned else None)


def test_rules_visibility_branch_by_branch() -> None:
    assert can_see_event(None, Visibility.PUBLIC)
    assert not can_see_event(None, Visibility.MEMBERS)
    assert not can_see_event(person(Role.GUEST), Visibility.MEMBERS)
    assert can_see_event(person(Role.MEMBER), Visibility.MEMBERS)
    assert not can_see_event(person(Role.MEMBER), Visibility.TEAM)
    assert can_see_event(person(Role.ANIMATOR), Visibility.TEAM)
    assert not can_see_event(person(Role.ADMIN, banned=True), Visibility.PUBLIC)


def test_rules_yes_to_a_full_event_waits_in_line() -> None:
    full = {"capacity": 1, "going": 1, "already_going": False, "waitlist": True}
    assert seat_answer(Answer.YES, waiting=2, **full).answer is Answer.WAITING
    assert seat_answer(Answer.YES, waiting=2, **full).position == 3
    assert seat_answer(Answer.MAYBE, waiting=0, **full).answer is Answer.MAYBE
    assert (
        seat_answer(Answer.YES, waiting=0, **{**full, "already_going": True}).answer is Answer.YES
    )
    with pytest.raises(Conflict):
        seat_answer(Answer.YES, waiting=0, **{**full, "waitlist": False})


def test_rules_waiting_list_promotion_in_order() -> None:
    assert promotions(2, 1, ["b", "c", "d"]) == ["b"]
    assert promotions(3, 1, ["b", "c", "d"]) == ["b", "c"]
    assert promotions(1, 1, ["b"]) == []
    assert promotions(None, 10, ["b", "c"]) == ["b", "c"]


def test_rules_reminder_schedule() -> None:
    start = NOW + timedelta(days=3)
    assert reminder_schedule(start, Answer.YES, NOW) == [
        (Notice.DAY_BEFORE, start - timedelta(hours=24)),
        (Notice.SOON, start - timedelta(minutes=15)),
        (Notice.STARTING, start),
    ]
    assert [n for n, _ in reminder_schedule(start, Answer.MAYBE, NOW)] == [
        Notice.DAY_BEFORE,
        Notice.SOON,
    ]
    assert reminder_schedule(start, Answer.NO, NOW) == []
    # An hour before: no "tomorrow" reminder any more.
    late = start - timedelta(hours=1)
    assert [n for n, _ in reminder_schedule(start, Answer.YES, late)] == [
        Notice.SOON,
        Notice.STARTING,
    ]


def test_rules_late_delivery_only_while_it_still_makes_sense() -> None:
    start, end = NOW, NOW + timedelta(hours=2)
    assert should_deliver(Notice.SOON, start=start, end=end, now=start - timedelta(minutes=1))
    assert not should_deliver(Notice.DAY_BEFORE, start=start, end=end, now=start)
    assert should_deliver(Notice.STARTING, start=start, end=end, now=start + timedelta(minutes=30))
    assert not should_deliver(Notice.STARTING, start=start, end=end, now=end)


def test_rules_more_places_move_the_first_waiting_up_fewer_keep_who_comes() -> None:
    waiting = ["bob", "cat", "dan"]
    assert promotions(2, 1, waiting) == ["bob"]  # capacity 1 -> 2
    assert promotions(4, 1, waiting) == ["bob", "cat", "dan"]
    assert promotions(None, 1, waiting) == waiting  # no limit any more
    assert promotions(1, 3, waiting) == []  # fewer places than people coming: nobody moves
    assert promotions(5, 1, []) == []


def test_rules_only_a_new_time_or_room_is_worth_a_notice() -> None:
    start, end = NOW, NOW + timedelta(hours=2)
    assert not change_is_notable((start, end, "jeux"), (start, end, "jeux"))
    assert change_is_notable((start, end, "jeux"), (start, end, "bar"))
    assert change_is_notable((start, end, None), (start + timedelta(minutes=30), end, None))
    assert change_is_notable((start, end, None), (start, end + timedelta(hours=1), None))
