"""Counting ballots: majorities with a stated base, plurality, majority judgment.

Pure arithmetic on plain values, with exact fractions (never floats), so
that a result is the same on every machine and can be checked by hand.
Nothing here knows about seats, proxies or secrecy: callers pass the
ballots (in any order, the result never depends on it) and the sizes of
the bases. Each method also counts from totals alone (``*_from_totals``,
:func:`judgment_from_profiles`): that is how secret votes are counted.

Majority judgment follows Balinski & Laraki: grades are indices into a
scale written best first (``0`` is the best grade); an option's majority
grade is the *lower* median of its grades; ties are broken by removing one
instance of the majority grade from each tied option and comparing again,
repeatedly. That repeated removal yields each option's *majority value*
(the sequence of successive majority grades) and the ranking is the
lexicographic order of those sequences.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

__all__ = [
    "Abstentions",
    "Base",
    "Choice",
    "JudgmentResult",
    "MajorityResult",
    "MajorityRule",
    "OptionJudgment",
    "PluralityResult",
    "count_judgment",
    "count_majority",
    "count_multiple",
    "count_single",
    "judgment_from_profiles",
    "majority_from_totals",
    "majority_grade",
    "majority_value",
    "plurality_from_totals",
]


class Choice(StrEnum):
    """A yes / no / abstain ballot."""

    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class Base(StrEnum):
    """What a majority threshold is a share of."""

    CAST = "cast"
    """Ballots cast (abstentions in or out according to :class:`Abstentions`)."""
    PRESENT = "present"
    """Voting members present or represented when the vote opened."""
    MEMBERS = "members"
    """All voting members, present or not."""


class Abstentions(StrEnum):
    """Whether abstentions enter a base of votes cast (other bases always include them)."""

    EXCLUDED = "excluded"
    COUNTED = "counted"


@dataclass(frozen=True)
class MajorityRule:
    """A threshold on a stated base: ``yes / base > threshold`` (strict) or ``>=``.

    A simple majority is ``1/2`` strict ("more than half"); qualified
    majorities such as ``2/3`` or ``4/5`` are usually "at least", not strict.
    """

    threshold: Fraction = Fraction(1, 2)
    strict: bool = True
    base: Base = Base.CAST
    abstentions: Abstentions = Abstentions.EXCLUDED

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ValueError("a threshold is a fraction in (0, 1]")


@dataclass(frozen=True)
class MajorityResult:
    """The counts of a yes / no / abstain vote and whether it passed."""

    yes: int
    no: int
    abstain: int
    base: int
    """The size of the stated base the threshold applies to."""
    required: int
    """The smallest number of yes votes that passes on this base."""
    passed: bool
    tie: bool = False
    """The yes votes are exactly at a strict threshold ("more than 1/2" with 3 of 6): not passed."""


def _required_yes(rule: MajorityRule, base: int) -> int:
    """The least integer ``y`` with ``y / base`` above (or at) the threshold."""
    share = rule.threshold * base
    floor = share.numerator // share.denominator
    if rule.strict:
        return floor + 1
    return floor if share.denominator == 1 else floor + 1


def count_majority(
    choices: Iterable[Choice], rule: MajorityRule, *, present: int, members: int
) -> MajorityResult:
    """Count yes / no / abstain ballots and apply ``rule``.

    ``present`` (voting members present or represented) and ``members``
    (all voting members) are the other possible bases. With an empty base
    nothing passes.
    """
    tally = Counter(Choice(c) for c in choices)
    yes, no, abstain = tally[Choice.YES], tally[Choice.NO], tally[Choice.ABSTAIN]
    return majority_from_totals(yes, no, abstain, rule, present=present, members=members)


def majority_from_totals(
    yes: int, no: int, abstain: int, rule: MajorityRule, *, present: int, members: int
) -> MajorityResult:
    """Apply ``rule`` to totals (open and secret votes alike end here).

    A tie is the yes votes standing exactly at a strict threshold: with
    "more than 1/2" of the votes cast, 3 yes against 3 no. It does not pass
    (the rule asks for more), and the result says it was a tie.
    """
    if rule.base is Base.CAST:
        base = yes + no + (abstain if rule.abstentions is Abstentions.COUNTED else 0)
    elif rule.base is Base.PRESENT:
        base = present
    else:
        base = members
    required = _required_yes(rule, base)
    passed = base > 0 and yes >= required
    tie = base > 0 and rule.strict and yes == rule.threshold * base
    return MajorityResult(yes, no, abstain, base, required, passed, tie)


@dataclass(frozen=True)
class PluralityResult:
    """Counts per option (in option order), blank ballots and the leading options."""

    counts: tuple[int, ...]
    blank: int
    ballots: int
    winners: tuple[int, ...]
    """Options with the highest count (several on a tie, none if nobody chose any)."""

    @property
    def tie(self) -> bool:
        """Several options share the highest count: nothing is chosen."""
        return len(self.winners) > 1


def _plurality(counts: Sequence[int], blank: int, ballots: int) -> PluralityResult:
    top = max(counts, default=0)
    winners = tuple(i for i, c in enumerate(counts) if c == top) if top > 0 else ()
    return PluralityResult(tuple(counts), blank, ballots, winners)


def plurality_from_totals(counts: Sequence[int], blank: int, ballots: int) -> PluralityResult:
    """The result of a choice vote from its totals: each option's count, blanks, ballots."""
    return _plurality(counts, blank, ballots)


