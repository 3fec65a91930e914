"""How the game moves: entering and leaving steps, nights, votes, deaths and victory.

Everything here runs inside ``apply``: a :class:`Builder` folds each event
into a working copy as it is emitted, so the rules always read the state as
it is at that point of the batch. Draws by lot use a generator seeded by the
table's seed and the number of events so far, and their results go into the
events.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from estaminet.games.werewolf.fold import fold_in_place
from estaminet.games.werewolf.roles import Role
from estaminet.games.werewolf.script import CHAIN_STEPS, NIGHT_ORDER, STEPS
from estaminet.games.werewolf.state import State, copy_state
from estaminet.kernel.activity import Event
from estaminet.kernel.i18n import N_, Text

__all__ = [
    "Builder",
    "advance",
    "complete",
    "defaults",
    "enter",
    "reveal_preview",
    "run_chain",
    "settle",
    "tally",
    "victory",
    "vote_settled",
]

_GHOST_SHORTEST = 5
"""A call for a dead or absent role ends at a random instant, as if someone were choosing,
never before this many seconds; sometimes it runs to the end of the timer, like a real call
nobody answered."""


class Builder:
    """Collects the events of one ``apply`` while folding them into a working copy."""

    def __init__(self, state: State, now: datetime) -> None:
        self.state = copy_state(state)
        self.events: list[Event] = []
        self.now = now

    def emit(self, kind: str, **data: Any) -> None:
        """Record one event and fold it."""
        event = {"type": kind, **data}
        self.events.append(event)
        self.state = fold_in_place(self.state, event)

    def say(self, msgid: str, *, log: bool = False, **params: Any) -> None:
        """A narration line (and, with ``log``, a public announcement kept for the whole game)."""
        self.emit("say", text=Text(msgid, params).as_dict(), log=log)

    def rng(self, purpose: str) -> random.Random:
        """A generator for one draw, derived from the seed and the position in the log."""
        return random.Random(f"{self.state.seed}:{self.state.tick}:{purpose}")

    def later(self, seconds: int) -> str:
        """The ISO instant ``seconds`` from now."""
        return (self.now + timedelta(seconds=seconds)).isoformat()


# -- entering steps -----------------------------------------------------------


def _actors(state: State, key: str, actor: int | None) -> bool:
    """Whether someone can act in the step ``key`` (otherwise it is a ghost or a silent step)."""
    step = STEPS[key]
    if key in ("election", "debate"):
        return True
    if key in ("vote", "revote"):
        return any(state.can_vote(seat) for seat in range(state.seats))
    if key == "wolves":
        return bool(state.living_wolves())
    if key in CHAIN_STEPS or key == "tie_break":
        return actor is not None
    if step.role is not None:
        return state.active(step.role) is not None
    return False


def enter(
    b: Builder, key: str, *, actor: int | None = None, candidates: list[int] | None = None
) -> None:
    """Start step ``key``: its lines are said, its timer set, its effects on entry applied."""
    s = b.state
    step = STEPS[key]
    if key == "tie_break":
        actor = s.captain
    acting = _actors(s, key, actor)
    done, deadline, due = _timing(b, key, acting)
    b.emit(
        "step",
        step=key,
        at=b.now.isoformat(),
        deadline=deadline,
        due=due,
        done=done,
        actor=actor,
        candidates=candidates or [],
        lines=[Text(line).as_dict() for line in step.lines],
        reset=key in ("election", "nightfall", "dawn"),
    )
    if key in ("vote", "revote") and not acting:
        b.say(N_("Nobody may vote."))
        complete(b, advance_auto=False)
    if key == _resolving_step(s):
        _dawn(b)


def _timing(b: Builder, key: str, acting: bool) -> tuple[bool, str | None, str | None]:
    """Whether step ``key`` starts done, its deadline for the table, and the runner's own.

    A ghost call (nobody can answer) shows the table the same timer as a real
    call. With the automatic narrator it ends at a hidden instant drawn within
    that timer, as a real call ends when its player chooses, or runs out like a
    real call nobody answered.
    """
    s = b.state
    timer = STEPS[key].timer
    if timer is not None:
        seconds = int(s.options[timer])
        if acting or s.human_narrator:
            return False, b.later(seconds), None
        shortest = min(_GHOST_SHORTEST, seconds)
        end = b.rng("ghost").randint(shortest, seconds + seconds // 4)
        return False, b.later(seconds), b.later(end) if end < seconds else None
    if s.human_narrator:
        return True, b.later(s.options["narrator_seconds"]), None
    return True, None, None


def _resolving_step(state: State) -> str:
    """The step whose start resolves the night: ``reveal`` with a human narrator.

    The automatic narrator announces the deaths as the village wakes up. A
    human narrator first wakes the village (``dawn``), then reveals the
    victims when they announce them (``reveal``): until then no view, chat
    channel or voice right tells who died.
    """
    return "reveal" if state.human_narrator else "dawn"


def _next_night_step(state: State, current: str) -> str:
    order = NIGHT_ORDER
    start = order.index(current) + 1 if current in order else 0
    for key in order[start:]:
        step = STEPS[key]
        if step.first_night_only and state.night > 1:
            continue
        role = Role.CUPID if key == "lovers" else step.role
        if role is not None and not state.in_deck(role):
            continue
        return key
    return "dawn"


def _dawn(b: Builder) -> None:
    """Resolve the night: the victim (unless saved), the poisoned; announce in seat order."""
    s = b.state
    dying: dict[int, str] = {}
    target = s.wolf_target
    if target is not None and s.alive[target] and s.protected != target and not s.healed:
        if s.roles[target] == Role.ELDER and not s.elder_bitten:
            b.emit("elder_bitten")
        else:
            dying[target] = "wolves"
    if s.poisoned is not None and s.alive[s.poisoned]:
        dying.setdefault(s.poisoned, "poison")
    b.emit("resume", step="debate")
    if not dying:
        b.say(N_("Nobody died tonight."), log=True)
        return
    victims = [{"seat": seat, "cause": dying[seat]} for seat in sorted(dying)]
    b.emit("pending", tasks=[{"kind": "deaths", "victims": victims}, *b.state.pending])
    run_chain(b)


_PREVIEW_NOW = datetime(2000, 1, 1, tzinfo=UTC)
"""A fixed instant for :func:`reveal_preview`: the deadlines it computes are thrown away."""


def reveal_preview(state: State) -> list[dict[str, Any]]:
    """The announcements revealing the night's victims will make, for the narrator to read first.

    The same resolution as the reveal itself, run on a scratch copy: the
    victims, a lover's grief, the roles shown on death, a victory.
    """
    b = Builder(state, _PREVIEW_NOW)
    _dawn(b)
    return [event["text"] for event in b.events if event["type"] == "say" and event["log"]]


# -- finishing and leaving steps ---------------------------------------------------


def complete(b: Builder, *, advance_auto: bool = True) -> None:
    """The step's players have all acted: wait for the narrator, or move on."""
    s = b.state
    b.emit("done", due=b.later(s.options["narrator_seconds"]) if s.human_narrator else None)
    if advance_auto and not s.human_narrator:
        advance(b)


