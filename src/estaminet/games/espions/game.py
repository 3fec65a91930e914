"""Espions: two teams, a 5×5 grid of words, and a key only the two spymasters see.

A turn has two steps. **Clue**: the team's spymaster gives one word and a
number (how many of the team's cards the word is about). **Guess**: the
team's other players turn cards over, one at a time, up to the number plus
one; they may stop after the first. Their own card lets them go on; a neutral
card or the other team's ends the turn; the assassin loses the game at once.
The first team whose cards are all turned over wins. Each step has a time
limit: a spymaster who says nothing passes the turn, a team that does not
finish in time ends it.

Secrecy: the colour of a card still face down is in the spymasters' views
only (and in the replay, which is shown after the end). Every colour a view
shows travels as ``{"card": index, "colour": ...}`` so the conformance suite
checks each one against :meth:`Espions.knowledge`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from estaminet.games.espions.clues import MAX_CLUE_LENGTH, clue_problem, tidy
from estaminet.games.espions.grid import (
    ASSASSIN,
    TEAMS,
    deal,
    opponent,
    spymaster,
    team_of,
    team_seats,
)
from estaminet.games.espions.options import DEFAULT_OPTIONS, validate_options
from estaminet.games.espions.rejections import reject
from estaminet.games.kit.secrecy import Audience, Fact
from estaminet.kernel.activity import SYSTEM, Event, Outcome, Rejection, Seat, Viewer, ViewerKind
from estaminet.kernel.i18n import N_

__all__ = [
    "GAME",
    "SAMPLE_CLUE",
    "TURN_END_NAMES",
    "Espions",
    "State",
    "cards_left",
    "placings",
]

SAMPLE_CLUE = "indice"
"""The word ``legal_actions`` lists for a clue (the spymaster types their own)."""

TURN_END_NAMES: dict[str, str] = {
    "wrong": N_("wrong card"),
    "stopped": N_("the team stopped"),
    "limit": N_("as many cards as allowed"),
    "timeout": N_("time is up"),
    "assassin": N_("the assassin!"),
    "all_found": N_("all found"),
}
"""Why a turn ended, as the clues' history says it (French in the catalog)."""


@dataclass
class State:
    """Everything the rules need; plain JSON types only, so ``dump`` is ``asdict``."""

    seed: int
    options: dict[str, Any]
    seats: int
    starting: str
    words: list[str]
    key: list[str]
    turn: str
    phase: str = "clue"
    revealed: list[bool] = field(default_factory=list)
    pointers: list[list[int]] = field(default_factory=list)
    clue: dict[str, Any] | None = None
    guessed: int = 0
    turns: list[dict[str, Any]] = field(default_factory=list)
    winner: str | None = None
    reason: str | None = None
    deadline: str | None = None
    ticks: int = 0


def _in_range(value: Any, size: int) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < size


def cards_left(state: State, team: str) -> int:
    """How many of ``team``'s cards are still face down."""
    return sum(
        1
        for colour, shown in zip(state.key, state.revealed, strict=True)
        if colour == team and not shown
    )


def placings(seats: int, winner: str) -> dict[int, int]:
    """The winning team's seats first (1), the others second (2)."""
    return {seat: 1 if team_of(seat) == winner else 2 for seat in range(seats)}


