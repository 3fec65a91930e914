"""The minutes (procès-verbal) as a typed document, worded in the reader's language.

:func:`minutes_document` turns the data of :func:`estaminet.assembly.sitting_minutes`
into a :class:`MinutesDocument`: every sentence translated, every label
paired with its value, nothing laid out. The Markdown file
(:mod:`.minutes_markdown`) and the PDF (:mod:`.minutes_pdf`) are both drawn
from this one structure, so they always say the same thing and neither
re-reads the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from estaminet.kernel.i18n import N_
from estaminet.sittings.wording import (
    Tr,
    ballot_text,
    count_lines,
    labelled,
    method_text,
    outcome,
)
from estaminet.translations import translate

__all__ = [
    "DecisionRecord",
    "Field",
    "ItemRecord",
    "MinutesDocument",
    "OrderLine",
    "format_moment",
    "minutes_document",
]


@dataclass(frozen=True)
class Field:
    """A labelled line: ``label`` already carries its colon ("Date :")."""

    label: str
    value: str


@dataclass(frozen=True)
class OrderLine:
    """One agenda entry: "2.1. Budget", indented by ``depth``."""

    number: str
    title: str
    depth: int


@dataclass(frozen=True)
class DecisionRecord:
    """One vote as the minutes tell it."""

    heading: str
    """ "Décision : <question>" (or "Vote annulé : <question>")."""
    wording: str | None
    """The text of the motion or amendment put to the vote, quoted."""
    fields: tuple[Field, ...]
    """The method and its rule."""
    counts: tuple[str, ...]
    """Attendance when the vote opened, then the counts (or grade profiles)."""
    verdict: str
    tie: bool
    next_step: str | None
    objections: tuple[Field, ...]
    ballots_label: str | None
    """ "Qui a voté quoi :" for an open vote, ``None`` for a secret one."""
    ballots: tuple[Field, ...]
    """One line per voter of an open vote, the ballot in words."""


@dataclass(frozen=True)
class ItemRecord:
    """One agenda item: notes, who spoke, decisions (in the order taken)."""

    heading: str
    depth: int
    discussed: bool
    notes: tuple[str, ...]
    speakers: Field | None
    decisions: tuple[DecisionRecord, ...]


@dataclass(frozen=True)
class MinutesDocument:
    """The whole procès-verbal, ready for a renderer."""

    title: str
    """The sitting's title alone (the PDF's metadata)."""
    heading: str
    facts: tuple[Field, ...]
    attendance_heading: str
    attendance: tuple[Field, ...]
    agenda_heading: str
    agenda: tuple[OrderLine, ...]
    items: tuple[ItemRecord, ...]
    not_discussed: str
    other_heading: str
    other_decisions: tuple[DecisionRecord, ...]
    signatures_heading: str
    signatures: tuple[Field, ...]


_ROLES = {"chair": N_("The chair"), "secretary": N_("The secretary")}


def format_moment(value: str | None, zone: tzinfo) -> str:
    """``2025-03-01T18:00:00+00:00`` as ``01/03/2025 19:00`` in ``zone`` (Belgian order)."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    if len(value) <= 10:
        return moment.strftime("%d/%m/%Y")
    return moment.strftime("%d/%m/%Y %H:%M")


class _Writer:
    """Words the minutes in one language, naming seats by the people list."""

    def __init__(self, minutes: Mapping[str, Any], locale: str) -> None:
        self.people: Mapping[str, str] = minutes["people"]
        self.locale = locale

    def tr(self, msgid: Any, **params: Any) -> str:
        return translate(self.locale, msgid, params)

    def field(self, label: str, value: str) -> Field:
        return Field(labelled(self.tr, label), value)

    def name(self, seat: Any) -> str:
        return self.people.get(str(seat)) or self.tr(N_("seat %(seat)s"), seat=seat)

    def names(self, seats: Sequence[Any]) -> str:
        return ", ".join(self.name(s) for s in seats) or "—"

    def decision(self, data: Mapping[str, Any]) -> DecisionRecord:
        tr: Tr = self.tr
        spec = data["method"]
        question = data["question"] or tr(N_("Vote %(id)s"), id=data["vote"])
        subject = data.get("subject")
        wording = None if not subject else subject.get("wording") or subject["motion_text"]
        fields = (self.field(tr(N_("Method")), method_text(spec, tr)),)
        quorum = data.get("quorum")
        attendance = (
            []
            if not quorum
            else [
                tr(
                    N_("Present or represented: %(count)s of %(members)s"),
                    count=quorum["present"] + quorum["represented"],
                    members=quorum["voting_members"],
                )
            ]
        )
        result = data.get("result")
        if data.get("status") == "cancelled" or result is None:
            return DecisionRecord(
                labelled(tr, tr(N_("Vote cancelled"))) + " " + question,
                wording,
                fields,
                tuple(attendance),
                tr(N_("The vote was cancelled: nothing was counted.")),
                False,
                None,
                (),
                None,
                (),
            )
        said = outcome(spec, result, tr)
        objections = tuple(
            self.field(tr(N_("Objection from %(name)s"), name=self.name(o["seat"])), o["reason"])
            for o in result.get("objections", [])
        )
        by_voter = result.get("by_voter") if not spec["secret"] else None
        return DecisionRecord(
            labelled(tr, tr(N_("Decision"))) + " " + question,
            wording,
            fields,
            (*attendance, *count_lines(spec, result, tr)),
            said.verdict,
            said.tie,
            said.next_step,
            objections,
            None if by_voter is None else labelled(tr, tr(N_("Who voted what"))),
            ()
            if by_voter is None
            else tuple(
                self.field(self.name(seat), ballot_text(spec, ballot, tr))
                for seat, ballot in by_voter
            ),
        )


