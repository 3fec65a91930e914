"""Who may know what, stated once per kind of secret, for the secrecy checker.

Views are written by hand in :mod:`views`; this module says independently who
is entitled to each fact, so the conformance suite can catch a view that
shows more than it should.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from estaminet.games.kit.secrecy import Audience, Fact
from estaminet.games.werewolf.roles import Role
from estaminet.games.werewolf.script import STEPS
from estaminet.games.werewolf.state import State, load_state
from estaminet.kernel.activity import ViewerKind

__all__ = ["GUARDED_KEYS", "TIMING_KEYS", "knowledge", "public_roles"]

GUARDED_KEYS = frozenset(
    {"role", "lover", "wolf_target", "spare", "protected", "poisoned", "cause"}
)
"""Keys that carry secrets in views; each object holding one must match a known fact."""

TIMING_KEYS = frozenset({"deadline"})
"""Keys that carry a time in views: the timer shown must be one the viewer may know."""

_MASTERS = Audience.of(kinds=[ViewerKind.NARRATOR, ViewerKind.REPLAY])
_PUBLIC_CAUSES = frozenset({"vote", "hunter", "grief", "scapegoat"})


def public_roles(state: State) -> set[int]:
    """Seats whose role the whole table knows."""
    if state.outcome is not None:
        return set(range(state.seats))
    seats = {death["seat"] for death in state.deaths if death["public"]}
    return seats | set(state.idiots)


def _informed(state: State) -> Audience:
    """Who sees every role and the couple, by the table options."""
    audience = _MASTERS
    if state.options["spectators_see_roles"]:
        audience |= Audience.of(kinds=[ViewerKind.SPECTATOR])
    if state.options["dead_see_roles"]:
        # Not someone who has just died and still acts: they join the dead once done.
        audience |= Audience.of(*(s for s in range(state.seats) if state.departed(s)))
    return audience


def _role_facts(state: State, informed: Audience) -> list[Fact]:
    public = public_roles(state)
    wolves = state.wolves()
    facts = []
    for seat, role in enumerate(state.roles):
        if seat in public:
            audience = Audience.everyone()
        else:
            knowers = {seat}
            if role == Role.WEREWOLF:
                knowers.update(wolves)
            if seat in state.exposed:
                knowers.update(wolves)
            knowers.update(look["seer"] for look in state.seen if look["target"] == seat)
            audience = informed | Audience.of(*knowers)
        facts.append(Fact({"seat": seat, "role": role}, audience))
    return facts


def _public_deadline(state: State) -> str | None:
    """The end of the current step as the table may know it: from the step's start and its
    timer alone, whoever holds (or does not hold) the role called."""
    if state.outcome is not None:
        return None
    if state.started is None:  # a step logged before its start was kept
        return state.deadline
    step = STEPS[state.step]
    if step.timer is not None:
        seconds = int(state.options[step.timer])
    elif state.human_narrator:
        seconds = int(state.options["narrator_seconds"])
    else:
        return None
    return (datetime.fromisoformat(state.started) + timedelta(seconds=seconds)).isoformat()


def knowledge(state: State) -> list[Fact]:
    """Every fact a view may disclose, with who may know it."""
    if state.veil is not None:
        # What the table saw before the narrator went back, it may still see.
        front = load_state(state.veil["front"])
        return _facts(state) + _facts(front)
    return _facts(state)


def _facts(state: State) -> list[Fact]:
    informed = _informed(state)
    facts = _role_facts(state, informed)
    facts += [
        Fact({"deadline": _public_deadline(state)}, Audience.everyone()),
        Fact({"deadline": state.deadline}, _MASTERS),
    ]
    over = state.outcome is not None
    everyone = Audience.everyone()
    if state.lovers:
        couple_known = over or not all(state.alive[seat] for seat in state.lovers)
        knowers = Audience.of(
            *state.lovers, *([state.cupid_seat] if state.cupid_seat is not None else [])
        )
        audience = everyone if couple_known else informed | knowers
        facts += [Fact({"seat": seat, "lover": True}, audience) for seat in state.lovers]
    if state.wolf_target is not None:
        knowers = Audience.of(*state.wolves())
        witch = state.active(Role.WITCH)
        if state.step == "witch" and witch is not None:
            knowers |= Audience.of(witch)
        facts.append(Fact({"wolf_target": state.wolf_target}, _MASTERS | knowers))
    thief = Audience.of(*([state.thief_seat] if state.thief_seat is not None else []))
    facts += [
        Fact({"card": card, "spare": role}, everyone if over else _MASTERS | thief)
        for card, role in enumerate(state.spares)
    ]
    guard = state.holder(Role.GUARD)
    guard_audience = _MASTERS | Audience.of(*([guard] if guard is not None else []))
    facts += [
        Fact({"protected": seat}, guard_audience)
        for seat in {state.protected, state.last_protected}
        if seat is not None
    ]
    if state.poisoned is not None:
        witch_seat = state.holder(Role.WITCH)
        witch_audience = Audience.of(*([witch_seat] if witch_seat is not None else []))
        facts.append(Fact({"poisoned": state.poisoned}, _MASTERS | witch_audience))
    facts += [
        Fact(
            {"seat": death["seat"], "cause": death["cause"]},
            everyone if over or death["cause"] in _PUBLIC_CAUSES else _MASTERS,
        )
        for death in state.deaths
    ]
    return facts
