"""Proposals, amendments voted first, withdrawal, consent rounds."""

from __future__ import annotations

from .conftest import FACILITATOR, OBSERVER, Sitting


def propose(sitting: Sitting, author: int = 3, text: str = "Ouvrir le bar le jeudi.") -> int:
    sitting.act(author, "motion.propose", text=text)
    return max(sitting.state.motions)


def vote_on(sitting: Sitting, method: str, ballots: dict[int, str], **subject: int) -> int:
    vote = sitting.run_vote({"method": method, **subject})
    for seat, ballot in ballots.items():
        sitting.act(seat, "vote.cast", vote=vote, ballot=ballot)
    sitting.act(FACILITATOR, "vote.close", vote=vote)
    return vote


def test_motion_propose_records_author_and_item(in_session: Sitting) -> None:
    motion = propose(in_session)
    shown = in_session.view()["motions"][0]
    assert (shown["id"], shown["author"], shown["item"], shown["status"]) == (
        motion,
        3,
        "1",
        "open",
    )
    assert in_session.refuse(3, "motion.propose", text="") == "assembly/empty_text"
    in_session.act(OBSERVER, "attendance.check_in")
    assert in_session.refuse(OBSERVER, "motion.propose", text="x") == "assembly/not_a_voter"


def test_motion_amend_is_voted_before_the_motion(in_session: Sitting) -> None:
    motion = propose(in_session)
    in_session.act(4, "motion.amend", motion=motion, text="Ouvrir le bar le vendredi.")
    in_session.act(FACILITATOR, "vote.prepare", vote={"method": "majority", "motion": motion})
    code = in_session.refuse(FACILITATOR, "vote.open", vote=1)
    assert code == "assembly/amendments_pending"
    vote_on(in_session, "majority", {3: "yes", 4: "yes", 5: "no"}, motion=motion, amendment=1)
    assert in_session.state.motions[motion].text == "Ouvrir le bar le vendredi."
    in_session.act(FACILITATOR, "vote.open", vote=1)
    for seat in (3, 4):
        in_session.act(seat, "vote.cast", vote=1, ballot="yes")
    in_session.act(FACILITATOR, "vote.close", vote=1)
    assert in_session.state.motions[motion].status == "adopted"
    assert in_session.state.motions[motion].original == "Ouvrir le bar le jeudi."


def test_motion_amend_rejected_leaves_the_wording(in_session: Sitting) -> None:
    motion = propose(in_session)
    in_session.act(4, "motion.amend", motion=motion, text="Autre texte.")
    vote_on(in_session, "majority", {3: "no", 4: "yes", 5: "no"}, motion=motion, amendment=1)
    assert in_session.state.motions[motion].text == "Ouvrir le bar le jeudi."
    assert in_session.state.motions[motion].amendments[0].status == "rejected"


def test_motion_amend_unknown_or_closed_motion_is_refused(in_session: Sitting) -> None:
    assert in_session.refuse(4, "motion.amend", motion=9, text="x") == "assembly/unknown_motion"
    motion = propose(in_session)
    vote_on(in_session, "majority", {3: "no"}, motion=motion)
    assert in_session.state.motions[motion].status == "rejected"
    assert in_session.refuse(4, "motion.amend", motion=motion, text="x") == "assembly/motion_closed"


def test_motion_withdraw_by_its_author_only(in_session: Sitting) -> None:
    motion = propose(in_session)
    in_session.act(4, "motion.amend", motion=motion, text="Amendement.")
    assert in_session.refuse(5, "motion.withdraw", motion=motion) == "assembly/not_author"
    code = in_session.refuse(3, "motion.withdraw", motion=motion, amendment=1)
    assert code == "assembly/not_author"
    in_session.act(3, "motion.withdraw", motion=motion)
    state = in_session.state.motions[motion]
    assert (state.status, state.amendments[0].status) == ("withdrawn", "withdrawn")
    assert in_session.refuse(3, "motion.withdraw", motion=motion) == "assembly/motion_closed"


