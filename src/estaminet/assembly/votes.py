"""Votes: prepare (shown before opening), open (quorum checked), cast, close; consent rounds.

Secret votes keep who voted apart from what was voted: casting one emits
``vote.ballot_cast`` (the voter only) for the ordered log and a
:class:`~estaminet.kernel.ballots.SealedBallot` (the ballot's count vector
only) that the runner adds, encrypted, to the vote's box. Memory keeps the
running totals; a vote is counted from totals alone. A box whose totals
this process cannot read is *locked*: ballots still go in, but the vote
cannot close until the key holders give their shares back (a timed close
waits). See ``docs/assembly/secret-ballots.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from estaminet.assembly.attendance import active_proxies, quorum_check
from estaminet.assembly.ballots import (
    GRADES,
    parse_ballot,
    parse_spec,
    spec_from_dict,
    spec_to_dict,
    tally,
)
from estaminet.assembly.checks import (
    Decision,
    Evolver,
    Handler,
    Refused,
    done,
    require_chair,
    require_int,
    require_not_closed,
    require_present,
    require_sitting,
    seat_field,
    stamp,
)
from estaminet.assembly.methods import Form
from estaminet.assembly.motions import check_subject, decide_subject, subject_text
from estaminet.assembly.order_of_business import quorum_from_dict
from estaminet.assembly.preparation import MAX_TEXT
from estaminet.assembly.rejections import reject
from estaminet.assembly.state import AssemblyState, SealedBox, Status, Vote
from estaminet.assembly.vectors import ballot_vector, vector_size
from estaminet.kernel.activity import Event, Rejection, Seat
from estaminet.kernel.ballots import BoxReading, BoxSpec, SealedBallot

__all__ = [
    "EVOLVERS",
    "HANDLERS",
    "ballot_boxes",
    "box_name",
    "closing_events",
    "deposit_sealed",
    "expired_votes",
    "is_locked",
    "opening_refusal",
    "refill_boxes",
]


def box_name(vote_id: int) -> str:
    """The ballot box of a secret vote."""
    return f"vote:{vote_id}"


def _vote(state: AssemblyState, action: Mapping[str, Any]) -> Vote:
    vote = state.votes.get(require_int(action, "vote"))
    if vote is None:
        raise Refused(reject("assembly/unknown_vote"))
    return vote


def _open_vote(state: AssemblyState, action: Mapping[str, Any]) -> Vote:
    require_sitting(state)
    vote = _vote(state, action)
    if vote.status != "open":
        raise Refused(reject("assembly/vote_closed"))
    return vote


def _prepare(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_not_closed(state)
    require_chair(state, actor)
    spec = parse_spec(action.get("vote"), state.prep.live_counts)
    if spec.subject is not None:
        check_subject(state, spec.subject, opening=False)
    vote_id = max(state.votes, default=0) + 1
    return done(
        {
            "type": "vote.prepared",
            "vote": vote_id,
            "spec": spec_to_dict(spec),
            "item": state.current_item,
        }
    )


def _cancel(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_not_closed(state)
    require_chair(state, actor)
    vote = _vote(state, action)
    if vote.status not in ("draft", "open"):
        raise Refused(reject("assembly/vote_closed"))
    return done({"type": "vote.cancelled", "vote": vote.id, "at": stamp(now)})


def opening_refusal(state: AssemblyState, vote: Vote) -> Rejection | None:
    """Why ``vote`` cannot open now (shown to the facilitator), or ``None``."""
    if vote.status != "draft":
        return reject("assembly/vote_not_draft")
    if state.status is not Status.SITTING:
        return reject("assembly/sitting_not_started")
    if any(v.status == "open" for v in state.votes.values()):
        return reject("assembly/vote_already_open")
    if vote.spec.subject is not None:
        try:
            check_subject(state, vote.spec.subject, opening=True)
        except Refused as refused:
            return refused.rejection
    check = quorum_check(state, _quorum_share(state, vote))
    if not check.reached:
        return reject("assembly/quorum_not_reached", count=check.count, required=check.required)
    return None


def _quorum_share(state: AssemblyState, vote: Vote) -> Fraction | None:
    return state.prep.quorum if vote.spec.quorum is None else vote.spec.quorum


def _open(state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime) -> Decision:
    require_sitting(state)
    require_chair(state, actor)
    vote = _vote(state, action)
    refusal = opening_refusal(state, vote)
    if refusal is not None:
        raise Refused(refusal)
    check = quorum_check(state, _quorum_share(state, vote))
    duration = vote.spec.duration_seconds
    voters = state.prep.voters
    counted = (voters & state.present) | {g for g in active_proxies(state) if g in voters}
    return done(
        {
            "type": "vote.opened",
            "vote": vote.id,
            "at": stamp(now),
            "closes_at": None if duration is None else stamp(now + timedelta(seconds=duration)),
            "eligible": sorted(voters),
            "quorum": check.as_dict(),
            "counted": sorted(counted),
            "wording": None
            if vote.spec.subject is None
            else subject_text(state, vote.spec.subject),
        }
    )


def _cast(state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime) -> Decision:
    vote = _open_vote(state, action)
    if vote.spec.method.form is Form.OBJECTIONS:
        raise Refused(reject("assembly/wrong_method"))
    voter = seat_field(state, action, "for", actor)
    if voter not in vote.eligible:
        raise Refused(reject("assembly/not_a_voter", seat=voter))
    if voter == actor:
        require_present(state, actor)
    elif state.proxies.get(voter) != actor or voter in state.present or actor not in state.present:
        raise Refused(reject("assembly/not_your_proxy"))
    if voter in vote.voters:
        raise Refused(reject("assembly/already_voted"))
    content = parse_ballot(vote.spec, action.get("ballot"))
    if not vote.spec.secret:
        return done(
            {"type": "vote.cast", "vote": vote.id, "voter": voter, "by": actor, "ballot": content}
        )
    marked = {"type": "vote.ballot_cast", "vote": vote.id, "voter": voter, "by": actor}
    vector = ballot_vector(vote.spec, content, len(GRADES))
    return Decision((marked,), (SealedBallot(box_name(vote.id), vector),))


def is_locked(vote: Vote) -> bool:
    """Whether ``vote`` is secret and its box's totals cannot be read in this process."""
    return vote.spec.secret and (vote.box is None or vote.box.locked)


