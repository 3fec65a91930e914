"""Vote specifications, ballots and tallies as JSON.

A spec is what the facilitator prepares and everyone sees before the vote
opens (method, base, threshold, abstention rule, secrecy). A ballot is
checked against its spec and brought to one canonical JSON form, so that
equal ballots are equal strings. A tally turns the totals of the ballots'
count vectors (:mod:`.vectors`) into a result: the same path for open
votes and for secret ones, whose ballots are only ever summed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from estaminet.assembly.checks import Refused, field_name
from estaminet.assembly.counting import (
    Abstentions,
    Base,
    Choice,
    MajorityRule,
    judgment_from_profiles,
    majority_from_totals,
    plurality_from_totals,
)
from estaminet.assembly.methods import Form, Method
from estaminet.assembly.preparation import InvalidPreparation, parse_fraction
from estaminet.assembly.rejections import reject
from estaminet.assembly.state import Subject, Vote, VoteSpec
from estaminet.assembly.vectors import (
    ballot_vector,
    majority_totals,
    plurality_totals,
    profiles,
    sum_vectors,
    vector_size,
)
from estaminet.kernel.i18n import N_, Text

__all__ = [
    "GRADES",
    "ballot_totals",
    "canonical",
    "parse_ballot",
    "parse_spec",
    "spec_from_dict",
    "spec_to_dict",
    "tally",
]

GRADES: tuple[str, ...] = (
    N_("Excellent"),
    N_("Very good"),
    N_("Good"),
    N_("Fairly good"),
    N_("Passable"),
    N_("Insufficient"),
    N_("To reject"),
)
"""The majority-judgment scale, best first; a missing grade counts as the last one."""


def _invalid(detail: str | Text) -> Refused:
    text = detail if isinstance(detail, Text) else Text(detail)
    return Refused(reject("assembly/invalid_vote", detail=text))


def _bad_ballot(detail: str) -> Refused:
    return Refused(reject("assembly/invalid_ballot", detail=Text(detail)))


_CHOICE_ERRORS: dict[str, str] = {
    "base": N_("the base of the majority is unknown"),
    "abstentions": N_("the way abstentions count is unknown"),
}


def canonical(content: Any) -> str:
    """One JSON text per ballot content (equal ballots, equal texts)."""
    return json.dumps(content, separators=(",", ":"), sort_keys=True)


def spec_to_dict(spec: VoteSpec) -> dict[str, Any]:
    """The JSON form of a spec, with every rule spelled out."""
    rule = spec.rule
    return {
        "method": spec.method.value,
        "question": spec.question,
        "options": list(spec.options),
        "max_choices": spec.max_choices,
        "threshold": str(rule.threshold),
        "strict": rule.strict,
        "base": rule.base.value,
        "abstentions": rule.abstentions.value,
        "secret": spec.secret,
        "quorum": None if spec.quorum is None else str(spec.quorum),
        "motion": None if spec.subject is None else spec.subject.motion,
        "amendment": None if spec.subject is None else spec.subject.amendment,
        "live_counts": spec.live_counts,
        "duration_seconds": spec.duration_seconds,
    }


def spec_from_dict(data: Mapping[str, Any]) -> VoteSpec:
    """Read back :func:`spec_to_dict` (trusted input from the log or a snapshot)."""
    motion = data["motion"]
    return VoteSpec(
        method=Method(data["method"]),
        question=data["question"],
        options=tuple(data["options"]),
        max_choices=data["max_choices"],
        rule=MajorityRule(
            Fraction(data["threshold"]),
            data["strict"],
            Base(data["base"]),
            Abstentions(data["abstentions"]),
        ),
        secret=data["secret"],
        quorum=None if data["quorum"] is None else Fraction(data["quorum"]),
        subject=None if motion is None else Subject(motion, data["amendment"]),
        live_counts=data["live_counts"],
        duration_seconds=data["duration_seconds"],
    )


def _choice(raw: Mapping[str, Any], key: str, kind: type[Base] | type[Abstentions]) -> Any:
    try:
        return kind(raw.get(key, next(iter(kind)).value))
    except ValueError:
        raise _invalid(_CHOICE_ERRORS[key]) from None


def _optional_int(raw: Mapping[str, Any], key: str, default: int | None) -> int | None:
    value = raw.get(key, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise _invalid(Text(N_("%(field)s must be a whole number"), {"field": field_name(key)}))
    return value


def parse_spec(raw: object, default_live_counts: bool) -> VoteSpec:
    """Check a spec from the facilitator; refuses with ``assembly/invalid_vote``."""
    if not isinstance(raw, Mapping):
        raise _invalid(N_("the vote is not described"))
    try:
        method = Method(str(raw.get("method")))
    except ValueError:
        raise _invalid(N_("the voting method is unknown")) from None
    question, options = raw.get("question", ""), raw.get("options", [])
    if not isinstance(question, str) or len(question) > 1000:
        raise _invalid(N_("the question must be a short text"))
    if not isinstance(options, list) or not all(isinstance(o, str) and o for o in options):
        raise _invalid(N_("the options must be a list of texts"))
    if len(options) > 50 or len(set(options)) != len(options):
        raise _invalid(N_("the options must all be different, 50 at most"))
    declared = method.spec
    if declared.form in (Form.ANSWERS, Form.OBJECTIONS):
        options = []
    elif len(options) < declared.min_options:
        raise _invalid(N_("this voting method needs more options"))
    max_choices = _optional_int(raw, "max_choices", 1) or 0
    if declared.form is Form.SOME and declared.max_choices is not None:
        max_choices = declared.max_choices or len(options)  # fixed by the method (0: all)
    if declared.form is Form.SOME and not 1 <= max_choices <= len(options):
        raise _invalid(
            N_("the maximum number of choices must be between 1 and the number of options")
        )
    try:
        threshold = parse_fraction(raw.get("threshold", "1/2"), N_("the majority"))
        quorum = (
            None if raw.get("quorum") is None else parse_fraction(raw["quorum"], N_("the quorum"))
        )
    except InvalidPreparation as error:
        raise _invalid(error.text) from None
    secret = bool(raw.get("secret", False))
    if secret and declared.form is Form.OBJECTIONS:
        raise _invalid(N_("consent is given openly: objections are heard by everyone"))
    motion = _optional_int(raw, "motion", None)
    amendment = _optional_int(raw, "amendment", None)
    if amendment is not None and motion is None:
        raise _invalid(N_("an amendment belongs to a proposal"))
    if motion is not None and not declared.for_motions:
        raise _invalid(N_("a proposal is decided by majority or by consent"))
    duration = _optional_int(raw, "duration_seconds", None)
    if duration is not None and not 10 <= duration <= 24 * 3600:
        raise _invalid(N_("the duration must be between 10 seconds and a day"))
    return VoteSpec(
        method=method,
        question=question.strip(),
        options=tuple(options),
        max_choices=max_choices if declared.form is Form.SOME else 1,
        rule=MajorityRule(
            threshold,
            bool(raw.get("strict", threshold == Fraction(1, 2))),
            _choice(raw, "base", Base),
            _choice(raw, "abstentions", Abstentions),
        ),
        secret=secret,
        quorum=quorum,
        subject=None if motion is None else Subject(motion, amendment),
        # A secret vote never shows running counts: watching them move as
        # each voter is marked would link voters to ballots.
        live_counts=not secret and bool(raw.get("live_counts", default_live_counts)),
        duration_seconds=duration,
    )


def _index(value: object, size: int, code: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
        raise Refused(reject(code))
    return value


def parse_ballot(spec: VoteSpec, raw: object) -> Any:
    """Check ``raw`` against ``spec`` and return its canonical content.

    majority: ``"yes" | "no" | "abstain"``; single: an option index or
    ``null`` (blank); multiple: a list of distinct option indices (sorted);
    judgment: ``[{"option": i, "grade": g}, ...]`` becomes one grade per
    option, a missing grade being the lowest.
    """
    form = spec.method.form
    if form is Form.ANSWERS:
        if raw not in {c.value for c in Choice}:
            raise _bad_ballot(N_("answer yes, no or abstain"))
        return raw
    if form is Form.ONE:
        return None if raw is None else _index(raw, len(spec.options), "assembly/unknown_option")
    if form is Form.SOME:
        if not isinstance(raw, list):
            raise _bad_ballot(N_("choose from the list of options"))
        chosen = [_index(v, len(spec.options), "assembly/unknown_option") for v in raw]
        if len(set(chosen)) != len(chosen):
            raise _bad_ballot(N_("an option was chosen twice"))
        if len(chosen) > spec.max_choices:
            raise Refused(reject("assembly/too_many_choices", max=spec.max_choices))
        return sorted(chosen)
    if form is Form.GRADES:
        if not isinstance(raw, list):
            raise _bad_ballot(N_("give each option a grade"))
        grades: list[int | None] = [None] * len(spec.options)
        for pair in raw:
            if not isinstance(pair, Mapping):
                raise _bad_ballot(N_("give each option a grade"))
            option = _index(pair.get("option"), len(spec.options), "assembly/unknown_option")
            grade = _index(pair.get("grade"), len(GRADES), "assembly/unknown_grade")
            if grades[option] is not None:
                raise Refused(reject("assembly/grade_twice"))
            grades[option] = grade
        return [len(GRADES) - 1 if g is None else g for g in grades]
    raise Refused(reject("assembly/wrong_method"))


def _counted(
    spec: VoteSpec, totals: Sequence[int], ballots: int, present: int, members: int
) -> dict[str, Any]:
    if spec.method.form is Form.ANSWERS:
        yes, no, abstain = majority_totals(totals)
        result = majority_from_totals(yes, no, abstain, spec.rule, present=present, members=members)
        return {
            "yes": result.yes,
            "no": result.no,
            "abstain": result.abstain,
            "base": result.base,
            "required": result.required,
            "passed": result.passed,
            "tie": result.tie,
        }
    if spec.method.form is Form.GRADES:
        grades = len(GRADES)
        judged = judgment_from_profiles(profiles(totals, len(spec.options), grades), grades)
        return {
            "grades": list(GRADES),
            "options": [
                {
                    "option": o.option,
                    "profile": list(o.profile),
                    "majority_grade": o.majority_grade,
                    "tendency": o.tendency,
                    "rank": o.rank,
                }
                for o in judged.options
            ],
            "ranking": list(judged.ranking),
            "winners": list(judged.winners),
            "passed": len(judged.winners) == 1,
            "tie": judged.tie,
        }
    counts, blank = plurality_totals(totals)
    plural = plurality_from_totals(counts, blank, ballots)
    return {
        "counts": list(plural.counts),
        "blank": plural.blank,
        "winners": list(plural.winners),
        "passed": len(plural.winners) == 1,
        "tie": plural.tie,
    }


def ballot_totals(vote: Vote) -> tuple[list[int], int]:
    """The sum of ``vote``'s ballot vectors and how many ballots it holds.

    A secret vote's come from its box (the runner's running totals); call
    this only when the box is readable (not locked).
    """
    size = vector_size(vote.spec, len(GRADES))
    if vote.spec.secret:
        box = vote.box
        if box is None or box.totals is None:
            raise ValueError("a locked ballot box cannot be counted")
        return list(box.totals), box.ballots
    vectors = (ballot_vector(vote.spec, b, len(GRADES)) for b in vote.ballots.values())
    return sum_vectors(vectors, size), len(vote.ballots)


def tally(vote: Vote, members: int) -> dict[str, Any]:
    """The result of ``vote``: counts, base and outcome, plus who voted what if open."""
    spec = vote.spec
    present = vote.present_base
    result: dict[str, Any] = {"method": spec.method.value, "voters": sorted(vote.voters)}
    if spec.method.form is Form.OBJECTIONS:
        objections = [{"seat": s, "reason": r} for s, r in sorted(vote.objections.items())]
        result.update(objections=objections, passed=not objections)
        return result
    result["ballots"] = len(vote.voters)
    result.update(_counted(spec, *ballot_totals(vote), present, members))
    if spec.method.form is Form.ANSWERS and spec.rule.base is Base.PRESENT:
        result["late"] = vote.late_voters  # arrived during the vote, voted, entered the base
    if not spec.secret:
        result["by_voter"] = [[seat, vote.ballots[seat]] for seat in sorted(vote.ballots)]
    return result
