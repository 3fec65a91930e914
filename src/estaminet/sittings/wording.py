"""Plain words for vote methods, bases, results and ballots, shared by the minutes' renderers.

Everything here turns the JSON a sitting records (a spec, a result, a
ballot) into sentences in the reader's language; nothing is laid out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from estaminet.assembly.ballots import GRADES
from estaminet.assembly.methods import Form, form_of, spec_of
from estaminet.kernel.i18n import N_, Nn_

__all__ = [
    "Outcome",
    "Tr",
    "ballot_text",
    "base_text",
    "count_lines",
    "labelled",
    "method_text",
    "outcome",
]

Tr = Callable[..., str]
"""``tr(msgid, **params)``: the reader's translation."""

_BASES = {
    "cast": N_("of the votes cast"),
    "present": N_("of the members present or represented"),
    "members": N_("of all voting members"),
}

_LATE = Nn_(
    "The base includes %(count)s member who arrived during the vote and voted.",
    "The base includes %(count)s members who arrived during the vote and voted.",
)

_PLURALITY_TIE_NEXT = N_(
    "Nothing is decided. Next: a new vote between the tied options, or the rule the "
    "statutes give for a tie, recorded in the minutes."
)


def labelled(tr: Tr, label: str) -> str:
    """``label`` followed by a colon, spaced as the reader's language writes it ("Date :")."""
    return tr(N_("%(label)s:"), label=label)


def base_text(spec: Mapping[str, Any], tr: Tr) -> str:
    """E.g. "more than 1/2 of the votes cast, abstentions not counted"."""
    share = str(spec["threshold"])
    if spec["strict"]:
        head = tr(N_("more than %(share)s"), share=share)
    else:
        head = tr(N_("at least %(share)s"), share=share)
    text = f"{head} {tr(_BASES.get(spec['base'], spec['base']))}"
    if spec["base"] == "cast":
        if spec["abstentions"] == "counted":
            text += ", " + tr(N_("abstentions counted in the base"))
        else:
            text += ", " + tr(N_("abstentions not counted"))
    return text


def method_text(spec: Mapping[str, Any], tr: Tr) -> str:
    """The method, its rule and its secrecy in one line."""
    declared = spec_of(spec["method"])
    parts = [spec["method"] if declared is None else tr(declared.name)]
    form = form_of(spec["method"])
    if form == Form.ANSWERS:
        parts.append(base_text(spec, tr))
    if form == Form.SOME and declared is not None and declared.max_choices is None:
        parts.append(tr(N_("at most %(max)s choices"), max=spec["max_choices"]))
    parts.append(tr(N_("secret ballot")) if spec["secret"] else tr(N_("open vote")))
    return ", ".join(parts)


def _options(spec: Mapping[str, Any]) -> list[str]:
    return list(spec.get("options") or [])


def count_lines(spec: Mapping[str, Any], result: Mapping[str, Any], tr: Tr) -> list[str]:
    """The counts as short lines: for / against / abstentions and the base, or one line per option."""
    form = form_of(spec["method"])
    options = _options(spec)
    lines: list[str] = []
    if form == Form.ANSWERS:
        lines.append(
            tr(
                N_("For: %(yes)s, against: %(no)s, abstentions: %(abstain)s."),
                yes=result["yes"],
                no=result["no"],
                abstain=result["abstain"],
            )
        )
        lines.append(
            tr(
                N_("Base: %(base)s; needed: %(required)s."),
                base=result["base"],
                required=result["required"],
            )
        )
        if result.get("late"):
            lines.append(tr(_LATE, count=result["late"]))
    elif form in (Form.ONE, Form.SOME):
        for index, count in enumerate(result["counts"]):
            lines.append(f"{labelled(tr, options[index])} {count}")
        lines.append(tr(N_("Blank: %(count)s."), count=result["blank"]))
    elif form == Form.GRADES:
        grades = [tr(g) for g in result["grades"]]
        for row in sorted(result["options"], key=lambda r: (r["rank"], r["option"])):
            profile = ", ".join(f"{grades[g]} {n}" for g, n in enumerate(row["profile"]))
            lines.append(
                tr(
                    N_("%(rank)s. %(option)s: majority grade %(grade)s%(tendency)s (%(profile)s)"),
                    rank=row["rank"],
                    option=options[row["option"]],
                    grade=grades[row["majority_grade"]],
                    tendency=f" {row['tendency']}" if row.get("tendency") else "",
                    profile=profile,
                )
            )
    return lines


@dataclass(frozen=True)
class Outcome:
    """What a vote decided, in words: the verdict, whether it is a tie, and what comes next."""

    verdict: str
    tie: bool = False
    next_step: str | None = None


def outcome(spec: Mapping[str, Any], result: Mapping[str, Any], tr: Tr) -> Outcome:
    """The verdict of a closed vote; a tie is never written as a decision."""
    form = form_of(spec["method"])
    options = _options(spec)
    if form == Form.ANSWERS:
        if result.get("tie"):
            return Outcome(
                tr(
                    N_("Tie: exactly %(share)s voted yes, and more was needed. Not adopted."),
                    share=spec["threshold"],
                ),
                True,
                tr(
                    N_(
                        "A tie does not adopt: the proposal may be amended and put to the vote again."
                    )
                ),
            )
        return Outcome(tr(N_("Adopted.")) if result["passed"] else tr(N_("Rejected.")))
    if form == Form.OBJECTIONS:
        if result["passed"]:
            return Outcome(tr(N_("Adopted by consent.")))
        return Outcome(tr(N_("Not adopted: objections.")))
    winners = [options[i] for i in result.get("winners", [])]
    if len(winners) > 1:
        return Outcome(
            tr(N_("Tie between: %(options)s."), options=", ".join(winners)),
            True,
            tr(_PLURALITY_TIE_NEXT),
        )
    return Outcome(tr(N_("Chosen: %(options)s."), options=winners[0] if winners else "—"))


def ballot_text(spec: Mapping[str, Any], ballot: Any, tr: Tr) -> str:
    """One open ballot in words: "no", "Grange", "Grange — Very good, Parc — Good"."""
    form = form_of(spec["method"])
    options = _options(spec)
    if form == Form.ANSWERS:
        return tr({"yes": N_("yes"), "no": N_("no"), "abstain": N_("abstain")}[ballot])
    if form == Form.ONE:
        return tr(N_("blank")) if ballot is None else options[ballot]
    if form == Form.SOME:
        return ", ".join(options[i] for i in ballot) or tr(N_("blank"))
    if form == Form.GRADES:  # one grade index per option, in option order
        return ", ".join(
            f"{options[option]} — {tr(GRADES[grade])}" for option, grade in enumerate(ballot)
        )
    return str(ballot)
