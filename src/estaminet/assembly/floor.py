"""The sitting's hold on its room's voice: "silence, only the person who has the floor".

The facilitator may ask for silence (``speaker.silence``): while it lasts,
only the person who has the floor — and the facilitator, who runs the
sitting — may be heard in the assembly room's voice conversation; when the
floor passes to someone else, the silence follows it. The rules only say
*who may speak* (seats); the voice service carries it out (see
``docs/voice.md``): it mutes the others the way a moderator's mute does,
and never switches on anyone's own microphone.

Nothing here concerns votes: what the voice is told (who may speak, who was
just given the floor) never depends on a ballot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from estaminet.assembly.checks import (
    Decision,
    Evolver,
    Handler,
    Refused,
    done,
    require_chair,
    require_sitting,
)
from estaminet.assembly.rejections import reject
from estaminet.assembly.state import AssemblyState, Status
from estaminet.kernel.activity import Event, Seat
from estaminet.kernel.i18n import N_, Text

__all__ = ["EVOLVERS", "HANDLERS", "floor_given_to", "voice_floor"]


def voice_floor(state: AssemblyState) -> frozenset[Seat] | None:
    """The seats who may be heard in the room's voice now, or ``None`` when everyone may.

    ``None`` unless the sitting is in session with the silence on; otherwise
    the facilitator and the person who has the floor (if anyone has it).
    """
    if state.status is not Status.SITTING or not state.silenced:
        return None
    speakers = {state.prep.facilitator}
    if state.speaker is not None:
        speakers.add(state.speaker.seat)
    return frozenset(speakers)


def floor_given_to(events: Iterable[Event]) -> Seat | None:
    """The seat these events hand the floor to (the last one), or ``None``."""
    given = None
    for event in events:
        if event.get("type") == "speaker.floor_given":
            given = int(event["seat"])
    return given


def _silence(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_sitting(state)
    require_chair(state, actor)
    on = action.get("on")
    if not isinstance(on, bool):
        raise Refused(
            reject(
                "assembly/malformed",
                detail=Text(N_("say whether the silence starts (true) or ends (false)")),
            )
        )
    if on == state.silenced:
        return done()  # already so: nothing to record
    return done({"type": "speaker.silence_set", "on": on})


def _silence_set(state: AssemblyState, event: Event) -> None:
    state.silenced = bool(event["on"])


HANDLERS: dict[str, Handler] = {"speaker.silence": _silence}

EVOLVERS: dict[str, Evolver] = {"speaker.silence_set": _silence_set}
