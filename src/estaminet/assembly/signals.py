"""Hand signals: anyone present shows one at a time; everyone sees them counted live."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from estaminet.assembly.checks import (
    Decision,
    Evolver,
    Handler,
    Refused,
    done,
    require_chair,
    require_present,
    require_sitting,
    seat_field,
)
from estaminet.assembly.rejections import reject
from estaminet.assembly.state import AssemblyState
from estaminet.kernel.activity import Event, Seat
from estaminet.kernel.i18n import N_

__all__ = ["EVOLVERS", "HANDLERS", "SIGNALS", "signal_counts"]

SIGNALS: dict[str, str] = {
    "agree": N_("I agree"),
    "disagree": N_("I disagree"),
    "clarify": N_("Clarification needed"),
    "block": N_("I block (crossed arms)"),
    "louder": N_("Louder, please"),
    "slower": N_("Slower, please"),
    "simpler": N_("Simpler words, please"),
}
"""Signal keys and their English labels, in display order."""


def signal_counts(state: AssemblyState) -> dict[str, int]:
    """How many people show each signal now (every signal listed, zeros included)."""
    counts = dict.fromkeys(SIGNALS, 0)
    for signal in state.signals.values():
        counts[signal] += 1
    return counts


def _show(state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime) -> Decision:
    require_sitting(state)
    require_present(state, actor)
    signal = action.get("signal")
    if not isinstance(signal, str) or signal not in SIGNALS:
        raise Refused(reject("assembly/unknown_signal"))
    return done({"type": "signal.shown", "seat": actor, "signal": signal})


def _clear(state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime) -> Decision:
    require_sitting(state)
    if action.get("all"):
        require_chair(state, actor)
        seats = sorted(state.signals)
    else:
        seat = seat_field(state, action, "seat", actor)
        if seat != actor:
            require_chair(state, actor)
        seats = [seat] if seat in state.signals else []
    return done({"type": "signal.cleared", "seats": seats})


def _shown(state: AssemblyState, event: Event) -> None:
    state.signals[event["seat"]] = event["signal"]


def _cleared(state: AssemblyState, event: Event) -> None:
    for seat in event["seats"]:
        state.signals.pop(seat, None)


HANDLERS: dict[str, Handler] = {"signal.show": _show, "signal.clear": _clear}

EVOLVERS: dict[str, Evolver] = {"signal.shown": _shown, "signal.cleared": _cleared}
