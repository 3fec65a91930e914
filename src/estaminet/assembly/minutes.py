"""The minutes (procès-verbal) of a sitting, as data for the lead's Markdown/PDF renderers.

Filled in from the state: date and place, chair and secretary, who was
present, represented (and by whom) or absent, the quorum check at the
opening, the agenda, and for each item the secretary's notes, who spoke,
and each decision (in the order taken) with its method, base, counts or
grade profiles and result, ties included; a vote opened then cancelled
is recorded as such. Open votes list who voted what; secret votes only
totals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.assembly.ballots import spec_to_dict
from estaminet.assembly.motions import subject_text
from estaminet.assembly.state import AssemblyState, Vote
from estaminet.kernel.activity import Seat
from estaminet.kernel.i18n import N_, Text

__all__ = ["ONLINE", "sitting_minutes"]

ONLINE = N_("online")
"""The place written in the minutes of a sitting held in Estaminet."""


def _attendance(state: AssemblyState) -> dict[str, Any]:
    voters = state.prep.voters
    present = voters & state.attended
    represented = sorted(
        [giver, holder]
        for giver, holder in state.proxies.items()
        if giver not in state.attended and holder in state.attended and giver in voters
    )
    represented_seats = {giver for giver, _ in represented}
    return {
        "present": sorted(present),
        "represented": represented,
        "absent": sorted(voters - present - represented_seats),
        "observers": sorted(state.attended - voters),
        "voting_members": len(voters),
    }


def _subject(state: AssemblyState, vote: Vote) -> dict[str, Any] | None:
    subject = vote.spec.subject
    if subject is None:
        return None
    motion = state.motions[subject.motion]
    amendment = next((a for a in motion.amendments if a.id == subject.amendment), None)
    return {
        "motion": motion.id,
        "motion_text": motion.text,
        "motion_status": motion.status,
        "amendment": subject.amendment,
        "amendment_text": None if amendment is None else amendment.text,
        # What was put to the vote, as it stood when the vote opened.
        "wording": vote.wording or subject_text(state, subject),
    }


def _taken(state: AssemblyState) -> list[Vote]:
    """Votes that closed, or opened and were cancelled, in the order they ended."""
    taken = [
        v
        for v in state.votes.values()
        if v.status == "closed" or (v.status == "cancelled" and v.opened_at is not None)
    ]
    return sorted(taken, key=lambda v: (v.closed_at is None, v.closed_at, v.id))


def _decision(state: AssemblyState, vote: Vote) -> dict[str, Any]:
    return {
        "vote": vote.id,
        "status": vote.status,
        "question": vote.spec.question,
        "subject": _subject(state, vote),
        "method": spec_to_dict(vote.spec),
        "opened_at": None if vote.opened_at is None else vote.opened_at.isoformat(),
        "closed_at": None if vote.closed_at is None else vote.closed_at.isoformat(),
        "quorum": None if vote.quorum is None else vote.quorum.as_dict(),
        "result": vote.result,
    }


def sitting_minutes(
    state: AssemblyState, names: Mapping[Seat, str] | None = None
) -> dict[str, Any]:
    """The minutes of ``state`` as JSON-ready data; ``names`` labels seats for the renderer."""
    prep = state.prep
    closed_votes = _taken(state)
    items = []
    for entry in prep.agenda:
        record = state.items.get(entry.id)
        items.append(
            {
                "id": entry.id,
                "title": entry.title,
                "depth": entry.depth,
                "discussed": record is not None,
                "notes": [] if record is None else list(record.notes),
                "speakers": []
                if record is None
                else [[s, n] for s, n in sorted(record.spoken.items())],
                "decisions": [_decision(state, v) for v in closed_votes if v.item == entry.id],
            }
        )
    opening = state.opening_quorum
    return {
        "title": prep.title,
        "date": prep.date,
        "place": Text(ONLINE).as_dict() if prep.place is None else prep.place,
        "opened_at": None if state.started_at is None else state.started_at.isoformat(),
        "closed_at": None if state.closed_at is None else state.closed_at.isoformat(),
        "chair": prep.facilitator,
        "secretary": prep.secretary,
        "timekeeper": prep.timekeeper,
        "attendance": _attendance(state),
        "quorum": {
            "share": None if prep.quorum is None else str(prep.quorum),
            "at_opening": None if opening is None else opening.as_dict(),
        },
        "agenda": [{"id": e.id, "title": e.title, "depth": e.depth} for e in prep.agenda],
        "items": items,
        "other_decisions": [_decision(state, v) for v in closed_votes if v.item is None],
        "motions": [
            {"id": m.id, "item": m.item, "author": m.author, "text": m.text, "status": m.status}
            for m in state.motions.values()
        ],
        "people": {} if names is None else {str(s): n for s, n in sorted(names.items())},
        "signatures": [
            {"role": "chair", "seat": prep.facilitator},
            {"role": "secretary", "seat": prep.secretary},
        ],
    }