def _counted(label: str, seats: Sequence[Any]) -> str:
    return f"{label} ({len(seats)})"


def _attendance(writer: _Writer, minutes: Mapping[str, Any]) -> list[Field]:
    tr = writer.tr
    attendance = minutes["attendance"]
    represented = ", ".join(
        tr(N_("%(giver)s by %(holder)s"), giver=writer.name(giver), holder=writer.name(holder))
        for giver, holder in attendance["represented"]
    )
    present, absent = attendance["present"], attendance["absent"]
    fields = [
        writer.field(tr(N_("Voting members")), str(attendance["voting_members"])),
        writer.field(_counted(tr(N_("Present")), present), writer.names(present)),
        writer.field(
            _counted(tr(N_("Represented")), attendance["represented"]), represented or "—"
        ),
        writer.field(_counted(tr(N_("Absent")), absent), writer.names(absent)),
        writer.field(tr(N_("Observers")), writer.names(attendance["observers"])),
    ]
    quorum = minutes["quorum"]
    opening = quorum["at_opening"]
    if quorum["share"] is None:
        fields.append(writer.field(tr(N_("Quorum")), tr(N_("none"))))
    elif opening is not None:
        verdict = tr(N_("reached")) if opening["reached"] else tr(N_("not reached"))
        fields.append(
            writer.field(
                tr(N_("Quorum")),
                tr(
                    N_(
                        "%(share)s of the voting members, %(required)s needed; %(count)s present "
                        "or represented at the opening: %(verdict)s"
                    ),
                    share=quorum["share"],
                    required=opening["required"],
                    count=opening["present"] + opening["represented"],
                    verdict=verdict,
                ),
            )
        )
    return fields


def minutes_document(
    minutes: Mapping[str, Any], locale: str, zone: tzinfo | None = None
) -> MinutesDocument:
    """The procès-verbal of a sitting, worded in ``locale`` with times in ``zone``."""
    zone = zone or ZoneInfo("Europe/Brussels")
    writer = _Writer(minutes, locale)
    tr = writer.tr
    place = minutes["place"]
    place_text = tr(place["msgid"], **place["params"]) if isinstance(place, dict) else str(place)
    secretary = minutes["secretary"]
    facts = (
        writer.field(tr(N_("Date")), format_moment(minutes["date"], zone)),
        writer.field(tr(N_("Place")), place_text),
        writer.field(tr(N_("Opened")), format_moment(minutes["opened_at"], zone)),
        writer.field(tr(N_("Closed")), format_moment(minutes["closed_at"], zone)),
        writer.field(tr(N_("Chair")), writer.name(minutes["chair"])),
        writer.field(tr(N_("Secretary")), "—" if secretary is None else writer.name(secretary)),
    )
    items = tuple(
        ItemRecord(
            heading=f"{item['id']}. {item['title']}",
            depth=item["depth"],
            discussed=item["discussed"],
            notes=tuple(item["notes"]),
            speakers=writer.field(
                tr(N_("Spoke")),
                ", ".join(f"{writer.name(seat)} ({count})" for seat, count in item["speakers"]),
            )
            if item["speakers"]
            else None,
            decisions=tuple(writer.decision(d) for d in item["decisions"]),
        )
        for item in minutes["items"]
    )
    return MinutesDocument(
        title=minutes["title"],
        heading=labelled(tr, tr(N_("Minutes"))) + " " + minutes["title"],
        facts=facts,
        attendance_heading=tr(N_("Attendance")),
        attendance=tuple(_attendance(writer, minutes)),
        agenda_heading=tr(N_("Agenda")),
        agenda=tuple(OrderLine(e["id"], e["title"], e["depth"]) for e in minutes["agenda"]),
        items=items,
        not_discussed=tr(N_("Not discussed.")),
        other_heading=tr(N_("Other decisions")),
        other_decisions=tuple(writer.decision(d) for d in minutes["other_decisions"]),
        signatures_heading=tr(N_("Signatures")),
        signatures=tuple(
            writer.field(
                tr(_ROLES[s["role"]]), "—" if s["seat"] is None else writer.name(s["seat"])
            )
            for s in minutes["signatures"]
        ),
    )