def count_single(ballots: Iterable[int | None], options: int) -> PluralityResult:
    """Count single-choice ballots: an option index, or ``None`` for a blank ballot."""
    counts = [0] * options
    blank = total = 0
    for choice in ballots:
        total += 1
        if choice is None:
            blank += 1
        else:
            if not 0 <= choice < options:
                raise ValueError(f"unknown option {choice}")
            counts[choice] += 1
    return _plurality(counts, blank, total)


def count_multiple(
    ballots: Iterable[Sequence[int]], options: int, max_choices: int
) -> PluralityResult:
    """Count multiple-choice ballots (distinct options, at most ``max_choices``; empty = blank)."""
    counts = [0] * options
    blank = total = 0
    for chosen in ballots:
        total += 1
        if len(set(chosen)) != len(chosen) or len(chosen) > max_choices:
            raise ValueError("a multiple-choice ballot has distinct options, within the maximum")
        if not chosen:
            blank += 1
        for option in chosen:
            if not 0 <= option < options:
                raise ValueError(f"unknown option {option}")
            counts[option] += 1
    return _plurality(counts, blank, total)


def majority_grade(grades: Iterable[int]) -> int:
    """The lower median of ``grades`` (indices on a best-first scale, so the larger middle one)."""
    ordered = sorted(grades)
    if not ordered:
        raise ValueError("no grades")
    return ordered[len(ordered) // 2]


def majority_value(grades: Iterable[int]) -> tuple[int, ...]:
    """The successive majority grades obtained by removing one majority grade at a time.

    Comparing two options' majority values lexicographically (smaller is
    better on a best-first scale) is exactly the Balinski–Laraki tie-break.
    """
    remaining = sorted(grades)
    value: list[int] = []
    while remaining:
        value.append(remaining.pop(len(remaining) // 2))
    return tuple(value)


@dataclass(frozen=True)
class OptionJudgment:
    """One option's grades: the profile for its bar, its majority grade and rank."""

    option: int
    profile: tuple[int, ...]
    """How many ballots gave each grade, best grade first."""
    majority_grade: int
    tendency: str
    """``"+"`` if the tie-break would lift it, ``"-"`` if it would lower it, ``""`` if neither."""
    rank: int
    """1 for the best; tied options share a rank."""


@dataclass(frozen=True)
class JudgmentResult:
    """Majority judgment: every option's judgment, the ranking and the winners."""

    grades: int
    ballots: int
    options: tuple[OptionJudgment, ...]
    """In option order."""
    ranking: tuple[int, ...]
    """Option indices, best first (tied options in option order)."""
    winners: tuple[int, ...]

    @property
    def tie(self) -> bool:
        """Several options are still equal after the tie-break: nothing is chosen."""
        return len(self.winners) > 1


def _tendency(value: Sequence[int]) -> str:
    for grade in value[1:]:
        if grade != value[0]:
            return "+" if grade < value[0] else "-"
    return ""


def count_judgment(
    ballots: Iterable[Sequence[int | None]], options: int, grades: int
) -> JudgmentResult:
    """Rank ``options`` by majority judgment on a scale of ``grades`` grades (best first).

    Each ballot gives one grade index per option; a missing grade (``None``
    or a short ballot) counts as the lowest grade, ``grades - 1``.
    """
    if options < 1 or grades < 2:
        raise ValueError("majority judgment needs an option and at least two grades")
    lowest = grades - 1
    columns: list[list[int]] = [[] for _ in range(options)]
    for ballot in ballots:
        if len(ballot) > options:
            raise ValueError("a ballot grades more options than there are")
        for option in range(options):
            grade = ballot[option] if option < len(ballot) else None
            grade = lowest if grade is None else grade
            if not 0 <= grade < grades:
                raise ValueError(f"unknown grade {grade}")
            columns[option].append(grade)
    profiles = [tuple(column.count(g) for g in range(grades)) for column in columns]
    return judgment_from_profiles(profiles, grades)


def judgment_from_profiles(profiles: Sequence[Sequence[int]], grades: int) -> JudgmentResult:
    """Rank options by majority judgment from their grade profiles alone.

    ``profiles[o][g]`` is how many ballots gave option ``o`` the grade ``g``
    (best first); every option has the same number of ballots. The profile
    is all majority judgment needs: the median and the tie-break depend on
    the multiset of grades, never on which ballot gave which.
    """
    options = len(profiles)
    if options < 1 or grades < 2 or any(len(p) != grades for p in profiles):
        raise ValueError("majority judgment needs an option and a profile per grade")
    total = sum(profiles[0])
    if any(sum(p) != total or min(p) < 0 for p in profiles):
        raise ValueError("every option is graded by every ballot")
    lowest = grades - 1
    if total == 0:
        judged = tuple(OptionJudgment(i, (0,) * grades, lowest, "", 1) for i in range(options))
        return JudgmentResult(grades, 0, judged, tuple(range(options)), ())
    values = [
        majority_value(g for g, count in enumerate(profile) for _ in range(count))
        for profile in profiles
    ]
    ranking = tuple(sorted(range(options), key=lambda i: (values[i], i)))
    ranks: dict[int, int] = {}
    for position, option in enumerate(ranking):
        previous = ranking[position - 1] if position else None
        same = previous is not None and values[previous] == values[option]
        ranks[option] = ranks[previous] if same and previous is not None else position + 1
    judged = tuple(
        OptionJudgment(
            option=i,
            profile=tuple(profiles[i]),
            majority_grade=values[i][0],
            tendency=_tendency(values[i]),
            rank=ranks[i],
        )
        for i in range(options)
    )
    winners = tuple(i for i in ranking if ranks[i] == 1)
    return JudgmentResult(grades, total, judged, ranking, winners)
