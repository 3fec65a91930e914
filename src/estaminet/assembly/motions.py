"""Proposals (motions) and their amendments.

An amendment is a replacement wording for its motion. Open amendments
are voted on before the motion (a vote on the motion cannot open while
one is pending); an adopted amendment becomes the motion's wording. The
author may withdraw a motion or an amendment while it is open. How a vote
decides a motion is in :func:`decide_subject`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from estaminet.assembly.checks import (
    Decision,
    Evolver,
    Handler,
    Refused,
    done,
    optional_int,
    require_int,
    require_present,
    require_sitting,
    require_text,
    require_voter,
)
from estaminet.assembly.methods import Form, Method
from estaminet.assembly.rejections import reject
from estaminet.assembly.state import Amendment, AssemblyState, Motion, Subject
from estaminet.kernel.activity import Event, Seat

__all__ = [
    "EVOLVERS",
    "HANDLERS",
    "check_subject",
    "decide_subject",
    "pending_amendments",
    "subject_text",
]


def _motion(state: AssemblyState, motion_id: int) -> Motion:
    motion = state.motions.get(motion_id)
    if motion is None:
        raise Refused(reject("assembly/unknown_motion"))
    return motion


def _amendment(motion: Motion, amendment_id: int) -> Amendment:
    found = next((a for a in motion.amendments if a.id == amendment_id), None)
    if found is None:
        raise Refused(reject("assembly/unknown_amendment"))
    return found


def pending_amendments(motion: Motion) -> list[Amendment]:
    """Amendments still to be voted on or withdrawn."""
    return [a for a in motion.amendments if a.status == "open"]


def check_subject(state: AssemblyState, subject: Subject, *, opening: bool) -> None:
    """Refuse unless ``subject`` can be voted on (``opening``: amendments come first)."""
    motion = _motion(state, subject.motion)
    if motion.status != "open":
        raise Refused(reject("assembly/motion_closed"))
    if subject.amendment is not None:
        if _amendment(motion, subject.amendment).status != "open":
            raise Refused(reject("assembly/motion_closed"))
    elif opening and pending_amendments(motion):
        raise Refused(reject("assembly/amendments_pending"))


def subject_text(state: AssemblyState, subject: Subject) -> str:
    """The wording ``subject`` puts to the vote now: the amendment's, or the motion's as amended."""
    motion = state.motions[subject.motion]
    if subject.amendment is None:
        return motion.text
    return next(a.text for a in motion.amendments if a.id == subject.amendment)


def decide_subject(state: AssemblyState, subject: Subject, method: Method, passed: bool) -> None:
    """Record a closed vote's result on its motion or amendment (in ``evolve``).

    A majority vote adopts or rejects. A consent round that meets an
    objection leaves the text open, to be amended and brought back.
    """
    motion = state.motions[subject.motion]
    if method.form is Form.OBJECTIONS and not passed:
        return
    status = "adopted" if passed else "rejected"
    if subject.amendment is None:
        motion.status = status
        return
    amendment = next(a for a in motion.amendments if a.id == subject.amendment)
    amendment.status = status
    if passed:
        motion.text = amendment.text


def _propose(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_sitting(state)
    require_voter(state, actor)
    require_present(state, actor)
    text = require_text(action, "text")
    motion_id = max(state.motions, default=0) + 1
    return done(
        {
            "type": "motion.proposed",
            "motion": motion_id,
            "author": actor,
            "text": text,
            "item": state.current_item,
        }
    )


def _amend(state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime) -> Decision:
    require_sitting(state)
    require_voter(state, actor)
    require_present(state, actor)
    motion = _motion(state, require_int(action, "motion"))
    if motion.status != "open":
        raise Refused(reject("assembly/motion_closed"))
    text = require_text(action, "text")
    amendment_id = max((a.id for a in motion.amendments), default=0) + 1
    return done(
        {
            "type": "motion.amended",
            "motion": motion.id,
            "amendment": amendment_id,
            "author": actor,
            "text": text,
        }
    )


def _withdraw(
    state: AssemblyState, actor: Seat, action: Mapping[str, Any], now: datetime
) -> Decision:
    require_sitting(state)
    motion = _motion(state, require_int(action, "motion"))
    amendment_id = optional_int(action, "amendment")
    target: Motion | Amendment = (
        motion if amendment_id is None else _amendment(motion, amendment_id)
    )
    if motion.status != "open" or target.status != "open":
        raise Refused(reject("assembly/motion_closed"))
    if target.author != actor:
        raise Refused(reject("assembly/not_author"))
    for vote in state.votes.values():
        subject = vote.spec.subject
        if vote.status == "open" and subject is not None and subject.motion == motion.id:
            raise Refused(reject("assembly/vote_already_open"))
    return done({"type": "motion.withdrawn", "motion": motion.id, "amendment": amendment_id})


def _proposed(state: AssemblyState, event: Event) -> None:
    state.motions[event["motion"]] = Motion(
        event["motion"], event["item"], event["author"], event["text"], event["text"]
    )


def _amended(state: AssemblyState, event: Event) -> None:
    state.motions[event["motion"]].amendments.append(
        Amendment(event["amendment"], event["author"], event["text"])
    )


def _withdrawn(state: AssemblyState, event: Event) -> None:
    motion = state.motions[event["motion"]]
    if event["amendment"] is None:
        motion.status = "withdrawn"
        for amendment in pending_amendments(motion):
            amendment.status = "withdrawn"
    else:
        _amendment(motion, event["amendment"]).status = "withdrawn"


HANDLERS: dict[str, Handler] = {
    "motion.propose": _propose,
    "motion.amend": _amend,
    "motion.withdraw": _withdraw,
}

EVOLVERS: dict[str, Evolver] = {
    "motion.proposed": _proposed,
    "motion.amended": _amended,
    "motion.withdrawn": _withdrawn,
}
