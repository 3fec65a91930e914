"""Shared checks for assembly actions: who may act, and reading action fields.

Handlers call these and let :class:`Refused` carry the rejection up to
:meth:`~estaminet.assembly.sitting.AssemblyActivity.apply`, which returns
it as a value. Access rules live here and only here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from estaminet.assembly.preparation import MAX_TEXT
from estaminet.assembly.rejections import reject
from estaminet.assembly.state import AssemblyState, Status
from estaminet.kernel.activity import Event, Rejection, Seat
from estaminet.kernel.ballots import SealedBallot
from estaminet.kernel.i18n import N_, Text

__all__ = [
    "Decision",
    "Evolver",
    "Handler",
    "Refused",
    "SealedBallot",
    "done",
    "field_name",
    "is_chair",
    "is_secretary",
    "optional_int",
    "require_chair",
    "require_int",
    "require_not_closed",
    "require_present",
    "require_secretary",
    "require_sitting",
    "require_text",
    "require_voter",
    "seat_field",
    "stamp",
]


@dataclass(frozen=True)
class Decision:
    """What an accepted action causes: events for the log, sealed ballots for the box.

    A :class:`~estaminet.kernel.ballots.SealedBallot` carries a secret
    ballot's count vector, with no voter and no time; the runner adds it to
    its box encrypted, never to the log (``docs/assembly/secret-ballots.md``).
    """

    events: tuple[Event, ...]
    sealed: tuple[SealedBallot, ...] = field(default=())


def done(*events: Event) -> Decision:
    """A decision made of ``events`` only."""
    return Decision(tuple(events))


Handler = Callable[[AssemblyState, Seat, Mapping[str, Any], datetime], Decision]
"""Validates one kind of action (raising :class:`Refused`) and decides its events."""

Evolver = Callable[[AssemblyState, Event], None]
"""Folds one kind of event into a state the caller has already copied."""


class Refused(Exception):
    """Raised inside handlers; turned into the returned :class:`Rejection`."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.code)
        self.rejection = rejection


def _refuse(code: str, **params: Any) -> Refused:
    return Refused(reject(code, **params))


_FIELD_NAMES: dict[str, str] = {
    "seat": N_("the member"),
    "from": N_("the member who gives the proxy"),
    "to": N_("the member who receives the proxy"),
    "for": N_("the member the ballot is cast for"),
    "position": N_("the place in the queue"),
    "motion": N_("the proposal"),
    "amendment": N_("the amendment"),
    "vote": N_("the vote"),
    "text": N_("the text"),
    "max_choices": N_("the maximum number of choices"),
    "duration_seconds": N_("the duration"),
}
"""Action fields named in words, for refusals a person reads."""


def field_name(key: str) -> Text:
    """The action field ``key`` in words (translated at the edge)."""
    return Text(_FIELD_NAMES.get(key, N_("a field of the request")))


def _malformed(msgid: str, key: str) -> Refused:
    return _refuse("assembly/malformed", detail=Text(msgid, {"field": field_name(key)}))


def stamp(moment: datetime) -> str:
    """An instant as written in events."""
    return moment.isoformat()


def is_chair(state: AssemblyState, seat: Seat) -> bool:
    """Whether ``seat`` facilitates the sitting."""
    return seat == state.prep.facilitator


def is_secretary(state: AssemblyState, seat: Seat) -> bool:
    """Whether ``seat`` takes the minutes (the facilitator may stand in)."""
    return seat in (state.prep.secretary, state.prep.facilitator)


def require_chair(state: AssemblyState, actor: Seat) -> None:
    """Refuse unless ``actor`` is the facilitator."""
    if not is_chair(state, actor):
        raise _refuse("assembly/not_facilitator")


def require_secretary(state: AssemblyState, actor: Seat) -> None:
    """Refuse unless ``actor`` is the secretary or the facilitator."""
    if not is_secretary(state, actor):
        raise _refuse("assembly/not_secretary")


def require_not_closed(state: AssemblyState) -> None:
    """Refuse once the sitting is closed."""
    if state.status is Status.CLOSED:
        raise _refuse("assembly/sitting_closed")


def require_sitting(state: AssemblyState) -> None:
    """Refuse unless the sitting is in session."""
    require_not_closed(state)
    if state.status is not Status.SITTING:
        raise _refuse("assembly/sitting_not_started")


def require_present(state: AssemblyState, seat: Seat) -> None:
    """Refuse unless ``seat`` is checked in."""
    if seat not in state.present:
        raise _refuse("assembly/not_present", seat=seat)


def require_voter(state: AssemblyState, seat: Seat) -> None:
    """Refuse unless ``seat`` is a voting member."""
    if seat not in state.prep.voters:
        raise _refuse("assembly/not_a_voter", seat=seat)


def require_int(action: Mapping[str, Any], key: str) -> int:
    """The integer field ``key``, or a malformed-request refusal."""
    value = action.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _malformed(N_("%(field)s must be a whole number"), key)
    return value


def optional_int(action: Mapping[str, Any], key: str) -> int | None:
    """The integer field ``key`` if present."""
    return None if action.get(key) is None else require_int(action, key)


def seat_field(state: AssemblyState, action: Mapping[str, Any], key: str, default: Seat) -> Seat:
    """A seat named by ``key`` (``default`` when absent), checked to exist."""
    seat = optional_int(action, key)
    if seat is None:
        return default
    if not 0 <= seat < state.prep.seats:
        raise _malformed(N_("%(field)s is not a member of this assembly"), key)
    return seat


def require_text(action: Mapping[str, Any], key: str) -> str:
    """A non-blank text field of reasonable length, stripped."""
    value = action.get(key)
    if not isinstance(value, str):
        raise _malformed(N_("%(field)s is missing"), key)
    value = value.strip()
    if not value:
        raise _refuse("assembly/empty_text")
    if len(value) > MAX_TEXT:
        raise _refuse("assembly/text_too_long", max=MAX_TEXT)
    return value
