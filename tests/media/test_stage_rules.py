"""The stage's pure rules: who may publish, and reactions counted per 500 ms window."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from estaminet.media.stage_rules import WINDOW_SECONDS, ReactionTally
from estaminet.people.access import can_animate_stage, may_download_recording, may_perform
from estaminet.people.model import Role, User


def test_only_named_performers_not_cut_may_publish() -> None:
    named = frozenset({"ana", "bob"})
    assert may_perform("ana", named, frozenset())
    assert not may_perform("zoe", named, frozenset())  # a watcher
    assert not may_perform("bob", named, frozenset({"bob"}))  # cut by the animator
    assert not may_perform("ana", frozenset(), frozenset())


@pytest.mark.parametrize(
    ("role", "banned", "animates"),
    [
        (Role.GUEST, False, False),
        (Role.MEMBER, False, False),
        (Role.ANIMATOR, False, True),
        (Role.ADMIN, False, True),
        (Role.ADMIN, True, False),
    ],
)
def test_animators_and_up_run_the_stage(role: Role, banned: bool, animates: bool) -> None:
    now = datetime(2026, 12, 4, tzinfo=UTC)
    user = User("u", "U", role, None, None, False, now, now if banned else None)
    assert can_animate_stage(user) is animates


@pytest.mark.parametrize(
    ("role", "banned", "downloads"),
    [
        (Role.GUEST, False, False),
        (Role.MEMBER, False, False),
        (Role.MODERATOR, False, True),
        (Role.ANIMATOR, False, True),
        (Role.ADMIN, False, True),
        (Role.ANIMATOR, True, False),
    ],
)
def test_only_organisers_download_recordings(role: Role, banned: bool, downloads: bool) -> None:
    now = datetime(2026, 12, 4, tzinfo=UTC)
    user = User("u", "U", role, None, None, False, now, now if banned else None)
    assert may_download_recording(user) is downloads


def test_reactions_are_one_count_per_window_with_an_injected_clock() -> None:
    tally = ReactionTally()
    assert tally.add("applause", 10.0) is True  # opens the window: schedule a flush
    for _ in range(40):
        assert tally.add("applause", 10.1) is False
    tally.add("heart", 10.2)
    assert tally.flush(10.0 + WINDOW_SECONDS - 0.01) is None  # not over yet: nothing sent
    assert tally.flush(10.0 + WINDOW_SECONDS) == {"applause": 41, "heart": 1}
    assert tally.flush(11.0) is None  # nothing since: no frame
    assert tally.add("wow", 12.0) is True  # a new window
    assert tally.flush(12.5) == {"wow": 1}


def test_an_unknown_reaction_is_refused() -> None:
    with pytest.raises(ValueError):
        ReactionTally().add("boo", 0.0)