def settle(b: Builder, *, time_up: bool = True) -> None:
    """Time is up (or, without ``time_up``, the narrator moves on): act by default for
    whoever has not acted."""
    s = b.state
    key = s.step
    if time_up:
        b.say(N_("Time is up."))
    if key == "thief" and (thief := s.active(Role.THIEF)) is not None:
        wolves = [i for i, card in enumerate(s.spares) if card == Role.WEREWOLF]
        b.emit("thief", seat=thief, card=0 if len(wolves) == 2 else None)
    elif key == "guard" and s.active(Role.GUARD) is not None:
        b.emit("protect", target=None)
    elif key == "wolves" and s.wolf_target is None:
        _default_victim(b)
    elif key == "tie_break":
        b.emit("choice", target=b.rng("tie_break").choice(s.candidates))
    elif key == "hunter":
        b.say(N_("The Hunter did not shoot in time."), log=True)
    elif key == "successor":
        others = [seat for seat in s.living() if seat != s.actor]
        b.emit("choice", target=b.rng("successor").choice(others))
    elif key == "scapegoat":
        b.emit("voters", seats=None)
    b.emit("done", due=b.later(s.options["narrator_seconds"]) if s.human_narrator else None)


_DEFAULT_LINES = {
    "thief": N_("%(seat)s (the Thief) has not chosen: going on, he keeps his card."),
    "thief_wolf": N_(
        "%(seat)s (the Thief) has not chosen: going on, he takes the first Werewolf card."
    ),
    "cupid": N_("%(seat)s (Cupid) has not chosen: going on, there are no lovers."),
    "seer": N_("%(seat)s (the Seer) has not chosen: going on, she sees no role tonight."),
    "guard": N_("%(seat)s (the Guard) has not chosen: going on, nobody is protected tonight."),
    "witch": N_("%(seat)s (the Witch) has not finished: going on, she uses no more potion."),
    "vote": N_("%(seat)s has not voted: going on, their vote is not counted."),
    "tie_break": N_(
        "%(seat)s (the Captain) has not decided: going on, one of the tied is drawn by lot."
    ),
    "hunter": N_("%(seat)s (the Hunter) has not shot: going on, he shoots nobody."),
    "successor": N_(
        "%(seat)s has not named a successor: going on, the new Captain is drawn by lot."
    ),
    "scapegoat": N_("%(seat)s (the Scapegoat) has not chosen: going on, everybody may vote."),
}


