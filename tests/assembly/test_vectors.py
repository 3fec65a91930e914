"""Secret ballots are counted from totals: each method's vector and the same result as open."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from estaminet.assembly.ballots import GRADES, parse_spec
from estaminet.assembly.vectors import ballot_vector, vector_size

from .conftest import FACILITATOR, VOTERS, Sitting


def test_vectors_one_slot_per_choice_for_every_method() -> None:
    majority = parse_spec({"method": "majority"}, False)
    assert vector_size(majority, len(GRADES)) == 3
    assert ballot_vector(majority, "abstain", len(GRADES)) == (0, 0, 1)
    single = parse_spec({"method": "single", "options": ["A", "B"]}, False)
    assert ballot_vector(single, 1, len(GRADES)) == (0, 1, 0)
    assert ballot_vector(single, None, len(GRADES)) == (0, 0, 1)  # blank
    multiple = parse_spec(
        {"method": "multiple", "options": ["A", "B", "C"], "max_choices": 2}, False
    )
    assert ballot_vector(multiple, [0, 2], len(GRADES)) == (1, 0, 1, 0)
    assert ballot_vector(multiple, [], len(GRADES)) == (0, 0, 0, 1)  # empty ballot
    judgment = parse_spec({"method": "judgment", "options": ["A", "B"]}, False)
    assert vector_size(judgment, len(GRADES)) == 14
    assert ballot_vector(judgment, [6, 0], len(GRADES)) == (0,) * 6 + (1, 1) + (0,) * 6


SPECS: list[dict[str, Any]] = [
    {"method": "majority", "question": "?"},
    {"method": "single", "options": ["A", "B", "C"]},
    {"method": "multiple", "options": ["A", "B", "C"], "max_choices": 2},
    {"method": "judgment", "options": ["A", "B", "C"]},
]


def _ballot(method: str, draw: int) -> Any:
    if method == "majority":
        return ["yes", "no", "abstain"][draw % 3]
    if method == "single":
        return None if draw % 4 == 3 else draw % 4
    if method == "multiple":
        return [[], [0], [1, 2], [0, 2]][draw % 4]
    return [{"option": o, "grade": (draw >> (3 * o)) % 7} for o in range(3)]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(SPECS), st.lists(st.integers(0, 4095), min_size=7, max_size=7))
def test_vectors_a_secret_vote_counts_like_the_same_open_vote(
    spec: dict[str, Any], draws: list[int]
) -> None:
    results = []
    for secret in (False, True):
        sitting = Sitting()
        sitting.open_sitting()
        vote = sitting.run_vote({**spec, "secret": secret})
        for seat, draw in zip(VOTERS, draws, strict=True):
            sitting.act(seat, "vote.cast", vote=vote, ballot=_ballot(spec["method"], draw))
        sitting.act(FACILITATOR, "vote.close", vote=vote)
        result = dict(sitting.state.votes[vote].result or {})
        result.pop("by_voter", None)
        results.append(result)
    assert results[0] == results[1]
