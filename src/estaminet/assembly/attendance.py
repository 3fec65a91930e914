"""Attendance, proxies and the quorum.

Rules (also in ``docs/assembly/actions.md``):

* Anyone may check in (observers too); only voting members count for the
  quorum. The secretary or the facilitator may check anyone in or out.
* Only voting members give and hold proxies, one proxy per giver, at most
  ``max_per_person`` per holder, never to oneself.
* No chains: a member who holds a proxy cannot give theirs, and a member
  who gave theirs cannot hold one.
* A proxy is *used* only while its giver is absent and its holder present:
  a giver who checks in votes in person and the proxy sleeps; a giver who
  leaves again is represented again. A withdrawn proxy is gone.
* Quorum: voting members present or represented, against
  ``ceil(share x voting members)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction
from typing import Any

from estaminet.assembly.checks import (
    Decision,
    Evolver,
    Handler,
    Refused,
    done,
    require_not_closed,
    require_secretary,
    seat_field,
)
from estaminet.assembly.rejections import reject
from estaminet.assembly.state import AssemblyState, QuorumCheck, Status
from estaminet.kernel.activity import Event, Rejection, Seat
from estaminet.kernel.i18n import N_, Text

__all__ = [
    "EVOLVERS",
    "HANDLERS",
    "active_proxies",
    "held_proxies",
    "proxy_holders",
    "proxy_refusal",
    "quorum_check",
]


def active_proxies(state: AssemblyState) -> dict[Seat, Seat]:
    """Proxies in use now: giver (absent) to holder (present)."""
    return {
        giver: holder
        for giver, holder in state.proxies.items()
        if giver not in state.present and holder in state.present
    }


def held_proxies(state: AssemblyState, holder: Seat) -> list[Seat]:
    """The givers whose proxy ``holder`` holds (in use or not), sorted."""
    return sorted(giver for giver, h in state.proxies.items() if h == holder)


def quorum_check(state: AssemblyState, share: Fraction | None) -> QuorumCheck:
    """Attendance now against ``share`` of the voting members (``None``: no quorum)."""
    voters = state.prep.voters
    present = len(voters & state.present)
    represented = sum(1 for giver in active_proxies(state) if giver in voters)
    required = 0 if share is None else math.ceil(share * len(voters))
    return QuorumCheck(len(voters), present, represented, required)


def _other_needs_secretary(state: AssemblyState, actor: Seat, seat: Seat) -> None:
    if seat != actor:
        require_secretary(state, actor)


def _check_in(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_not_closed(state)
    seat = seat_field(state, action, "seat", actor)
    _other_needs_secretary(state, actor, seat)
    if seat in state.present:
        raise Refused(reject("assembly/already_present", seat=seat))
    return done({"type": "attendance.checked_in", "seat": seat, "by": actor})


def _check_out(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_not_closed(state)
    seat = seat_field(state, action, "seat", actor)
    _other_needs_secretary(state, actor, seat)
    if seat not in state.present:
        raise Refused(reject("assembly/not_present", seat=seat))
    return done({"type": "attendance.checked_out", "seat": seat, "by": actor})


def _give(state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime) -> Decision:
    require_not_closed(state)
    giver = seat_field(state, action, "from", actor)
    _other_needs_secretary(state, actor, giver)
    holder = seat_field(state, action, "to", -1)
    if holder < 0:
        raise Refused(reject("assembly/malformed", detail=Text(N_("say who receives the proxy"))))
    refusal = proxy_refusal(state, giver, holder)
    if refusal is not None:
        raise Refused(refusal)
    return done({"type": "proxy.given", "giver": giver, "holder": holder, "by": actor})


def proxy_refusal(state: AssemblyState, giver: Seat, holder: Seat) -> Rejection | None:
    """Why ``giver`` cannot give their proxy to ``holder`` now, or ``None``."""
    prep = state.prep
    if not prep.proxies_allowed:
        return reject("assembly/proxies_not_allowed")
    for seat in (giver, holder):
        if seat not in prep.voters:
            return reject("assembly/not_a_voter", seat=seat)
    if giver == holder:
        return reject("assembly/proxy_to_self")
    if giver in state.proxies:
        return reject("assembly/proxy_already_given")
    if holder in state.proxies or held_proxies(state, giver):
        return reject("assembly/proxy_chain")
    if len(held_proxies(state, holder)) >= prep.max_proxies:
        return reject("assembly/proxy_limit", max=prep.max_proxies)
    return None


def proxy_holders(state: AssemblyState, giver: Seat) -> list[Seat]:
    """Who ``giver`` could give their proxy to now (empty: they cannot give one)."""
    return [h for h in sorted(state.prep.voters) if proxy_refusal(state, giver, h) is None]


def _withdraw(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_not_closed(state)
    giver = seat_field(state, action, "from", actor)
    _other_needs_secretary(state, actor, giver)
    if giver not in state.proxies:
        raise Refused(reject("assembly/no_proxy"))
    return done({"type": "proxy.withdrawn", "giver": giver, "by": actor})


def _checked_in(state: AssemblyState, event: Event) -> None:
    state.present.add(event["seat"])
    if state.status is Status.SITTING:
        state.attended.add(event["seat"])


def _checked_out(state: AssemblyState, event: Event) -> None:
    state.present.discard(event["seat"])
    state.signals.pop(event["seat"], None)


def _given(state: AssemblyState, event: Event) -> None:
    state.proxies[event["giver"]] = event["holder"]


def _withdrawn(state: AssemblyState, event: Event) -> None:
    state.proxies.pop(event["giver"], None)


HANDLERS: dict[str, Handler] = {
    "attendance.check_in": _check_in,
    "attendance.check_out": _check_out,
    "proxy.give": _give,
    "proxy.withdraw": _withdraw,
}

EVOLVERS: dict[str, Evolver] = {
    "attendance.checked_in": _checked_in,
    "attendance.checked_out": _checked_out,
    "proxy.given": _given,
    "proxy.withdrawn": _withdrawn,
}
