"""Votes: prepare (shown before opening), open (quorum checked), cast, close; consent rounds.

Secret votes keep who voted apart from what was voted: casting one emits
``vote.ballot_cast`` (the voter only) for the ordered log and a
:class:`~estaminet.assembly.checks.SealedBallot` (the content only) for
the unordered ballot box. See ``docs/assembly/secret-ballots.md``.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from estaminet.assembly.agenda import quorum_from_dict
from estaminet.assembly.attendance import active_proxies, quorum_check
from estaminet.assembly.ballots import (
    canonical,
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
    SealedBallot,
    done,
    require_chair,
    require_int,
    require_not_closed,
    require_present,
    require_sitting,
    seat_field,
    stamp,
)
from estaminet.assembly.motions import check_subject, decide_subject, subject_text
from estaminet.assembly.preparation import MAX_TEXT
from estaminet.assembly.rejections import reject
from estaminet.assembly.state import AssemblyState, Method, Status, Vote
from estaminet.kernel.activity import Event, Rejection, Seat

__all__ = [
    "EVOLVERS",
    "HANDLERS",
    "box_name",
    "closing_events",
    "deposit_sealed",
    "expired_votes",
    "opening_refusal",
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
    if vote.spec.method is Method.CONSENT:
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
    return Decision((marked,), (SealedBallot(box_name(vote.id), canonical(content)),))


def closing_events(state: AssemblyState, vote: Vote, now: datetime) -> list[Event]:
    """Count ``vote`` and close it (or cancel it if its ballot box is incomplete)."""
    if vote.spec.secret and len(vote.sealed) != len(vote.voters):
        return [
            {"type": "vote.cancelled", "vote": vote.id, "at": stamp(now), "reason": "ballot_box"}
        ]
    result = tally(vote, len(state.prep.voters))
    return [{"type": "vote.closed", "vote": vote.id, "at": stamp(now), "result": result}]


def _close(state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime) -> Decision:
    vote = _open_vote(state, action)
    require_chair(state, actor)
    if vote.spec.secret and len(vote.sealed) != len(vote.voters):
        raise Refused(reject("assembly/ballot_box_incomplete"))
    return done(*closing_events(state, vote, now))


def expired_votes(state: AssemblyState, now: datetime) -> list[Vote]:
    """Open votes whose closing time has come."""
    return [
        v
        for v in state.votes.values()
        if v.status == "open" and v.closes_at is not None and v.closes_at <= now
    ]


def _object(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    vote = _open_vote(state, action)
    if vote.spec.method is not Method.CONSENT:
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


def deposit_sealed(state: AssemblyState, ballot: SealedBallot) -> bool:
    """Put a sealed ballot in its vote's multiset (in place); ``False`` if that box is shut."""
    for vote in state.votes.values():
        if box_name(vote.id) == ballot.box and vote.status == "open" and vote.spec.secret:
            bisect.insort(vote.sealed, ballot.content)
            return True
    return False


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _prepared(state: AssemblyState, event: Event) -> None:
    state.votes[event["vote"]] = Vote(event["vote"], spec_from_dict(event["spec"]), event["item"])


def _cancelled(state: AssemblyState, event: Event) -> None:
    vote = state.votes[event["vote"]]
    vote.status, vote.closed_at, vote.sealed = "cancelled", _instant(event["at"]), []


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
    vote.sealed = []  # counted: the result holds what the minutes need
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
