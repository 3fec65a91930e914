"""Votes: spec shown before opening, quorum, casting (in person and by proxy), results."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from estaminet.assembly import ASSEMBLY

from .conftest import FACILITATOR, MEMBERS, OBSERVER, Sitting

YES_NO = {"method": "majority", "question": "Adopter les comptes ?"}


def cast_all(sitting: Sitting, vote: int, ballots: dict[int, Any]) -> None:
    for seat, ballot in ballots.items():
        sitting.act(seat, "vote.cast", vote=vote, ballot=ballot)


def test_vote_prepare_shows_method_and_base_before_opening(in_session: Sitting) -> None:
    spec = {**YES_NO, "threshold": "2/3", "base": "present", "abstentions": "counted"}
    in_session.act(FACILITATOR, "vote.prepare", vote=spec)
    shown = in_session.view(3)["votes"][0]
    assert shown["status"] == "draft"
    assert shown["spec"]["threshold"] == "2/3"
    assert shown["spec"]["strict"] is False
    assert shown["spec"]["base"] == "present"
    assert shown["spec"]["abstentions"] == "counted"
    assert shown["spec"]["secret"] is False


def test_vote_prepare_is_for_the_facilitator_and_checks_the_spec(in_session: Sitting) -> None:
    assert in_session.refuse(3, "vote.prepare", vote=YES_NO) == "assembly/not_facilitator"
    for bad in (
        {"method": "plurality"},
        {"method": "single", "options": ["A"]},
        {"method": "multiple", "options": ["A", "B"], "max_choices": 3},
        {"method": "majority", "threshold": "3/2"},
        {"method": "majority", "base": "friends"},
        {"method": "consent", "secret": True},
        {"method": "judgment", "options": ["A", "A"]},
        {"method": "single", "options": ["A", "B"], "motion": 1},
        "yes",
    ):
        assert in_session.refuse(FACILITATOR, "vote.prepare", vote=bad) == "assembly/invalid_vote"


def test_vote_open_needs_quorum_and_tells_the_facilitator_why(sitting: Sitting) -> None:
    sitting.open_sitting(0, 3, 4)  # 3 of 7 present, 4 needed
    sitting.act(FACILITATOR, "vote.prepare", vote=YES_NO)
    code = sitting.refuse(FACILITATOR, "vote.open", vote=1)
    assert code == "assembly/quorum_not_reached"
    shown = sitting.view(FACILITATOR)["votes"][0]
    assert shown["can_open"] is False
    assert shown["blocked_by"]["params"] == {"count": 3, "required": 4}
    assert "blocked_by" not in sitting.view(3)["votes"][0]
    sitting.act(6, "proxy.give", to=3)  # represented now
    assert sitting.view(FACILITATOR)["votes"][0]["can_open"] is True
    sitting.act(FACILITATOR, "vote.open", vote=1)


def test_vote_open_with_its_own_quorum_for_statutes(in_session: Sitting) -> None:
    in_session.act(5, "attendance.check_out")
    in_session.act(6, "attendance.check_out")  # 5 of 7 present
    spec = {**YES_NO, "quorum": "4/5", "threshold": "2/3"}
    in_session.act(FACILITATOR, "vote.prepare", vote=spec)
    assert in_session.refuse(FACILITATOR, "vote.open", vote=1) == "assembly/quorum_not_reached"


def test_vote_open_is_for_the_facilitator_one_at_a_time(in_session: Sitting) -> None:
    in_session.act(FACILITATOR, "vote.prepare", vote=YES_NO)
    in_session.act(FACILITATOR, "vote.prepare", vote=YES_NO)
    assert in_session.refuse(3, "vote.open", vote=1) == "assembly/not_facilitator"
    in_session.act(FACILITATOR, "vote.open", vote=1)
    assert in_session.refuse(FACILITATOR, "vote.open", vote=1) == "assembly/vote_not_draft"
    assert in_session.refuse(FACILITATOR, "vote.open", vote=2) == "assembly/vote_already_open"
    assert in_session.refuse(FACILITATOR, "vote.open", vote=9) == "assembly/unknown_vote"


def test_vote_cast_twice_is_refused(in_session: Sitting) -> None:
    vote = in_session.run_vote(YES_NO)
    in_session.act(3, "vote.cast", vote=vote, ballot="yes")
    assert in_session.refuse(3, "vote.cast", vote=vote, ballot="no") == "assembly/already_voted"


def test_vote_cast_after_close_is_refused(in_session: Sitting) -> None:
    vote = in_session.run_vote(YES_NO)
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    assert in_session.refuse(3, "vote.cast", vote=vote, ballot="yes") == "assembly/vote_closed"


def test_vote_cast_by_observer_or_absent_member_is_refused(in_session: Sitting) -> None:
    in_session.act(OBSERVER, "attendance.check_in")
    vote = in_session.run_vote(YES_NO)
    assert in_session.refuse(OBSERVER, "vote.cast", vote=vote, ballot="yes") == (
        "assembly/not_a_voter"
    )
    in_session.act(3, "attendance.check_out")
    assert in_session.refuse(3, "vote.cast", vote=vote, ballot="yes") == "assembly/not_present"


def test_vote_cast_refuses_malformed_ballots(in_session: Sitting) -> None:
    vote = in_session.run_vote(YES_NO)
    assert in_session.refuse(3, "vote.cast", vote=vote, ballot="maybe") == "assembly/invalid_ballot"
    assert in_session.refuse(3, "vote.cast", vote="1", ballot="yes") == "assembly/malformed"


def test_vote_cast_by_proxy_is_a_separate_ballot(in_session: Sitting) -> None:
    in_session.act(6, "attendance.check_out")
    in_session.act(6, "proxy.give", to=3)
    vote = in_session.run_vote(YES_NO)
    ballots = in_session.view(3)["votes"][0]["my_ballots"]
    assert ballots == [
        {"for": 3, "proxy": False, "voted": False},
        {"for": 6, "proxy": True, "voted": False},
    ]
    in_session.act(3, "vote.cast", vote=vote, ballot="yes")
    events = in_session.act(3, "vote.cast", vote=vote, ballot="no", **{"for": 6})
    assert events[0]["voter"] == 6
    assert events[0]["by"] == 3
    ballots = in_session.view(3)["votes"][0]["my_ballots"]
    assert [b["ballot"] for b in ballots] == ["yes", "no"]


def test_vote_cast_for_someone_without_their_proxy_is_refused(in_session: Sitting) -> None:
    in_session.act(6, "proxy.give", to=3)  # 6 is present: the proxy sleeps
    vote = in_session.run_vote(YES_NO)
    code = in_session.refuse(3, "vote.cast", vote=vote, ballot="yes", **{"for": 6})
    assert code == "assembly/not_your_proxy"
    code = in_session.refuse(4, "vote.cast", vote=vote, ballot="yes", **{"for": 5})
    assert code == "assembly/not_your_proxy"


def test_vote_close_simple_majority_result_with_base(in_session: Sitting) -> None:
    vote = in_session.run_vote(YES_NO)
    cast_all(in_session, vote, {0: "yes", 1: "yes", 2: "yes", 3: "no", 4: "abstain"})
    assert in_session.refuse(3, "vote.close", vote=vote) == "assembly/not_facilitator"
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    result = in_session.view()["votes"][0]["result"]
    assert result["yes"] == 3
    assert result["no"] == 1
    assert result["abstain"] == 1
    assert result["base"] == 4
    assert result["passed"] is True
    assert result["by_voter"] == [[0, "yes"], [1, "yes"], [2, "yes"], [3, "no"], [4, "abstain"]]


def test_vote_close_qualified_majority_on_present_base(in_session: Sitting) -> None:
    spec = {**YES_NO, "threshold": "2/3", "base": "present"}
    vote = in_session.run_vote(spec)
    cast_all(in_session, vote, {0: "yes", 1: "yes", 2: "yes", 3: "yes", 4: "no"})
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    result = in_session.state.votes[vote].result
    assert result is not None
    assert (result["base"], result["required"], result["passed"]) == (7, 5, False)


def test_vote_close_single_choice_and_multiple_choice(in_session: Sitting) -> None:
    vote = in_session.run_vote({"method": "single", "options": ["Mai", "Juin"]})
    cast_all(in_session, vote, {3: 0, 4: 1, 5: 1, 6: None})
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    result = in_session.state.votes[vote].result
    assert result is not None
    assert (result["counts"], result["blank"], result["winners"]) == ([1, 2], 1, [1])
    spec = {"method": "multiple", "options": ["A", "B", "C"], "max_choices": 2}
    vote = in_session.run_vote(spec)
    code = in_session.refuse(3, "vote.cast", vote=vote, ballot=[0, 1, 2])
    assert code == "assembly/too_many_choices"
    assert in_session.refuse(3, "vote.cast", vote=vote, ballot=[0, 0]) == "assembly/invalid_ballot"
    assert in_session.refuse(3, "vote.cast", vote=vote, ballot=[5]) == "assembly/unknown_option"
    cast_all(in_session, vote, {3: [2, 0], 4: [2], 5: []})
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    result = in_session.state.votes[vote].result
    assert result is not None
    assert (result["counts"], result["blank"], result["winners"]) == ([1, 0, 2], 1, [2])


def test_vote_cast_majority_judgment_grading_an_option_twice_is_refused(
    in_session: Sitting,
) -> None:
    vote = in_session.run_vote({"method": "judgment", "options": ["A", "B"]})
    twice = [{"option": 0, "grade": 1}, {"option": 0, "grade": 2}]
    assert in_session.refuse(3, "vote.cast", vote=vote, ballot=twice) == "assembly/grade_twice"
    bad_grade = [{"option": 0, "grade": 7}]
    assert in_session.refuse(3, "vote.cast", vote=vote, ballot=bad_grade) == (
        "assembly/unknown_grade"
    )


def test_vote_close_majority_judgment_counts_missing_grade_as_lowest(in_session: Sitting) -> None:
    vote = in_session.run_vote({"method": "judgment", "options": ["Quiz", "Loup-Garou"]})
    in_session.act(3, "vote.cast", vote=vote, ballot=[{"option": 0, "grade": 0}])
    in_session.act(4, "vote.cast", vote=vote, ballot=[{"option": 1, "grade": 2}])
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    result = in_session.state.votes[vote].result
    assert result is not None
    assert result["options"][0]["profile"] == [1, 0, 0, 0, 0, 0, 1]
    assert result["options"][1]["profile"] == [0, 0, 1, 0, 0, 0, 1]
    assert result["options"][0]["majority_grade"] == 6  # lower median of {0, 6}
    assert result["grades"][0] == "Excellent"


def test_vote_close_after_duration_by_timeout(in_session: Sitting) -> None:
    vote = in_session.run_vote({**YES_NO, "duration_seconds": 60})
    assert ASSEMBLY.deadline(in_session.state) == in_session.now + timedelta(seconds=60)
    in_session.act(3, "vote.cast", vote=vote, ballot="yes")
    in_session.later(61)
    events = in_session.timeout()
    assert events[0]["type"] == "vote.closed"
    assert in_session.state.votes[vote].status == "closed"


def test_vote_cast_live_counts_hidden_unless_configured(in_session: Sitting) -> None:
    vote = in_session.run_vote(YES_NO)
    in_session.act(3, "vote.cast", vote=vote, ballot="yes")
    shown = in_session.view()["votes"][0]
    assert "live" not in shown
    assert shown["participation"] == {"voted": 1, "eligible": 7}
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    vote = in_session.run_vote({**YES_NO, "live_counts": True})
    in_session.act(3, "vote.cast", vote=vote, ballot="no")
    live = in_session.view()["votes"][1]["live"]
    assert live["no"] == 1
    assert "by_voter" not in live


def test_vote_cancel_discards_an_open_vote(in_session: Sitting) -> None:
    vote = in_session.run_vote(YES_NO)
    assert in_session.refuse(3, "vote.cancel", vote=vote) == "assembly/not_facilitator"
    in_session.act(FACILITATOR, "vote.cancel", vote=vote)
    assert in_session.state.votes[vote].status == "cancelled"
    assert in_session.refuse(FACILITATOR, "vote.cancel", vote=vote) == "assembly/vote_closed"


def test_vote_cast_every_member_once_keeps_participation_consistent(in_session: Sitting) -> None:
    vote = in_session.run_vote(YES_NO)
    cast_all(in_session, vote, dict.fromkeys(MEMBERS, "yes"))
    assert in_session.view()["votes"][0]["participation"]["voted"] == len(MEMBERS)


def test_vote_close_present_base_takes_in_members_who_arrive_during_the_vote() -> None:
    sitting = Sitting(quorum=None)
    sitting.open_sitting(0, 1, 2)  # three present when the statute vote opens
    vote = sitting.run_vote({**YES_NO, "threshold": "2/3", "base": "present"})
    for seat in MEMBERS:  # four arrive late and vote
        sitting.act(seat, "attendance.check_in")
    cast_all(sitting, vote, {0: "yes", 3: "yes", 4: "yes", 5: "yes", 1: "no", 2: "no", 6: "no"})
    live = sitting.state.votes[vote]
    assert (live.present_base, live.late_voters) == (7, 4)
    sitting.act(FACILITATOR, "vote.close", vote=vote)
    result = sitting.state.votes[vote].result
    assert result is not None
    assert (result["base"], result["late"], result["required"]) == (7, 4, 5)
    assert result["passed"] is False  # 4 of 7 is not 2/3 (it "passed" 4 of 3 before)
    assert result["yes"] + result["no"] + result["abstain"] <= result["base"]


def test_vote_close_present_base_keeps_members_who_leave_and_counts_proxies_once(
    in_session: Sitting,
) -> None:
    in_session.act(3, "attendance.check_out")
    in_session.act(3, "proxy.give", to=4)  # represented by 4 when the vote opens
    vote = in_session.run_vote({**YES_NO, "base": "present"})
    in_session.act(5, "attendance.check_out")  # leaves: stays in the base
    in_session.act(3, "attendance.check_in")  # comes back: was counted already
    cast_all(in_session, vote, {0: "yes", 1: "yes", 2: "yes", 3: "yes", 4: "no"})
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    result = in_session.state.votes[vote].result
    assert result is not None
    assert (result["base"], result["late"]) == (7, 0)


def test_vote_present_base_from_a_log_written_before_the_counted_seats(in_session: Sitting) -> None:
    vote = in_session.run_vote({**YES_NO, "base": "present"})
    opened = next(e for e in in_session.log if e["type"] == "vote.opened")
    del opened["counted"], opened["wording"]
    cast_all(in_session, vote, {0: "yes", 1: "no"})
    rebuilt = in_session.rebuilt().votes[vote]
    assert rebuilt.counted is None
    assert (rebuilt.present_base, rebuilt.late_voters) == (7, 0)


def test_vote_close_reports_ties_for_every_method(in_session: Sitting) -> None:
    vote = in_session.run_vote(YES_NO)
    cast_all(in_session, vote, {0: "yes", 1: "yes", 2: "yes", 3: "no", 4: "no", 5: "no"})
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    majority = in_session.state.votes[vote].result
    assert majority is not None and (majority["tie"], majority["passed"]) == (True, False)
    single = in_session.run_vote({"method": "single", "options": ["Alice", "Bruno"]})
    cast_all(in_session, single, {0: 0, 1: 0, 2: 0, 3: 1, 4: 1, 5: 1})
    in_session.act(FACILITATOR, "vote.close", vote=single)
    result = in_session.state.votes[single].result
    assert result is not None
    assert (result["tie"], result["passed"], result["winners"]) == (True, False, [0, 1])
    judged = in_session.run_vote({"method": "judgment", "options": ["A", "B"], "secret": True})
    for seat in (0, 1):
        grades = [{"option": 0, "grade": 2 * seat}, {"option": 1, "grade": 2 - 2 * seat}]
        in_session.act(seat, "vote.cast", vote=judged, ballot=grades)
    in_session.act(FACILITATOR, "vote.close", vote=judged)
    result = in_session.state.votes[judged].result
    assert result is not None and (result["tie"], result["passed"]) == (True, False)
