"""L'Intrus: the civils share a word, the intrus have a close one, Mr White has none.

A round has three steps. **Clues**: each living player in turn gives one word
about their word (a turn has its own timer; a missed turn is a pass).
**Discussion**: the table talks (on voice or in the chat) until everyone is
ready or the time is up. **Vote**: each living player votes to put someone
out; the most voted is out and their role is shown. A tie goes to a second
ballot between the tied players; a second tie, or nobody voting, puts nobody
out (see :mod:`~estaminet.games.intrus.voting`). When Mr White is put out,
he may guess the civils' word: right, he wins alone.

The civils win when every intrus and Mr White is out; the intrus (and Mr
White) win as soon as they are at least as many as the living civils, or if
the game reaches its last round (as many rounds as players) still in play.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from estaminet.games.intrus.options import DEFAULT_OPTIONS, validate_options
from estaminet.games.intrus.pairs import PAIRS
from estaminet.games.intrus.rejections import reject
from estaminet.games.intrus.state import (
    BLANK,
    CIVILIAN,
    INTRUDER,
    State,
    in_range,
    load_state,
    phase_deadline,
    side_of,
)
from estaminet.games.intrus.views import knowledge, view
from estaminet.games.intrus.voting import decide
from estaminet.games.intrus.words import MAX_CLUE_LENGTH, clue_problem, comparison_key, tidy
from estaminet.games.kit.secrecy import Fact
from estaminet.kernel.activity import SYSTEM, Event, Outcome, Rejection, Seat, Viewer, ViewerKind
from estaminet.kernel.i18n import N_

__all__ = ["BLANK", "CIVILIAN", "GAME", "INTRUDER", "Intrus", "State", "side_of"]

SAMPLE_CLUES = ("indice", "truc", "bidule")
"""Clues offered to random playouts (the screen has a text field)."""


def _speaking_order(alive: Sequence[bool], starter: int) -> list[int]:
    seats = len(alive)
    return [(starter + k) % seats for k in range(seats) if alive[(starter + k) % seats]]


def _next_living(alive: Sequence[bool], after: int) -> int:
    seats = len(alive)
    return next((after + k) % seats for k in range(1, seats + 1) if alive[(after + k) % seats])


def _winning_side(state: State) -> str | None:
    living = [role for role, up in zip(state.roles, state.alive, strict=True) if up]
    civilians = living.count(CIVILIAN)
    others = len(living) - civilians
    if others == 0:
        return "civilians"
    if others >= civilians:
        return "intruders"
    return None


class Intrus:
    """The game object the registry holds (it satisfies ``Activity[State]``)."""

    key = "intrus"
    names: Mapping[str, str] = {"fr": "L'Intrus", "en": "L'Intrus (undercover)"}
    min_players = 4
    max_players = 12
    duration_minutes: tuple[int, int] = (10, 25)
    voice = "welcome"
    watch_question = N_("Who is the intruder?")
    """The watchers' guess (tables/votes.py); the right seats come in the outcome's ``who_is``."""
    watch_kind = "who_is"
    guarded_keys = frozenset({"word", "role", "target"})
    timing_keys = frozenset({"deadline"})

    # --- options and setup -------------------------------------------------------------

    def default_options(self) -> dict[str, Any]:
        """One intrus, no Mr White, 40 s a clue, 90 s to discuss, 45 s to vote or guess."""
        return dict(DEFAULT_OPTIONS)

    def validate_options(self, options: Mapping[str, Any], players: int) -> Rejection | None:
        """See :func:`~estaminet.games.intrus.options.validate_options`."""
        return validate_options(options, players, self.min_players, self.max_players)

    def setup(self, seats: int, options: Mapping[str, Any], seed: int, now: datetime) -> State:
        """Deal the words by the table's seed: a pair, the intrus, maybe Mr White, who starts."""
        merged = {**DEFAULT_OPTIONS, **options}
        rng = random.Random(f"{seed}:deal")
        civilian_word, intruder_word = rng.choice(PAIRS)
        if rng.random() < 0.5:
            civilian_word, intruder_word = intruder_word, civilian_word
        blank = merged["blank"] == "yes" or (merged["blank"] == "maybe" and rng.random() < 0.5)
        others = rng.sample(range(seats), merged["intruders"] + (1 if blank else 0))
        roles = [CIVILIAN] * seats
        for seat in others[: merged["intruders"]]:
            roles[seat] = INTRUDER
        if blank:
            roles[others[-1]] = BLANK
        word_of = {CIVILIAN: civilian_word, INTRUDER: intruder_word, BLANK: None}
        alive = [True] * seats
        starter = rng.randrange(seats)
        return State(
            seed=seed,
            options=merged,
            roles=roles,
            words=[word_of[role] for role in roles],
            civilian_word=civilian_word,
            intruder_word=intruder_word,
            alive=alive,
            starter=starter,
            order=_speaking_order(alive, starter),
            started=now.isoformat(),
            ready=[False] * seats,
            votes=[None] * seats,
        )

    # --- moves -------------------------------------------------------------------------

    def apply(
        self, state: State, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection:
        """Validate one action; a closing ballot is counted here and written in the event."""
        if state.phase == "over":
            return reject("game_over")
        kind = action.get("type")
        if kind == "timeout" and actor == SYSTEM:
            if now < phase_deadline(state):
                return reject("too_early")
            return self._timeout(state, now)
        if kind not in ("clue", "ready", "vote", "guess"):
            return reject("unknown_action")
        if not in_range(actor, len(state.roles)):
            return reject("not_a_player")
        if kind == "guess":
            return self._guess(state, actor, action.get("word"), now)
        if not state.alive[actor]:
            return reject("eliminated")
        if kind == "clue":
            return self._clue(state, actor, action.get("word"), now)
        if kind == "ready":
            if state.phase != "discussion":
                return reject("not_discussion")
            if state.ready[actor]:
                return reject("already_ready")
            events: list[Event] = [{"type": "ready", "seat": actor}]
            ready = [r or seat == actor for seat, r in enumerate(state.ready)]
            if all(r for r, up in zip(ready, state.alive, strict=True) if up):
                events.append({"type": "vote_opened", "at": now.isoformat()})
            return events
        return self._vote(state, actor, action.get("seat"), now)

    def _clue(
        self, state: State, actor: Seat, word: Any, now: datetime
    ) -> Sequence[Event] | Rejection:
        if state.phase != "clues" or state.order[state.turn] != actor:
            return reject("not_your_turn")
        if not isinstance(word, str):
            return reject("bad_clue")
        problem = clue_problem(word, state.words[actor])
        if problem == "clue_too_long":
            return reject(problem, max=MAX_CLUE_LENGTH)
        if problem is not None:
            return reject(problem)
        return [{"type": "clued", "seat": actor, "clue": tidy(word), "at": now.isoformat()}]

    def _vote(
        self, state: State, actor: Seat, target: Any, now: datetime
    ) -> Sequence[Event] | Rejection:
        if state.phase != "vote":
            return reject("not_vote")
        if state.votes[actor] is not None:
            return reject("already_voted")
        if not in_range(target, len(state.roles)) or target not in state.candidates:
            return reject("bad_target")
        if target == actor:
            return reject("own_vote")
        events: list[Event] = [{"type": "voted", "seat": actor, "target": target}]
        votes = [target if seat == actor else v for seat, v in enumerate(state.votes)]
        if all(v is not None for v, up in zip(votes, state.alive, strict=True) if up):
            events.append(self._tallied(state, votes, now))
        return events

    def _guess(
        self, state: State, actor: Seat, word: Any, now: datetime
    ) -> Sequence[Event] | Rejection:
        if state.phase != "guess" or state.guesser != actor:
            return reject("not_guess")
        if not isinstance(word, str) or not tidy(word) or len(tidy(word)) > MAX_CLUE_LENGTH:
            return reject("bad_guess")
        right = comparison_key(word) == comparison_key(state.civilian_word)
        return [
            {
                "type": "guessed",
                "seat": actor,
                "guess": tidy(word),
                "right": right,
                "at": now.isoformat(),
            }
        ]

    def _tallied(self, state: State, votes: Sequence[int | None], now: datetime) -> Event:
        out, again = decide(votes, state.candidates, state.ballot)
        return {
            "type": "tallied",
            "votes": list(votes),
            "out": out,
            "again": again,
            "at": now.isoformat(),
        }

    def _timeout(self, state: State, now: datetime) -> Sequence[Event]:
        at = now.isoformat()
        if state.phase == "clues":
            return [{"type": "clued", "seat": state.order[state.turn], "clue": None, "at": at}]
        if state.phase == "discussion":
            return [{"type": "vote_opened", "at": at}]
        if state.phase == "vote":
            return [self._tallied(state, state.votes, now)]
        return [{"type": "guessed", "seat": state.guesser, "guess": None, "right": False, "at": at}]

    # --- the fold ----------------------------------------------------------------------

    def evolve(self, state: State, event: Event) -> State:
        """Fold one event into a new state (no validation, no chance)."""
        new = self.load(self.dump(state))
        new.ticks += 1
        kind = event["type"]
        if kind == "clued":
            new.clues.append({"round": new.round, "seat": event["seat"], "clue": event["clue"]})
            new.turn += 1
            new.started = event["at"]
            if new.turn >= len(new.order):
                new.phase = "discussion"
        elif kind == "ready":
            new.ready[event["seat"]] = True
        elif kind == "vote_opened":
            self._open_ballot(new, 1, [s for s, up in enumerate(new.alive) if up], event["at"])
        elif kind == "voted":
            new.votes[event["seat"]] = event["target"]
        elif kind == "tallied":
            self._fold_tally(new, event)
        elif kind == "guessed":
            new.guesses.append(
                {
                    "round": new.round,
                    "seat": event["seat"],
                    "guess": event["guess"],
                    "right": event["right"],
                }
            )
            new.guesser = None
            if event["right"]:
                new.phase, new.winner, new.reason = "over", BLANK, "blank_guessed"
            else:
                self._settle(new, event["at"])
        return new

    @staticmethod
    def _open_ballot(new: State, ballot: int, candidates: list[int], at: str) -> None:
        new.phase, new.ballot, new.candidates, new.started = "vote", ballot, candidates, at
        new.votes = [None] * len(new.roles)

    def _fold_tally(self, new: State, event: Event) -> None:
        new.ballots.append(
            {
                "round": new.round,
                "ballot": new.ballot,
                "votes": [
                    {"voter": voter, "target": target, "round": new.round, "ballot": new.ballot}
                    for voter, target in enumerate(event["votes"])
                    if target is not None
                ],
                "out": event["out"],
                "again": list(event["again"]),
            }
        )
        if event["again"]:
            self._open_ballot(new, 2, list(event["again"]), event["at"])
            return
        out = event["out"]
        if out is None:
            self._settle(new, event["at"])
            return
        new.alive[out] = False
        new.eliminated.append({"seat": out, "role": new.roles[out], "round": new.round})
        if new.roles[out] == BLANK:
            new.phase, new.guesser, new.started = "guess", out, event["at"]
        else:
            self._settle(new, event["at"])

    @staticmethod
    def _settle(new: State, at: str) -> None:
        """After a ballot (and Mr White's guess): the end, or the next round."""
        side = _winning_side(new)
        if side is not None:
            new.phase, new.winner = "over", side
            new.reason = "all_found" if side == "civilians" else "outnumbered"
            return
        if new.round >= len(new.roles):
            new.phase, new.winner, new.reason = "over", "intruders", "rounds_over"
            return
        new.round += 1
        new.starter = _next_living(new.alive, new.starter)
        new.order = _speaking_order(new.alive, new.starter)
        new.phase, new.turn, new.started = "clues", 0, at
        new.ready = [False] * len(new.roles)
        new.votes, new.candidates, new.ballot = [None] * len(new.roles), [], 1

    # --- what may be done and seen ----------------------------------------------------

    def legal_actions(self, state: State, actor: Seat) -> Sequence[Mapping[str, Any]]:
        """A few sample clues for the speaker, ready, one vote per candidate, guesses.

        The guesses include the right word so random playouts reach every ending:
        this list is for the conformance suite and never reaches a screen.
        """
        if state.phase == "over" or not in_range(actor, len(state.roles)):
            return []
        if state.phase == "guess":
            if actor != state.guesser:
                return []
            return [
                {"type": "guess", "word": state.civilian_word},
                {"type": "guess", "word": "inconnu"},
            ]
        if not state.alive[actor]:
            return []
        if state.phase == "clues":
            if state.order[state.turn] != actor:
                return []
            own = state.words[actor]
            return [
                {"type": "clue", "word": clue}
                for clue in SAMPLE_CLUES
                if clue_problem(clue, own) is None
            ]
        if state.phase == "discussion":
            return [] if state.ready[actor] else [{"type": "ready"}]
        if state.votes[actor] is not None:
            return []
        return [{"type": "vote", "seat": seat} for seat in state.candidates if seat != actor]

    def view(self, state: State, viewer: Viewer) -> dict[str, Any]:
        """See :func:`~estaminet.games.intrus.views.view`."""
        mine = viewer.seat if viewer.kind is ViewerKind.PLAYER else None
        can = (
            {action["type"] for action in self.legal_actions(state, mine)}
            if mine is not None
            else set()
        )
        return view(state, viewer, sorted(can), self.outcome(state))

    def knowledge(self, state: State) -> Sequence[Fact]:
        """See :func:`~estaminet.games.intrus.views.knowledge`."""
        return knowledge(state)

    def deadline(self, state: State) -> datetime | None:
        """When the current turn, discussion, vote or guess closes by itself."""
        return None if state.phase == "over" else phase_deadline(state)

    def outcome(self, state: State) -> Outcome | None:
        """The winning side's seats share place 1 (put out or not), the others place 2.

        When Mr White guesses the word he alone is first.
        """
        if state.phase != "over" or state.winner is None:
            return None
        if state.winner == BLANK:
            winners = frozenset(s for s, role in enumerate(state.roles) if role == BLANK)
        else:
            winners = frozenset(
                s for s, role in enumerate(state.roles) if side_of(role) == state.winner
            )
        placings = {s: 1 if s in winners else 2 for s in range(len(state.roles))}
        return Outcome(
            state.reason or state.winner,
            winners,
            {
                "side": state.winner,
                "placings": placings,
                "roles": list(state.roles),
                # The watchers' guess: every seat that was not a civilian.
                "who_is": [seat for seat, role in enumerate(state.roles) if role != CIVILIAN],
            },
        )

    def dump(self, state: State) -> dict[str, Any]:
        """Plain JSON types."""
        return asdict(state)

    def load(self, data: Mapping[str, Any]) -> State:
        """The inverse of :meth:`dump` (deep copies, so the input is never shared)."""
        return load_state(data)


GAME = Intrus()
"""The one instance registered in :mod:`estaminet.games`."""
