"""Actions: validating what a participant asks, and listing what each may do now.

Every action is a JSON object with a ``type``; targets are seat numbers. An
action may carry ``"seat"``: it must then be the actor's own seat (a client
cannot act for someone else).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from estaminet.games.werewolf.flow import (
    Builder,
    advance,
    complete,
    defaults,
    settle,
    vote_settled,
)
from estaminet.games.werewolf.fold import UNDOABLE
from estaminet.games.werewolf.rejections import reject
from estaminet.games.werewolf.roles import Role
from estaminet.games.werewolf.script import STEPS
from estaminet.games.werewolf.state import State, dump_state, load_state
from estaminet.kernel.activity import SYSTEM, Event, Rejection, Seat, Viewer, ViewerKind
from estaminet.kernel.i18n import N_

__all__ = ["NARRATOR_SEAT", "apply", "behind_veil", "legal_actions"]

NARRATOR_SEAT: Seat = -2
"""The actor for the human narrator's actions (``SYSTEM`` is -1)."""

Action = Mapping[str, Any]
_Handler = Callable[[Builder, int, Action], Rejection | None]


def _seat_arg(s: State, action: Action, key: str = "target") -> int | Rejection:
    if key not in action:
        return reject("malformed_action")
    value = action[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < s.seats:
        return reject("unknown_target")
    return value


def _living_arg(s: State, action: Action, key: str = "target") -> int | Rejection:
    seat = _seat_arg(s, action, key)
    if isinstance(seat, int) and not s.alive[seat]:
        return reject("dead_target")
    return seat


def _role_actor(s: State, actor: int, role: Role) -> Rejection | None:
    """The called role's holder, alive, with its power, who has not acted yet."""
    if not s.alive[actor]:
        return reject("dead_player")
    if s.roles[actor] != role:
        return reject("not_your_turn")
    if not s.has_power(actor):
        return reject("powers_lost")
    if s.step_done:
        return reject("already_acted")
    return None


def _chain_actor(s: State, actor: int) -> Rejection | None:
    """The one player a day step waits for (the dying Hunter, the Captain...)."""
    if actor != s.actor:
        return reject("not_your_turn" if s.alive[actor] else "dead_player")
    if s.step_done:
        return reject("already_acted")
    return None


# -- night ----------------------------------------------------------------------------


def _thief_take(b: Builder, actor: int, action: Action) -> Rejection | None:
    s = b.state
    if actor != s.thief_seat:
        return reject("dead_player" if not s.alive[actor] else "not_your_turn")
    if s.step_done:
        return reject("already_acted")
    card = action.get("card")
    if action["type"] == "thief_keep":
        if all(spare == Role.WEREWOLF for spare in s.spares):
            return reject("must_take_wolf")
        card = None
    elif isinstance(card, bool) or card not in (0, 1):
        return reject("unknown_card")
    b.emit("thief", seat=actor, card=card)
    complete(b)
    return None


def _cupid(b: Builder, actor: int, action: Action) -> Rejection | None:
    s = b.state
    problem = _role_actor(s, actor, Role.CUPID)
    if problem:
        return problem
    lovers = action.get("lovers")
    if not isinstance(lovers, list) or len(lovers) != 2:
        return reject("malformed_action")
    seats = [_living_arg(s, {"target": lover}) for lover in lovers]
    for seat in seats:
        if isinstance(seat, Rejection):
            return seat
    first, second = seats
    if first == second:
        return reject("same_player_twice")
    b.emit("lovers", seats=sorted([first, second]), cupid=actor)
    complete(b)
    return None


def _see(b: Builder, actor: int, action: Action) -> Rejection | None:
    s = b.state
    problem = _role_actor(s, actor, Role.SEER) or _target_problem(s, action, not_self=actor)
    if problem:
        return problem
    target = action["target"]
    b.emit("seen", seer=actor, target=target, role=s.roles[target])
    complete(b)
    return None


def _target_problem(s: State, action: Action, *, not_self: int | None = None) -> Rejection | None:
    target = _living_arg(s, action)
    if isinstance(target, Rejection):
        return target
    if target == not_self:
        return reject("not_yourself")
    return None


def _protect(b: Builder, actor: int, action: Action) -> Rejection | None:
    s = b.state
    problem = _role_actor(s, actor, Role.GUARD) or _target_problem(s, action)
    if problem:
        return problem
    if action["target"] == s.last_protected:
        return reject("same_protection_twice")
    b.emit("protect", target=action["target"])
    complete(b)
    return None


def _wolf_vote(b: Builder, actor: int, action: Action) -> Rejection | None:
    s = b.state
    if not s.alive[actor]:
        return reject("dead_player")
    if not s.is_wolf(actor):
        return reject("not_your_turn")
    if s.step_done:
        return reject("already_acted")
    problem = _target_problem(s, action)
    if problem:
        return problem
    target = action["target"]
    if s.is_wolf(target):
        return reject("fellow_wolf")
    if s.wolf_votes[actor] == target:
        return reject("already_voted")
    b.emit("wolf_vote", seat=actor, target=target)
    chosen = {b.state.wolf_votes[wolf] for wolf in b.state.living_wolves()}
    if len(chosen) == 1 and None not in chosen:
        b.emit("wolves_chose", target=target)
        complete(b)
    return None


def _spy(b: Builder, actor: int, action: Action) -> Rejection | None:
    s = b.state
    problem = _role_actor(s, actor, Role.LITTLE_GIRL)
    if problem:
        return problem
    if s.spied:
        return reject("already_spied")
    caught = b.rng("spy").randrange(100) < s.options["little_girl_risk"]
    b.emit("spied", seat=actor, caught=caught, at=b.now.isoformat())
    if caught:
        # Caught: the Werewolves see her, and she becomes their victim tonight.
        b.emit("wolves_chose", target=actor)
        complete(b)
    return None


def _witch_actor(s: State, actor: int) -> Rejection | None:
    problem = _role_actor(s, actor, Role.WITCH)
    if problem is None and s.witch_done:
        return reject("already_acted")
    return problem


def _witch_finished(b: Builder) -> None:
    s = b.state
    can_heal = not s.heal_used and s.wolf_target is not None and not s.healed
    if not can_heal and (s.poison_used or s.poisoned is not None):
        b.emit("witch_done")
        complete(b)


def _heal(b: Builder, actor: int, action: Action) -> Rejection | None:
    s = b.state
    problem = _witch_actor(s, actor)
    if problem:
        return problem
    if s.heal_used:
        return reject("potion_used")
    b.emit("heal")
    _witch_finished(b)
    return None


def _poison(b: Builder, actor: int, action: Action) -> Rejection | None:
    s = b.state
    problem = _witch_actor(s, actor)
    if problem:
        return problem
    if s.poison_used:
        return reject("potion_used")
    problem = _target_problem(s, action, not_self=actor)
    if problem:
        return problem
    b.emit("poison", target=action["target"])
    _witch_finished(b)
    return None


def _witch_pass(b: Builder, actor: int, action: Action) -> Rejection | None:
    problem = _witch_actor(b.state, actor)
    if problem:
        return problem
    b.emit("witch_done")
    complete(b)
    return None


# -- day ------------------------------------------------------------------------------


def _vote(b: Builder, actor: int, action: Action) -> Rejection | None:
    s = b.state
    if not s.alive[actor]:
        return reject("dead_player")
    if not s.can_vote(actor):
        return reject("cannot_vote")
    if s.voted[actor]:
        return reject("already_voted")
    if s.step_done:
        return reject("already_acted")
    if "target" not in action:
        return reject("malformed_action")
    target = action["target"]
    if target is not None:
        problem = _target_problem(s, action)
        if problem:
            return problem
        if s.candidates and target not in s.candidates:
            return reject("not_a_candidate")
    b.emit("vote", seat=actor, target=target)
    if vote_settled(b.state):
        complete(b)
    return None


def _ready(b: Builder, actor: int, action: Action) -> Rejection | None:
    s = b.state
    if not s.alive[actor]:
        return reject("dead_player")
    if s.ready[actor] or s.step_done:
        return reject("already_acted")
    b.emit("ready", seat=actor)
    if all(b.state.ready[seat] for seat in b.state.living()):
        complete(b)
    return None


def _choose(b: Builder, actor: int, action: Action) -> Rejection | None:
    """The Captain's tie-break, the Hunter's shot and the successor all name one seat."""
    s = b.state
    not_self = None if s.step == "tie_break" else actor
    problem = _chain_actor(s, actor) or _target_problem(s, action, not_self=not_self)
    if problem:
        return problem
    if s.candidates and action["target"] not in s.candidates:
        return reject("not_a_candidate")
    b.emit("choice", target=action["target"])
    complete(b)
    return None


def _choose_voters(b: Builder, actor: int, action: Action) -> Rejection | None:
    s = b.state
    problem = _chain_actor(s, actor)
    if problem:
        return problem
    voters = action.get("voters")
    if not isinstance(voters, list):
        return reject("malformed_action")
    if not voters:
        return reject("no_voters")
    for voter in voters:
        seat = _living_arg(s, {"target": voter})
        if isinstance(seat, Rejection):
            return seat
    b.emit("voters", seats=sorted(set(voters)))
    b.say(N_("The Scapegoat has chosen who may vote at the next vote."), log=True)
    complete(b)
    return None


_HANDLERS: dict[str, tuple[frozenset[str], _Handler]] = {
    "thief_take": (frozenset({"thief"}), _thief_take),
    "thief_keep": (frozenset({"thief"}), _thief_take),
    "cupid": (frozenset({"cupid"}), _cupid),
    "see": (frozenset({"seer"}), _see),
    "protect": (frozenset({"guard"}), _protect),
    "wolf_vote": (frozenset({"wolves"}), _wolf_vote),
    "spy": (frozenset({"wolves"}), _spy),
    "heal": (frozenset({"witch"}), _heal),
    "poison": (frozenset({"witch"}), _poison),
    "witch_done": (frozenset({"witch"}), _witch_pass),
    "vote": (frozenset({"election", "vote", "revote"}), _vote),
    "ready": (frozenset({"debate"}), _ready),
    "break_tie": (frozenset({"tie_break"}), _choose),
    "shoot": (frozenset({"hunter"}), _choose),
    "name_successor": (frozenset({"successor"}), _choose),
    "choose_voters": (frozenset({"scapegoat"}), _choose_voters),
}
"""Each player action: the steps it belongs to and its handler."""


# -- the entry point ------------------------------------------------------------------


def apply(state: State, actor: Seat, action: Action, now: datetime) -> list[Event] | Rejection:
    """Validate ``action`` by ``actor`` and return the events it causes, or why not."""
    if state.outcome is not None:
        return reject("game_over")
    kind = action.get("type")
    if kind == "timeout":
        return _timeout(state, actor, now) if actor == SYSTEM else reject("unknown_action")
    if kind in ("narrator_next", "narrator_undo"):
        if actor != NARRATOR_SEAT or not state.human_narrator:
            return reject("not_narrator")
        if kind == "narrator_undo":
            return _narrator_undo(state, now)
        if defaults(state) and action.get("confirm") is not True:
            # Someone has not acted: the narrator's screen names them before this goes on.
            return reject("unconfirmed_default")
        return _narrator_next(state, now)
    if not isinstance(kind, str) or kind not in _HANDLERS:
        return reject("unknown_action")
    if not 0 <= actor < state.seats:
        return reject("unknown_player")
    if "seat" in action and action["seat"] != actor:
        return reject("forged_action")
    steps, handler = _HANDLERS[kind]
    if state.step not in steps:
        return reject("wrong_phase")
    b = Builder(state, now)
    problem = handler(b, actor, action)
    return problem if problem is not None else b.events


def _timeout(state: State, actor: Seat, now: datetime) -> list[Event] | Rejection:
    # A stale timer (the step changed since it was set) fires too early: refuse it.
    due = state.due or state.deadline
    if due is None or now < datetime.fromisoformat(due):
        return reject("too_early")
    b = Builder(state, now)
    if not state.step_done and state.due is not None:
        # A ghost call's hidden end: it ends as a real call ends when its player has chosen.
        b.emit("done", due=None)
    elif not state.step_done:
        settle(b)
        if state.human_narrator:
            return b.events
    advance(b)
    return b.events


def _narrator_next(state: State, now: datetime) -> list[Event]:
    """Move on; the move can be undone while it revealed nothing to the table."""
    before = dump_state(state)
    before["undo"], before["veil"] = [], None
    b = Builder(state, now)
    if not state.step_done:
        # No "Time is up.": a ghost call the narrator ends must sound like a real one.
        settle(b, time_up=False)
    advance(b)
    public = any(e["type"] == "say" and e["log"] for e in b.events)
    if not public and all(e["type"] in UNDOABLE for e in b.events) and b.state.outcome is None:
        b.emit("checkpoint", state=before)
    return b.events


def _narrator_undo(state: State, now: datetime) -> list[Event] | Rejection:
    if not state.undo:
        return reject("nothing_to_undo")
    restored = load_state(state.undo[-1])
    timer = STEPS[restored.step].timer
    wait = state.options["narrator_seconds"]
    b = Builder(state, now)
    # The step starts again: the table's timer as on entering it; once its players have
    # acted, the runner waits for the narrator as after any step.
    b.emit(
        "undone",
        at=now.isoformat(),
        deadline=b.later(state.options[timer] if timer is not None else wait),
        due=b.later(wait) if restored.step_done and timer is not None else None,
    )
    return b.events


# -- what each may do now ---------------------------------------------------------------


def _targets(s: State, *, exclude: int | None = None) -> list[int]:
    return [seat for seat in s.living() if seat != exclude]


def _night_actions(s: State, seat: int) -> list[dict[str, Any]]:
    key = s.step
    if key == "thief" and seat == s.thief_seat:
        both = all(card == Role.WEREWOLF for card in s.spares)
        keep = [] if both else [{"type": "thief_keep"}]
        return [*keep, *({"type": "thief_take", "card": card} for card in (0, 1))]
    if key == "cupid" and s.roles[seat] == Role.CUPID:
        living = s.living()
        return [{"type": "cupid", "lovers": [a, b]} for a in living for b in living if a < b]
    if key == "seer" and s.roles[seat] == Role.SEER:
        return [{"type": "see", "target": t} for t in _targets(s, exclude=seat)]
    if key == "guard" and s.roles[seat] == Role.GUARD:
        return [{"type": "protect", "target": t} for t in _targets(s, exclude=s.last_protected)]
    if key == "wolves" and s.is_wolf(seat):
        return [
            {"type": "wolf_vote", "target": t}
            for t in s.living()
            if not s.is_wolf(t) and t != s.wolf_votes[seat]
        ]
    if key == "wolves" and s.roles[seat] == Role.LITTLE_GIRL and not s.spied:
        return [{"type": "spy"}]
    if key == "witch" and s.roles[seat] == Role.WITCH and not s.witch_done:
        actions: list[dict[str, Any]] = [{"type": "witch_done"}]
        if not s.heal_used:
            actions.append({"type": "heal"})
        if not s.poison_used:
            actions += [{"type": "poison", "target": t} for t in _targets(s, exclude=seat)]
        return actions
    return []


def _day_actions(s: State, seat: int) -> list[dict[str, Any]]:
    key = s.step
    if key in ("election", "vote", "revote"):
        if not s.can_vote(seat) or s.voted[seat]:
            return []
        targets = s.candidates or s.living()
        return [{"type": "vote", "target": None}, *({"type": "vote", "target": t} for t in targets)]
    if key == "debate":
        return [] if not s.alive[seat] or s.ready[seat] else [{"type": "ready"}]
    if seat != s.actor:
        return []
    if key == "tie_break":
        return [{"type": "break_tie", "target": t} for t in s.candidates]
    if key in ("hunter", "successor"):
        kind = "shoot" if key == "hunter" else "name_successor"
        return [{"type": kind, "target": t} for t in _targets(s, exclude=seat)]
    if key == "scapegoat":
        living = s.living()
        return [{"type": "choose_voters", "voters": living}] + [
            {"type": "choose_voters", "voters": [t]} for t in living
        ]
    return []


def legal_actions(state: State, actor: Seat) -> list[dict[str, Any]]:
    """What ``actor`` may do now, one entry per possible choice.

    For the Scapegoat (any non-empty set of voters is allowed) the list gives
    "everybody" and each single player; ``apply`` accepts any set.
    """
    if state.outcome is not None:
        return []
    if actor == NARRATOR_SEAT:
        if not state.human_narrator:
            return []
        undo = [{"type": "narrator_undo"}] if state.undo else []
        going_on: dict[str, Any] = {"type": "narrator_next"}
        if defaults(state):
            going_on["confirm"] = True
        return [going_on, *undo]
    if not 0 <= actor < state.seats:
        return []
    if state.step in ("hunter", "successor", "scapegoat", "tie_break"):
        return [] if state.step_done else _day_actions(state, actor)
    if state.step_done or not state.alive[actor]:
        return []
    if state.step in ("election", "vote", "revote", "debate"):
        return _day_actions(state, actor)
    return _night_actions(state, actor) if state.has_power(actor) else []


def behind_veil(state: State, viewer: Viewer) -> State | None:
    """The state ``viewer`` still sees after the narrator went back, or ``None``: the real one.

    Whoever is called (has something to do now), the narrator and the replay
    see the real state; the other players and the spectators see the table as
    it was before the undo, so the backtracking shows on no other screen.
    """
    if state.veil is None or viewer.kind in (ViewerKind.NARRATOR, ViewerKind.REPLAY):
        return None
    seat = viewer.seat if viewer.kind is ViewerKind.PLAYER else None
    if seat is not None and legal_actions(state, seat):
        return None
    return load_state(state.veil["front"])