def test_motion_withdraw_an_amendment_unblocks_the_motion_vote(in_session: Sitting) -> None:
    motion = propose(in_session)
    in_session.act(4, "motion.amend", motion=motion, text="Amendement.")
    in_session.act(4, "motion.withdraw", motion=motion, amendment=1)
    in_session.run_vote({"method": "majority", "motion": motion})
    assert in_session.refuse(3, "motion.withdraw", motion=motion) == "assembly/vote_already_open"


def test_consent_object_needs_a_reason_and_lists_objections(in_session: Sitting) -> None:
    motion = propose(in_session)
    vote = in_session.run_vote({"method": "consent", "motion": motion})
    code = in_session.refuse(4, "consent.object", vote=vote, reason="  ")
    assert code == "assembly/objection_needs_reason"
    in_session.act(4, "consent.object", vote=vote, reason="Le jeudi, la salle est prise.")
    assert in_session.refuse(4, "consent.object", vote=vote, reason="x") == (
        "assembly/already_objected"
    )
    assert in_session.view()["votes"][0]["objections"] == [
        {"seat": 4, "reason": "Le jeudi, la salle est prise."}
    ]
    assert in_session.refuse(4, "vote.cast", vote=vote, ballot="yes") == "assembly/wrong_method"


def test_consent_object_keeps_the_proposal_open_to_be_amended_and_brought_back(
    in_session: Sitting,
) -> None:
    motion = propose(in_session)
    vote = in_session.run_vote({"method": "consent", "motion": motion})
    in_session.act(4, "consent.object", vote=vote, reason="La salle est prise le jeudi.")
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    result = in_session.state.votes[vote].result
    assert result is not None
    assert result["passed"] is False
    assert in_session.state.motions[motion].status == "open"
    in_session.act(3, "motion.amend", motion=motion, text="Ouvrir le bar le vendredi.")
    vote_on(in_session, "consent", {}, motion=motion, amendment=1)
    second = in_session.run_vote({"method": "consent", "motion": motion})
    in_session.act(FACILITATOR, "vote.close", vote=second)
    assert in_session.state.motions[motion].status == "adopted"
    assert in_session.state.motions[motion].text == "Ouvrir le bar le vendredi."


def test_consent_withdraw_objection_lets_the_proposal_pass(in_session: Sitting) -> None:
    motion = propose(in_session)
    vote = in_session.run_vote({"method": "consent", "motion": motion})
    assert in_session.refuse(4, "consent.withdraw_objection", vote=vote) == "assembly/no_objection"
    in_session.act(4, "consent.object", vote=vote, reason="Je dois vérifier le planning.")
    in_session.act(4, "consent.withdraw_objection", vote=vote)
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    assert in_session.state.motions[motion].status == "adopted"


def test_consent_object_on_a_majority_vote_is_the_wrong_method(in_session: Sitting) -> None:
    vote = in_session.run_vote({"method": "majority"})
    code = in_session.refuse(4, "consent.object", vote=vote, reason="Non.")
    assert code == "assembly/wrong_method"


def test_motion_vote_shows_the_amended_wording_and_keeps_the_one_voted(
    in_session: Sitting,
) -> None:
    in_session.act(3, "motion.propose", text="Cotisation à 20 €.")
    in_session.act(FACILITATOR, "vote.prepare", vote={"method": "majority", "motion": 1})
    in_session.act(4, "motion.amend", motion=1, text="Cotisation à 15 €.")
    amendment = in_session.run_vote({"method": "majority", "motion": 1, "amendment": 1})
    in_session.act(0, "vote.cast", vote=amendment, ballot="yes")
    in_session.act(FACILITATOR, "vote.close", vote=amendment)
    shown = {v["id"]: v for v in in_session.view()["votes"]}
    assert shown[1]["wording"] == "Cotisation à 15 €."  # the draft follows the amendment
    assert shown[2]["wording"] == "Cotisation à 15 €."
    in_session.act(FACILITATOR, "vote.open", vote=1)
    in_session.act(0, "vote.cast", vote=1, ballot="yes")
    in_session.act(FACILITATOR, "vote.close", vote=1)
    assert in_session.state.votes[1].wording == "Cotisation à 15 €."
    assert in_session.rebuilt().votes[1].wording == "Cotisation à 15 €."
