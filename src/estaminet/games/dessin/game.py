"""Un dessin, un mot: one draws a word, the others guess it in the table's chat.

Each turn has three steps. **Choosing**: the drawer is offered three words (by
default one easy, one medium, one hard) and picks one; when the time is up the
first is taken. **Drawing**: the drawer's strokes arrive as small batches (see
:mod:`~estaminet.games.dessin.ink`); the others type guesses in the table's
chat. A right guess is not shown to the others and scores (more the sooner it
comes); a close one tells the guesser alone « proche ! ». Hint letters are
revealed as time passes. The turn ends when every guesser has found or at its
deadline. **Reveal**: the word is shown to all for a few seconds, then the next
player draws. Every player draws once per round.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from estaminet.games.dessin.ink import (
    MAX_POINTS_PER_BATCH,
    MAX_POINTS_PER_TURN,
    check_batch,
    count_points,
    fold_batch,
    pen_after,
)
from estaminet.games.dessin.options import DEFAULT_OPTIONS, validate_options
from estaminet.games.dessin.rejections import reject
from estaminet.games.dessin.scoring import drawer_points, guess_points, placings
from estaminet.games.dessin.wordlist import LEVELS
from estaminet.games.dessin.words import classify, fold, loose, mentions
from estaminet.games.kit.secrecy import Audience, Fact
from estaminet.kernel.activity import SYSTEM, Event, Outcome, Rejection, Seat, Viewer, ViewerKind
from estaminet.kernel.i18n import N_

__all__ = ["GAME", "INK_BURST", "INK_RATE", "MAX_GUESS_LENGTH", "Dessin", "State"]

INK_BURST = 12.0
"""Batches a drawer may send at once (the browser sends one every ~100 ms)."""
INK_RATE = 12.0
"""Batches per second a drawer may keep sending; more is refused (a flood)."""
MAX_GUESS_LENGTH = 100
_REVEALABLE = str.isalpha


@dataclass
class State:
    """Everything the rules need; plain JSON types only, so ``dump`` is ``asdict``."""

    seed: int
    options: dict[str, Any]
    turn: int = 0  # 0-based; the drawer is ``turn % seats``
    phase: str = "choosing"  # choosing, drawing, reveal, over
    offers: list[str] = field(default_factory=list)
    word: str | None = None
    started: str | None = None  # when the drawing began
    ends: str | None = None  # when the drawing ends
    hint_times: list[str] = field(default_factory=list)
    revealed: list[int] = field(default_factory=list)
    found: list[dict[str, Any]] = field(default_factory=list)  # {"seat", "points"} in order
    near: list[dict[str, Any]] = field(default_factory=list)  # {"seat", "guess"}
    ink: list[list[Any]] = field(default_factory=list)
    ink_seq: int = 0
    ink_tokens: float = INK_BURST
    ink_at: str | None = None
    scores: list[int] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    deadline: str | None = None
    ticks: int = 0


def _in_range(value: Any, size: int) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < size


def _offer(options: Mapping[str, Any], used: Sequence[str], rng: random.Random) -> list[str]:
    """Three words not used yet in this game: one per level, or three of one level."""
    level = options["level"]
    levels = ["easy", "medium", "hard"] if level == "mixed" else [level] * 3
    chosen: list[str] = []
    for name in levels:
        pool = [w for w in LEVELS[name] if w not in used and w not in chosen]
        if not pool:  # a very long game: words may come back
            pool = [w for w in LEVELS[name] if w not in chosen]
        chosen.append(rng.choice(pool))
    return chosen


def _pattern(word: str, revealed: Sequence[int]) -> list[str | None]:
    """The word's shape for those who do not know it: letters hidden (``None``) unless given
    as hints; spaces, hyphens and apostrophes shown."""
    return [c if (not _REVEALABLE(c) or i in revealed) else None for i, c in enumerate(word)]


class Dessin:
    """The game object the registry holds (it satisfies ``Activity[State]``)."""

    key = "dessin"
    names: Mapping[str, str] = {
        "fr": "Un dessin, un mot",
        "en": "Un dessin, un mot (draw and guess)",
    }
    min_players = 2
    max_players = 12
    duration_minutes: tuple[int, int] = (8, 30)
    voice = "welcome"
    watch_question = N_("Who made the best drawing?")
    """The watchers' vote (tables/votes.py): their favourite drawer."""
    guarded_keys = frozenset({"word", "guess"})
    stream_keys = frozenset({"ink"})
    """View keys kept up to date by stream frames (:meth:`stream`), not by new views."""

    # --- options and setup -------------------------------------------------------------

    def default_options(self) -> dict[str, Any]:
        """One round, 15 s to choose, 80 s to draw, 6 s to see the word, two hint letters."""
        return dict(DEFAULT_OPTIONS)

    def validate_options(self, options: Mapping[str, Any], players: int) -> Rejection | None:
        """See :func:`~estaminet.games.dessin.options.validate_options`."""
        return validate_options(options, players, self.min_players, self.max_players)

    def setup(self, seats: int, options: Mapping[str, Any], seed: int, now: datetime) -> State:
        """Seat 0 chooses the first word among three drawn by the table's seed."""
        merged = {**DEFAULT_OPTIONS, **options}
        offers = _offer(merged, [], random.Random(f"{seed}:offer:0"))
        return State(
            seed=seed,
            options=merged,
            offers=offers,
            scores=[0] * seats,
            deadline=(now + timedelta(seconds=merged["choose_seconds"])).isoformat(),
        )

    # --- who is who --------------------------------------------------------------------

    @staticmethod
    def seats(state: State) -> int:
        return len(state.scores)

    def drawer(self, state: State) -> int:
        return state.turn % self.seats(state)

    def turns(self, state: State) -> int:
        return int(state.options["rounds"]) * self.seats(state)

    def _has_found(self, state: State, seat: int) -> bool:
        return any(f["seat"] == seat for f in state.found)

    # --- moves -------------------------------------------------------------------------

    def apply(
        self, state: State, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection:
        """Validate one action; the offered words and hint letters are drawn here."""
        if state.phase == "over":
            return reject("game_over")
        kind = action.get("type")
        if kind == "timeout" and actor == SYSTEM:
            return self._timeout(state, now)
        if kind not in ("choose", "ink", "guess"):
            return reject("unknown_action")
        if not _in_range(actor, self.seats(state)):
            return reject("not_a_player")
        if kind == "guess":
            return self._guess(state, actor, action.get("text"), now)
        if actor != self.drawer(state):
            return reject("not_drawer")
        if kind == "choose":
            if state.phase != "choosing":
                return reject("not_choosing")
            index = action.get("index")
            if not _in_range(index, len(state.offers)):
                return reject("bad_choice")
            return [self._chosen(state, index, now)]
        return self._ink(state, action, now)

    def _timeout(self, state: State, now: datetime) -> Sequence[Event] | Rejection:
        if state.deadline is None or now < datetime.fromisoformat(state.deadline):
            return reject("too_early")
        if state.phase == "choosing":
            return [self._chosen(state, 0, now)]
        if state.phase == "reveal":
            return [self._next_turn(state, now)]
        if state.ends is not None and now < datetime.fromisoformat(state.ends):
            # A hint letter is due: one of the hidden letters, by lot.
            word = state.word or ""
            hidden = [i for i, c in enumerate(word) if _REVEALABLE(c) and i not in state.revealed]
            rng = random.Random(f"{state.seed}:hint:{state.ticks}")
            return [{"type": "hint", "index": rng.choice(hidden) if hidden else None}]
        return [self._turn_over(state, now)]

    def _chosen(self, state: State, index: int, now: datetime) -> Event:
        seconds = int(state.options["draw_seconds"])
        hints = int(state.options["hints"])
        letters = sum(1 for c in state.offers[index] if _REVEALABLE(c))
        # Never more hints than half the letters: the word must still be guessed.
        hints = min(hints, letters // 2)
        times = [
            (now + timedelta(seconds=seconds * (k + 1) / (hints + 1))).isoformat()
            for k in range(hints)
        ]
        return {
            "type": "chosen",
            "index": index,
            "started": now.isoformat(),
            "ends": (now + timedelta(seconds=seconds)).isoformat(),
            "hint_times": times,
        }

    def _turn_over(self, state: State, now: datetime) -> Event:
        guessers = self.seats(state) - 1
        return {
            "type": "turn_over",
            "drawer_points": drawer_points(len(state.found), guessers),
            "deadline": (now + timedelta(seconds=state.options["reveal_seconds"])).isoformat(),
        }

    def _next_turn(self, state: State, now: datetime) -> Event:
        if state.turn + 1 >= self.turns(state):
            return {"type": "next_turn", "offers": None, "deadline": None}
        rng = random.Random(f"{state.seed}:offer:{state.ticks}")
        return {
            "type": "next_turn",
            "offers": _offer(state.options, state.used, rng),
            "deadline": (now + timedelta(seconds=state.options["choose_seconds"])).isoformat(),
        }

    def _ink(
        self, state: State, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection:
        if state.phase != "drawing":
            return reject("not_drawing")
        if action.get("turn") != state.turn:
            return reject("old_turn")
        seq = action.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq < 2**31:
            return reject("bad_ink")
        if seq <= state.ink_seq:
            return reject("bad_ink")
        ops = action.get("ops")
        problem = check_batch(ops, pen_after(state.ink), state.ink)
        if problem == "batch_too_big":
            return reject(problem, max=MAX_POINTS_PER_BATCH)
        if problem is not None:
            return reject(problem)
        assert isinstance(ops, list)
        if count_points(state.ink) + count_points(ops) > MAX_POINTS_PER_TURN:
            return reject("drawing_full")
        if self._tokens(state, now) < 1:
            return reject("drawing_too_fast")
        return [{"type": "ink", "turn": state.turn, "seq": seq, "ops": ops, "at": now.isoformat()}]

    @staticmethod
    def _tokens(state: State, at: datetime) -> float:
        if state.ink_at is None:
            return state.ink_tokens
        elapsed = max(0.0, (at - datetime.fromisoformat(state.ink_at)).total_seconds())
        return min(INK_BURST, state.ink_tokens + INK_RATE * elapsed)

    def _guess(
        self, state: State, actor: int, text: Any, now: datetime
    ) -> Sequence[Event] | Rejection:
        if state.phase != "drawing" or state.word is None:
            return reject("not_drawing")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_GUESS_LENGTH:
            return reject("bad_guess")
        verdict = classify(text, state.word)
        if verdict == "missed":
            return reject("not_close")
        if actor == self.drawer(state):
            return reject("drawer_says_word")
        if self._has_found(state, actor):
            return reject("already_found")
        if verdict == "close":
            return [{"type": "near", "seat": actor, "guess": loose(text)[:MAX_GUESS_LENGTH]}]
        left = (datetime.fromisoformat(state.ends or now.isoformat()) - now).total_seconds()
        total = float(state.options["draw_seconds"])
        points = guess_points(left, total, len(state.found))
        events: list[Event] = [{"type": "found", "seat": actor, "points": points}]
        if len(state.found) + 1 >= self.seats(state) - 1:
            after = self.evolve(state, events[0])
            events.append(self._turn_over(after, now))
        return events

    # --- what the table's chat stands for -----------------------------------------------

    def chat_move(
        self, state: State, viewer: Viewer, channel: str, body: str
    ) -> Mapping[str, Any] | None:
        """The move a chat message makes instead of being posted, or ``None`` (posted as usual).

        While a word is drawn, a player's message that finds it or comes close is a
        guess: it is never shown to the others (it would give the word away). From the
        drawer, or from someone who found already, such a message is refused.
        """
        if (
            state.phase != "drawing"
            or state.word is None
            or viewer.kind is not ViewerKind.PLAYER
            or viewer.seat is None
        ):
            return None
        if not mentions(body, state.word):
            return None
        return {"type": "guess", "text": body}

    # --- the fold ----------------------------------------------------------------------

    def evolve(self, state: State, event: Event) -> State:
        """Fold one event into a new state (no validation, no chance)."""
        kind = event["type"]
        if kind == "ink":
            # The common case, kept cheap: only the drawing is copied.
            new = self._copy(state, ink=True)
            fold_batch(new.ink, event["ops"])
            at = datetime.fromisoformat(event["at"])
            new.ink_tokens = self._tokens(state, at) - 1
            new.ink_at, new.ink_seq = event["at"], event["seq"]
            return new
        new = self._copy(state, ink=False)
        if kind == "chosen":
            new.word = new.offers[event["index"]]
            new.used.append(new.word)
            new.phase, new.started, new.ends = "drawing", event["started"], event["ends"]
            new.hint_times = list(event["hint_times"])
            new.deadline = (new.hint_times or [new.ends])[0]
        elif kind == "hint":
            if event["index"] is not None:
                new.revealed.append(event["index"])
            new.hint_times = new.hint_times[1:]
            new.deadline = new.hint_times[0] if new.hint_times else new.ends
        elif kind == "near":
            new.near.append({"seat": event["seat"], "guess": event["guess"]})
        elif kind == "found":
            new.found.append({"seat": event["seat"], "points": event["points"]})
            new.scores[event["seat"]] += event["points"]
        elif kind == "turn_over":
            drawer = self.drawer(new)
            new.scores[drawer] += event["drawer_points"]
            new.history.append(
                {
                    "turn": new.turn,
                    "drawer": drawer,
                    "word": new.word,
                    "found": [dict(f) for f in new.found],
                    "drawer_points": event["drawer_points"],
                }
            )
            new.phase, new.deadline, new.hint_times = "reveal", event["deadline"], []
        elif kind == "next_turn":
            new.ink, new.ink_seq, new.ink_tokens, new.ink_at = [], 0, INK_BURST, None
            new.found, new.near, new.revealed = [], [], []
            new.word = new.started = new.ends = None
            if event["offers"] is None:
                new.phase, new.deadline, new.offers = "over", None, []
            else:
                new.turn += 1
                new.phase, new.offers, new.deadline = "choosing", event["offers"], event["deadline"]
        new.ticks += 1
        return new

    def _copy(self, state: State, *, ink: bool) -> State:
        # Lists are copied one level down; the drawing's strokes are shared unless
        # ``ink`` (then only the last stroke, the one a batch may extend, is copied).
        drawing = list(state.ink)
        if ink and drawing:
            drawing[-1] = list(drawing[-1])
        copy = State(
            **{
                **{k: getattr(state, k) for k in state.__dataclass_fields__},
                "options": dict(state.options),
                "offers": list(state.offers),
                "hint_times": list(state.hint_times),
                "revealed": list(state.revealed),
                "found": [dict(f) for f in state.found],
                "near": [dict(n) for n in state.near],
                "ink": drawing,
                "scores": list(state.scores),
                "used": list(state.used),
                "history": list(state.history),
            }
        )
        if ink:
            copy.ticks += 1
        return copy

    # --- what may be done and seen ----------------------------------------------------

    def legal_actions(self, state: State, actor: Seat) -> Sequence[Mapping[str, Any]]:
        """Choices of word; sample strokes, undo and clear; the word and a close guess."""
        if state.phase == "over" or not _in_range(actor, self.seats(state)):
            return []
        drawer = actor == self.drawer(state)
        if state.phase == "choosing":
            return (
                [{"type": "choose", "index": i} for i in range(len(state.offers))] if drawer else []
            )
        if state.phase != "drawing" or state.word is None:
            return []
        if drawer:
            return self._sample_ink(state)
        if self._has_found(state, actor):
            return []
        word = state.word
        # Close: the accents left out, or else one letter too many.
        close = fold(word) if fold(word) != loose(word) else word + word[-1]
        return [{"type": "guess", "text": state.word}, {"type": "guess", "text": close}]

    def _sample_ink(self, state: State) -> list[Mapping[str, Any]]:
        if (
            self._tokens(state, datetime.fromisoformat(state.ink_at or "2000-01-01T00:00:00+00:00"))
            < 1
        ):
            return []
        seq, turn = state.ink_seq + 1, state.turn
        x = 100 + (state.ink_seq * 37) % 500
        batches: list[list[list[Any]]] = [
            [["b", seq % 8, seq % 4, x, 100, 5, 5, 5, -3, 10, 0]],
            [["e", 1, x, 300, 20, 20]],
            [["c"]],
        ]
        if pen_after(state.ink) is not None:
            batches.append([["m", 3, 3, -2, 4]])
        if state.ink:
            batches.append([["u"]])
        room = MAX_POINTS_PER_TURN - count_points(state.ink)
        return [
            {"type": "ink", "turn": turn, "seq": seq, "ops": ops}
            for ops in batches
            if count_points(ops) <= room
        ]

    def knows_word(self, state: State, viewer: Viewer) -> bool:
        """Only the drawer and the replay see the word while it is drawn. **Choice**: not even
        those who found it (a screen seen over a shoulder at a shared table gives it away)."""
        if state.phase in ("reveal", "over"):
            return True
        if viewer.kind is ViewerKind.REPLAY:
            return True
        return (
            viewer.kind is ViewerKind.PLAYER
            and viewer.seat is not None
            and viewer.seat == self.drawer(state)
        )

    def view(self, state: State, viewer: Viewer) -> dict[str, Any]:
        """This viewer's screen: the word only for the drawer and the replay until the turn ends."""
        everything = viewer.kind is ViewerKind.REPLAY
        mine = (
            viewer.seat
            if viewer.kind is ViewerKind.PLAYER and _in_range(viewer.seat, self.seats(state))
            else None
        )
        drawer = self.drawer(state) if state.phase != "over" else None
        offers = (
            [
                {"turn": state.turn, "word": w, "level": level}
                for w, level in zip(
                    state.offers,
                    ["easy", "medium", "hard"]
                    if state.options["level"] == "mixed"
                    else [state.options["level"]] * 3,
                    strict=False,
                )
            ]
            if state.phase == "choosing" and (mine == drawer or everything)
            else []
        )
        word = state.word if state.phase in ("drawing", "reveal") else None
        secret = (
            {"turn": state.turn, "word": word}
            if word is not None and self.knows_word(state, viewer)
            else None
        )
        outcome = self.outcome(state)
        return {
            "phase": state.phase,
            "turn": state.turn,
            "turns": self.turns(state),
            "round": state.turn // max(1, self.seats(state)) + 1,
            "rounds": state.options["rounds"],
            "drawer": drawer,
            "deadline": state.deadline if state.phase != "drawing" else state.ends,
            "offers": offers,
            "secret": secret,
            "pattern": _pattern(word, state.revealed) if word is not None else None,
            "found": [dict(f) for f in state.found],
            "near": [
                {"turn": state.turn, "seat": n["seat"], "guess": n["guess"]}
                for n in state.near
                if n["seat"] == mine or everything
            ],
            "i_found": mine is not None and self._has_found(state, mine),
            "ink": {"turn": state.turn, "seq": state.ink_seq, "ops": state.ink},
            "scores": list(state.scores),
            "history": [
                {
                    "turn": past["turn"],
                    "drawer": past["drawer"],
                    "word": past["word"],
                    "found": [dict(f) for f in past["found"]],
                    "drawer_points": past["drawer_points"],
                }
                for past in state.history
            ],
            "placings": [placings(state.scores)[s] for s in range(self.seats(state))],
            "actions": list(self.legal_actions(state, mine))
            if mine is not None and state.phase == "choosing"
            else [],
            "outcome": None
            if outcome is None
            else {"reason": outcome.reason, "winners": sorted(outcome.winners)},
        }

    def stream(self, events: Sequence[Event]) -> dict[str, Any] | None:
        """The drawing's new ops, for every screen at once, when ``events`` only draw.

        The same for every viewer (everyone sees the drawing), so the table sends it
        as a small stream frame instead of a new view; a screen folds it into the
        ``ink`` it holds (a screen that missed one gets the whole view again).
        """
        if not events or any(event["type"] != "ink" for event in events):
            return None
        ops: list[Any] = [op for event in events for op in event["ops"]]
        last = events[-1]
        return {"turn": last["turn"], "seq": last["seq"], "ops": ops}

    def knowledge(self, state: State) -> Sequence[Fact]:
        """The words: past ones for all; this turn's for the drawer and the replay
        (all once the turn is over); close guesses for their author and the replay."""
        facts = [
            Fact({"turn": past["turn"], "word": past["word"]}, Audience.everyone())
            for past in state.history
        ]
        drawer = self.drawer(state)
        if state.phase == "choosing":
            facts += [
                Fact(
                    {"turn": state.turn, "word": w}, Audience.of(drawer, kinds=[ViewerKind.REPLAY])
                )
                for w in state.offers
            ]
        if state.word is not None:
            audience = (
                Audience.everyone()
                if state.phase != "drawing"
                else Audience.of(drawer, kinds=[ViewerKind.REPLAY])
            )
            facts.append(Fact({"turn": state.turn, "word": state.word}, audience))
        facts += [
            Fact(
                {"turn": state.turn, "seat": n["seat"], "guess": n["guess"]},
                Audience.of(n["seat"], kinds=[ViewerKind.REPLAY]),
            )
            for n in state.near
        ]
        return facts

    def deadline(self, state: State) -> datetime | None:
        """The next hint, the end of choosing, drawing or showing the word."""
        return None if state.deadline is None else datetime.fromisoformat(state.deadline)

    def outcome(self, state: State) -> Outcome | None:
        """After the last turn: the best total wins (shared on a tie; nobody if all zero)."""
        if state.phase != "over":
            return None
        details = {"scores": list(state.scores), "placings": placings(state.scores)}
        best = max(state.scores)
        if best == 0:
            return Outcome("no_winner", details=details)
        winners = frozenset(seat for seat, score in enumerate(state.scores) if score == best)
        return Outcome("highest_score", winners, details)

    def dump(self, state: State) -> dict[str, Any]:
        """Plain JSON types."""
        return asdict(state)

    def load(self, data: Mapping[str, Any]) -> State:
        """The inverse of :meth:`dump` (deep copies, so the input is never shared)."""
        fields = {k: data[k] for k in State.__dataclass_fields__}
        return State(
            **{
                **fields,
                "options": dict(data["options"]),
                "offers": list(data["offers"]),
                "hint_times": list(data["hint_times"]),
                "revealed": list(data["revealed"]),
                "found": [dict(f) for f in data["found"]],
                "near": [dict(n) for n in data["near"]],
                "ink": [list(op) for op in data["ink"]],
                "ink_tokens": float(data["ink_tokens"]),
                "scores": list(data["scores"]),
                "used": list(data["used"]),
                "history": [
                    {**past, "found": [dict(f) for f in past["found"]]} for past in data["history"]
                ],
            }
        )


GAME = Dessin()
"""The one instance registered in :mod:`estaminet.games`."""
