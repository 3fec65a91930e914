"""Who may show a table on the stage, watch it from there, and share or watch a board
camera (``people/access.py``), branch by branch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from estaminet.people import access
from estaminet.people.model import Role, User

NOW = datetime(2026, 12, 4, tzinfo=UTC)


def person(role: Role, *, banned: bool = False) -> User:
    return User("u", "Someone", role, None, None, False, NOW, NOW if banned else None)


@pytest.mark.parametrize(
    ("role", "banned", "private", "ended", "allowed"),
    [
        (Role.ANIMATOR, False, False, False, True),
        (Role.ADMIN, False, False, False, True),
        (Role.MEMBER, False, False, False, False),  # not an animator
        (Role.ANIMATOR, True, False, False, False),  # banned
        (Role.ANIMATOR, False, True, False, False),  # a private table
        (Role.ANIMATOR, False, False, True, False),  # over
    ],
)
def test_may_show_table(
    role: Role, banned: bool, private: bool, ended: bool, allowed: bool
) -> None:
    user = person(role, banned=banned)
    assert access.may_show_table(user, private=private, ended=ended) is allowed


@pytest.mark.parametrize(
    ("banned", "table_role", "private", "shown", "allowed"),
    [
        (False, None, False, True, True),
        (False, "spectator", False, True, True),
        (False, "player", False, True, False),  # their own view differs
        (False, "narrator", False, True, False),
        (False, None, True, True, False),  # private
        (False, None, False, False, False),  # not (or no longer) shown
        (True, None, False, True, False),  # banned
    ],
)
def test_may_watch_table_from_stage(
    banned: bool, table_role: str | None, private: bool, shown: bool, allowed: bool
) -> None:
    user = person(Role.GUEST, banned=banned)
    found = access.may_watch_table_from_stage(user, table_role, private=private, shown=shown)
    assert found is allowed


@pytest.mark.parametrize(
    ("table_role", "seat", "ended", "allowed"),
    [
        ("player", 0, False, True),
        ("player", None, False, False),  # standing, not seated
        ("player", 2, True, False),  # the table is over
        ("spectator", None, False, False),
        ("narrator", None, False, False),
        (None, None, False, False),
    ],
)
def test_may_share_board(
    table_role: str | None, seat: int | None, ended: bool, allowed: bool
) -> None:
    assert access.may_share_board(table_role, seat, ended=ended) is allowed


@pytest.mark.parametrize(
    ("table_role", "ended", "allowed"),
    [
        ("narrator", False, True),
        ("narrator", True, False),
        ("player", False, False),
        (None, False, False),
    ],
)
def test_may_voice_table(table_role: str | None, ended: bool, allowed: bool) -> None:
    assert access.may_voice_table(table_role, ended=ended) is allowed


@pytest.mark.parametrize(
    ("table_role", "guest", "allowed"),
    [
        ("player", False, True),
        ("narrator", False, True),
        ("spectator", False, True),
        (None, True, True),  # watching from a stage that shows the table
        (None, False, False),
    ],
)
def test_may_watch_board(table_role: str | None, guest: bool, allowed: bool) -> None:
    assert access.may_watch_board(table_role, stage_guest=guest) is allowed