def defaults(state: State) -> list[Text]:
    """Who has not acted in the current step and what going on now would do for them.

    What :func:`settle` would do, said for the narrator before they press "next".
    Empty when nobody can act (a ghost call) or everybody has.
    """
    key = state.step
    if state.step_done or state.outcome is not None or not _actors(state, key, state.actor):
        return []
    if key == "wolves":
        line = N_(
            "The Werewolves have not agreed: going on, their victim is drawn by lot "
            "among their most voted targets."
        )
        return [Text(line)]
    if key in ("election", "vote", "revote"):
        waiting = [seat for seat in range(state.seats) if state.can_vote(seat)]
        return [Text(_DEFAULT_LINES["vote"], {"seat": s}) for s in waiting if not state.voted[s]]
    if key in ("tie_break", "hunter", "successor", "scapegoat"):
        seat = state.captain if key == "tie_break" else state.actor
        return [Text(_DEFAULT_LINES[key], {"seat": seat})]
    role = STEPS[key].role
    seat = state.active(role) if role is not None else None
    if seat is None or key not in _DEFAULT_LINES:
        return []
    if key == "thief" and all(card == Role.WEREWOLF for card in state.spares):
        key = "thief_wolf"
    return [Text(_DEFAULT_LINES[key], {"seat": seat})]


def _default_victim(b: Builder) -> None:
    s = b.state
    targets = [seat for seat in s.living() if not s.is_wolf(seat)]
    votes = Counter(
        t for w in s.living_wolves() if (t := s.wolf_votes[w]) is not None and t in targets
    )
    if votes:
        top = max(votes.values())
        targets = sorted(t for t, count in votes.items() if count == top)
    b.emit("wolves_chose", target=b.rng("victim").choice(targets))


def _leave(b: Builder) -> tuple[str, list[int]]:
    """Resolve the current step and say its closing lines; return the step that follows."""
    s = b.state
    key = s.step
    for line in STEPS[key].closing:
        b.say(line)
    if key == "election":
        _elect(b)
        return "nightfall", []
    if key in NIGHT_ORDER:
        return _next_night_step(s, key), []
    if key == "dawn" and s.human_narrator:
        return "reveal", []
    if key in ("dawn", "reveal"):
        return "debate", []
    if key == "debate":
        return "vote", []
    if key in ("vote", "revote"):
        return _resolve_vote(b)
    if key == "tie_break":
        assert s.choice is not None
        b.say(N_("The Captain decides: %(seat)s is eliminated."), log=True, seat=s.choice)
        _eliminate(b, s.choice)
        return "nightfall", []
    if key == "hunter" and s.choice is not None:
        b.emit(
            "pending", tasks=[{"kind": "death", "seat": s.choice, "cause": "hunter"}, *s.pending]
        )
    if key == "successor" and s.choice is not None:
        b.emit("captain", seat=s.choice)
        b.say(N_("%(seat)s is the new Captain."), log=True, seat=s.choice)
    return s.resume, []


def advance(b: Builder) -> None:
    """Leave the current (done) step and enter the next ones until someone must act."""
    b.emit("mark")  # what the narrator reads aloud starts here
    while True:
        was_chain = b.state.step in CHAIN_STEPS
        following, candidates = _leave(b)
        if b.state.pending or was_chain:
            if not was_chain:
                b.emit("resume", step=following)
            if run_chain(b):
                return
            following, candidates = b.state.resume, []
        enter(b, following, candidates=candidates)
        s = b.state
        if s.outcome is not None or not s.step_done or s.human_narrator:
            return


# -- votes ----------------------------------------------------------------------------


