"""Le Quiz: questions from a set, answers on the phone, points for the right and the quick.

Each question is open for its own time (``seconds``) or until every player has
answered; then it closes: the right answer and everyone's answers are shown with
the points and the scores (the scoreboard), for ``pause_seconds`` (the quiz
master may go on sooner), and the next question opens. After the last question
the game is over and the best total wins.

Timing is the server's: the live engine gives ``apply`` its ``now`` when the
answer arrives, and the time taken is counted from the instant the question
opened (kept in the state). Answers are logged in arrival order, and a time is
never earlier than the one logged before it, so the log order is the order of
arrival. Points: see :func:`~estaminet.games.quiz.scoring.points`.

Watchers play along: a spectator's answer is an action like a player's, from the
actor :data:`WATCHER_SEAT`, with the watcher's id set by the server (never by the
client). It goes through the same event log, is scored by the same rule on the
watchers' own board, and never changes the players' game (it neither closes a
question nor counts in the players' scores). See docs/games/quiz.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from estaminet.games.kit.secrecy import Audience, Fact
from estaminet.games.petit_bac.words import tidy
from estaminet.games.quiz.options import DEFAULT_OPTIONS, validate_options
from estaminet.games.quiz.questions import MAX_ANSWER_LENGTH, is_right
from estaminet.games.quiz.rejections import reject
from estaminet.games.quiz.scoring import placings, points, ranking
from estaminet.kernel.activity import SYSTEM, Event, Outcome, Rejection, Seat, Viewer, ViewerKind

__all__ = ["GAME", "MAX_WATCHER_ID", "NARRATOR_SEAT", "WATCHER_SEAT", "Quiz", "State"]

NARRATOR_SEAT: Seat = -2
"""The actor of the quiz master (a host who animates without playing)."""

WATCHER_SEAT: Seat = -3
"""The actor of a watcher's answer; the action carries the watcher's id in ``"watcher"``."""

MAX_WATCHER_ID = 64

_SAMPLE_WATCHERS = ("w0", "w1", "w2")  # for random playouts: the server names real ones


@dataclass
class State:
    """Everything the rules need; plain JSON types only, so ``dump`` is ``asdict``."""

    seed: int
    options: dict[str, Any]
    title: str
    questions: list[dict[str, Any]]
    index: int = 0
    phase: str = "question"  # question, scoreboard, over
    opened_at: str = ""
    deadline: str | None = None
    answers: list[dict[str, Any] | None] = field(default_factory=list)
    watch: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: list[int] = field(default_factory=list)
    watch_scores: dict[str, int] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    ticks: int = 0


def _ms(now: datetime, since: str) -> int:
    return max(0, int((now - datetime.fromisoformat(since)).total_seconds() * 1000))


class Quiz:
    """The game object the registry holds (it satisfies ``Activity[State]``)."""

    key = "quiz"
    names: Mapping[str, str] = {"fr": "Le Quiz", "en": "Le Quiz (quiz and blind test)"}
    min_players = 1
    max_players = 30
    duration_minutes: tuple[int, int] = (10, 30)
    voice = "welcome"
    guarded_keys = frozenset({"answer", "correct", "accepted"})

    # --- options and setup -------------------------------------------------------------

    def default_options(self) -> dict[str, Any]:
        """The team's sample set, eight seconds of scoreboard, no quiz master."""
        return {key: value for key, value in DEFAULT_OPTIONS.items()}

    def validate_options(self, options: Mapping[str, Any], players: int) -> Rejection | None:
        """See :func:`~estaminet.games.quiz.options.validate_options`."""
        return validate_options(options, players, self.min_players, self.max_players)

    def setup(self, seats: int, options: Mapping[str, Any], seed: int, now: datetime) -> State:
        """The first question open; the set is the copy held in the table's options."""
        merged = {**DEFAULT_OPTIONS, **options}
        quiz = merged["quiz"]
        questions = [dict(q) for q in quiz["questions"]]
        return State(
            seed=seed,
            options={k: v for k, v in merged.items() if k != "quiz"},
            title=quiz["title"],
            questions=questions,
            opened_at=now.isoformat(),
            deadline=(now + timedelta(seconds=questions[0]["seconds"])).isoformat(),
            answers=[None] * seats,
            scores=[0] * seats,
        )

    # --- moves -------------------------------------------------------------------------

    def apply(
        self, state: State, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection:
        """Validate one action; closing computes every point and writes it in the event."""
        if state.phase == "over":
            return reject("game_over")
        kind = action.get("type")
        if kind == "timeout" and actor == SYSTEM:
            if state.deadline is None or now < datetime.fromisoformat(state.deadline):
                return reject("too_early")
            return [
                self._closed(state, now) if state.phase == "question" else self._next(state, now)
            ]
        if kind == "next" and actor == NARRATOR_SEAT and self._mastered(state):
            if state.phase != "scoreboard":
                return reject("too_early")
            return [self._next(state, now)]
        if kind != "answer":
            return reject("unknown_action")
        watcher = action.get("watcher") if actor == WATCHER_SEAT else None
        if actor == WATCHER_SEAT:
            if not isinstance(watcher, str) or not 0 < len(watcher) <= MAX_WATCHER_ID:
                return reject("not_a_player")
        elif not (isinstance(actor, int) and 0 <= actor < len(state.answers)):
            return reject("not_a_player")
        if state.phase != "question":
            return reject("question_closed")
        if (watcher is not None and watcher in state.watch) or (
            watcher is None and state.answers[actor] is not None
        ):
            return reject("already_answered")
        answer = self._read_answer(state, action)
        if isinstance(answer, Rejection):
            return answer
        elapsed = _ms(now, state.opened_at)
        if watcher is not None:
            return [
                {"type": "watched", "watcher": watcher, "answer": answer, "elapsed_ms": elapsed}
            ]
        # Arrival order is log order: a time is never earlier than the one logged before.
        before = [a["elapsed_ms"] for a in state.answers if a is not None]
        elapsed = max([elapsed, *before])
        event = {"type": "answered", "seat": actor, "answer": answer, "elapsed_ms": elapsed}
        after = self.evolve(state, event)
        if all(a is not None for a in after.answers):
            return [event, self._closed(after, now)]
        return [event]

    def _mastered(self, state: State) -> bool:
        return bool(state.options.get("narrator"))

    def _read_answer(self, state: State, action: Mapping[str, Any]) -> int | str | Rejection:
        question = state.questions[state.index]
        if question["kind"] == "choice":
            choice = action.get("choice")
            if (
                not isinstance(choice, int)
                or isinstance(choice, bool)
                or not 0 <= choice < len(question["choices"])
            ):
                return reject("bad_choice")
            return choice
        text = action.get("text")
        if not isinstance(text, str) or not tidy(text) or len(tidy(text)) > MAX_ANSWER_LENGTH:
            return reject("bad_answer", max=MAX_ANSWER_LENGTH)
        return tidy(text)

    def _closed(self, state: State, now: datetime) -> Event:
        question = state.questions[state.index]
        gained = [points(question, a) for a in state.answers]
        watched = {w: points(question, a) for w, a in sorted(state.watch.items())}
        last = state.index + 1 >= len(state.questions)
        deadline = None if last else now + timedelta(seconds=state.options["pause_seconds"])
        return {
            "type": "closed",
            "points": gained,
            "watch_points": watched,
            "deadline": None if deadline is None else deadline.isoformat(),
        }

    def _next(self, state: State, now: datetime) -> Event:
        index = state.index + 1
        deadline = now + timedelta(seconds=state.questions[index]["seconds"])
        return {
            "type": "opened",
            "index": index,
            "opened_at": now.isoformat(),
            "deadline": deadline.isoformat(),
        }

    # --- the fold ----------------------------------------------------------------------

    def evolve(self, state: State, event: Event) -> State:
        """Fold one event into a new state (no validation, no chance)."""
        new = self._copy(state)
        new.ticks += 1
        kind = event["type"]
        if kind == "answered":
            new.answers[event["seat"]] = {
                "answer": event["answer"],
                "elapsed_ms": event["elapsed_ms"],
                "order": 1 + sum(1 for a in new.answers if a is not None),
            }
        elif kind == "watched":
            new.watch[event["watcher"]] = {
                "answer": event["answer"],
                "elapsed_ms": event["elapsed_ms"],
            }
        elif kind == "closed":
            self._fold_closed(new, event)
        elif kind == "opened":
            new.index, new.phase = event["index"], "question"
            new.opened_at, new.deadline = event["opened_at"], event["deadline"]
            new.answers = [None] * len(new.answers)
            new.watch = {}
        return new

    def _fold_closed(self, new: State, event: Event) -> None:
        i = new.index
        question = new.questions[i]
        rows = []
        for seat, entry in enumerate(new.answers):
            gained = event["points"][seat]
            new.scores[seat] += gained
            rows.append(
                {
                    "question": i,
                    "seat": seat,
                    "answer": None if entry is None else entry["answer"],
                    "correct": entry is not None and is_right(question, entry["answer"]),
                    "points": gained,
                    "order": None if entry is None else entry["order"],
                    "elapsed_ms": None if entry is None else entry["elapsed_ms"],
                }
            )
        watchers = []
        for watcher, gained in event["watch_points"].items():
            entry = new.watch[watcher]
            new.watch_scores[watcher] = new.watch_scores.get(watcher, 0) + gained
            watchers.append(
                {
                    "question": i,
                    "watcher": watcher,
                    "answer": entry["answer"],
                    "correct": is_right(question, entry["answer"]),
                    "points": gained,
                }
            )
        new.results.append({"question": i, "rows": rows, "watchers": watchers})
        new.deadline = event["deadline"]
        new.phase = "over" if event["deadline"] is None else "scoreboard"

    @staticmethod
    def _copy(state: State) -> State:
        # Stored objects are never changed in place: copying the containers is enough.
        return State(
            seed=state.seed,
            options=state.options,
            title=state.title,
            questions=state.questions,
            index=state.index,
            phase=state.phase,
            opened_at=state.opened_at,
            deadline=state.deadline,
            answers=list(state.answers),
            watch=dict(state.watch),
            scores=list(state.scores),
            watch_scores=dict(state.watch_scores),
            results=list(state.results),
            ticks=state.ticks,
        )

    # --- what may be done and seen ----------------------------------------------------

    def legal_actions(self, state: State, actor: Seat) -> Sequence[Mapping[str, Any]]:
        """Each choice (or a right and a wrong text) for whoever has not answered yet."""
        if state.phase == "over":
            return []
        if actor == NARRATOR_SEAT:
            mastered = self._mastered(state) and state.phase == "scoreboard"
            return [{"type": "next"}] if mastered else []
        if state.phase != "question":
            return []
        question = state.questions[state.index]
        if question["kind"] == "choice":
            answers: list[dict[str, Any]] = [
                {"type": "answer", "choice": k} for k in range(len(question["choices"]))
            ]
        else:
            answers = [
                {"type": "answer", "text": question["accepted"][0].upper()},
                {"type": "answer", "text": "je ne sais pas 123"},
            ]
        if actor == WATCHER_SEAT:
            return [
                {**answer, "watcher": watcher}
                for watcher in _SAMPLE_WATCHERS
                if watcher not in state.watch
                for answer in answers
            ]
        if not 0 <= actor < len(state.answers) or state.answers[actor] is not None:
            return []
        return answers

    def view(self, state: State, viewer: Viewer) -> dict[str, Any]:
        """This viewer's screen: never a right answer nor another's answer before the close."""
        everything = viewer.kind is ViewerKind.REPLAY
        master = viewer.kind is ViewerKind.NARRATOR and self._mastered(state)
        mine = (
            viewer.seat
            if viewer.kind is ViewerKind.PLAYER
            and viewer.seat is not None
            and 0 <= viewer.seat < len(state.answers)
            else None
        )
        closed = state.phase != "question"
        outcome = self.outcome(state)
        view: dict[str, Any] = {
            # Who looks: two viewers whose views are equal share one rendered screen.
            "viewer": viewer.kind.value,
            "seat": mine,
            "title": state.title,
            "phase": state.phase,
            "number": state.index + 1,
            "count": len(state.questions),
            "question": self._question(state, closed or everything or master),
            "opened_at": state.opened_at if not closed else None,
            "deadline": state.deadline,
            "answered": [a is not None for a in state.answers],
            "watch_count": len(state.watch) if closed else None,
            "mine": None,
            "can_answer": False,
            "watch_open": state.phase == "question" and viewer.kind is ViewerKind.SPECTATOR,
            "can_next": master and state.phase == "scoreboard",
            "last": dict(state.results[-1]) if closed and state.results else None,
            "scores": list(state.scores),
            "placings": placings(state.scores),
            "watchers": ranking(state.watch_scores),
            "history": [dict(r) for r in state.results]
            if state.phase == "over" or everything
            else [],
            "live_answers": [],
            "outcome": None
            if outcome is None
            else {"reason": outcome.reason, "winners": sorted(outcome.winners)},
        }
        if mine is not None and state.phase == "question":
            entry = state.answers[mine]
            view["can_answer"] = entry is None
            if entry is not None:
                view["mine"] = {"question": state.index, "seat": mine, "answer": entry["answer"]}
        if (everything or master) and state.phase == "question":
            view["live_answers"] = [
                {"question": state.index, "seat": seat, "answer": entry["answer"]}
                for seat, entry in enumerate(state.answers)
                if entry is not None
            ] + [
                {"question": state.index, "watcher": w, "answer": entry["answer"]}
                for w, entry in sorted(state.watch.items())
            ]
        return view

    def _question(self, state: State, solved: bool) -> dict[str, Any] | None:
        if state.phase == "over" and not state.results:
            return None
        i = state.index
        question = state.questions[i]
        choices = []
        for k, text in enumerate(question["choices"]):
            choice: dict[str, Any] = {"question": i, "index": k, "text": text}
            if solved:
                choice["correct"] = k in question["right"]
            choices.append(choice)
        return {
            "question": i,
            "text": question["text"],
            "kind": question["kind"],
            "media": question["media"],
            "seconds": question["seconds"],
            "choices": choices,
            "solutions": [{"question": i, "accepted": a} for a in question["accepted"]]
            if solved
            else [],
        }

    def knowledge(self, state: State) -> Sequence[Fact]:
        """Closed questions: everything, to everyone. The open one: the solution to the
        replay and the quiz master, each answer to its author (and the replay)."""
        facts: list[Fact] = []
        closed = {r["question"] for r in state.results}
        for i, question in enumerate(state.questions):
            if i in closed:
                audience = Audience.everyone()
            elif i == state.index:
                audience = Audience.of(kinds=[ViewerKind.REPLAY, ViewerKind.NARRATOR])
            else:
                continue
            facts += [
                Fact({"question": i, "index": k, "correct": k in question["right"]}, audience)
                for k in range(len(question["choices"]))
            ]
            facts += [Fact({"question": i, "accepted": a}, audience) for a in question["accepted"]]
        everyone = Audience.everyone()
        for result in state.results:
            i = result["question"]
            for row in result["rows"]:
                base = {"question": i, "seat": row["seat"], "answer": row["answer"]}
                facts += [Fact(base, everyone), Fact({**base, "correct": row["correct"]}, everyone)]
            for row in result["watchers"]:
                base = {"question": i, "watcher": row["watcher"], "answer": row["answer"]}
                facts += [Fact(base, everyone), Fact({**base, "correct": row["correct"]}, everyone)]
        if state.phase == "question":
            i = state.index
            for seat, entry in enumerate(state.answers):
                if entry is not None:
                    audience = Audience.of(seat, kinds=[ViewerKind.REPLAY, ViewerKind.NARRATOR])
                    facts.append(
                        Fact({"question": i, "seat": seat, "answer": entry["answer"]}, audience)
                    )
            for watcher, entry in state.watch.items():
                audience = Audience.of(kinds=[ViewerKind.REPLAY, ViewerKind.NARRATOR])
                facts.append(
                    Fact({"question": i, "watcher": watcher, "answer": entry["answer"]}, audience)
                )
        return facts

    def deadline(self, state: State) -> datetime | None:
        """When the question or the scoreboard closes by itself (nobody can hold the table)."""
        return None if state.deadline is None else datetime.fromisoformat(state.deadline)

    def outcome(self, state: State) -> Outcome | None:
        """After the last question: the best total wins (shared on a tie; nobody if all zero)."""
        if state.phase != "over":
            return None
        places = placings(state.scores)
        details = {
            "scores": list(state.scores),
            "placings": dict(enumerate(places)),
            "watchers": ranking(state.watch_scores),
        }
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
        copied = json_copy(data)
        return State(**copied)


def json_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of plain JSON data (lists and dicts rebuilt, scalars shared)."""

    def copy(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: copy(v) for k, v in value.items()}
        if isinstance(value, list):
            return [copy(v) for v in value]
        return value

    result: dict[str, Any] = copy(dict(data))
    return result


GAME = Quiz()
"""The one instance registered in :mod:`estaminet.games`."""
