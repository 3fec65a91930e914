"""An assembly sitting as a live activity (``key = "assembly"``).

The runner that runs game tables runs sittings, with one addition for
secret ballots: call :meth:`AssemblyActivity.apply_sealed` instead of
``apply``; keep one encrypted box per entry of
:meth:`AssemblyActivity.ballot_boxes`; add each returned sealed ballot to
its box (never to the event log) and fold it in with
:meth:`AssemblyActivity.deposit`; after a rebuild, tell the rules what it
can read of each box with :meth:`AssemblyActivity.refill_boxes`. ``apply``
alone refuses a secret ballot (``assembly/sealed_box_required``) rather
than let it reach the ordered log. The full contract is in
``docs/assembly/secret-ballots.md``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from estaminet.assembly import (
    attendance,
    floor,
    motions,
    order_of_business,
    signals,
    speaking,
    votes,
)
from estaminet.assembly.ballots import GRADES
from estaminet.assembly.checks import Decision, Evolver, Handler, Refused, done
from estaminet.assembly.methods import Form, Method
from estaminet.assembly.preparation import (
    DEFAULT_OPTIONS,
    InvalidPreparation,
    parse_preparation,
)
from estaminet.assembly.rejections import reject
from estaminet.assembly.signals import SIGNALS
from estaminet.assembly.snapshot import dump_state, load_state
from estaminet.assembly.state import AssemblyState, Status
from estaminet.assembly.view import sitting_view
from estaminet.kernel.activity import SYSTEM, Activity, Event, Outcome, Rejection, Seat, Viewer
from estaminet.kernel.ballots import BoxReading, BoxSpec, SealedBallot
from estaminet.kernel.i18n import N_, Text

__all__ = ["ACTIONS", "ASSEMBLY", "AssemblyActivity"]

_HANDLERS: dict[str, Handler] = {
    **attendance.HANDLERS,
    **order_of_business.HANDLERS,
    **speaking.HANDLERS,
    **floor.HANDLERS,
    **signals.HANDLERS,
    **motions.HANDLERS,
    **votes.HANDLERS,
}

_EVOLVERS: dict[str, Evolver] = {
    **attendance.EVOLVERS,
    **order_of_business.EVOLVERS,
    **speaking.EVOLVERS,
    **floor.EVOLVERS,
    **signals.EVOLVERS,
    **motions.EVOLVERS,
    **votes.EVOLVERS,
}

ACTIONS: tuple[str, ...] = tuple(sorted(_HANDLERS))
"""Every action a seat can send (the runner alone sends ``timeout``)."""


def _copy(state: AssemblyState) -> AssemblyState:
    # The preparation is frozen: share it instead of copying it every event.
    return copy.deepcopy(state, {id(state.prep): state.prep, id(state.options): state.options})


def _timeout(state: AssemblyState, now: datetime) -> Decision:
    if state.status is not Status.SITTING:
        return done()
    events: list[Event] = []
    for vote in votes.expired_votes(state, now):
        events += votes.closing_events(state, vote, now)
    speaker = state.speaker
    if speaker is not None and not speaker.overtime and speaker.ends_at <= now:
        events.append({"type": "speaker.time_up", "seat": speaker.seat})
    if state.current_item is not None:
        record = state.items[state.current_item]
        if not record.overtime and record.ends_at is not None and record.ends_at <= now:
            events.append({"type": "agenda.time_up", "item": state.current_item})
    return done(*events)


class AssemblyActivity:
    """General-assembly rules; see ``docs/assembly/actions.md`` for every action."""

    key = "assembly"
    names: Mapping[str, str] = {"en": "General assembly", "fr": "Assemblée générale"}
    min_players = 1
    max_players = 1000
    duration_minutes = (60, 180)
    voice = "needed"

    def default_options(self) -> dict[str, Any]:
        """A blank preparation: no agenda, everyone votes, no quorum, seat 0 chairs."""
        return copy.deepcopy(DEFAULT_OPTIONS)

    def validate_options(self, options: Mapping[str, Any], players: int) -> Rejection | None:
        """Why ``options`` cannot prepare a sitting of ``players`` seats, or ``None``."""
        try:
            parse_preparation(options, players)
        except InvalidPreparation as error:
            return reject("assembly/invalid_options", detail=error.text)
        return None

    def setup(
        self, seats: int, options: Mapping[str, Any], seed: int, now: datetime
    ) -> AssemblyState:
        """A sitting waiting to open (nothing random: ``seed`` is unused)."""
        return AssemblyState(dict(options), parse_preparation(options, seats))

    def apply_sealed(
        self, state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Decision | Rejection:
        """Validate ``action``: events for the log and, for a secret ballot, its sealed content."""
        kind = action.get("type") if isinstance(action, Mapping) else None
        if actor == SYSTEM:
            return _timeout(state, now) if kind == "timeout" else reject("assembly/unknown_action")
        if not isinstance(kind, str) or kind not in _HANDLERS:
            return reject("assembly/unknown_action")
        if not 0 <= actor < state.prep.seats:
            return reject(
                "assembly/malformed", detail=Text(N_("you have no seat in this assembly"))
            )
        try:
            return _HANDLERS[kind](state, actor, action, now)
        except Refused as refused:
            return refused.rejection

    def apply(
        self, state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
    ) -> Sequence[Event] | Rejection:
        """Like :meth:`apply_sealed` for runners without a ballot box: secret ballots refused."""
        decision = self.apply_sealed(state, actor, action, now)
        if isinstance(decision, Rejection):
            return decision
        if decision.sealed:
            return reject("assembly/sealed_box_required")
        return list(decision.events)

    def evolve(self, state: AssemblyState, event: Event) -> AssemblyState:
        """A new state with ``event`` folded in."""
        following = _copy(state)
        _EVOLVERS[event["type"]](following, event)
        return following

    def deposit(self, state: AssemblyState, ballot: SealedBallot) -> AssemblyState:
        """A new state with a sealed ballot in its box (ignored once that vote is closed)."""
        following = _copy(state)
        votes.deposit_sealed(following, ballot)
        return following

    def ballot_boxes(self, state: AssemblyState) -> dict[str, BoxSpec]:
        """The ballot boxes that must be open now (one per open secret vote)."""
        return votes.ballot_boxes(state)

    def refill_boxes(self, state: AssemblyState, readings: Iterable[BoxReading]) -> AssemblyState:
        """A new state knowing what the runner read of each box (after a fold, a ``load``,
        an unlock or a key holder's confirmation); boxes of votes not open are ignored."""
        following = _copy(state)
        votes.refill_boxes(following, readings)
        return following

    def legal_actions(self, state: AssemblyState, actor: Seat) -> Sequence[Mapping[str, Any]]:
        """Actions ``actor`` may take now; free texts get a sample wording."""
        now = state.started_at or datetime.fromisoformat("2000-01-01T00:00:00+00:00")
        return [
            action
            for action in _candidates(state, actor)
            if not isinstance(self.apply_sealed(state, actor, action, now), Rejection)
        ]

    def view(self, state: AssemblyState, viewer: Viewer) -> dict[str, Any]:
        """What ``viewer`` may see (see :mod:`estaminet.assembly.view`)."""
        return sitting_view(state, viewer)

    def deadline(self, state: AssemblyState) -> datetime | None:
        """The next timer: a vote's closing time, a turn's or an item's end.

        A locked ballot box has none: its vote closes once the key is back.
        """
        if state.status is not Status.SITTING:
            return None
        instants = [
            v.closes_at
            for v in state.votes.values()
            if v.status == "open" and v.closes_at and not votes.is_locked(v)
        ]
        if state.speaker is not None and not state.speaker.overtime:
            instants.append(state.speaker.ends_at)
        if state.current_item is not None:
            record = state.items[state.current_item]
            if record.ends_at is not None and not record.overtime:
                instants.append(record.ends_at)
        return min(instants, default=None)

    def outcome(self, state: AssemblyState) -> Outcome | None:
        """``closed`` once the facilitator closes the sitting."""
        if state.status is not Status.CLOSED:
            return None
        decided = sum(1 for v in state.votes.values() if v.status == "closed")
        return Outcome("closed", frozenset(), {"decisions": decided})

    def dump(self, state: AssemblyState) -> dict[str, Any]:
        """A JSON snapshot, without the contents of secret ballot boxes."""
        return dump_state(state)

    def load(self, data: Mapping[str, Any]) -> AssemblyState:
        """Read a snapshot back; re-deposit the ballot boxes afterwards."""
        return load_state(data)


def _ballot_samples(method: Method, options: int, max_choices: int) -> list[Any]:
    form = method.form
    if form is Form.ANSWERS:
        return ["yes", "no", "abstain"]
    if form is Form.ONE:
        return [None, *range(options)]
    if form is Form.SOME:
        return [[], *([i] for i in range(options)), list(range(max_choices))]
    if form is Form.GRADES:
        return [[{"option": o, "grade": g} for o in range(options)] for g in range(len(GRADES))]
    return []


def _candidates(state: AssemblyState, actor: Seat) -> list[dict[str, Any]]:
    seats = range(state.prep.seats)
    found: list[dict[str, Any]] = [
        {"type": t}
        for t in (
            "attendance.check_in",
            "attendance.check_out",
            "proxy.withdraw",
            "sitting.open",
            "sitting.close",
            "agenda.next_item",
            "speaker.raise_hand",
            "speaker.point_of_order",
            "speaker.lower_hand",
            "speaker.give_floor",
            "speaker.end_turn",
            "signal.clear",
        )
    ]
    found += [{"type": "speaker.silence", "on": on} for on in (True, False)]
    found += [{"type": "proxy.give", "to": seat} for seat in seats]
    found += [{"type": "agenda.goto_item", "item": e.id} for e in state.prep.agenda]
    found += [{"type": "signal.show", "signal": s} for s in SIGNALS]
    found.append({"type": "motion.propose", "text": "Proposal"})
    found += [{"type": "motion.amend", "motion": m, "text": "Amended"} for m in state.motions]
    found += [{"type": "motion.withdraw", "motion": m} for m in state.motions]
    found.append({"type": "vote.prepare", "vote": {"method": "majority", "question": "?"}})
    for vote in state.votes.values():
        for kind in ("vote.open", "vote.close", "vote.cancel", "consent.withdraw_objection"):
            found.append({"type": kind, "vote": vote.id})
        found.append({"type": "consent.object", "vote": vote.id, "reason": "Objection"})
        spec = vote.spec
        for person in [actor, *sorted(g for g, h in state.proxies.items() if h == actor)]:
            for ballot in _ballot_samples(spec.method, len(spec.options), spec.max_choices):
                found.append(
                    {"type": "vote.cast", "vote": vote.id, "for": person, "ballot": ballot}
                )
    return found


ASSEMBLY = AssemblyActivity()
"""The activity instance the runner registers."""

_PROTOCOL_CHECK: Activity[AssemblyState] = ASSEMBLY  # mypy proves the protocol is met