def _incomplete(vote: Vote) -> bool:
    return vote.spec.secret and (vote.box is None or vote.box.ballots != len(vote.voters))


def closing_events(state: AssemblyState, vote: Vote, now: datetime) -> list[Event]:
    """Count ``vote`` and close it (cancel it if its box is incomplete; wait while it is locked)."""
    if is_locked(vote):
        return []
    if _incomplete(vote):
        return [
            {"type": "vote.cancelled", "vote": vote.id, "at": stamp(now), "reason": "ballot_box"}
        ]
    result = tally(vote, len(state.prep.voters))
    return [{"type": "vote.closed", "vote": vote.id, "at": stamp(now), "result": result}]


def _close(state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime) -> Decision:
    vote = _open_vote(state, action)
    require_chair(state, actor)
    if is_locked(vote):
        raise Refused(reject("assembly/ballot_box_locked"))
    if _incomplete(vote):
        raise Refused(reject("assembly/ballot_box_incomplete"))
    return done(*closing_events(state, vote, now))


def expired_votes(state: AssemblyState, now: datetime) -> list[Vote]:
    """Open votes whose closing time has come (a locked box waits for its key)."""
    return [
        v
        for v in state.votes.values()
        if v.status == "open"
        and v.closes_at is not None
        and v.closes_at <= now
        and not is_locked(v)
    ]


