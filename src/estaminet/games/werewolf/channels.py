"""Chat channels and the voice plan that follow the game.

The platform stores chat messages; the game only says who may read and write
which channel now, and from when a channel's history may be read (``from``:
channel → ISO instant; older messages are never served). Channels: ``village`` (the living, by day), ``wolves`` (the
Werewolves, at night), ``wolves_anonymous`` (the same messages with authors
hidden, read by a spying Little Girl), ``lovers``, ``graveyard`` (the dead and
the spectators; never readable by the living) and ``spectators``.
"""

from __future__ import annotations

from typing import Any

from estaminet.games.werewolf.moves import behind_veil
from estaminet.games.werewolf.roles import Role
from estaminet.games.werewolf.script import Phase
from estaminet.games.werewolf.state import State
from estaminet.kernel.activity import Viewer, ViewerKind

__all__ = ["CHANNELS", "channels", "voice_plan"]

CHANNELS = ("village", "wolves", "wolves_anonymous", "lovers", "graveyard", "spectators")


def _player_channels(state: State, seat: int) -> dict[str, Any]:
    over = state.outcome is not None
    if over:
        return {"read": ["village", "graveyard"], "write": ["village"]}
    if state.departed(seat):
        return {"read": ["village", "graveyard"], "write": ["graveyard"]}
    if not state.alive[seat]:
        # Just died and still acting (the Hunter aiming...): nothing of the dead yet.
        return {"read": ["village"], "write": []}
    read, write = ["village"], []
    since: dict[str, str] = {}
    day = state.phase in (Phase.DAY, Phase.ELECTION)
    if day:
        write.append("village")
    if state.is_wolf(seat):
        read.append("wolves")
        if state.phase is Phase.NIGHT:
            write.append("wolves")
    if (
        state.roles[seat] == Role.LITTLE_GIRL
        and state.spied
        and state.step == "wolves"
        and not state.step_done
    ):
        read.append("wolves_anonymous")
        if state.spied_at is not None:
            # Only what is said while she spies, never the pack's earlier talk.
            since["wolves_anonymous"] = state.spied_at
    if seat in state.lovers and all(state.alive[s] for s in state.lovers):
        read.append("lovers")
        write.append("lovers")
    if since:
        return {"read": read, "write": write, "from": since}
    return {"read": read, "write": write}


def channels(state: State, viewer: Viewer) -> dict[str, Any]:
    """Which channels ``viewer`` may read and write now."""
    front = behind_veil(state, viewer)
    if front is not None:
        return channels(front, viewer)
    if (
        viewer.kind is ViewerKind.PLAYER
        and viewer.seat is not None
        and 0 <= viewer.seat < state.seats
    ):
        return _player_channels(state, viewer.seat)
    if viewer.kind is ViewerKind.SPECTATOR:
        # Spectators who see the roles never write where a player (even a dead one) reads.
        write = (
            ["spectators"] if state.options["spectators_see_roles"] else ["spectators", "graveyard"]
        )
        return {"read": ["village", "graveyard", "spectators"], "write": write}
    if viewer.kind is ViewerKind.NARRATOR:
        return {"read": list(CHANNELS), "write": ["village"]}
    return {"read": list(CHANNELS), "write": []}


def voice_plan(state: State) -> dict[str, Any]:
    """For the server only, never for a view: who is muted and who shares a private channel.

    At night everybody is muted alike (muting only the living would tell who
    died) and the living Werewolves share a private channel during their call.
    """
    # After the narrator went back, everybody hears the table as they see it (the step left).
    shown = behind_veil(state, Viewer.spectator()) or state
    night = shown.phase is Phase.NIGHT and state.outcome is None
    private = {}
    for source in (shown, state):  # the Werewolves called again talk together too
        if source.step == "wolves" and source.phase is Phase.NIGHT and state.outcome is None:
            private = {"wolves": state.living_wolves()}
    # The dead are known to all: they keep listening but are no longer heard.
    # Someone who has just died and still acts joins them once done.
    dead = [] if state.outcome is not None else [s for s in range(state.seats) if state.departed(s)]
    return {"muted_all": night, "private_channels": private, "listen_only": dead}
