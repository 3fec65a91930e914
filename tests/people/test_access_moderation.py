"""Who may moderate whom: moderation never reaches upwards or sideways (admins aside)."""

from __future__ import annotations

import pytest

from estaminet.people import access
from estaminet.people.model import Role
from tests.people.test_access import person


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        (Role.MODERATOR, Role.GUEST, True),
        (Role.MODERATOR, Role.MEMBER, True),
        (Role.MODERATOR, Role.ANIMATOR, True),
        (Role.MODERATOR, Role.MODERATOR, False),
        (Role.MODERATOR, Role.ADMIN, False),
        (Role.ADMIN, Role.MODERATOR, True),
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ANIMATOR, Role.GUEST, False),
        (Role.MEMBER, Role.GUEST, False),
    ],
)
def test_access_moderate_person_by_role(actor: Role, target: Role, allowed: bool) -> None:
    assert access.can_moderate_person(person(actor, uid="a"), person(target, uid="t")) is allowed


def test_access_nobody_moderates_themselves_and_a_banned_moderator_nobody() -> None:
    admin = person(Role.ADMIN, uid="a")
    assert not access.can_moderate_person(admin, admin)
    banned = person(Role.MODERATOR, banned=True, uid="m")
    assert not access.can_moderate_person(banned, person(Role.GUEST, uid="g"))
