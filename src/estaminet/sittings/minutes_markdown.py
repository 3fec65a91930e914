"""The minutes (procès-verbal) as Markdown, laid out from :class:`.MinutesDocument`.

Every word comes from the typed document (:mod:`.minutes_document`); this
module only lays it out and escapes people's words so that they stay
words. The PDF is drawn from the same document, not from this text.
"""

from __future__ import annotations

import re

from estaminet.sittings.minutes_document import DecisionRecord, Field, MinutesDocument

__all__ = ["minutes_markdown"]

_SPECIAL = re.compile(r"([\\`*_#\[\]<>|])")
_LIST_START = re.compile(r"^(\s*)([-+]|\d+[.)])(\s)")


def _escape(text: str) -> str:
    """Keep a person's words from turning into Markdown emphasis, headings or links."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))


def _paragraph(text: str) -> list[str]:
    """A person's text of several lines, none of which may start a list."""
    return [_LIST_START.sub(r"\1\\\2\3", _SPECIAL.sub(r"\\\1", line)) for line in text.splitlines()]


def _field(field: Field, indent: str = "") -> str:
    return f"{indent}- {_escape(field.label)} {_escape(field.value)}"


def _decision(out: list[str], decision: DecisionRecord) -> None:
    out += [f"**{_escape(decision.heading)}**", ""]
    if decision.wording:
        out += [f"> {line}" if line else ">" for line in _paragraph(decision.wording)]
        out.append("")
    out += [_field(f) for f in decision.fields]
    out += [f"- {_escape(line)}" for line in decision.counts]
    out += [_field(f) for f in decision.objections]
    verdict = _escape(decision.verdict)
    out.append(f"- **{verdict}**" if decision.tie else f"- {verdict}")
    if decision.next_step:
        out.append(f"- {_escape(decision.next_step)}")
    if decision.ballots_label is not None:
        out.append(f"- {_escape(decision.ballots_label)}")
        out += [_field(f, "  ") for f in decision.ballots]
    out.append("")


def minutes_markdown(document: MinutesDocument) -> str:
    """The procès-verbal as Markdown text."""
    out = [f"# {_escape(document.heading)}", ""]
    out += [_field(f) for f in document.facts]
    out += ["", f"## {_escape(document.attendance_heading)}", ""]
    out += [_field(f) for f in document.attendance]
    out += ["", f"## {_escape(document.agenda_heading)}", ""]
    out += [f"{'  ' * e.depth}- {e.number}. {_escape(e.title)}" for e in document.agenda]
    out.append("")
    for item in document.items:
        out += [f"{'#' * min(3 + item.depth, 6)} {_escape(item.heading)}", ""]
        if not item.discussed:
            out += [f"_{_escape(document.not_discussed)}_", ""]
            continue
        for note in item.notes:
            out += [*_paragraph(note), ""]
        if item.speakers is not None:
            out += [f"{_escape(item.speakers.label)} {_escape(item.speakers.value)}", ""]
        for decision in item.decisions:
            _decision(out, decision)
    if document.other_decisions:
        out += [f"## {_escape(document.other_heading)}", ""]
        for decision in document.other_decisions:
            _decision(out, decision)
    out += [f"## {_escape(document.signatures_heading)}", ""]
    out += [_field(f) for f in document.signatures]
    out.append("")
    return "\n".join(out)
