"""What each viewer of a sitting sees: a member, the facilitator, the projector.

Everything public (attendance, quorum, agenda, the queue with each
person's place, signals, motions, vote specs, participation counts,
results) is the same for everyone. A member also gets ``me``: their
place in the queue and the ballots they may cast (their own and those of
the members they represent). The facilitator (their seat, or the
narrator viewer) also gets why each prepared vote cannot open yet.

Secret votes: the state holds no link between voter and ballot, and no
view shows running counts; after closing, only totals. Everyone sees
whether an open secret vote's box is locked (waiting for its key after a
restart); the facilitator sees who keeps the key's shares and whether their
pages confirmed it; each keeper gets ``my_keys``, the shares their page
must fetch, confirm or give back (never the shares themselves).
"""

from __future__ import annotations

from typing import Any

from estaminet.assembly.attendance import (
    active_proxies,
    held_proxies,
    proxy_holders,
    quorum_check,
)
from estaminet.assembly.ballots import spec_to_dict, tally
from estaminet.assembly.checks import is_chair
from estaminet.assembly.motions import subject_text
from estaminet.assembly.rejections import rejection_text
from estaminet.assembly.signals import signal_counts
from estaminet.assembly.speaking import place_in_queue
from estaminet.assembly.state import AssemblyState, Status, Vote
from estaminet.assembly.votes import box_name, opening_refusal
from estaminet.kernel.activity import Seat, Viewer, ViewerKind

__all__ = ["sitting_view", "vote_order"]


def _when(moment: Any) -> str | None:
    return None if moment is None else str(moment.isoformat())


def _agenda(state: AssemblyState) -> list[dict[str, Any]]:
    rows = []
    for entry in state.prep.agenda:
        if entry.id == state.current_item:
            status = "current"
        elif entry.id in state.items:
            status = "visited"
        else:
            status = "upcoming"
        rows.append(
            {
                "id": entry.id,
                "title": entry.title,
                "depth": entry.depth,
                "minutes": entry.minutes,
                "links": list(entry.links),
                "status": status,
            }
        )
    return rows


def _current_item(state: AssemblyState) -> dict[str, Any] | None:
    if state.current_item is None:
        return None
    record = state.items[state.current_item]
    return {
        "id": state.current_item,
        "started_at": _when(record.started_at),
        "ends_at": _when(record.ends_at),
        "overtime": record.overtime,
        "notes": list(record.notes),
    }


def _queue(state: AssemblyState) -> list[dict[str, Any]]:
    spoken = {} if state.current_item is None else state.items[state.current_item].spoken
    return [
        {"seat": r.seat, "kind": r.kind.value, "first_time": spoken.get(r.seat, 0) == 0}
        for r in state.queue
    ]


def _my_ballots(state: AssemblyState, vote: Vote, seat: Seat) -> list[dict[str, Any]]:
    """One ballot per person ``seat`` may vote for now: themself, then those they represent."""
    persons = [seat] if seat in vote.eligible and seat in state.present else []
    persons += sorted(
        g for g, h in active_proxies(state).items() if h == seat and g in vote.eligible
    )
    ballots = []
    for person in persons:
        row: dict[str, Any] = {
            "for": person,
            "proxy": person != seat,
            "voted": person in vote.voters,
        }
        if not vote.spec.secret and person in vote.ballots:
            row["ballot"] = vote.ballots[person]
        ballots.append(row)
    return ballots


def _wording(state: AssemblyState, vote: Vote) -> str | None:
    """The text a vote on a motion decides: as it stood at the opening, or as it stands now."""
    if vote.spec.subject is None:
        return None
    if vote.wording is not None or vote.status != "draft":
        return vote.wording
    return subject_text(state, vote.spec.subject)


def vote_order(state: AssemblyState) -> list[int]:
    """Vote ids as the page lists them: the open vote, then drafts, then decisions, newest first.

    Decisions come in the order they were taken (closed or cancelled), not by number.
    """
    votes = list(state.votes.values())
    live = [v.id for v in votes if v.status == "open"]
    drafts = sorted((v.id for v in votes if v.status == "draft"), reverse=True)
    ended = [v for v in votes if v.status in ("closed", "cancelled")]
    ended.sort(key=lambda v: (v.closed_at is None, v.closed_at, v.id), reverse=True)
    return live + drafts + [v.id for v in ended]


def _vote(state: AssemblyState, vote: Vote, seat: Seat | None, chair: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": vote.id,
        "item": vote.item,
        "status": vote.status,
        "spec": spec_to_dict(vote.spec),
        "opened_at": _when(vote.opened_at),
        "closes_at": _when(vote.closes_at),
        "closed_at": _when(vote.closed_at),
        "quorum": None if vote.quorum is None else vote.quorum.as_dict(),
        "participation": {"voted": len(vote.voters), "eligible": len(vote.eligible)},
        "objections": [{"seat": s, "reason": r} for s, r in sorted(vote.objections.items())],
        "result": vote.result,
        "wording": _wording(state, vote),
    }
    if vote.status == "open" and vote.spec.live_counts and not vote.spec.secret:
        live = tally(vote, len(state.prep.voters))
        live.pop("by_voter", None)
        row["live"] = live
    if seat is not None and vote.status == "open":
        row["my_ballots"] = _my_ballots(state, vote, seat)
    if vote.status == "open" and vote.spec.secret:
        row.update(_custody(vote, seat, chair))
    if chair and vote.status == "draft":
        refusal = opening_refusal(state, vote)
        row["can_open"] = refusal is None
        row["blocked_by"] = None if refusal is None else rejection_text(refusal).as_dict()
    return row


