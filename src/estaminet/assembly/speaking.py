"""The speaking queue of the current agenda item: a progressive stack.

Order, decided when a hand is raised and then kept (the facilitator may
move requests):

1. points of order (process or technical points), in request order;
2. people who have not yet spoken on this item, in request order;
3. everyone else, in request order.

A new request is inserted at the end of its group, so a facilitator's
manual reordering is never undone: a first-time speaker goes right after
the last point of order or first-time speaker already waiting (wherever
the facilitator moved them), so nobody who asked later overtakes them. Speaking on a point of order does not
count as having spoken on the item. The queue empties when the item
changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from estaminet.assembly.checks import (
    Decision,
    Evolver,
    Handler,
    Refused,
    done,
    is_chair,
    require_chair,
    require_int,
    require_present,
    require_sitting,
    seat_field,
    stamp,
)
from estaminet.assembly.rejections import reject
from estaminet.assembly.state import AssemblyState, Request, RequestKind, Turn
from estaminet.kernel.activity import Event, Seat
from estaminet.kernel.i18n import N_, Text

__all__ = ["EVOLVERS", "HANDLERS", "end_current_turn", "insertion_index", "place_in_queue"]


def insertion_index(queue: Sequence[Request], spoken: Mapping[Seat, int], new: Request) -> int:
    """Where the progressive stack puts ``new`` in ``queue``."""
    if new.kind is RequestKind.POINT_OF_ORDER:
        points = [i for i, r in enumerate(queue) if r.kind is RequestKind.POINT_OF_ORDER]
        return points[-1] + 1 if points else 0
    if spoken.get(new.seat, 0) == 0:
        ahead = [
            i
            for i, r in enumerate(queue)
            if r.kind is RequestKind.POINT_OF_ORDER or spoken.get(r.seat, 0) == 0
        ]
        return ahead[-1] + 1 if ahead else 0
    return len(queue)


def place_in_queue(state: AssemblyState, seat: Seat) -> int | None:
    """``seat``'s first place in the queue (1 is next), or ``None``."""
    for index, request in enumerate(state.queue):
        if request.seat == seat:
            return index + 1
    return None


def _kind(action: Mapping[str, Any], default: RequestKind | None) -> RequestKind | None:
    raw = action.get("kind")
    if raw is None:
        return default
    try:
        return RequestKind(raw)
    except ValueError:
        raise Refused(
            reject(
                "assembly/malformed", detail=Text(N_("this kind of request to speak is unknown"))
            )
        ) from None


def _spoken(state: AssemblyState) -> dict[Seat, int]:
    if state.current_item is None:
        raise Refused(reject("assembly/no_current_item"))
    return state.items[state.current_item].spoken


