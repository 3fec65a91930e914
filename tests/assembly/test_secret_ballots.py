"""Secret ballots are unlinkable: what is stored never ties a voter to a ballot."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from estaminet.assembly import ASSEMBLY, BoxReading, SealedBallot
from estaminet.kernel.activity import Rejection, Viewer

from .conftest import FACILITATOR, VOTERS, Sitting

SECRET_JUDGMENT = {
    "method": "judgment",
    "options": ["Quiz", "Dessin", "Loup-Garou"],
    "secret": True,
}
SECRET_YES_NO = {"method": "majority", "question": "Élire Camille ?", "secret": True}


def grades(*values: int) -> list[dict[str, int]]:
    return [{"option": option, "grade": grade} for option, grade in enumerate(values)]


def stored(sitting: Sitting) -> tuple[str, str, str]:
    """What a runner keeps: the ordered log, the ballot box, a snapshot."""
    log = json.dumps(sitting.log, sort_keys=True)
    box = json.dumps(sorted(sitting.box.items()), sort_keys=True)
    snapshot = json.dumps(ASSEMBLY.dump(sitting.state), sort_keys=True)
    return log, box, snapshot


def test_vote_cast_secret_logs_the_voter_and_seals_the_ballot(in_session: Sitting) -> None:
    vote = in_session.run_vote(SECRET_JUDGMENT)
    decision = in_session.attempt(3, {"type": "vote.cast", "vote": vote, "ballot": grades(0, 3, 6)})
    assert not isinstance(decision, Rejection)
    assert decision.events == ({"type": "vote.ballot_cast", "vote": vote, "voter": 3, "by": 3},)
    # Three options × seven grades, option-major: one 1 per option, at its grade.
    vector = [0] * 21
    vector[0], vector[7 + 3], vector[14 + 6] = 1, 1, 1
    assert decision.sealed == (SealedBallot(f"vote:{vote}", tuple(vector)),)


def test_vote_cast_secret_is_refused_by_apply_without_a_ballot_box(in_session: Sitting) -> None:
    vote = in_session.run_vote(SECRET_YES_NO)
    action = {"type": "vote.cast", "vote": vote, "ballot": "yes"}
    result = ASSEMBLY.apply(in_session.state, 3, action, in_session.now)
    assert isinstance(result, Rejection)
    assert result.code == "assembly/sealed_box_required"
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    vote = in_session.run_vote({**SECRET_YES_NO, "secret": False})
    action = {"type": "vote.cast", "vote": vote, "ballot": "yes"}
    assert not isinstance(ASSEMBLY.apply(in_session.state, 3, action, in_session.now), Rejection)


def test_vote_cast_secret_stored_rows_do_not_depend_on_who_voted_what() -> None:
    ballots = ["yes", "no", "no", "abstain", "yes"]
    first, second = Sitting(), Sitting()
    for sitting, order in ((first, ballots), (second, list(reversed(ballots)))):
        sitting.open_sitting()
        vote = sitting.run_vote(SECRET_YES_NO)
        for seat, ballot in zip((3, 4, 5, 6, 0), order, strict=True):
            sitting.act(seat, "vote.cast", vote=vote, ballot=ballot)
    assert stored(first) == stored(second)
    for viewer in (Viewer.spectator(), Viewer.narrator(), Viewer.player(3)):
        assert ASSEMBLY.view(first.state, viewer) == ASSEMBLY.view(second.state, viewer)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 6), min_size=3, max_size=3), min_size=7, max_size=7),
    st.permutations(range(7)),
)
def test_vote_cast_secret_any_reassignment_of_ballots_stores_the_same_rows(
    ballots: list[list[int]], permutation: list[int]
) -> None:
    runs: list[tuple[str, str, str]] = []
    results: list[Any] = []
    for assignment in (list(range(7)), permutation):
        sitting = Sitting()
        sitting.open_sitting()
        vote = sitting.run_vote(SECRET_JUDGMENT)
        for seat, index in zip(VOTERS, assignment, strict=True):
            sitting.act(seat, "vote.cast", vote=vote, ballot=grades(*ballots[index]))
        runs.append(stored(sitting))
        sitting.act(FACILITATOR, "vote.close", vote=vote)
        results.append(sitting.state.votes[vote].result)
        runs.append(stored(sitting))
    assert runs[0] == runs[2]
    assert runs[1] == runs[3]
    assert results[0] == results[1]


def test_vote_cast_secret_snapshot_and_view_hold_no_ballot(in_session: Sitting) -> None:
    vote = in_session.run_vote({**SECRET_YES_NO, "live_counts": True})
    in_session.act(3, "vote.cast", vote=vote, ballot="no")
    snapshot = ASSEMBLY.dump(in_session.state)
    assert "no" not in json.dumps(snapshot["votes"])
    shown = ASSEMBLY.view(in_session.state, Viewer.narrator())["votes"][0]
    assert "live" not in shown
    assert shown["spec"]["live_counts"] is False
    assert shown["participation"]["voted"] == 1
    assert in_session.view(3)["votes"][0]["my_ballots"] == [
        {"for": 3, "proxy": False, "voted": True}
    ]


def test_vote_close_secret_counts_the_box_and_publishes_totals_only(in_session: Sitting) -> None:
    vote = in_session.run_vote(SECRET_YES_NO)
    for seat, ballot in ((3, "yes"), (4, "yes"), (5, "no")):
        in_session.act(seat, "vote.cast", vote=vote, ballot=ballot)
    events = in_session.act(FACILITATOR, "vote.close", vote=vote)
    result = events[0]["result"]
    assert (result["yes"], result["no"], result["passed"]) == (2, 1, True)
    assert "by_voter" not in result
    assert result["voters"] == [3, 4, 5]


def test_vote_close_secret_after_restart_uses_the_box(in_session: Sitting) -> None:
    vote = in_session.run_vote(SECRET_JUDGMENT)
    in_session.act(3, "vote.cast", vote=vote, ballot=grades(0, 1, 2))
    in_session.act(4, "vote.cast", vote=vote, ballot=grades(2, 1, 0))
    restarted = in_session.rebuilt()
    reloaded = ASSEMBLY.refill_boxes(
        ASSEMBLY.load(ASSEMBLY.dump(in_session.state)), in_session.readings()
    )
    box = in_session.state.votes[vote].box
    assert box is not None and box.ballots == 2 and box.totals is not None
    for state in (restarted, reloaded):
        again = state.votes[vote].box
        assert again is not None
        assert (again.ballots, again.totals) == (box.ballots, box.totals)
    in_session.state = restarted
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    result = in_session.state.votes[vote].result
    assert result is not None
    assert result["ballots"] == 2


def test_vote_close_secret_refuses_a_locked_box_and_a_timed_close_waits(
    in_session: Sitting,
) -> None:
    vote = in_session.run_vote({**SECRET_YES_NO, "duration_seconds": 30})
    in_session.act(3, "vote.cast", vote=vote, ballot="yes")
    in_session.state = in_session.rebuilt(key=False)  # restarted without the key: locked
    in_session.act(4, "vote.cast", vote=vote, ballot="no")  # a locked box still takes ballots
    code = in_session.refuse(FACILITATOR, "vote.close", vote=vote)
    assert code == "assembly/ballot_box_locked"
    closes_at = in_session.state.votes[vote].closes_at
    assert ASSEMBLY.deadline(in_session.state) != closes_at  # no vote timer while locked
    in_session.later(31)
    assert in_session.timeout() == []  # the timed close waits for the key
    assert in_session.state.votes[vote].status == "open"
    assert ASSEMBLY.view(in_session.state, Viewer.spectator())["votes"][0]["box"] == {
        "locked": True
    }
    # The key is back (the holders' pages gave their shares): the timed close happens.
    in_session.state = ASSEMBLY.refill_boxes(in_session.state, in_session.readings())
    assert ASSEMBLY.deadline(in_session.state) == closes_at
    events = in_session.timeout()
    result = events[0]["result"]
    assert events[0]["type"] == "vote.closed"
    assert (result["yes"], result["no"], result["ballots"]) == (1, 1, 2)


def test_vote_cancel_secret_works_while_the_box_is_locked(in_session: Sitting) -> None:
    vote = in_session.run_vote(SECRET_YES_NO)
    in_session.act(3, "vote.cast", vote=vote, ballot="yes")
    in_session.state = in_session.rebuilt(key=False)
    in_session.act(FACILITATOR, "vote.cancel", vote=vote)
    assert in_session.state.votes[vote].status == "cancelled"
    assert in_session.state.votes[vote].box is None


def test_vote_close_secret_refuses_an_incomplete_box(in_session: Sitting) -> None:
    vote = in_session.run_vote({**SECRET_YES_NO, "duration_seconds": 30})
    in_session.act(3, "vote.cast", vote=vote, ballot="yes")
    empty = BoxReading(f"vote:{vote}", 0, (0, 0, 0))
    in_session.state = ASSEMBLY.refill_boxes(
        ASSEMBLY.load(ASSEMBLY.dump(in_session.state)), [empty]
    )
    code = in_session.refuse(FACILITATOR, "vote.close", vote=vote)
    assert code == "assembly/ballot_box_incomplete"
    in_session.later(31)
    events = in_session.timeout()
    assert events[0]["type"] == "vote.cancelled"


def test_vote_cast_secret_deposit_into_a_closed_box_is_ignored(in_session: Sitting) -> None:
    vote = in_session.run_vote(SECRET_YES_NO)
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    after = ASSEMBLY.deposit(in_session.state, SealedBallot(f"vote:{vote}", (1, 0, 0)))
    assert after.votes[vote].box is None


def test_vote_open_secret_view_shows_the_keepers_to_the_chair_only(in_session: Sitting) -> None:
    vote = in_session.run_vote(SECRET_YES_NO)
    chair = in_session.view(FACILITATOR)["votes"][0]
    assert chair["box"] == {
        "locked": False,
        "keepers": [{"seat": FACILITATOR, "kept": False}, {"seat": 1, "kept": False}],
    }
    box = f"vote:{vote}"
    assert chair["my_keys"] == [{"box": box, "part": 0, "state": "pending"}]
    assert in_session.view(1)["votes"][0]["my_keys"] == [
        {"box": box, "part": 1, "state": "pending"}
    ]
    member = in_session.view(3)["votes"][0]
    assert member["box"] == {"locked": False} and "my_keys" not in member
    in_session.state = ASSEMBLY.refill_boxes(
        in_session.state, [BoxReading(f"vote:{vote}", 0, (0, 0, 0), (0, 1), (True, False))]
    )
    assert in_session.view(FACILITATOR)["votes"][0]["my_keys"] == [
        {"box": box, "part": 0, "state": "kept"}
    ]
    in_session.state = in_session.rebuilt(key=False)
    assert in_session.view(1)["votes"][0]["box"]["locked"] is True
