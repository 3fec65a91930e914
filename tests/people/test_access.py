"""Access rules, branch by branch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from estaminet.people import access
from estaminet.people.model import Role, User

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def person(role: Role, *, banned: bool = False, uid: str = "u") -> User:
    return User(uid, "Someone", role, None, None, False, NOW, NOW if banned else None)


@pytest.mark.parametrize(
    ("role", "visibility", "in_team", "allowed"),
    [
        (Role.GUEST, "public", False, True),
        (Role.GUEST, "members", False, False),
        (Role.MEMBER, "members", False, True),
        (Role.MODERATOR, "members", False, True),
        (Role.MEMBER, "team", False, False),
        (Role.MODERATOR, "team", False, False),
        (Role.GUEST, "team", True, True),
        (Role.ADMIN, "team", False, True),
        (Role.ADMIN, "nonsense", False, False),
    ],
)
def test_access_room_visibility(role: Role, visibility: str, in_team: bool, allowed: bool) -> None:
    assert access.can_see_room(person(role), visibility, in_team=in_team) is allowed


def test_access_banned_person_sees_no_room() -> None:
    assert not access.can_see_room(person(Role.ADMIN, banned=True), "public", in_team=True)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.GUEST, False),
        (Role.MEMBER, False),
        (Role.ANIMATOR, False),
        (Role.MODERATOR, True),
        (Role.ADMIN, True),
    ],
)
def test_access_moderation_by_role(role: Role, allowed: bool) -> None:
    assert access.can_moderate(person(role)) is allowed
    assert access.can_create_invites(person(role)) is allowed


def test_access_banned_moderator_cannot_moderate() -> None:
    assert not access.can_moderate(person(Role.MODERATOR, banned=True))
    assert access.assignable_roles(person(Role.ADMIN, banned=True)) == ()


def test_access_assignable_roles() -> None:
    assert access.assignable_roles(person(Role.ADMIN)) == tuple(Role)
    assert access.assignable_roles(person(Role.MODERATOR)) == (
        Role.GUEST,
        Role.MEMBER,
        Role.ANIMATOR,
    )
    assert access.assignable_roles(person(Role.ANIMATOR)) == ()


def test_access_role_change_rules() -> None:
    admin, mod = person(Role.ADMIN, uid="a"), person(Role.MODERATOR, uid="m")
    guest, other_mod = person(Role.GUEST, uid="g"), person(Role.MODERATOR, uid="m2")
    assert access.can_change_role(admin, guest, Role.MODERATOR)
    assert access.can_change_role(mod, guest, Role.MEMBER)
    assert not access.can_change_role(mod, guest, Role.MODERATOR)
    assert not access.can_change_role(mod, other_mod, Role.GUEST)
    assert not access.can_change_role(admin, admin, Role.GUEST)
    assert access.can_change_role(admin, other_mod, Role.GUEST)


def test_access_initials() -> None:
    assert User("1", "Marie Claire", Role.GUEST, None, None, False, NOW).initials == "MC"
    assert User("1", "jo", Role.GUEST, None, None, False, NOW).initials == "JO"
    assert User("1", "Jean-Luc", Role.GUEST, None, None, False, NOW).initials == "JL"


ROLES = (Role.GUEST, Role.MEMBER, Role.ANIMATOR, Role.MODERATOR, Role.ADMIN)


def allowed_roles(decide: object, **kwargs: object) -> set[Role]:
    return {role for role in ROLES if decide(person(role), **kwargs)}  # type: ignore[operator]


def test_access_sittings_by_role() -> None:
    above_member = {Role.MEMBER, Role.ANIMATOR, Role.MODERATOR, Role.ADMIN}
    assert allowed_roles(access.can_prepare_sitting) == {Role.ANIMATOR, Role.MODERATOR, Role.ADMIN}
    assert allowed_roles(access.can_read_minutes) == above_member
    assert allowed_roles(access.can_be_convened) == above_member
    assert not access.can_be_convened(person(Role.ADMIN, banned=True))


def test_access_events_by_role_and_visibility() -> None:
    seen = {
        level: {role for role in ROLES if access.can_see_event_role(role, level)}
        for level in ("public", "members", "team")
    }
    assert seen["public"] == set(ROLES)
    assert seen["members"] == {Role.MEMBER, Role.ANIMATOR, Role.MODERATOR, Role.ADMIN}
    assert seen["team"] == {Role.ANIMATOR, Role.MODERATOR, Role.ADMIN}
    assert allowed_roles(access.can_manage_events) == {Role.ANIMATOR, Role.MODERATOR, Role.ADMIN}
    assert not access.can_manage_events(None)
    assert not access.can_manage_events(person(Role.ADMIN, banned=True))


def test_access_tables_by_role() -> None:
    assert allowed_roles(access.can_set_up_private_table) == set(ROLES) - {Role.GUEST}
    assert allowed_roles(access.can_run_table, host_id="someone else") == {
        Role.MODERATOR,
        Role.ADMIN,
    }
    assert allowed_roles(access.can_run_table, host_id="u") == set(ROLES)  # one's own table


def test_access_administration_is_for_admins() -> None:
    for decide in (
        access.can_change_teams,
        access.can_see_others_data,
        access.can_confirm_addresses,
    ):
        assert allowed_roles(decide) == {Role.ADMIN}
    assert not access.can_confirm_addresses(person(Role.ADMIN, banned=True))


def test_access_outranks_only_downwards() -> None:
    for actor in ROLES:
        for target in ROLES:
            expected = ROLES.index(target) < ROLES.index(actor)
            assert access.outranks(person(actor), person(target, uid="t")) is expected


def test_access_answer_names_for_more_than_guests() -> None:
    assert allowed_roles(access.can_see_answer_names) == set(ROLES) - {Role.GUEST}
    assert not access.can_see_answer_names(None)


def test_access_solidarity_hat() -> None:
    staff = {Role.ANIMATOR, Role.MODERATOR, Role.ADMIN}
    assert allowed_roles(access.can_organise_hats) == staff
    assert not access.can_organise_hats(None)
    assert not access.can_organise_hats(person(Role.ADMIN, banned=True))
    assert allowed_roles(access.can_pledge) == set(ROLES)
    assert not access.can_pledge(person(Role.GUEST, banned=True))
    # The accounts: the hat's named treasurers (whatever their role) and the admins.
    keepers = frozenset({"t"})
    assert allowed_roles(access.can_keep_hat_accounts, treasurers=keepers) == {Role.ADMIN}
    assert access.can_keep_hat_accounts(person(Role.GUEST, uid="t"), keepers)
    assert not access.can_keep_hat_accounts(person(Role.MEMBER, uid="t", banned=True), keepers)
    assert not access.can_keep_hat_accounts(person(Role.MODERATOR), keepers)
    # A pledge's page: the person who pledged and the treasurers.
    assert access.can_see_pledge(person(Role.GUEST, uid="p"), "p", keepers)
    assert access.can_see_pledge(person(Role.GUEST, uid="t"), "p", keepers)
    assert not access.can_see_pledge(person(Role.MODERATOR, uid="x"), "p", keepers)
    assert not access.can_see_pledge(person(Role.GUEST, uid="p", banned=True), "p", keepers)
    assert not access.can_see_pledge(person(Role.GUEST, uid="x"), None, keepers)