def _object(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    vote = _open_vote(state, action)
    if vote.spec.method.form is not Form.OBJECTIONS:
        raise Refused(reject("assembly/wrong_method"))
    if actor not in vote.eligible:
        raise Refused(reject("assembly/not_a_voter", seat=actor))
    require_present(state, actor)
    if actor in vote.objections:
        raise Refused(reject("assembly/already_objected"))
    reason = action.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise Refused(reject("assembly/objection_needs_reason"))
    if len(reason.strip()) > MAX_TEXT:
        raise Refused(reject("assembly/text_too_long", max=MAX_TEXT))
    return done(
        {"type": "consent.objected", "vote": vote.id, "seat": actor, "reason": reason.strip()}
    )


def _withdraw_objection(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    vote = _open_vote(state, action)
    if actor not in vote.objections:
        raise Refused(reject("assembly/no_objection"))
    return done({"type": "consent.objection_withdrawn", "vote": vote.id, "seat": actor})


def _secret_open(state: AssemblyState, box: str) -> Vote | None:
    for vote in state.votes.values():
        if box_name(vote.id) == box and vote.status == "open" and vote.spec.secret:
            return vote
    return None


def deposit_sealed(state: AssemblyState, ballot: SealedBallot) -> bool:
    """Add a sealed ballot to its vote's box (in place); ``False`` if that box is shut.

    The count always grows; the totals only when this process can read them.
    """
    vote = _secret_open(state, ballot.box)
    if vote is None:
        return False
    box = vote.box = vote.box or SealedBox()
    box.ballots += 1
    if box.totals is not None:
        if len(ballot.vector) != len(box.totals):
            raise ValueError("a sealed ballot has the wrong length for its box")
        box.totals = [t + v for t, v in zip(box.totals, ballot.vector, strict=True)]
    return True


def refill_boxes(state: AssemblyState, readings: Iterable[BoxReading]) -> None:
    """Put what the runner read of each box into its open vote (in place); others are ignored."""
    for reading in readings:
        vote = _secret_open(state, reading.box)
        if vote is not None:
            vote.box = SealedBox(
                reading.ballots,
                None if reading.totals is None else list(reading.totals),
                tuple(reading.holders),
                tuple(reading.kept),
            )


def ballot_boxes(state: AssemblyState) -> dict[str, BoxSpec]:
    """The boxes that must be open now: one per open secret vote."""
    prep = state.prep
    keepers: tuple[Seat, ...] = (prep.facilitator,)
    if prep.secretary is not None and prep.secretary != prep.facilitator:
        keepers += (prep.secretary,)
    return {
        box_name(v.id): BoxSpec(box_name(v.id), vector_size(v.spec, len(GRADES)), keepers)
        for v in state.votes.values()
        if v.status == "open" and v.spec.secret
    }


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _prepared(state: AssemblyState, event: Event) -> None:
    state.votes[event["vote"]] = Vote(event["vote"], spec_from_dict(event["spec"]), event["item"])


def _cancelled(state: AssemblyState, event: Event) -> None:
    vote = state.votes[event["vote"]]
    vote.status, vote.closed_at, vote.box = "cancelled", _instant(event["at"]), None


def _opened(state: AssemblyState, event: Event) -> None:
    vote = state.votes[event["vote"]]
    vote.status = "open"
    vote.opened_at = _instant(event["at"])
    vote.closes_at = _instant(event["closes_at"])
    vote.eligible = frozenset(event["eligible"])
    vote.quorum = quorum_from_dict(event["quorum"])
    counted = event.get("counted")  # absent from logs written before it was recorded
    vote.counted = None if counted is None else frozenset(counted)
    vote.wording = event.get("wording")


def _cast_open(state: AssemblyState, event: Event) -> None:
    vote = state.votes[event["vote"]]
    vote.voters.add(event["voter"])
    vote.ballots[event["voter"]] = event["ballot"]


def _ballot_cast(state: AssemblyState, event: Event) -> None:
    state.votes[event["vote"]].voters.add(event["voter"])


def _closed(state: AssemblyState, event: Event) -> None:
    vote = state.votes[event["vote"]]
    vote.status, vote.closed_at, vote.result = "closed", _instant(event["at"]), event["result"]
    vote.box = None  # counted: the result holds what the minutes need
    if vote.spec.subject is not None:
        decide_subject(state, vote.spec.subject, vote.spec.method, event["result"]["passed"])


def _objected(state: AssemblyState, event: Event) -> None:
    state.votes[event["vote"]].objections[event["seat"]] = event["reason"]


def _objection_withdrawn(state: AssemblyState, event: Event) -> None:
    state.votes[event["vote"]].objections.pop(event["seat"], None)


HANDLERS: dict[str, Handler] = {
    "vote.prepare": _prepare,
    "vote.cancel": _cancel,
    "vote.open": _open,
    "vote.cast": _cast,
    "vote.close": _close,
    "consent.object": _object,
    "consent.withdraw_objection": _withdraw_objection,
}

EVOLVERS: dict[str, Evolver] = {
    "vote.prepared": _prepared,
    "vote.cancelled": _cancelled,
    "vote.opened": _opened,
    "vote.cast": _cast_open,
    "vote.ballot_cast": _ballot_cast,
    "vote.closed": _closed,
    "consent.objected": _objected,
    "consent.objection_withdrawn": _objection_withdrawn,
}
