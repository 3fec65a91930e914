"""Who may do what: the one place where access to people-related things is decided.

Pure functions on read models; the routes and actions call them, and
tests cover them branch by branch.
"""

from __future__ import annotations

from estaminet.people.model import Role, User

__all__ = [
    "assignable_roles",
    "can_change_role",
    "can_create_invites",
    "can_moderate",
    "can_moderate_person",
    "can_post_in",
    "can_see_room",
    "can_see_room_role",
]


def can_see_room(user: User, visibility: str, *, in_team: bool) -> bool:
    """Whether ``user`` may see and enter a room of this visibility.

    ``public`` rooms are open to everyone signed in (guests too), ``members``
    rooms to members and up, ``team`` rooms to their named team and admins.
    """
    if user.banned:
        return False
    return can_see_room_role(user.role, visibility, in_team=in_team)


def can_see_room_role(role: Role, visibility: str, *, in_team: bool) -> bool:
    """The visibility rule on a role alone (for people who are not banned)."""
    if visibility == "public":
        return True
    if visibility == "members":
        return role.at_least(Role.MEMBER)
    if visibility == "team":
        return in_team or role is Role.ADMIN
    return False


def can_moderate(user: User) -> bool:
    return not user.banned and user.role.at_least(Role.MODERATOR)


def can_post_in(user: User, room_kind: str) -> bool:
    """Whether ``user`` may write in the chat of a room of this kind: the announcements
    room (the hall) is read by everyone and written by the moderators and admins only."""
    if room_kind == "announcements":
        return can_moderate(user)
    return not user.banned


def can_moderate_person(actor: User, target: User) -> bool:
    """Whether ``actor`` may moderate ``target``: delete their messages, mute, remove or ban them.

    Moderation never reaches upwards or sideways: a moderator acts on guests,
    members and animators, never on another moderator or an admin. Admins act
    on everyone but themselves (someone must be able to stop an admin).
    """
    if not can_moderate(actor) or actor.id == target.id:
        return False
    return target.role.rank < actor.role.rank or actor.role is Role.ADMIN


def can_create_invites(user: User) -> bool:
    return can_moderate(user)


def assignable_roles(user: User) -> tuple[Role, ...]:
    """The roles ``user`` may hand out through an invite or a role change."""
    if user.banned:
        return ()
    if user.role is Role.ADMIN:
        return tuple(Role)
    if user.role is Role.MODERATOR:
        return (Role.GUEST, Role.MEMBER, Role.ANIMATOR)
    return ()


def can_change_role(actor: User, target: User, new_role: Role) -> bool:
    """Admins change anyone's role but their own; moderators manage up to animators."""
    if actor.id == target.id:
        return False
    if target.role.rank >= actor.role.rank and actor.role is not Role.ADMIN:
        return False
    return new_role in assignable_roles(actor)
