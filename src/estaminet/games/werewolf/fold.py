"""Folding events into the state: no validation, no chance, no clock.

Every decision (and every draw by lot) was made by ``apply`` and written in
the event, so replaying a log always rebuilds the same table.
"""

from __future__ import annotations

from collections.abc import Callable

from estaminet.games.werewolf.state import State, copy_state, dump_state, json_copy, load_state
from estaminet.kernel.activity import Event

__all__ = ["UNDOABLE", "evolve", "fold_in_place", "is_final"]

UNDOABLE = frozenset(
    {"mark", "say", "step", "done", "resume", "pending", "wolves_chose", "protect", "checkpoint"}
)
"""Events a narrator's "next" may be undone after: nothing public, nobody acted."""

_UNDO_DEPTH = 20
"""Checkpoints kept: more than a whole night of steps."""


def is_final(event: Event) -> bool:
    """Whether ``event`` makes the steps before it final (a player acted, or something public)."""
    return event["type"] not in UNDOABLE or (event["type"] == "say" and bool(event.get("log")))


def _public(event: Event) -> bool:
    """Whether ``event`` tells the table something new (the veil of an undo must lift)."""
    return event["type"] in ("died", "end", "captain", "idiot_revealed") or bool(
        event["type"] == "say" and event.get("log")
    )


def _step(state: State, event: Event) -> None:
    key = event["step"]
    state.step = key
    state.deadline = event["deadline"]
    state.due = event.get("due")
    state.started = event.get("at")
    state.step_done = event["done"]
    state.actor = event.get("actor")
    n = state.seats
    if key == "nightfall":
        state.night += 1
        state.protected = state.wolf_target = state.poisoned = None
        state.wolf_votes = [None] * n
        state.healed = state.spied = state.caught = state.witch_done = False
    if key in ("election", "vote", "revote"):
        state.ballots = [None] * n
        state.voted = [False] * n
    state.candidates = list(event.get("candidates", ()))
    state.choice = None
    if key == "debate":
        state.ready = [False] * n
    if event.get("reset"):
        # A new phase: keep only what the narrator has not read yet.
        state.narration = state.narration[state.mark :]
        state.mark = 0
    state.narration.extend(json_copy(event["lines"]))
    state.said += len(event["lines"])


def _say(state: State, event: Event) -> None:
    text = json_copy(event["text"])
    state.narration.append(text)
    state.said += 1
    if event.get("log"):
        state.log.append(json_copy(text))


def _done(state: State, event: Event) -> None:
    state.step_done = True
    if "deadline" in event:  # an event logged before the table's timer was kept apart
        state.deadline = event["deadline"]
    state.due = event.get("due")


def _vote(state: State, event: Event) -> None:
    state.ballots[event["seat"]] = event["target"]
    state.voted[event["seat"]] = True


def _ready(state: State, event: Event) -> None:
    state.ready[event["seat"]] = True


def _captain(state: State, event: Event) -> None:
    state.captain = event["seat"]


def _thief(state: State, event: Event) -> None:
    card, seat = event["card"], event["seat"]
    if card is not None:
        state.roles[seat], state.spares[card] = state.spares[card], state.roles[seat]


def _lovers(state: State, event: Event) -> None:
    state.lovers = list(event["seats"])
    state.cupid_seat = event["cupid"]


def _seen(state: State, event: Event) -> None:
    state.seen.append(
        {
            "night": state.night,
            "seer": event["seer"],
            "target": event["target"],
            "role": event["role"],
        }
    )


def _protect(state: State, event: Event) -> None:
    state.protected = event["target"]
    state.last_protected = event["target"]


def _wolf_vote(state: State, event: Event) -> None:
    state.wolf_votes[event["seat"]] = event["target"]


def _choice(state: State, event: Event) -> None:
    state.choice = event["target"]


def _wolves_chose(state: State, event: Event) -> None:
    state.wolf_target = event["target"]


def _spied(state: State, event: Event) -> None:
    state.spied = True
    state.spied_at = event.get("at")
    state.caught = event["caught"]
    if event["caught"]:
        state.exposed.append(event["seat"])


