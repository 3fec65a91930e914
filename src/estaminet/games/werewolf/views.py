"""What each viewer may see: players, the dead, spectators, the narrator, the replay.

Secrets appear only in the shapes the secrecy checker knows (see
:mod:`knowledge`): roles as ``{"seat": n, "role": r}``, lovers as
``{"seat": n, "lover": true}``, the Werewolves' target as
``{"wolf_target": n}``, spare cards as ``{"card": i, "spare": r}``, the
Guard's protection as ``{"protected": n}``, the poison as ``{"poisoned": n}``
and causes of death as ``{"seat": n, "cause": c}``.
"""

from __future__ import annotations

from typing import Any

from estaminet.games.werewolf.channels import channels
from estaminet.games.werewolf.flow import defaults, reveal_preview, tally
from estaminet.games.werewolf.knowledge import public_roles
from estaminet.games.werewolf.moves import NARRATOR_SEAT, behind_veil, legal_actions
from estaminet.games.werewolf.roles import Role
from estaminet.games.werewolf.script import STEPS, TIP_ROLES, Phase
from estaminet.games.werewolf.state import State
from estaminet.kernel.activity import Viewer, ViewerKind
from estaminet.kernel.i18n import N_, Text

__all__ = ["view"]

_PUBLIC_CAUSES = frozenset({"vote", "hunter", "grief", "scapegoat"})


def _sees_all(state: State, viewer: Viewer) -> bool:
    """The narrator and the replay see everything; so does everyone once the game is over."""
    return viewer.kind in (ViewerKind.NARRATOR, ViewerKind.REPLAY) or state.outcome is not None


def _seat_of(state: State, viewer: Viewer) -> int | None:
    if (
        viewer.kind is ViewerKind.PLAYER
        and viewer.seat is not None
        and 0 <= viewer.seat < state.seats
    ):
        return viewer.seat
    return None


def _informed(state: State, viewer: Viewer, seat: int | None) -> bool:
    """Whether the table options show this viewer every role and the couple."""
    if viewer.kind is ViewerKind.SPECTATOR:
        return bool(state.options["spectators_see_roles"])
    return seat is not None and state.departed(seat) and bool(state.options["dead_see_roles"])


def _known_roles(state: State, viewer: Viewer, seat: int | None) -> dict[int, str]:
    if _sees_all(state, viewer) or _informed(state, viewer, seat):
        return dict(enumerate(state.roles))
    known = {s: state.roles[s] for s in public_roles(state)}
    if seat is None:
        return known
    known[seat] = state.roles[seat]
    if state.is_wolf(seat):
        known.update({s: state.roles[s] for s in state.wolves()})
        known.update({s: state.roles[s] for s in state.exposed})
    for look in state.seen:
        if look["seer"] == seat:
            known[look["target"]] = look["role"]
    return known


def _known_lovers(state: State, viewer: Viewer, seat: int | None) -> list[int]:
    if not state.lovers:
        return []
    if (
        _sees_all(state, viewer)
        or _informed(state, viewer, seat)
        or not all(state.alive[s] for s in state.lovers)
        or (seat is not None and (seat in state.lovers or seat == state.cupid_seat))
    ):
        return list(state.lovers)
    return []


def _tally(state: State) -> dict[str, Any] | None:
    if state.step not in ("election", "vote", "revote") or state.outcome is not None:
        return None
    counts = tally(state)
    return {
        "ballots": [
            {"voter": seat, "target": state.ballots[seat]}
            for seat in range(state.seats)
            if state.voted[seat]
        ],
        "counts": [{"target": t, "votes": c} for t, c in sorted(counts.items())],
        "candidates": list(state.candidates),
        "voters": [seat for seat in range(state.seats) if state.can_vote(seat)],
    }


def _you(state: State, seat: int) -> dict[str, Any]:
    role = state.roles[seat]
    you: dict[str, Any] = {
        "seat": seat,
        "role": role,
        "alive": state.alive[seat],
        "captain": state.captain == seat,
        "has_power": state.has_power(seat),
    }
    if seat == state.thief_seat:
        you["spares"] = [{"card": i, "spare": card} for i, card in enumerate(state.spares)]
    if role == Role.SEER:
        you["seen"] = [
            {"night": look["night"], "seat": look["target"], "role": look["role"]}
            for look in state.seen
            if look["seer"] == seat
        ]
    if role == Role.WITCH:
        you["potions"] = {"heal": not state.heal_used, "poison": not state.poison_used}
        if state.step == "witch" and state.active(Role.WITCH) == seat:
            if state.wolf_target is not None:
                you["victim"] = {"wolf_target": state.wolf_target}
            if state.poisoned is not None:
                you["poison_tonight"] = {"poisoned": state.poisoned}
    if role == Role.GUARD and state.last_protected is not None:
        you["last_protection"] = {"protected": state.last_protected}
    if role == Role.LITTLE_GIRL:
        spying = state.spied and state.step == "wolves" and not state.step_done
        you["spy"] = {"spying": spying, "caught": seat in state.exposed}
    if state.is_wolf(seat) and state.phase is Phase.NIGHT:
        you["pack"] = _pack(state)
    return you


