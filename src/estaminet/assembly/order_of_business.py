"""Opening and closing the sitting, moving through the agenda, and the secretary's notes.

Timers are absolute instants computed from the ``now`` given to ``apply``:
an item planned for 20 minutes that starts at 20:00 ends at 20:20. When
that instant passes, the runner's timeout marks the item overtime; the
facilitator decides what to do (nothing is cut off automatically).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from estaminet.assembly.attendance import quorum_check
from estaminet.assembly.checks import (
    Decision,
    Evolver,
    Handler,
    Refused,
    done,
    require_chair,
    require_secretary,
    require_sitting,
    require_text,
    stamp,
)
from estaminet.assembly.rejections import reject
from estaminet.assembly.speaking import end_current_turn
from estaminet.assembly.state import AssemblyState, ItemRecord, QuorumCheck, Status
from estaminet.kernel.activity import Event, Seat
from estaminet.kernel.i18n import N_, Text

__all__ = ["EVOLVERS", "HANDLERS", "quorum_from_dict"]


def quorum_from_dict(data: Mapping[str, Any]) -> QuorumCheck:
    """Read back :meth:`QuorumCheck.as_dict`."""
    return QuorumCheck(
        data["voting_members"], data["present"], data["represented"], data["required"]
    )


def _open(state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime) -> Decision:
    require_chair(state, actor)
    if state.status is not Status.WAITING:
        raise Refused(reject("assembly/sitting_started"))
    check = quorum_check(state, state.prep.quorum)
    return done({"type": "sitting.opened", "at": stamp(now), "quorum": check.as_dict()})


def _close(state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime) -> Decision:
    require_sitting(state)
    require_chair(state, actor)
    if any(vote.status == "open" for vote in state.votes.values()):
        raise Refused(reject("assembly/vote_already_open"))
    return done(*end_current_turn(state, now), {"type": "sitting.closed", "at": stamp(now)})


def _start_item(state: AssemblyState, item_id: str, now: datetime) -> Decision:
    entry = state.prep.item(item_id)
    if entry is None:
        raise Refused(reject("assembly/unknown_item"))
    ends_at = None if entry.minutes == 0 else stamp(now + timedelta(minutes=entry.minutes))
    started = {"type": "agenda.item_started", "item": item_id, "at": stamp(now), "ends_at": ends_at}
    return done(*end_current_turn(state, now), started)


def _next_item(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_sitting(state)
    require_chair(state, actor)
    ids = [entry.id for entry in state.prep.agenda]
    if not ids:
        raise Refused(reject("assembly/unknown_item"))
    if state.current_item is None:
        return _start_item(state, ids[0], now)
    index = ids.index(state.current_item)
    if index + 1 == len(ids):
        raise Refused(reject("assembly/last_item"))
    return _start_item(state, ids[index + 1], now)


def _goto_item(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_sitting(state)
    require_chair(state, actor)
    item = action.get("item")
    if not isinstance(item, str):
        raise Refused(
            reject(
                "assembly/malformed",
                detail=Text(N_("the item must be an agenda number such as 2.1")),
            )
        )
    return _start_item(state, item, now)


def _note(state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime) -> Decision:
    require_secretary(state, actor)
    item = action.get("item", state.current_item)
    if item is None:
        raise Refused(reject("assembly/no_current_item"))
    if not isinstance(item, str) or item not in state.items:
        raise Refused(reject("assembly/unknown_item"))
    text = require_text(action, "text")
    return done({"type": "minutes.noted", "item": item, "text": text, "by": actor})


def _opened(state: AssemblyState, event: Event) -> None:
    state.status = Status.SITTING
    state.started_at = datetime.fromisoformat(event["at"])
    state.opening_quorum = quorum_from_dict(event["quorum"])
    state.attended |= state.present


def _closed(state: AssemblyState, event: Event) -> None:
    state.status = Status.CLOSED
    state.closed_at = datetime.fromisoformat(event["at"])
    state.queue = []
    state.signals = {}


def _item_started(state: AssemblyState, event: Event) -> None:
    item = event["item"]
    ends_at = None if event["ends_at"] is None else datetime.fromisoformat(event["ends_at"])
    record = state.items.get(item)
    if record is None:
        state.items[item] = ItemRecord(datetime.fromisoformat(event["at"]), ends_at)
    else:  # coming back to an item keeps its notes and who spoke
        record.ends_at, record.overtime = ends_at, False
    state.current_item = item
    state.queue = []


def _time_up(state: AssemblyState, event: Event) -> None:
    state.items[event["item"]].overtime = True


def _noted(state: AssemblyState, event: Event) -> None:
    state.items[event["item"]].notes.append(event["text"])


HANDLERS: dict[str, Handler] = {
    "sitting.open": _open,
    "sitting.close": _close,
    "agenda.next_item": _next_item,
    "agenda.goto_item": _goto_item,
    "minutes.note": _note,
}

EVOLVERS: dict[str, Evolver] = {
    "sitting.opened": _opened,
    "sitting.closed": _closed,
    "agenda.item_started": _item_started,
    "agenda.time_up": _time_up,
    "minutes.noted": _noted,
}
