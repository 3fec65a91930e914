"""Pure agenda rules: who sees an event, answers and the waiting list, the reminder schedule.

No I/O and no clock: ``now`` is an argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from estaminet.kernel.errors import BadInput, Conflict
from estaminet.kernel.i18n import N_
from estaminet.people import access
from estaminet.people.model import Role, User

__all__ = [
    "KIND_LABELS",
    "REMINDER_OFFSETS",
    "Answer",
    "EventKind",
    "Notice",
    "Seating",
    "Status",
    "Visibility",
    "can_manage_events",
    "can_see_event",
    "can_see_event_role",
    "change_is_notable",
    "check_can_answer",
    "promotions",
    "reminder_schedule",
    "seat_answer",
    "should_deliver",
    "visible_levels",
]


class EventKind(StrEnum):
    GAME_NIGHT = "game_night"
    CONCERT = "concert"
    ASSEMBLY = "assembly"
    WORKSHOP = "workshop"
    OTHER = "other"


KIND_LABELS: dict[EventKind, str] = {
    EventKind.GAME_NIGHT: N_("Game night"),
    EventKind.CONCERT: N_("Concert"),
    EventKind.ASSEMBLY: N_("General assembly"),
    EventKind.WORKSHOP: N_("Workshop"),
    EventKind.OTHER: N_("Other"),
}


class Visibility(StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"
    TEAM = "team"


class Status(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Answer(StrEnum):
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"
    WAITING = "waiting"
    """Said yes to a full event: on the waiting list."""


class Notice(StrEnum):
    """What a durable notification row says (see ``reminders.py``)."""

    DAY_BEFORE = "24h"
    SOON = "15m"
    STARTING = "start"
    CANCELLED = "cancelled"
    PROMOTED = "promoted"
    CHANGED = "changed"
    """The time or the room changed (to those who said yes)."""
    MOVED = "moved"
    """One date was moved ("Déplacer cette date"; to those coming or waiting)."""


REMINDER_OFFSETS: dict[Notice, timedelta] = {
    Notice.DAY_BEFORE: timedelta(hours=24),
    Notice.SOON: timedelta(minutes=15),
    Notice.STARTING: timedelta(0),
}


def can_see_event(user: User | None, visibility: Visibility) -> bool:
    """Public events: everyone, signed in or not; members: members and up; team: animators and up."""
    if visibility is Visibility.PUBLIC:
        return user is None or not user.banned
    if user is None or user.banned:
        return False
    return can_see_event_role(user.role, visibility)


def can_see_event_role(role: Role, visibility: Visibility) -> bool:
    """The visibility rule on a role alone (for people who are not banned)."""
    return access.can_see_event_role(role, visibility.value)


def visible_levels(user: User | None) -> tuple[Visibility, ...]:
    """The visibilities ``user`` may see (for queries)."""
    return tuple(v for v in Visibility if can_see_event(user, v))


def can_manage_events(user: User | None) -> bool:
    """Animators and above create, change and cancel events."""
    return access.can_manage_events(user)


def check_can_answer(*, cancelled: bool, end: datetime, now: datetime) -> None:
    """Refuse an answer to a cancelled or finished occurrence (raises :class:`BadInput`)."""
    if cancelled:
        raise BadInput("agenda/cancelled", N_("This event is cancelled: no answer needed."))
    if end <= now:
        raise BadInput("agenda/past", N_("This event is over."))


@dataclass(frozen=True)
class Seating:
    """Where a *yes* lands: going, or on the waiting list."""

    answer: Answer
    position: int | None = None
    """The place on the waiting list (1 = next in), when waiting."""


def seat_answer(
    wanted: Answer,
    *,
    capacity: int | None,
    going: int,
    already_going: bool,
    waiting: int,
    waitlist: bool,
) -> Seating:
    """Where ``wanted`` lands given the seats taken (``going`` excludes nobody).

    A *yes* to a full event goes to the waiting list, or is refused when the
    event keeps no waiting list.
    """
    if wanted is not Answer.YES or already_going or capacity is None or going < capacity:
        return Seating(wanted)
    if not waitlist:
        raise Conflict("agenda/full", N_("This event is full, and it keeps no waiting list."))
    return Seating(Answer.WAITING, waiting + 1)


def promotions(capacity: int | None, going: int, waiting: Sequence[str]) -> list[str]:
    """Who moves up from the waiting list (in its order) when seats are free."""
    if capacity is None:
        return list(waiting)
    free = max(0, capacity - going)
    return list(waiting[:free])


def reminder_schedule(
    start: datetime, answer: Answer, now: datetime
) -> list[tuple[Notice, datetime]]:
    """The reminders an answer given at ``now`` calls for.

    24 h and 15 min before (yes or maybe) and "it's starting" (yes). A
    reminder whose time has already passed when the answer is given is not
    scheduled (answering an hour before needs no "tomorrow" reminder); "it's
    starting" is kept, so a late yes still gets the way in.
    """
    if answer not in (Answer.YES, Answer.MAYBE):
        return []
    notices = [Notice.DAY_BEFORE, Notice.SOON]
    if answer is Answer.YES:
        notices.append(Notice.STARTING)
    planned = [(notice, start - REMINDER_OFFSETS[notice]) for notice in notices]
    return [(n, due) for n, due in planned if due > now or n is Notice.STARTING]


def should_deliver(notice: Notice, *, start: datetime, end: datetime, now: datetime) -> bool:
    """Whether a notice found due at ``now`` is still worth sending (late, after a restart).

    Reminders are sent late as long as the event has not started; "it's
    starting" as long as it has not ended; cancellations and promotions
    while the occurrence is not over.
    """
    if notice in (Notice.DAY_BEFORE, Notice.SOON):
        return now < start
    return now < end


def change_is_notable(
    before: tuple[datetime, datetime, str | None], after: tuple[datetime, datetime, str | None]
) -> bool:
    """Whether people coming must hear that a date changed: its start, end or room moved.

    A new title, description or picture is no reason to ring anyone's phone.
    """
    return before != after
