"""The minutes (procès-verbal) as Markdown, in the reader's language.

The content comes from :func:`estaminet.assembly.sitting_minutes`; this
module only words and lays it out. The PDF is drawn from this text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from estaminet.kernel.i18n import N_
from estaminet.sittings.wording import Tr, method_text, result_lines
from estaminet.translations import translate

__all__ = ["format_moment", "minutes_markdown"]

# Words used inside f-strings, listed here so that Babel extracts them.
_WORDS: dict[str, str] = {
    word: word
    for word in (
        N_("Absent"),
        N_("Agenda"),
        N_("Attendance"),
        N_("Chair"),
        N_("Closed"),
        N_("Date"),
        N_("Decision"),
        N_("Method"),
        N_("Minutes"),
        N_("Not discussed."),
        N_("Observers"),
        N_("Opened"),
        N_("Other decisions"),
        N_("Place"),
        N_("Present"),
        N_("Quorum"),
        N_("Represented"),
        N_("Secretary"),
        N_("Signatures"),
        N_("Spoke"),
        N_("Voting members"),
        N_("none"),
    )
}

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


def _escape(text: str) -> str:
    """Keep a person's words from turning into Markdown headings or lists."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("#", "\\#")


def _names(minutes: Mapping[str, Any], seats: list[Any], tr: Tr) -> str:
    people: Mapping[str, str] = minutes["people"]
    return ", ".join(people.get(str(s)) or tr(N_("seat %(seat)s"), seat=s) for s in seats) or "—"


def _decision(
    out: list[str], decision: Mapping[str, Any], names: Mapping[str, str], tr: Tr
) -> None:
    spec = decision["method"]
    question = decision["question"] or tr(N_("Vote %(id)s"), id=decision["vote"])
    out.append(f"**{tr(_WORDS['Decision'])}: {_escape(question)}**")
    out.append("")
    subject = decision.get("subject")
    if subject:
        text = subject["amendment_text"] or subject["motion_text"]
        out.append(f"> {_escape(text)}")
        out.append("")
    out.append(f"- {tr(_WORDS['Method'])}: {method_text(spec, tr)}")
    quorum = decision.get("quorum")
    if quorum:
        out.append(
            "- "
            + tr(
                N_("Present or represented: %(count)s of %(members)s"),
                count=quorum["present"] + quorum["represented"],
                members=quorum["voting_members"],
            )
        )
    for line in result_lines(spec, decision["result"], names, tr):
        out.append(f"- {line}")
    out.append("")


def minutes_markdown(minutes: Mapping[str, Any], locale: str, zone: tzinfo | None = None) -> str:
    """The procès-verbal of a sitting as Markdown text."""
    zone = zone or ZoneInfo("Europe/Brussels")

    def tr(msgid: str, **params: Any) -> str:
        return translate(locale, msgid, params)

    people: Mapping[str, str] = minutes["people"]
    place = minutes["place"]
    place_text = tr(place["msgid"], **place["params"]) if isinstance(place, dict) else str(place)
    attendance = minutes["attendance"]
    out = [
        f"# {tr(_WORDS['Minutes'])}: {_escape(minutes['title'])}",
        "",
        f"- {tr(_WORDS['Date'])}: {format_moment(minutes['date'], zone)}",
        f"- {tr(_WORDS['Place'])}: {place_text}",
        f"- {tr(_WORDS['Opened'])}: {format_moment(minutes['opened_at'], zone)}",
        f"- {tr(_WORDS['Closed'])}: {format_moment(minutes['closed_at'], zone)}",
        f"- {tr(_WORDS['Chair'])}: {_names(minutes, [minutes['chair']], tr)}",
        f"- {tr(_WORDS['Secretary'])}: "
        + ("—" if minutes["secretary"] is None else _names(minutes, [minutes["secretary"]], tr)),
        "",
        f"## {tr(_WORDS['Attendance'])}",
        "",
        f"- {tr(_WORDS['Voting members'])}: {attendance['voting_members']}",
        f"- {tr(_WORDS['Present'])} ({len(attendance['present'])}): "
        + _names(minutes, attendance["present"], tr),
        f"- {tr(_WORDS['Represented'])} ({len(attendance['represented'])}): "
        + (
            ", ".join(
                tr(
                    N_("%(giver)s by %(holder)s"),
                    giver=_names(minutes, [giver], tr),
                    holder=_names(minutes, [holder], tr),
                )
                for giver, holder in attendance["represented"]
            )
            or "—"
        ),
        f"- {tr(_WORDS['Absent'])} ({len(attendance['absent'])}): "
        + _names(minutes, attendance["absent"], tr),
        f"- {tr(_WORDS['Observers'])}: {_names(minutes, attendance['observers'], tr)}",
    ]
    quorum = minutes["quorum"]
    opening = quorum["at_opening"]
    if quorum["share"] is None:
        out.append(f"- {tr(_WORDS['Quorum'])}: {tr(_WORDS['none'])}")
    elif opening is not None:
        verdict = tr(N_("reached")) if opening["reached"] else tr(N_("not reached"))
        out.append(
            f"- {tr(_WORDS['Quorum'])}: "
            + tr(
                N_(
                    "%(share)s of the voting members, %(required)s needed; %(count)s present or "
                    "represented at the opening: %(verdict)s"
                ),
                share=quorum["share"],
                required=opening["required"],
                count=opening["present"] + opening["represented"],
                verdict=verdict,
            )
        )
    out += ["", f"## {tr(_WORDS['Agenda'])}", ""]
    for entry in minutes["agenda"]:
        out.append(f"{'  ' * entry['depth']}- {entry['id']}. {_escape(entry['title'])}")
    out.append("")
    for item in minutes["items"]:
        level = "#" * min(3 + item["depth"], 6)
        out += [f"{level} {item['id']}. {_escape(item['title'])}", ""]
        if not item["discussed"]:
            out += [f"_{tr(_WORDS['Not discussed.'])}_", ""]
            continue
        for note in item["notes"]:
            out += [_escape(note), ""]
        if item["speakers"]:
            spoke = ", ".join(
                f"{_names(minutes, [seat], tr)} ({count})" for seat, count in item["speakers"]
            )
            out += [f"{tr(_WORDS['Spoke'])}: {spoke}", ""]
        for decision in item["decisions"]:
            _decision(out, decision, people, tr)
    if minutes["other_decisions"]:
        out += [f"## {tr(_WORDS['Other decisions'])}", ""]
        for decision in minutes["other_decisions"]:
            _decision(out, decision, people, tr)
    out += [f"## {tr(_WORDS['Signatures'])}", ""]
    for signature in minutes["signatures"]:
        who = "—" if signature["seat"] is None else _names(minutes, [signature["seat"]], tr)
        out.append(f"- {tr(_ROLES[signature['role']])}: {who}")
    out.append("")
    return "\n".join(out)
