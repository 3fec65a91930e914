"""Who may do what: the one place where a person's role decides what they may do.

Pure functions on read models (no I/O, no clock); the routes and actions of every
feature call them (rooms, moderation, invites, agenda events, sittings, game
tables, voice, teams, personal data), and tests cover them branch by branch.
"""

from __future__ import annotations

from estaminet.people.model import Role, User

__all__ = [
    "assignable_roles",
    "can_animate_stage",
    "can_be_convened",
    "can_change_role",
    "can_change_teams",
    "can_confirm_addresses",
    "can_create_invites",
    "can_delete_account",
    "can_edit_quiz_set",
    "can_follow_help",
    "can_keep_hat_accounts",
    "can_lead_soiree",
    "can_manage_events",
    "can_moderate",
    "can_moderate_person",
    "can_open_soiree",
    "can_organise_hats",
    "can_pledge",
    "can_post_in",
    "can_prepare_sitting",
    "can_read_minutes",
    "can_run_table",
    "can_see_answer_names",
    "can_see_event_role",
    "can_see_help_queue",
    "can_see_others_data",
    "can_see_pledge",
    "can_see_room",
    "can_see_room_role",
    "can_set_up_private_table",
    "can_write_quiz_sets",
    "hears_of_waiting_help",
    "is_admin",
    "may_download_recording",
    "may_help",
    "may_perform",
    "may_raise_hand",
    "may_send_back",
    "may_share_board",
    "may_show_table",
    "may_voice_table",
    "may_watch_board",
    "may_watch_table_from_stage",
    "outranks",
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


def outranks(actor: User, target: User) -> bool:
    """Whether ``actor``'s role is above ``target``'s (a voice moderator acts only downwards)."""
    return target.role.rank < actor.role.rank


# -- agenda events --------------------------------------------------------------


def can_see_event_role(role: Role, visibility: str) -> bool:
    """Who sees an event of this visibility, on a role alone (for people not banned):
    ``public`` everyone, ``members`` members and up, ``team`` animators and up."""
    if visibility == "public":
        return True
    if visibility == "members":
        return role.at_least(Role.MEMBER)
    return role.at_least(Role.ANIMATOR)


def can_manage_events(user: User | None) -> bool:
    """Animators and above create, change and cancel events."""
    return user is not None and not user.banned and user.role.at_least(Role.ANIMATOR)


def can_see_answer_names(user: User | None) -> bool:
    """Who answered an event is shown to people signed in as more than a guest."""
    return user is not None and user.role is not Role.GUEST


# -- assembly sittings --------------------------------------------------------------


def can_prepare_sitting(user: User) -> bool:
    """Animators and above prepare and convene assemblies."""
    return user.role.at_least(Role.ANIMATOR)


def can_be_convened(user: User) -> bool:
    """Members and above, not banned, may be convened (guests only observe)."""
    return user.role.at_least(Role.MEMBER) and not user.banned


def can_read_minutes(user: User) -> bool:
    """A sitting's minutes are for members and up."""
    return user.role.at_least(Role.MEMBER)


# -- game tables --------------------------------------------------------------------


def can_set_up_private_table(user: User) -> bool:
    """Guests set up public tables only."""
    return user.role is not Role.GUEST


def can_run_table(user: User, host_id: str | None) -> bool:
    """The host runs their table (start, kick, close…); moderators and up may too."""
    return host_id == user.id or user.role.at_least(Role.MODERATOR)


# -- quiz question sets -------------------------------------------------------------


def can_write_quiz_sets(user: User) -> bool:
    """Any member (an animator of a quiz night) writes and imports question sets."""
    return user.role.at_least(Role.MEMBER) and not user.banned


def can_edit_quiz_set(user: User, author_id: str) -> bool:
    """A set is its author's alone: only they open, change, play or delete it (its answers
    are a secret until the quiz is played)."""
    return user.id == author_id


# -- soirées -----------------------------------------------------------------------


def can_open_soiree(user: User) -> bool:
    """Animators and up open an evening's soirée (its running order of games)."""
    return not user.banned and user.role.at_least(Role.ANIMATOR)


def can_lead_soiree(user: User, host_id: str | None) -> bool:
    """The animator who opened it leads a soirée (next game, end); moderators and up may too."""
    return not user.banned and (host_id == user.id or user.role.at_least(Role.MODERATOR))


# -- administration -----------------------------------------------------------------


def can_change_teams(user: User) -> bool:
    """Admins alone add people to a team room's team, or remove them."""
    return user.role is Role.ADMIN


def can_see_others_data(user: User) -> bool:
    """Admins alone see (and export) someone else's personal data."""
    return user.role is Role.ADMIN


def can_confirm_addresses(user: User) -> bool:
    """Admins who are not banned vouch for a pending e-mail address."""
    return user.role is Role.ADMIN and not user.banned


def can_delete_account(actor: User, target: User) -> bool:
    """Anyone may delete their own account; an admin (not banned) may delete anyone's."""
    return actor.id == target.id or (actor.role is Role.ADMIN and not actor.banned)


def is_admin(user: User) -> bool:
    """Whether ``user`` holds the admin role (the venue must keep at least one)."""
    return user.role is Role.ADMIN


def can_see_help_queue(user: User) -> bool:
    """Members and up may offer help (« je peux aider »), see who is waiting and take a request;
    guests ask for help but do not see others' requests."""
    return not user.banned and may_help(user.role)


def may_help(role: Role) -> bool:
    """The role rule of :func:`can_see_help_queue` (for people known not to be banned)."""
    return role.at_least(Role.MEMBER)


def hears_of_waiting_help(role: Role) -> bool:
    """A request for help nobody took in time is told to the admins."""
    return role is Role.ADMIN


def can_follow_help(user: User, asker_id: str, helper_id: str | None) -> bool:
    """A request for help and its corner: the person who asked, the one who took it, and the
    admins (requests nobody took go to them). Nobody else, whatever their role."""
    if user.banned:
        return False
    return user.id in (asker_id, helper_id) or user.role is Role.ADMIN


# -- the solidarity hat --------------------------------------------------------------


def can_organise_hats(user: User | None) -> bool:
    """Animators and up describe a cause, open and close its hat, name its treasurers
    (the people who already run the venue's events)."""
    return user is not None and not user.banned and user.role.at_least(Role.ANIMATOR)


def can_pledge(user: User) -> bool:
    """Everyone signed in who is not banned may put something in an open hat (guests too)."""
    return not user.banned


def can_keep_hat_accounts(user: User, treasurers: frozenset[str]) -> bool:
    """A hat's accounts (every pledge with its name, marking received, importing the bank's
    export, the CSV list): its treasurers, named per hat, and the admins. Nobody else: an
    organiser who is not a treasurer describes the cause but does not mark money received."""
    if user.banned:
        return False
    return user.id in treasurers or user.role is Role.ADMIN


def can_see_pledge(user: User, pledger_id: str | None, treasurers: frozenset[str]) -> bool:
    """A pledge's page (its QR code and communication): the person who pledged, and the
    hat's treasurers."""
    if user.banned:
        return False
    return user.id == pledger_id or can_keep_hat_accounts(user, treasurers)


# -- the stage ------------------------------------------------------------------------


def can_animate_stage(user: User) -> bool:
    """Animators and up run a stage: they name the performers, cut and bring them back
    (the people who already run the venue's events)."""
    return not user.banned and user.role.at_least(Role.ANIMATOR)


def may_download_recording(user: User) -> bool:
    """A stage's recordings go to the organisers (animators and up, as for running the
    stage): never to a watcher, whatever link they hold. (A performer gets the files of
    their own appearances only: ``StageKeep.recording_file``.)"""
    return not user.banned and user.role.at_least(Role.ANIMATOR)


def may_perform(user_id: str, performers: frozenset[str], cut: frozenset[str]) -> bool:
    """Only a performer the animator named, and has not cut, may publish on the stage;
    everyone else in the room is the audience (never on the stage's video or microphone)."""
    return user_id in performers and user_id not in cut


def may_raise_hand(user_id: str, performers: frozenset[str]) -> bool:
    """Someone in the audience may raise a hand to come on stage; a performer already is."""
    return user_id not in performers


def may_send_back(user: User, target_id: str) -> bool:
    """A performer goes back to the audience by themselves, or an animator sends them back."""
    return user.id == target_id or can_animate_stage(user)


def may_show_table(user: User, *, private: bool, ended: bool) -> bool:
    """An animator may show a games-room table on the stage: a public one that has not
    ended (a private table is only ever seen by its own people)."""
    return can_animate_stage(user) and not private and not ended


def may_watch_table_from_stage(
    user: User, table_role: str | None, *, private: bool, shown: bool
) -> bool:
    """Someone watching a stage that shows this table gets the table's spectator view: not
    a player or narrator of it (their own view differs, and a second one could add to it),
    never a private table's, and only while it is shown."""
    return not user.banned and shown and not private and table_role in (None, "spectator")


def may_share_board(table_role: str | None, seat: int | None, *, ended: bool) -> bool:
    """Only a seated player shares a camera on the board of their table (*ma caméra sur le
    plateau*), while the table has not ended; watchers only watch."""
    return table_role == "player" and seat is not None and not ended


def may_voice_table(table_role: str | None, *, ended: bool) -> bool:
    """The table's narrator may send their voice to the watchers of a stage showing it."""
    return table_role == "narrator" and not ended


def may_watch_board(table_role: str | None, *, stage_guest: bool) -> bool:
    """The board cameras are for the table's people (players, narrator, spectators) and for
    whoever watches it from a stage that shows it."""
    return table_role in ("player", "narrator", "spectator") or stage_guest
