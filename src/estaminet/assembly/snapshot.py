"""Snapshots of a sitting as JSON (``dump``/``load``).

A snapshot never holds the contents of a secret ballot box: a series of
snapshots taken as ballots arrive would link each new voter to each new
ballot. After :func:`load`, the runner re-deposits the box contents (see
``docs/assembly/secret-ballots.md``). Seats are written sorted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from estaminet.assembly.ballots import spec_from_dict, spec_to_dict
from estaminet.assembly.order_of_business import quorum_from_dict
from estaminet.assembly.preparation import parse_preparation
from estaminet.assembly.state import (
    Amendment,
    AssemblyState,
    ItemRecord,
    Motion,
    QuorumCheck,
    Request,
    RequestKind,
    Status,
    Turn,
    Vote,
)

__all__ = ["dump_state", "load_state"]


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _quorum(check: QuorumCheck | None) -> dict[str, Any] | None:
    return None if check is None else check.as_dict()


def _vote(vote: Vote) -> dict[str, Any]:
    return {
        "id": vote.id,
        "spec": spec_to_dict(vote.spec),
        "item": vote.item,
        "status": vote.status,
        "opened_at": _when(vote.opened_at),
        "closes_at": _when(vote.closes_at),
        "closed_at": _when(vote.closed_at),
        "eligible": sorted(vote.eligible),
        "quorum": _quorum(vote.quorum),
        "counted": None if vote.counted is None else sorted(vote.counted),
        "wording": vote.wording,
        "voters": sorted(vote.voters),
        "ballots": [[seat, vote.ballots[seat]] for seat in sorted(vote.ballots)],
        "objections": [[seat, vote.objections[seat]] for seat in sorted(vote.objections)],
        "result": vote.result,
    }


def dump_state(state: AssemblyState) -> dict[str, Any]:
    """The JSON form of ``state``, without sealed ballots."""
    speaker = state.speaker
    return {
        "options": state.options,
        "seats": state.prep.seats,
        "status": state.status.value,
        "started_at": _when(state.started_at),
        "closed_at": _when(state.closed_at),
        "opening_quorum": _quorum(state.opening_quorum),
        "present": sorted(state.present),
        "attended": sorted(state.attended),
        "proxies": [[giver, state.proxies[giver]] for giver in sorted(state.proxies)],
        "current_item": state.current_item,
        "items": {
            item: {
                "started_at": _when(record.started_at),
                "ends_at": _when(record.ends_at),
                "overtime": record.overtime,
                "spoken": [[seat, record.spoken[seat]] for seat in sorted(record.spoken)],
                "notes": list(record.notes),
            }
            for item, record in state.items.items()
        },
        "queue": [[request.seat, request.kind.value] for request in state.queue],
        "speaker": None
        if speaker is None
        else {
            "seat": speaker.seat,
            "kind": speaker.kind.value,
            "started_at": _when(speaker.started_at),
            "ends_at": _when(speaker.ends_at),
            "overtime": speaker.overtime,
        },
        "silenced": state.silenced,
        "signals": [[seat, state.signals[seat]] for seat in sorted(state.signals)],
        "motions": [
            {
                "id": m.id,
                "item": m.item,
                "author": m.author,
                "text": m.text,
                "original": m.original,
                "status": m.status,
                "amendments": [[a.id, a.author, a.text, a.status] for a in m.amendments],
            }
            for m in state.motions.values()
        ],
        "votes": [_vote(vote) for vote in state.votes.values()],
    }


def _load_vote(data: Mapping[str, Any]) -> Vote:
    return Vote(
        id=data["id"],
        spec=spec_from_dict(data["spec"]),
        item=data["item"],
        status=data["status"],
        opened_at=_instant(data["opened_at"]),
        closes_at=_instant(data["closes_at"]),
        closed_at=_instant(data["closed_at"]),
        eligible=frozenset(data["eligible"]),
        quorum=None if data["quorum"] is None else quorum_from_dict(data["quorum"]),
        counted=None if data.get("counted") is None else frozenset(data["counted"]),
        wording=data.get("wording"),
        voters=set(data["voters"]),
        ballots={seat: ballot for seat, ballot in data["ballots"]},
        objections={seat: reason for seat, reason in data["objections"]},
        result=data["result"],
    )


def load_state(data: Mapping[str, Any]) -> AssemblyState:
    """Read back :func:`dump_state`; secret ballot boxes start empty."""
    speaker = data["speaker"]
    opening = data["opening_quorum"]
    return AssemblyState(
        options=dict(data["options"]),
        prep=parse_preparation(data["options"], data["seats"]),
        status=Status(data["status"]),
        started_at=_instant(data["started_at"]),
        closed_at=_instant(data["closed_at"]),
        opening_quorum=None if opening is None else quorum_from_dict(opening),
        present=set(data["present"]),
        attended=set(data["attended"]),
        proxies={giver: holder for giver, holder in data["proxies"]},
        current_item=data["current_item"],
        items={
            item: ItemRecord(
                started_at=datetime.fromisoformat(record["started_at"]),
                ends_at=_instant(record["ends_at"]),
                overtime=record["overtime"],
                spoken={seat: turns for seat, turns in record["spoken"]},
                notes=list(record["notes"]),
            )
            for item, record in data["items"].items()
        },
        queue=[Request(seat, RequestKind(kind)) for seat, kind in data["queue"]],
        speaker=None
        if speaker is None
        else Turn(
            speaker["seat"],
            RequestKind(speaker["kind"]),
            datetime.fromisoformat(speaker["started_at"]),
            datetime.fromisoformat(speaker["ends_at"]),
            speaker["overtime"],
        ),
        silenced=bool(data.get("silenced", False)),
        signals={seat: signal for seat, signal in data["signals"]},
        motions={
            m["id"]: Motion(
                m["id"],
                m["item"],
                m["author"],
                m["text"],
                m["original"],
                m["status"],
                [Amendment(*a) for a in m["amendments"]],
            )
            for m in data["motions"]
        },
        votes={v["id"]: _load_vote(v) for v in data["votes"]},
    )
