"""What each viewer of L'Intrus may see, and the facts the conformance suite checks it against.

A player sees their own word and never their role; everyone sees the clues,
who has voted, the closed ballots and the roles of those put out; the replay
and, once the game is over, everyone sees every word and role.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from estaminet.games.intrus.options import PHASE_SECONDS
from estaminet.games.intrus.state import State, in_range, phase_deadline
from estaminet.games.kit.secrecy import Audience, Fact
from estaminet.kernel.activity import Outcome, Seat, Viewer, ViewerKind

__all__ = ["knowledge", "view"]


def view(
    state: State, viewer: Viewer, can: Sequence[str], outcome: Outcome | None
) -> dict[str, Any]:
    """One's own word only; roles of those put out; every word and role at the end."""
    seats = len(state.roles)
    over = state.phase == "over"
    everything = over or viewer.kind is ViewerKind.REPLAY
    mine = (
        viewer.seat if viewer.kind is ViewerKind.PLAYER and in_range(viewer.seat, seats) else None
    )
    roles_shown = (
        [{"seat": s, "role": role} for s, role in enumerate(state.roles)] if everything else []
    )
    return {
        "phase": state.phase,
        "round": state.round,
        "max_rounds": seats,
        "composition": {
            "intruders": state.options["intruders"],
            "blank": state.options["blank"],
        },
        "me": None if mine is None else {"seat": mine, "word": state.words[mine]},
        "alive": list(state.alive),
        "order": list(state.order) if state.phase == "clues" else [],
        "speaker": state.order[state.turn] if state.phase == "clues" else None,
        "deadline": None if over else phase_deadline(state).isoformat(),
        "clues": [dict(clue) for clue in state.clues],
        "ready": list(state.ready) if state.phase == "discussion" else [],
        "ballot": state.ballot if state.phase == "vote" else None,
        "candidates": list(state.candidates) if state.phase == "vote" else [],
        "voted": [v is not None for v in state.votes] if state.phase == "vote" else [],
        "open_votes": _open_votes(state, mine, viewer),
        "ballots": [
            {**b, "votes": [dict(v) for v in b["votes"]], "again": list(b["again"])}
            for b in state.ballots
        ],
        "eliminated": [dict(e) for e in state.eliminated],
        "guesser": state.guesser,
        "guesses": [dict(g) for g in state.guesses],
        "roles": roles_shown,
        "words": [{"seat": s, "word": w} for s, w in enumerate(state.words)] if everything else [],
        "pair": [
            {"side": "civilians", "word": state.civilian_word},
            {"side": "intruders", "word": state.intruder_word},
        ]
        if everything
        else [],
        "can": sorted(can),
        "outcome": None
        if outcome is None
        else {
            "reason": outcome.reason,
            "winners": sorted(outcome.winners),
            "side": state.winner,
            "places": [outcome.details["placings"][s] for s in range(seats)],
        },
    }


def _open_votes(state: State, mine: Seat | None, viewer: Viewer) -> list[dict[str, Any]]:
    """The ballot being cast: one's own vote; every vote for the replay."""
    if state.phase != "vote":
        return []
    return [
        {"voter": voter, "target": target, "round": state.round, "ballot": state.ballot}
        for voter, target in enumerate(state.votes)
        if target is not None and (voter == mine or viewer.kind is ViewerKind.REPLAY)
    ]


def knowledge(state: State) -> Sequence[Fact]:
    """Who may know each word, role and vote, and the one public countdown."""
    over = state.phase == "over"
    everyone, replay = Audience.everyone(), Audience.of(kinds=[ViewerKind.REPLAY])
    out = {e["seat"] for e in state.eliminated}
    facts = [
        Fact({"seat": s, "word": w}, everyone if over else Audience.of(s) | replay)
        for s, w in enumerate(state.words)
    ]
    facts += [
        Fact({"side": "civilians", "word": state.civilian_word}, everyone if over else replay),
        Fact({"side": "intruders", "word": state.intruder_word}, everyone if over else replay),
    ]
    facts += [
        Fact({"seat": s, "role": role}, everyone if over or s in out else replay)
        for s, role in enumerate(state.roles)
    ]
    for closed in state.ballots:
        facts += [Fact(dict(vote), everyone) for vote in closed["votes"]]
    if state.phase == "vote":
        facts += [
            Fact(
                {"voter": v, "target": t, "round": state.round, "ballot": state.ballot},
                Audience.of(v) | replay,
            )
            for v, t in enumerate(state.votes)
            if t is not None
        ]
    if over:
        facts.append(Fact({"deadline": None}, everyone))
    else:
        # Derived from the step's start and its option alone: the same for every role.
        seconds = state.options[PHASE_SECONDS[state.phase]]
        start = datetime.fromisoformat(state.started)
        due = start + timedelta(seconds=seconds)
        facts.append(Fact({"deadline": due.isoformat()}, everyone))
    return facts
