"""Plain words for vote methods, bases and results, shared by the minutes' renderers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from estaminet.assembly.ballots import GRADES
from estaminet.kernel.i18n import N_

__all__ = ["METHODS", "Tr", "base_text", "method_text", "result_lines"]

Tr = Callable[..., str]
"""``tr(msgid, **params)``: the reader's translation."""

METHODS: dict[str, str] = {
    "majority": N_("Yes / no / abstain"),
    "single": N_("Single choice"),
    "multiple": N_("Multiple choice"),
    "consent": N_("Consent"),
    "judgment": N_("Majority judgment"),
}

_BASES = {
    "cast": N_("of the votes cast"),
    "present": N_("of the members present or represented"),
    "members": N_("of all voting members"),
}


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
    parts = [tr(METHODS.get(spec["method"], spec["method"]))]
    if spec["method"] == "majority":
        parts.append(base_text(spec, tr))
    if spec["method"] == "multiple":
        parts.append(tr(N_("at most %(max)s choices"), max=spec["max_choices"]))
    parts.append(tr(N_("secret ballot")) if spec["secret"] else tr(N_("open vote")))
    return ", ".join(parts)


def _name(names: Mapping[str, str], seat: Any, tr: Tr) -> str:
    return names.get(str(seat)) or tr(N_("seat %(seat)s"), seat=seat)


def result_lines(
    spec: Mapping[str, Any], result: Mapping[str, Any], names: Mapping[str, str], tr: Tr
) -> list[str]:
    """The result as short lines of plain text (counts, profiles, outcome, who voted what)."""
    method = spec["method"]
    options = list(spec.get("options") or [])
    lines: list[str] = []
    if method == "majority":
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
        lines.append(tr(N_("Adopted.")) if result["passed"] else tr(N_("Rejected.")))
    elif method in ("single", "multiple"):
        for index, count in enumerate(result["counts"]):
            lines.append(f"{options[index]}: {count}")
        lines.append(tr(N_("Blank: %(count)s."), count=result["blank"]))
        winners = [options[i] for i in result["winners"]]
        lines.append(tr(N_("Chosen: %(options)s."), options=", ".join(winners) or "—"))
    elif method == "judgment":
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
        winners = [options[i] for i in result["winners"]]
        if len(winners) == 1:
            lines.append(tr(N_("Chosen: %(options)s."), options=winners[0]))
        else:
            lines.append(tr(N_("Tie between: %(options)s."), options=", ".join(winners) or "—"))
    elif method == "consent":
        for objection in result.get("objections", []):
            lines.append(
                tr(
                    N_("Objection from %(name)s: %(reason)s"),
                    name=_name(names, objection["seat"], tr),
                    reason=objection["reason"],
                )
            )
        lines.append(
            tr(N_("Adopted by consent."))
            if result["passed"]
            else tr(N_("Not adopted: objections."))
        )
    if "by_voter" in result and not spec["secret"]:
        votes = "; ".join(
            f"{_name(names, seat, tr)}: {_ballot_text(method, ballot, options, tr)}"
            for seat, ballot in result["by_voter"]
        )
        lines.append(tr(N_("Who voted what: %(votes)s."), votes=votes))
    return lines


def _ballot_text(method: str, ballot: Any, options: list[str], tr: Tr) -> str:
    if method == "majority":
        return tr({"yes": N_("yes"), "no": N_("no"), "abstain": N_("abstain")}[ballot])
    if method == "single":
        return tr(N_("blank")) if ballot is None else options[ballot]
    if method == "multiple":
        return ", ".join(options[i] for i in ballot) or tr(N_("blank"))
    if method == "judgment":
        return ", ".join(f"{options[g['option']]} {tr(GRADES[g['grade']])}" for g in ballot)
    return str(ballot)