def _raise_hand(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_sitting(state)
    require_present(state, actor)
    kind = _kind(action, RequestKind.SPEAK) or RequestKind.SPEAK
    spoken = _spoken(state)
    if any(r.seat == actor and r.kind is kind for r in state.queue):
        raise Refused(reject("assembly/already_in_queue"))
    position = insertion_index(state.queue, spoken, Request(actor, kind))
    return done(
        {"type": "speaker.hand_raised", "seat": actor, "kind": kind.value, "position": position}
    )


def _lower_hand(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_sitting(state)
    seat = seat_field(state, action, "seat", actor)
    if seat != actor:
        require_chair(state, actor)
    kind = _kind(action, None)
    if not any(r.seat == seat and (kind is None or r.kind is kind) for r in state.queue):
        raise Refused(reject("assembly/not_in_queue", seat=seat))
    return done(
        {"type": "speaker.hand_lowered", "seat": seat, "kind": None if kind is None else kind.value}
    )


def _reorder(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_sitting(state)
    require_chair(state, actor)
    seat = seat_field(state, action, "seat", actor)
    kind = _kind(action, RequestKind.SPEAK) or RequestKind.SPEAK
    position = require_int(action, "position")
    if not any(r.seat == seat and r.kind is kind for r in state.queue):
        raise Refused(reject("assembly/not_in_queue", seat=seat))
    if not 0 <= position < len(state.queue):
        raise Refused(reject("assembly/bad_position"))
    return done(
        {"type": "speaker.reordered", "seat": seat, "kind": kind.value, "position": position}
    )


def _ended(state: AssemblyState, now: datetime) -> list[Event]:
    if state.speaker is None:
        return []
    return [{"type": "speaker.turn_ended", "seat": state.speaker.seat, "at": stamp(now)}]


def _give_floor(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_sitting(state)
    require_chair(state, actor)
    if state.current_item is None:
        raise Refused(reject("assembly/no_current_item"))
    entry = state.prep.item(state.current_item)
    assert entry is not None
    if action.get("seat") is None:
        if not state.queue:
            raise Refused(reject("assembly/queue_empty"))
        seat, kind = state.queue[0].seat, state.queue[0].kind
    else:
        seat = seat_field(state, action, "seat", actor)
        mine = [r for r in state.queue if r.seat == seat]
        kind = mine[0].kind if mine else RequestKind.SPEAK
    seconds = (
        state.prep.point_of_order_seconds
        if kind is RequestKind.POINT_OF_ORDER
        else entry.speaking_seconds
    )
    given = {
        "type": "speaker.floor_given",
        "seat": seat,
        "kind": kind.value,
        "at": stamp(now),
        "ends_at": stamp(now + timedelta(seconds=seconds)),
    }
    return done(*_ended(state, now), given)


def _end_turn(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_sitting(state)
    if state.speaker is None:
        raise Refused(reject("assembly/no_current_speaker"))
    if (
        actor != state.speaker.seat
        and actor != state.prep.timekeeper
        and not is_chair(state, actor)
    ):
        raise Refused(reject("assembly/not_speaker"))
    return done(*_ended(state, now))


def end_current_turn(state: AssemblyState, now: datetime) -> list[Event]:
    """Events that end the current turn, if any (the agenda and closing use it)."""
    return _ended(state, now)


def _hand_raised(state: AssemblyState, event: Event) -> None:
    state.queue.insert(event["position"], Request(event["seat"], RequestKind(event["kind"])))


def _hand_lowered(state: AssemblyState, event: Event) -> None:
    kind = event["kind"]
    state.queue = [
        r for r in state.queue if not (r.seat == event["seat"] and kind in (None, r.kind.value))
    ]


def _reordered(state: AssemblyState, event: Event) -> None:
    kind = RequestKind(event["kind"])
    request = next(r for r in state.queue if r.seat == event["seat"] and r.kind is kind)
    state.queue.remove(request)
    state.queue.insert(event["position"], request)


def _floor_given(state: AssemblyState, event: Event) -> None:
    kind = RequestKind(event["kind"])
    seat = event["seat"]
    mine = [r for r in state.queue if r.seat == seat and r.kind is kind]
    if mine:
        state.queue.remove(mine[0])
    state.speaker = Turn(
        seat,
        kind,
        datetime.fromisoformat(event["at"]),
        datetime.fromisoformat(event["ends_at"]),
    )
    if kind is RequestKind.SPEAK and state.current_item is not None:
        spoken = state.items[state.current_item].spoken
        spoken[seat] = spoken.get(seat, 0) + 1


def _turn_ended(state: AssemblyState, event: Event) -> None:
    state.speaker = None


def _time_up(state: AssemblyState, event: Event) -> None:
    if state.speaker is not None:
        state.speaker.overtime = True


HANDLERS: dict[str, Handler] = {
    "speaker.raise_hand": _raise_hand,
    "speaker.point_of_order": lambda state, actor, action, now: _raise_hand(
        state, actor, {**action, "kind": RequestKind.POINT_OF_ORDER.value}, now
    ),
    "speaker.lower_hand": _lower_hand,
    "speaker.reorder": _reorder,
    "speaker.give_floor": _give_floor,
    "speaker.end_turn": _end_turn,
}

EVOLVERS: dict[str, Evolver] = {
    "speaker.hand_raised": _hand_raised,
    "speaker.hand_lowered": _hand_lowered,
    "speaker.reordered": _reordered,
    "speaker.floor_given": _floor_given,
    "speaker.turn_ended": _turn_ended,
    "speaker.time_up": _time_up,
}