def tally(state: State) -> Counter[int]:
    """Votes received by each target, the Captain's counting double."""
    counts: Counter[int] = Counter()
    for seat, target in enumerate(state.ballots):
        if state.voted[seat] and target is not None:
            counts[target] += state.weight(seat)
    return counts


def vote_settled(state: State) -> bool:
    """All who may vote have voted, or someone has more than half of all the votes."""
    voters = [seat for seat in range(state.seats) if state.can_vote(seat)]
    if all(state.voted[seat] for seat in voters):
        return True
    total = sum(state.weight(seat) for seat in voters)
    counts = tally(state)
    return bool(counts) and max(counts.values()) * 2 > total


def _elect(b: Builder) -> None:
    s = b.state
    counts = tally(s)
    pool = [t for t, c in counts.items() if c == max(counts.values())] if counts else s.living()
    captain = sorted(pool)[0] if len(pool) == 1 else b.rng("captain").choice(sorted(pool))
    if len(pool) > 1:
        b.say(N_("The election is tied: the Captain is drawn by lot."))
    b.emit("captain", seat=captain)
    b.say(N_("%(seat)s is elected Captain."), log=True, seat=captain)


def _resolve_vote(b: Builder) -> tuple[str, list[int]]:
    s = b.state
    counts = tally(s)
    revote = s.step == "revote"
    if s.voters is not None:
        b.emit("voters", seats=None)  # the Scapegoat's choice held for one vote only
    if not counts:
        b.say(N_("Nobody voted: nobody is eliminated today."), log=True)
        return "nightfall", []
    top = max(counts.values())
    tied = sorted(t for t, c in counts.items() if c == top)
    if len(tied) == 1:
        b.say(N_("The village has voted against %(seat)s."), log=True, seat=tied[0])
        _eliminate(b, tied[0])
        return "nightfall", []
    scapegoat = s.holder(Role.SCAPEGOAT)
    if not revote and scapegoat is not None and s.alive[scapegoat]:
        b.emit("pending", tasks=[{"kind": "death", "seat": scapegoat, "cause": "scapegoat"}])
        return "nightfall", []
    if revote:
        b.say(N_("Still tied: nobody is eliminated today."), log=True)
        return "nightfall", []
    if s.options["captain"] and s.captain is not None and s.alive[s.captain]:
        return "tie_break", tied
    return "revote", tied


def _eliminate(b: Builder, seat: int) -> None:
    s = b.state
    if s.roles[seat] == Role.IDIOT and s.has_power(seat) and seat not in s.idiots:
        was_captain = s.captain == seat
        b.emit("idiot_revealed", seat=seat)
        b.say(
            N_("%(seat)s is the Village Idiot (%(role)s): spared, but without a vote from now on."),
            log=True,
            seat=seat,
            role=Role.IDIOT.value,
        )
        if was_captain:
            b.emit("pending", tasks=[{"kind": "successor", "seat": seat}, *b.state.pending])
        return
    b.emit("pending", tasks=[{"kind": "death", "seat": seat, "cause": "vote"}, *s.pending])


# -- deaths and their chains --------------------------------------------------------------

_DEATH_LINES = {
    "wolves": N_("%(seat)s died during the night."),
    "poison": N_("%(seat)s died during the night."),
    "grief": N_("%(seat)s dies of grief for their lover."),
    "vote": N_("%(seat)s is eliminated."),
    "hunter": N_("%(seat)s is shot by the Hunter."),
}
_DEATH_LINES_ROLE = {
    "wolves": N_("%(seat)s died during the night. Their role: %(role)s."),
    "poison": N_("%(seat)s died during the night. Their role: %(role)s."),
    "grief": N_("%(seat)s dies of grief for their lover. Their role: %(role)s."),
    "vote": N_("%(seat)s is eliminated. Their role: %(role)s."),
    "hunter": N_("%(seat)s is shot by the Hunter. Their role: %(role)s."),
}


def _announce_death(b: Builder, seat: int, cause: str, role: str) -> None:
    if cause == "scapegoat":
        b.say(
            N_("The vote is tied: %(seat)s, the %(role)s, dies instead."),
            log=True,
            seat=seat,
            role=role,
        )
    elif b.state.options["reveal_roles_on_death"]:
        b.say(_DEATH_LINES_ROLE[cause], log=True, seat=seat, role=role)
    else:
        b.say(_DEATH_LINES[cause], log=True, seat=seat)