def _pack(state: State) -> dict[str, Any]:
    """The Werewolves' night: each wolf's vote and, once agreed, the target."""
    pack: dict[str, Any] = {
        "votes": [
            {"seat": wolf, "role": Role.WEREWOLF.value, "target": state.wolf_votes[wolf]}
            for wolf in state.living_wolves()
        ],
    }
    if state.wolf_target is not None:
        pack["target"] = {"wolf_target": state.wolf_target}
    return pack


def _warnings(state: State) -> list[dict[str, Any]]:
    """Mistakes the apprentice narrator should see coming."""
    lines: list[Text] = []
    step = STEPS[state.step]
    if state.powers_lost:
        lines.append(Text(N_("The Elder was killed by the village: the villagers have no powers.")))
    ghost = step.role is not None and state.active(step.role) is None
    if ghost and state.phase is Phase.NIGHT and step.key != "wolves":
        lines.append(
            Text(
                N_(
                    "Nobody can answer this call (dead, powerless or a spare card): "
                    "call anyway, wait a little, then go on."
                )
            )
        )
    if state.step == "witch":
        if state.heal_used:
            lines.append(Text(N_("The Witch has no healing potion left.")))
        if state.poison_used:
            lines.append(Text(N_("The Witch has no poison left.")))
    if state.step == "guard" and state.last_protected is not None:
        lines.append(
            Text(
                N_("The Guard protected %(seat)s last night: not the same player again."),
                {"seat": state.last_protected},
            )
        )
    if state.step == "vote" and state.voters is not None:
        lines.append(Text(N_("Only the players chosen by the Scapegoat may vote.")))
    if defaults(state):
        lines.append(
            Text(N_("Not everybody has acted yet: going on now acts by default for them."))
        )
    return [line.as_dict() for line in lines]


def _narrator(state: State) -> dict[str, Any]:
    step = STEPS[state.step]
    waking = state.step == "dawn" and state.human_narrator and state.outcome is None
    return {
        "read_aloud": state.narration[state.mark :],
        # At dawn only the narrator knows the victims: "next" reveals them to the table.
        "victims": reveal_preview(state) if waking else None,
        "what": Text(step.what).as_dict(),
        "tips": [
            Text(tip).as_dict()
            for tip in step.tips
            if tip not in TIP_ROLES or state.in_deck(TIP_ROLES[tip])
        ],
        "awake": step.role.value if step.role else None,
        "done": state.step_done,
        "warnings": _warnings(state),
        "can_undo": bool(state.undo),
        "defaults": [line.as_dict() for line in defaults(state)],
        "veiled": state.veil is not None,
        "night": {
            "pack": _pack(state),
            "protection": None if state.protected is None else {"protected": state.protected},
            "healed": state.healed,
            "poison": None if state.poisoned is None else {"poisoned": state.poisoned},
            "spied": state.spied,
            "seen": [
                {"night": look["night"], "seat": look["target"], "role": look["role"]}
                for look in state.seen
            ],
        },
        "spares": [{"card": i, "spare": card} for i, card in enumerate(state.spares)],
    }


def view(state: State, viewer: Viewer) -> dict[str, Any]:
    """Everything ``viewer`` may know of the table, JSON-ready."""
    front = behind_veil(state, viewer)
    if front is not None:
        # The narrator went back: this viewer is not called again and sees where the table was.
        return view(front, viewer)
    seat = _seat_of(state, viewer)
    roles = _known_roles(state, viewer, seat)
    masters = _sees_all(state, viewer)
    step = STEPS[state.step]
    actor = NARRATOR_SEAT if viewer.kind is ViewerKind.NARRATOR else seat
    result: dict[str, Any] = {
        "game": "werewolf",
        "viewer": viewer.kind.value,
        "phase": state.phase.value,
        "step": state.step,
        "awake": step.role.value if step.role and state.phase is Phase.NIGHT else None,
        "night": state.night,
        "deadline": state.deadline,
        "captain": state.captain,
        "alive": state.living(),
        "seats": [
            {
                "seat": s,
                "alive": state.alive[s],
                "captain": state.captain == s,
                "idiot_revealed": s in state.idiots,
            }
            for s in range(state.seats)
        ],
        "composition": dict(state.options["composition"]),
        "options": {k: v for k, v in state.options.items() if k != "composition"},
        "roles": [{"seat": s, "role": r} for s, r in sorted(roles.items())],
        "lovers": [{"seat": s, "lover": True} for s in _known_lovers(state, viewer, seat)],
        "deaths": [
            {"seat": d["seat"], "cause": d["cause"]}
            if masters or d["cause"] in _PUBLIC_CAUSES
            else {"seat": d["seat"]}
            for d in state.deaths
        ],
        "tally": _tally(state),
        "ready": [s for s in range(state.seats) if state.step == "debate" and state.ready[s]],
        "narration": state.narration,
        "narration_from": state.said - len(state.narration),
        "log": state.log,
        "actions": legal_actions(state, actor) if actor is not None else [],
        "channels": channels(state, viewer),
        "outcome": state.outcome,
    }
    if seat is not None:
        result["you"] = _you(state, seat)
    if viewer.kind is ViewerKind.NARRATOR or (viewer.kind is ViewerKind.REPLAY):
        result["narrator"] = _narrator(state)
    return result
