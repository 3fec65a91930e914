"""Secret ballots as count vectors: one fixed layout per vote, built from the canonical ballot.

Every counting method here depends only on totals, so a secret vote is
counted from the sum of its ballots' vectors and never from the ballots
themselves (the runner sums them encrypted; see
``docs/assembly/secret-ballots.md``). Layouts, by ballot form (:class:`~.methods.Form`):

* answers (majority): ``[yes, no, abstain]``;
* one (single choice): one slot per option, then ``blank``;
* some (multiple choice): one 0/1 slot per option, then one for an empty ballot;
* grades (majority judgment): ``options × grades``, option-major (``o * grades + g``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from estaminet.assembly.counting import Choice
from estaminet.assembly.methods import Form
from estaminet.assembly.state import VoteSpec

__all__ = [
    "ballot_vector",
    "majority_totals",
    "plurality_totals",
    "profiles",
    "sum_vectors",
    "vector_size",
]

_MAJORITY = (Choice.YES.value, Choice.NO.value, Choice.ABSTAIN.value)


def vector_size(spec: VoteSpec, grades: int) -> int:
    """The length of a ballot's vector for ``spec`` (``grades``: the judgment scale's length)."""
    form = spec.method.form
    if form is Form.ANSWERS:
        return len(_MAJORITY)
    if form is Form.GRADES:
        return len(spec.options) * grades
    if form in (Form.ONE, Form.SOME):
        return len(spec.options) + 1
    raise ValueError(f"{spec.method} has no ballots to count")


def ballot_vector(spec: VoteSpec, content: Any, grades: int) -> tuple[int, ...]:
    """The count vector of one canonical ballot (as :func:`~.ballots.parse_ballot` returns it)."""
    vector = [0] * vector_size(spec, grades)
    options = len(spec.options)
    form = spec.method.form
    if form is Form.ANSWERS:
        vector[_MAJORITY.index(content)] = 1
    elif form is Form.ONE:
        vector[options if content is None else content] = 1
    elif form is Form.SOME:
        for option in content:
            vector[option] = 1
        if not content:
            vector[options] = 1
    else:
        for option, grade in enumerate(content):
            vector[option * grades + grade] = 1
    return tuple(vector)


def sum_vectors(vectors: Iterable[Sequence[int]], size: int) -> list[int]:
    """The element-wise sum of ``vectors`` (all of length ``size``)."""
    totals = [0] * size
    for vector in vectors:
        if len(vector) != size:
            raise ValueError("a ballot vector has the wrong length")
        for index, count in enumerate(vector):
            totals[index] += count
    return totals


def majority_totals(totals: Sequence[int]) -> tuple[int, int, int]:
    """Yes, no and abstain from a majority vote's totals."""
    yes, no, abstain = totals
    return yes, no, abstain


def plurality_totals(totals: Sequence[int]) -> tuple[list[int], int]:
    """Each option's count and the blank (or empty) ballots, from a choice vote's totals."""
    return list(totals[:-1]), totals[-1]


def profiles(totals: Sequence[int], options: int, grades: int) -> list[tuple[int, ...]]:
    """Each option's grade profile (ballots per grade, best first) from a judgment's totals."""
    return [tuple(totals[o * grades : (o + 1) * grades]) for o in range(options)]