def _heal(state: State, event: Event) -> None:
    state.healed = state.heal_used = True


def _poison(state: State, event: Event) -> None:
    state.poisoned = event["target"]
    state.poison_used = True


def _witch_done(state: State, event: Event) -> None:
    state.witch_done = True


def _elder_bitten(state: State, event: Event) -> None:
    state.elder_bitten = True


def _died(state: State, event: Event) -> None:
    seat = event["seat"]
    state.alive[seat] = False
    state.deaths.append(
        {"seat": seat, "cause": event["cause"], "night": state.night, "public": event["public"]}
    )
    if state.captain == seat:
        state.captain = None


def _powers_lost(state: State, event: Event) -> None:
    state.powers_lost = True


def _idiot_revealed(state: State, event: Event) -> None:
    state.idiots.append(event["seat"])
    if state.captain == event["seat"]:
        state.captain = None


def _voters(state: State, event: Event) -> None:
    state.voters = None if event["seats"] is None else list(event["seats"])


def _pending(state: State, event: Event) -> None:
    state.pending = json_copy(event["tasks"])


def _resume(state: State, event: Event) -> None:
    state.resume = event["step"]


def _mark(state: State, event: Event) -> None:
    state.mark = len(state.narration)


def _end(state: State, event: Event) -> None:
    state.outcome = {"reason": event["reason"], "winners": list(event["winners"])}
    state.deadline = state.due = None
    state.step_done = True
    state.undo = []


def _checkpoint(state: State, event: Event) -> None:
    snapshot = json_copy(event["state"])
    snapshot["undo"], snapshot["veil"] = [], None
    state.undo = [*state.undo, snapshot][-_UNDO_DEPTH:]


def _undone(state: State, event: Event) -> State:
    """Back to the last checkpoint; the table keeps seeing where it was (the veil)."""
    stack = state.undo
    restored = load_state(stack[-1])
    restored.undo = stack[:-1]
    if state.veil is not None:
        restored.veil = state.veil  # the table still sees the furthest step reached
    else:
        shown = dump_state(state)
        shown["undo"], shown["veil"] = [], None
        restored.veil = {"front": shown, "step": state.step, "night": state.night}
    # The tick keeps counting so later draws by lot differ from the undone ones.
    restored.tick = state.tick + 1
    restored.deadline = event["deadline"]
    restored.due = event.get("due")
    restored.started = event.get("at")
    return restored


_FOLDS: dict[str, Callable[[State, Event], None]] = {
    "step": _step,
    "say": _say,
    "done": _done,
    "vote": _vote,
    "ready": _ready,
    "captain": _captain,
    "thief": _thief,
    "lovers": _lovers,
    "seen": _seen,
    "protect": _protect,
    "wolf_vote": _wolf_vote,
    "wolves_chose": _wolves_chose,
    "choice": _choice,
    "spied": _spied,
    "heal": _heal,
    "poison": _poison,
    "witch_done": _witch_done,
    "elder_bitten": _elder_bitten,
    "died": _died,
    "powers_lost": _powers_lost,
    "idiot_revealed": _idiot_revealed,
    "voters": _voters,
    "pending": _pending,
    "resume": _resume,
    "mark": _mark,
    "end": _end,
    "checkpoint": _checkpoint,
}


def fold_in_place(state: State, event: Event) -> State:
    """Fold ``event`` into ``state`` itself; returns the state (a new one after an undo)."""
    kind = event["type"]
    if kind == "undone":
        return _undone(state, event)
    _FOLDS[kind](state, event)
    state.tick += 1
    if is_final(event):
        state.undo = []  # a player acted, or the table learnt something: no way back
    if state.veil is not None and (
        _public(event)
        or (
            kind == "step"
            and (state.step, state.night) == (state.veil["step"], state.veil["night"])
        )
    ):
        state.veil = None  # the game is back where the table saw it
    return state


def evolve(state: State, event: Event) -> State:
    """A new state: ``state`` with ``event`` folded in (``state`` is left untouched)."""
    return fold_in_place(copy_state(state), event)