class Espions:
    """The game object the registry holds (it satisfies ``Activity[State]``)."""

    key = "espions"
    names: Mapping[str, str] = {"fr": "Espions", "en": "Espions (spies)"}
    min_players = 4
    max_players = 12
    duration_minutes = (15, 30)
    voice = "welcome"
    guarded_keys = frozenset({"colour"})

    # --- options and setup -------------------------------------------------------------

    def default_options(self) -> dict[str, Any]:
        """Two minutes for a clue, two minutes to guess."""
        return dict(DEFAULT_OPTIONS)

    def validate_options(self, options: Mapping[str, Any], players: int) -> Rejection | None:
        """See :func:`~estaminet.games.espions.options.validate_options`."""
        return validate_options(options, players, self.min_players, self.max_players)

    def setup(self, seats: int, options: Mapping[str, Any], seed: int, now: datetime) -> State:
        """The grid and the key drawn by the table's seed; the starting team's spymaster thinks."""
        merged = {**DEFAULT_OPTIONS, **options}
        starting, words, key = deal(random.Random(f"{seed}:grid"))
        return State(
            seed=seed,
            options=merged,
            seats=seats,
            starting=starting,
            words=words,
            key=key,
            turn=starting,
            revealed=[False] * len(words),
            pointers=[[] for _ in words],
            deadline=(now + timedelta(seconds=merged["clue_seconds"])).isoformat(),
        )

    # --- moves -------------------------------------------------------------------------

    def apply(
        self, state: State, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection:
        """Validate one action; a turn's end carries the next deadline."""
        if state.phase == "over":
            return reject("game_over")
        kind = action.get("type")
        if kind == "timeout" and actor == SYSTEM:
            if state.deadline is None or now < datetime.fromisoformat(state.deadline):
                return reject("too_early")
            return [self._turn_ended(state, "timeout", now)]
        if kind not in ("clue", "guess", "point", "stop"):
            return reject("unknown_action")
        if not _in_range(actor, state.seats):
            return reject("not_a_player")
        if team_of(actor) != state.turn:
            return reject("not_your_team")
        if kind == "clue":
            return self._clue(state, actor, action, now)
        if actor == spymaster(state.turn):
            return reject("spymaster_guess")
        if state.phase != "guess":
            return reject("not_guess_time")
        if kind == "stop":
            if state.guessed == 0:
                return reject("guess_first")
            return [self._turn_ended(state, "stopped", now)]
        card = action.get("card")
        if not _in_range(card, len(state.words)):
            return reject("bad_card")
        if state.revealed[card]:
            return reject("already_revealed")
        if kind == "point":
            return [{"type": "pointed", "seat": actor, "card": card}]
        return self._guess(state, actor, card, now)

    def _clue(
        self, state: State, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection:
        if actor != spymaster(state.turn):
            return reject("not_spymaster")
        if state.phase != "clue":
            return reject("not_clue_time")
        word, count = action.get("word"), action.get("count")
        if not isinstance(word, str):
            return reject("empty_clue")
        hidden = [w for w, shown in zip(state.words, state.revealed, strict=True) if not shown]
        problem = clue_problem(word, hidden)
        if problem is not None:
            return reject(problem, word=tidy(word)[: MAX_CLUE_LENGTH + 10], max=MAX_CLUE_LENGTH)
        most = cards_left(state, state.turn)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= most:
            return reject("bad_count", max=most)
        deadline = now + timedelta(seconds=state.options["guess_seconds"])
        return [
            {
                "type": "clued",
                "team": state.turn,
                "word": tidy(word),
                "count": count,
                "deadline": deadline.isoformat(),
            }
        ]

    def _guess(self, state: State, actor: Seat, card: int, now: datetime) -> Sequence[Event]:
        events: list[Event] = [{"type": "guessed", "seat": actor, "card": card}]
        after = self.evolve(state, events[0])
        colour, team = state.key[card], state.turn
        if colour == ASSASSIN:
            events.append({"type": "won", "team": opponent(team), "reason": "assassin"})
        elif cards_left(after, colour) == 0:
            events.append({"type": "won", "team": colour, "reason": "all_found"})
        elif colour != team:
            events.append(self._turn_ended(after, "wrong", now))
        elif state.clue is not None and after.guessed > state.clue["count"]:
            events.append(self._turn_ended(after, "limit", now))
        return events

    def _turn_ended(self, state: State, reason: str, now: datetime) -> Event:
        deadline = now + timedelta(seconds=state.options["clue_seconds"])
        return {
            "type": "turn_ended",
            "reason": reason,
            "next": opponent(state.turn),
            "deadline": deadline.isoformat(),
        }

    # --- the fold ----------------------------------------------------------------------

    def evolve(self, state: State, event: Event) -> State:
        """Fold one event into a new state (no validation, no chance)."""
        new = self.load(self.dump(state))
        new.ticks += 1
        kind = event["type"]
        if kind == "clued":
            new.phase, new.guessed, new.deadline = "guess", 0, event["deadline"]
            new.clue = {"word": event["word"], "count": event["count"]}
            new.turns.append(
                {
                    "team": event["team"],
                    "word": event["word"],
                    "count": event["count"],
                    "cards": [],
                    "end": None,
                }
            )
        elif kind == "pointed":
            pointing = new.pointers[event["card"]]
            if event["seat"] in pointing:
                pointing.remove(event["seat"])
            else:
                pointing.append(event["seat"])
        elif kind == "guessed":
            new.revealed[event["card"]] = True
            new.pointers[event["card"]] = []
            new.guessed += 1
            if new.turns:
                new.turns[-1]["cards"].append(event["card"])
        elif kind == "turn_ended":
            if new.phase == "clue":  # the spymaster gave no clue in time
                new.turns.append(
                    {"team": new.turn, "word": None, "count": 0, "cards": [], "end": None}
                )
            new.turns[-1]["end"] = event["reason"]
            new.turn, new.phase, new.deadline = event["next"], "clue", event["deadline"]
            new.clue, new.guessed = None, 0
            new.pointers = [[] for _ in new.words]
        elif kind == "won":
            if new.turns:
                new.turns[-1]["end"] = event["reason"]
            new.phase, new.winner, new.reason = "over", event["team"], event["reason"]
            new.clue, new.deadline = None, None
            new.pointers = [[] for _ in new.words]
        return new

    # --- what may be done and seen ----------------------------------------------------

    def legal_actions(self, state: State, actor: Seat) -> Sequence[Mapping[str, Any]]:
        """The spymaster's clue (one per number), or the guessers' cards, pointing and stop."""
        if state.phase == "over" or not _in_range(actor, state.seats):
            return []
        if team_of(actor) != state.turn:
            return []
        if actor == spymaster(state.turn):
            if state.phase != "clue":
                return []
            return [
                {"type": "clue", "word": SAMPLE_CLUE, "count": count}
                for count in range(1, cards_left(state, state.turn) + 1)
            ]
        if state.phase != "guess":
            return []
        hidden = [card for card, shown in enumerate(state.revealed) if not shown]
        actions: list[Mapping[str, Any]] = [{"type": "guess", "card": card} for card in hidden]
        actions += [{"type": "point", "card": card} for card in hidden]
        if state.guessed > 0:
            actions.append({"type": "stop"})
        return actions

    def view(self, state: State, viewer: Viewer) -> dict[str, Any]:
        """The grid for ``viewer``: a face-down card's colour only for the spymasters."""
        mine = (
            viewer.seat
            if viewer.kind is ViewerKind.PLAYER and _in_range(viewer.seat, state.seats)
            else None
        )
        knows_key = (
            state.phase == "over"
            or viewer.kind is ViewerKind.REPLAY
            or (mine is not None and mine in (spymaster(team) for team in TEAMS))
        )
        cards = []
        for card, (word, shown) in enumerate(zip(state.words, state.revealed, strict=True)):
            shown_card: dict[str, Any] = {
                "card": card,
                "word": word,
                "revealed": shown,
                "pointers": list(state.pointers[card]),
            }
            if shown or knows_key:
                shown_card["colour"] = state.key[card]
            cards.append(shown_card)
        outcome = self.outcome(state)
        return {
            "phase": state.phase,
            "turn": state.turn,
            "starting": state.starting,
            "teams": [team_of(seat) for seat in range(state.seats)],
            "spymasters": {team: spymaster(team) for team in TEAMS},
            "me": None
            if mine is None
            else {
                "seat": mine,
                "team": team_of(mine),
                "spymaster": mine == spymaster(team_of(mine)),
            },
            "key_shown": knows_key,
            "cards": cards,
            "left": {team: cards_left(state, team) for team in TEAMS},
            "clue": None if state.clue is None else dict(state.clue),
            "guessed": state.guessed,
            "turns": [self._past(state, turn) for turn in state.turns],
            "deadline": state.deadline,
            "actions": list(self.legal_actions(state, mine)) if mine is not None else [],
            "outcome": None
            if outcome is None
            else {
                "reason": outcome.reason,
                "winner": state.winner,
                "winners": sorted(outcome.winners),
            },
        }

    @staticmethod
    def _past(state: State, turn: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "team": turn["team"],
            "word": turn["word"],
            "count": turn["count"],
            "end": turn["end"],
            "cards": [
                {"card": card, "word": state.words[card], "colour": state.key[card]}
                for card in turn["cards"]
            ],
        }

    def knowledge(self, state: State) -> Sequence[Fact]:
        """A card's colour: everyone once it is turned over or the game is over; before,
        only the two spymasters (and the replay)."""
        secret = Audience.of(*(spymaster(team) for team in TEAMS), kinds=[ViewerKind.REPLAY])
        return [
            Fact(
                {"card": card, "colour": colour},
                Audience.everyone() if shown or state.phase == "over" else secret,
            )
            for card, (colour, shown) in enumerate(zip(state.key, state.revealed, strict=True))
        ]

    def deadline(self, state: State) -> datetime | None:
        """When the clue or the guessing time runs out (nobody can hold the table)."""
        return None if state.deadline is None else datetime.fromisoformat(state.deadline)

    def outcome(self, state: State) -> Outcome | None:
        """The winning team's seats win; ``placings`` puts them first, everyone else second."""
        if state.phase != "over" or state.winner is None or state.reason is None:
            return None
        details = {
            "winner": state.winner,
            "placings": placings(state.seats, state.winner),
            "left": {team: cards_left(state, team) for team in TEAMS},
        }
        return Outcome(state.reason, frozenset(team_seats(state.winner, state.seats)), details)

    def dump(self, state: State) -> dict[str, Any]:
        """Plain JSON types."""
        return asdict(state)

    def load(self, data: Mapping[str, Any]) -> State:
        """The inverse of :meth:`dump` (deep copies, so the input is never shared)."""
        return State(
            seed=data["seed"],
            options=dict(data["options"]),
            seats=data["seats"],
            starting=data["starting"],
            words=list(data["words"]),
            key=list(data["key"]),
            turn=data["turn"],
            phase=data["phase"],
            revealed=list(data["revealed"]),
            pointers=[list(p) for p in data["pointers"]],
            clue=None if data["clue"] is None else dict(data["clue"]),
            guessed=data["guessed"],
            turns=[{**t, "cards": list(t["cards"])} for t in data["turns"]],
            winner=data["winner"],
            reason=data["reason"],
            deadline=data["deadline"],
            ticks=data["ticks"],
        )


GAME = Espions()
"""The one instance registered in :mod:`estaminet.games`."""