def _custody(vote: Vote, seat: Seat | None, chair: bool) -> dict[str, Any]:
    """The box's lock and, for the chair and the keepers, who keeps which share of its key."""
    box = vote.box
    locked = box is None or box.locked
    row: dict[str, Any] = {"box": {"locked": locked}}
    if box is None:
        return row
    keepers: list[dict[str, Any]] = []
    for part, holder in enumerate(box.holders):
        kept = part < len(box.kept) and box.kept[part]
        known = next((k for k in keepers if k["seat"] == holder), None)
        if known is None:
            keepers.append({"seat": holder, "kept": kept})
        else:
            known["kept"] = known["kept"] and kept
    if chair or seat in box.holders:
        row["box"]["keepers"] = keepers
    if seat is not None and seat in box.holders:
        state = "locked" if locked else "kept"
        row["my_keys"] = [
            {
                "box": box_name(vote.id),
                "part": part,
                "state": state
                if locked or (part < len(box.kept) and box.kept[part])
                else "pending",
            }
            for part, holder in enumerate(box.holders)
            if holder == seat
        ]
    return row


def _motions(state: AssemblyState) -> list[dict[str, Any]]:
    return [
        {
            "id": m.id,
            "item": m.item,
            "author": m.author,
            "text": m.text,
            "original": m.original,
            "status": m.status,
            "amendments": [
                {"id": a.id, "author": a.author, "text": a.text, "status": a.status}
                for a in m.amendments
            ],
        }
        for m in state.motions.values()
    ]


def _me(state: AssemblyState, seat: Seat) -> dict[str, Any]:
    prep = state.prep
    roles = [
        role
        for role, holder in (
            ("facilitator", prep.facilitator),
            ("secretary", prep.secretary),
            ("timekeeper", prep.timekeeper),
        )
        if holder == seat
    ]
    return {
        "seat": seat,
        "voter": seat in prep.voters,
        "present": seat in state.present,
        "roles": roles,
        "place_in_queue": place_in_queue(state, seat),
        "requests": [r.kind.value for r in state.queue if r.seat == seat],
        "signal": state.signals.get(seat),
        "proxy_given_to": state.proxies.get(seat),
        "proxies_held": held_proxies(state, seat),
        "proxy_holders": proxy_holders(state, seat),
    }


def sitting_view(state: AssemblyState, viewer: Viewer) -> dict[str, Any]:
    """Everything ``viewer`` may know about the sitting, JSON-ready."""
    seat = viewer.seat if viewer.kind is ViewerKind.PLAYER else None
    chair = viewer.kind in (ViewerKind.NARRATOR, ViewerKind.REPLAY) or (
        seat is not None and is_chair(state, seat)
    )
    prep = state.prep
    quorum = quorum_check(state, prep.quorum).as_dict()
    quorum["share"] = None if prep.quorum is None else str(prep.quorum)
    speaker = state.speaker
    view: dict[str, Any] = {
        "title": prep.title,
        "date": prep.date,
        "place": prep.place,
        "convocation": prep.convocation,
        "status": state.status.value,
        "started_at": _when(state.started_at),
        "closed_at": _when(state.closed_at),
        "roles": {
            "facilitator": prep.facilitator,
            "secretary": prep.secretary,
            "timekeeper": prep.timekeeper,
        },
        "attendance": {
            "present": sorted(state.present),
            "voters": sorted(prep.voters),
            "proxies": [[g, state.proxies[g]] for g in sorted(state.proxies)],
            "represented": sorted([g, h] for g, h in active_proxies(state).items()),
            "quorum": quorum,
        },
        "agenda": _agenda(state),
        "current_item": _current_item(state),
        "queue": _queue(state),
        "speaker": None
        if speaker is None
        else {
            "seat": speaker.seat,
            "kind": speaker.kind.value,
            "started_at": _when(speaker.started_at),
            "ends_at": _when(speaker.ends_at),
            "overtime": speaker.overtime,
        },
        "silenced": state.silenced and state.status is Status.SITTING,
        "signals": {
            "counts": signal_counts(state),
            "shown": [[s, state.signals[s]] for s in sorted(state.signals)],
        },
        "motions": _motions(state),
        "votes": [_vote(state, vote, seat, chair) for vote in state.votes.values()],
        "vote_order": vote_order(state),
        "me": None if seat is None else _me(state, seat),
        "chair": chair,
    }
    return view
