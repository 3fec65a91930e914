"""Le Petit Bac: a letter by lot, a word per category, "stop !", then the table checks.

Each round has two steps. **Writing**: everyone fills in one answer per
category starting with the round's letter; the sheet is saved as often as the
player likes; the first player whose sheet is complete may say *stop*, which
closes the sheets at once; otherwise the writing time does. **Review**: all
answers are shown; a player may contest another's answer and the other
players vote (see :mod:`~estaminet.games.petit_bac.scoring`); the review ends
when every player is ready and every contest has all its votes, or when its
time is up. The round is then scored and the next letter drawn.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from estaminet.games.kit.placings import placings_by_score
from estaminet.games.kit.secrecy import Audience, Fact
from estaminet.games.petit_bac.options import (
    BUILTIN_CATEGORIES,
    DEFAULT_OPTIONS,
    MAX_ANSWER_LENGTH,
    categories,
    letters,
    validate_options,
)
from estaminet.games.petit_bac.rejections import reject
from estaminet.games.petit_bac.scoring import is_refused, placings, points, verdicts
from estaminet.games.petit_bac.words import tidy
from estaminet.kernel.activity import SYSTEM, Event, Outcome, Rejection, Seat, Viewer, ViewerKind
from estaminet.kernel.i18n import N_, Text

__all__ = ["GAME", "PetitBac", "State"]


@dataclass
class State:
    """Everything the rules need; plain JSON types only, so ``dump`` is ``asdict``."""

    seed: int
    options: dict[str, Any]
    categories: list[dict[str, str]]
    letter: str
    round: int = 1
    phase: str = "writing"
    answers: list[list[str]] = field(default_factory=list)
    stopped_by: int | None = None
    contests: list[dict[str, Any]] = field(default_factory=list)
    ready: list[bool] = field(default_factory=list)
    scores: list[int] = field(default_factory=list)
    used_letters: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    deadline: str | None = None
    ticks: int = 0


def _draw(options: Mapping[str, Any], used: Sequence[str], rng: random.Random) -> str:
    pool = [letter for letter in letters(options) if letter not in used]
    return rng.choice(pool)


def _in_range(value: Any, size: int) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < size


def _contest(state: State, seat: int, category: int) -> dict[str, Any] | None:
    for contest in state.contests:
        if contest["seat"] == seat and contest["category"] == category:
            return contest
    return None


def _category_name(category: Mapping[str, str]) -> Text | str:
    key = category.get("key")
    return Text(BUILTIN_CATEGORIES[key]) if key in BUILTIN_CATEGORIES else category["label"]


class PetitBac:
    """The game object the registry holds (it satisfies ``Activity[State]``)."""

    key = "petit_bac"
    names: Mapping[str, str] = {"fr": "Le Petit Bac", "en": "Le Petit Bac (categories)"}
    min_players = 2
    max_players = 12
    duration_minutes = (10, 20)
    voice = "welcome"
    watch_question = N_("Who wrote the funniest answers?")
    """The spectators' vote at the table (a favourite: the most named win the guess)."""
    guarded_keys = frozenset({"answer"})

    # --- options and setup -------------------------------------------------------------

    def default_options(self) -> dict[str, Any]:
        """Three rounds, two minutes to write, one to check; K W X Y Z left out; six categories."""
        return dict(DEFAULT_OPTIONS)

    def validate_options(self, options: Mapping[str, Any], players: int) -> Rejection | None:
        """See :func:`~estaminet.games.petit_bac.options.validate_options`."""
        return validate_options(options, players, self.min_players, self.max_players)

    def setup(self, seats: int, options: Mapping[str, Any], seed: int, now: datetime) -> State:
        """The first round open for writing, its letter drawn by the table's seed."""
        merged = {**DEFAULT_OPTIONS, **options}
        columns = categories(merged)
        letter = _draw(merged, [], random.Random(f"{seed}:letter:0"))
        return State(
            seed=seed,
            options=merged,
            categories=columns,
            letter=letter,
            answers=[[""] * len(columns) for _ in range(seats)],
            ready=[False] * seats,
            scores=[0] * seats,
            used_letters=[letter],
            deadline=(now + timedelta(seconds=merged["writing_seconds"])).isoformat(),
        )

    # --- moves -------------------------------------------------------------------------

    def apply(
        self, state: State, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection:
        """Validate one action; the next letter is drawn here and written in the event."""
        if state.phase == "over":
            return reject("game_over")
        kind = action.get("type")
        if kind == "timeout" and actor == SYSTEM:
            if state.deadline is None or now < datetime.fromisoformat(state.deadline):
                return reject("too_early")
            if state.phase == "writing":
                return [self._closed(state, None, now)]
            return [self._scored(state, now)]
        if kind not in ("answers", "contest", "vote", "ready"):
            return reject("unknown_action")
        if not _in_range(actor, len(state.answers)):
            return reject("not_a_player")
        if kind == "answers":
            return self._answer(state, actor, action, now)
        if state.phase != "review":
            return reject("not_review")
        if kind == "ready":
            if state.ready[actor]:
                return reject("already_ready")
            return self._then_maybe_score(state, [{"type": "ready", "seat": actor}], now)
        seat, category = action.get("seat"), action.get("category")
        if not _in_range(seat, len(state.answers)) or not _in_range(
            category, len(state.categories)
        ):
            return reject("bad_target")
        existing = _contest(state, seat, category)
        if kind == "contest":
            if seat == actor:
                return reject("own_answer")
            verdict = verdicts(state.answers, state.letter, [])[seat][category]
            if verdict != "valid":
                return reject("not_contestable")
            if existing is not None:
                return reject("already_contested")
            event = {"type": "contested", "seat": seat, "category": category, "by": actor}
            return self._then_maybe_score(state, [event], now)
        if seat == actor:
            return reject("own_answer_vote")
        if existing is None:
            return reject("not_contested")
        if existing["votes"][actor] is not None:
            return reject("already_voted")
        valid = action.get("valid")
        if not isinstance(valid, bool):
            return reject("bad_vote")
        event = {"type": "voted", "seat": seat, "category": category, "by": actor, "valid": valid}
        return self._then_maybe_score(state, [event], now)

    def _answer(
        self, state: State, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection:
        if state.phase != "writing":
            return reject("writing_over")
        sheet = action.get("answers")
        if (
            not isinstance(sheet, list)
            or len(sheet) != len(state.categories)
            or not all(isinstance(answer, str) for answer in sheet)
        ):
            return reject("bad_answers")
        answers = [tidy(answer) for answer in sheet]
        for index, answer in enumerate(answers):
            if len(answer) > MAX_ANSWER_LENGTH:
                category = _category_name(state.categories[index])
                return reject("too_long", max=MAX_ANSWER_LENGTH, category=category)
        stop = action.get("stop", False)
        if not isinstance(stop, bool):
            return reject("bad_answers")
        events: list[Event] = [{"type": "answered", "seat": actor, "answers": answers}]
        if stop:
            if not all(answers):
                return reject("not_complete")
            events.append(self._closed(state, actor, now))
        return events

    def _closed(self, state: State, by: Seat | None, now: datetime) -> Event:
        deadline = now + timedelta(seconds=state.options["review_seconds"])
        return {"type": "closed", "by": by, "deadline": deadline.isoformat()}

    def _then_maybe_score(
        self, state: State, events: list[Event], now: datetime
    ) -> Sequence[Event]:
        after = state
        for event in events:
            after = self.evolve(after, event)
        votes_done = all(
            all(vote is not None for other, vote in enumerate(c["votes"]) if other != c["seat"])
            for c in after.contests
        )
        if all(after.ready) and votes_done:
            return [*events, self._scored(after, now)]
        return events

    def _scored(self, state: State, now: datetime) -> Event:
        verdict = verdicts(state.answers, state.letter, state.contests)
        gained = points(state.answers, verdict)
        final = state.round >= state.options["rounds"]
        if final:
            return {"type": "scored", "verdicts": verdict, "points": gained, "next": None}
        rng = random.Random(f"{state.seed}:letter:{state.ticks}")
        deadline = now + timedelta(seconds=state.options["writing_seconds"])
        return {
            "type": "scored",
            "verdicts": verdict,
            "points": gained,
            "next": {
                "letter": _draw(state.options, state.used_letters, rng),
                "deadline": deadline.isoformat(),
            },
        }

    # --- the fold ----------------------------------------------------------------------

    def evolve(self, state: State, event: Event) -> State:
        """Fold one event into a new state (no validation, no chance)."""
        new = self.load(self.dump(state))
        new.ticks += 1
        kind = event["type"]
        if kind == "answered":
            new.answers[event["seat"]] = list(event["answers"])
        elif kind == "closed":
            new.phase, new.stopped_by, new.deadline = "review", event["by"], event["deadline"]
        elif kind == "contested":
            votes: list[bool | None] = [None] * len(new.answers)
            votes[event["by"]] = False  # contesting is voting against
            new.contests.append(
                {
                    "seat": event["seat"],
                    "category": event["category"],
                    "by": event["by"],
                    "votes": votes,
                }
            )
        elif kind == "voted":
            contest = _contest(new, event["seat"], event["category"])
            if contest is not None:
                contest["votes"][event["by"]] = event["valid"]
        elif kind == "ready":
            new.ready[event["seat"]] = True
        elif kind == "scored":
            self._fold_scored(new, event)
        return new

    def _fold_scored(self, new: State, event: Event) -> None:
        seats = len(new.answers)
        for seat, row in enumerate(event["points"]):
            new.scores[seat] += sum(row)
        new.history.append(
            {
                "round": new.round,
                "letter": new.letter,
                "stopped_by": new.stopped_by,
                "answers": [list(sheet) for sheet in new.answers],
                "verdicts": [list(row) for row in event["verdicts"]],
                "points": [list(row) for row in event["points"]],
            }
        )
        new.answers = [[""] * len(new.categories) for _ in range(seats)]
        new.contests, new.ready, new.stopped_by = [], [False] * seats, None
        following = event["next"]
        if following is None:
            new.phase, new.deadline = "over", None
        else:
            new.round += 1
            new.phase, new.letter = "writing", following["letter"]
            new.used_letters.append(following["letter"])
            new.deadline = following["deadline"]

    # --- what may be done and seen ----------------------------------------------------

    def legal_actions(self, state: State, actor: Seat) -> Sequence[Mapping[str, Any]]:
        """Sample sheets while writing (one choice per kind of sheet); contests, votes, ready."""
        if state.phase == "over" or not _in_range(actor, len(state.answers)):
            return []
        if state.phase == "writing":
            return self._sample_sheets(state, actor)
        actions: list[Mapping[str, Any]] = []
        verdict = verdicts(state.answers, state.letter, [])
        for seat, row in enumerate(verdict):
            for category, status in enumerate(row):
                if seat == actor:
                    continue
                contest = _contest(state, seat, category)
                if contest is None and status == "valid":
                    actions.append({"type": "contest", "seat": seat, "category": category})
                elif contest is not None and contest["votes"][actor] is None:
                    for valid in (True, False):
                        actions.append(
                            {"type": "vote", "seat": seat, "category": category, "valid": valid}
                        )
        if not state.ready[actor]:
            actions.append({"type": "ready"})
        return actions

    def _sample_sheets(self, state: State, actor: Seat) -> list[Mapping[str, Any]]:
        # A few kinds of sheet, so random playouts meet shared, unique, wrong and empty answers.
        letter, count = state.letter, len(state.categories)
        other = "B" if letter == "A" else "A"
        complete = [
            [f"{letter}é{c}" for c in range(count)],
            [f"{letter.lower()}e-{c}" for c in range(count)],
            [f"{letter}{actor}x{c}" for c in range(count)],
            [f"{other}{c}" if c % 2 else f"{letter}o{c}" for c in range(count)],
        ]
        partial = [f"{letter}i0", *[""] * (count - 1)]
        actions: list[Mapping[str, Any]] = [
            {"type": "answers", "answers": sheet, "stop": False} for sheet in [*complete, partial]
        ]
        actions += [{"type": "answers", "answers": sheet, "stop": True} for sheet in complete]
        return actions

    def view(self, state: State, viewer: Viewer) -> dict[str, Any]:
        """Own sheet while writing (everything for the replay); all answers from the review on."""
        everything = viewer.kind is ViewerKind.REPLAY
        mine = (
            viewer.seat
            if viewer.kind is ViewerKind.PLAYER and _in_range(viewer.seat, len(state.answers))
            else None
        )
        shown = state.phase == "review" or everything
        sheets = [
            [
                {"seat": seat, "category": c, "answer": answer, "round": state.round}
                for c, answer in enumerate(sheet)
            ]
            for seat, sheet in enumerate(state.answers)
            if shown or seat == mine
        ]
        outcome = self.outcome(state)
        return {
            "phase": state.phase,
            "round": state.round,
            "rounds": state.options["rounds"],
            "letter": state.letter if state.phase != "over" else None,
            "categories": [dict(c) for c in state.categories],
            "deadline": state.deadline,
            "max_length": MAX_ANSWER_LENGTH,
            "scores": list(state.scores),
            "finished": [all(sheet) for sheet in state.answers],
            "ready": list(state.ready),
            "stopped_by": state.stopped_by,
            "sheets": sheets if state.phase == "writing" else [],
            "reveal": self._reveal(state, mine) if shown and state.phase != "over" else [],
            "history": [self._past(past) for past in state.history],
            "placings": placings(state.scores),
            "actions": list(self.legal_actions(state, mine)) if mine is not None else [],
            "outcome": None
            if outcome is None
            else {"reason": outcome.reason, "winners": sorted(outcome.winners)},
        }

    def _reveal(self, state: State, mine: Seat | None) -> list[dict[str, Any]]:
        seats = len(state.answers)
        verdict = verdicts(state.answers, state.letter, state.contests)
        provisional = points(state.answers, verdict)
        grid = []
        for c in range(len(state.categories)):
            rows = []
            for seat in range(seats):
                contest = _contest(state, seat, c)
                rows.append(
                    {
                        "seat": seat,
                        "category": c,
                        "answer": state.answers[seat][c],
                        "round": state.round,
                        "verdict": verdict[seat][c],
                        "points": provisional[seat][c],
                        "contest": None
                        if contest is None
                        else {
                            "by": contest["by"],
                            "against": sum(1 for v in contest["votes"] if v is False),
                            "for": sum(1 for v in contest["votes"] if v is True),
                            "needed": (seats - 1) // 2 + 1,
                            "voters": seats - 1,
                            "refused": is_refused(contest["votes"], seats),
                            "my_vote": contest["votes"][mine] if mine is not None else None,
                        },
                    }
                )
            grid.append({"category": c, "rows": rows})
        return grid

    @staticmethod
    def _past(past: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "round": past["round"],
            "letter": past["letter"],
            "stopped_by": past["stopped_by"],
            "rows": [
                {
                    "seat": seat,
                    "category": c,
                    "answer": answer,
                    "round": past["round"],
                    "verdict": past["verdicts"][seat][c],
                    "points": past["points"][seat][c],
                }
                for seat, sheet in enumerate(past["answers"])
                for c, answer in enumerate(sheet)
            ],
            "totals": [sum(row) for row in past["points"]],
        }

    def knowledge(self, state: State) -> Sequence[Fact]:
        """Past answers: everyone; this round's: the author and the replay, everyone once shown."""
        facts = [
            Fact(
                {"seat": s, "category": c, "answer": a, "round": past["round"]}, Audience.everyone()
            )
            for past in state.history
            for s, sheet in enumerate(past["answers"])
            for c, a in enumerate(sheet)
        ]
        for seat, sheet in enumerate(state.answers):
            audience = (
                Audience.everyone()
                if state.phase == "review"
                else Audience.of(seat, kinds=[ViewerKind.REPLAY])
            )
            facts += [
                Fact({"seat": seat, "category": c, "answer": a, "round": state.round}, audience)
                for c, a in enumerate(sheet)
            ]
        return facts

    def deadline(self, state: State) -> datetime | None:
        """When the writing or the review closes by itself (nobody can hold the table)."""
        return None if state.deadline is None else datetime.fromisoformat(state.deadline)

    def outcome(self, state: State) -> Outcome | None:
        """After the last round: the best total wins (shared on a tie; nobody if all zero)."""
        if state.phase != "over":
            return None
        details = {"scores": list(state.scores), "placings": placings_by_score(state.scores)}
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
        return State(
            seed=data["seed"],
            options=dict(data["options"]),
            categories=[dict(c) for c in data["categories"]],
            letter=data["letter"],
            round=data["round"],
            phase=data["phase"],
            answers=[list(sheet) for sheet in data["answers"]],
            stopped_by=data["stopped_by"],
            contests=[{**c, "votes": list(c["votes"])} for c in data["contests"]],
            ready=list(data["ready"]),
            scores=list(data["scores"]),
            used_letters=list(data["used_letters"]),
            history=[
                {
                    **past,
                    "answers": [list(s) for s in past["answers"]],
                    "verdicts": [list(r) for r in past["verdicts"]],
                    "points": [list(r) for r in past["points"]],
                }
                for past in data["history"]
            ],
            deadline=data["deadline"],
            ticks=data["ticks"],
        )


GAME = PetitBac()
"""The one instance registered in :mod:`estaminet.games`."""