def _kill(b: Builder, seat: int, cause: str) -> list[dict[str, Any]]:
    """One death and its announcement; returns what follows it, in the digest's order."""
    s = b.state
    role, was_captain = s.roles[seat], s.captain == seat
    curse = role == Role.ELDER and cause in ("vote", "poison", "hunter") and not s.powers_lost
    shoots = role == Role.HUNTER and s.has_power(seat)
    # Whether the table learns the role: by the option, or because the death tells it.
    public = bool(s.options["reveal_roles_on_death"]) or cause == "scapegoat" or curse or shoots
    b.emit("died", seat=seat, cause=cause, public=public)
    _announce_death(b, seat, cause, role)
    follow: list[dict[str, Any]] = []
    if curse:
        b.emit("powers_lost")
        b.say(N_("The village has killed the Elder: every villager loses their power."), log=True)
    partner = b.state.partner(seat)
    if partner is not None and b.state.alive[partner]:
        follow.append({"kind": "death", "seat": partner, "cause": "grief"})
    if shoots:
        follow.append({"kind": "hunter", "seat": seat})
    if was_captain:
        follow.append({"kind": "successor", "seat": seat})
    if cause == "scapegoat":
        follow.append({"kind": "scapegoat", "seat": seat})
    return follow


_CHAIN_ORDER = ("death", "hunter", "successor", "scapegoat")
"""After deaths: the lovers' grief, the Hunter's shot, the Captain's successor (the digest)."""


def run_chain(b: Builder) -> bool:
    """Resolve pending deaths: grief, the Hunter's shot, the successor, then victory.

    A death inside a chain runs its own chain first (depth first). The night's
    victims (a ``deaths`` task) all die and are announced together before any
    of their chains runs, so the Hunter never aims at someone already poisoned.
    Returns ``True`` when the flow stops: a player must act (a chain step
    started) or the game is over.
    """
    while b.state.pending:
        s = b.state
        task, rest = s.pending[0], s.pending[1:]
        if task["kind"] == "deaths":
            follows = [
                _kill(b, victim["seat"], victim["cause"])
                for victim in task["victims"]
                if b.state.alive[victim["seat"]]
            ]
            ordered = [t for kind in _CHAIN_ORDER for f in follows for t in f if t["kind"] == kind]
            b.emit("pending", tasks=ordered + rest)
            continue
        seat = task["seat"]
        if task["kind"] != "death":
            b.emit("pending", tasks=rest)
            others = [other for other in s.living() if other != seat]
            if others and (task["kind"] == "hunter" or victory(b.state) is None):
                enter(b, task["kind"], actor=seat)
                return True
            continue
        if not s.alive[seat]:
            b.emit("pending", tasks=rest)
            continue
        follow = _kill(b, seat, task["cause"])
        b.emit("pending", tasks=follow + rest)
    result = victory(b.state)
    if result is None:
        return False
    reason, winners = result
    b.emit("end", reason=reason, winners=winners)
    b.say(_OUTCOME_LINES[reason], log=True)
    return True


_OUTCOME_LINES = {
    "nobody": N_("Nobody is left alive in Thiercelieux."),
    "lovers_win": N_("The lovers are the last two alive: love wins!"),
    "village_wins": N_("Every Werewolf is dead: the village wins!"),
    "wolves_win": N_("The Werewolves have taken the village: the Werewolves win!"),
}


def victory(state: State) -> tuple[str, list[int]] | None:
    """The winning camp and its seats, or ``None`` while the game goes on.

    A mixed couple (a Werewolf and a villager) plays for itself: its two
    lovers win only as the last two alive, and never with their old camp.
    """
    living = state.living()
    if not living:
        return "nobody", []
    mixed = state.mixed_couple()
    if mixed and sorted(living) == sorted(state.lovers):
        return "lovers_win", sorted(state.lovers)
    outsiders = set(state.lovers) if mixed else set()
    if not any(state.is_wolf(seat) for seat in living):
        return "village_wins", [
            seat for seat in range(state.seats) if not state.is_wolf(seat) and seat not in outsiders
        ]
    # The couple's wolf no longer hunts for the pack: in every count it is its own camp.
    wolves = [seat for seat in living if state.is_wolf(seat) and seat not in outsiders]
    others = len(living) - len(wolves)
    if not wolves:
        return None
    if others == 0 or (state.options["wolves_win_at_parity"] and len(wolves) >= others):
        return "wolves_win", [seat for seat in state.wolves() if seat not in outsiders]
    return None
