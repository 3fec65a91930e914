"""Attendance, proxies and the quorum."""

from __future__ import annotations

from fractions import Fraction

from estaminet.assembly.attendance import active_proxies, quorum_check

from .conftest import FACILITATOR, OBSERVER, SECRETARY, Sitting


def test_attendance_check_in_marks_present_and_counts_for_quorum(sitting: Sitting) -> None:
    events = sitting.act(3, "attendance.check_in")
    assert events == [{"type": "attendance.checked_in", "seat": 3, "by": 3}]
    assert sitting.state.present == {3}
    assert sitting.view()["attendance"]["quorum"]["present"] == 1


def test_attendance_check_in_twice_is_refused(sitting: Sitting) -> None:
    sitting.act(3, "attendance.check_in")
    assert sitting.refuse(3, "attendance.check_in") == "assembly/already_present"


def test_attendance_check_in_of_someone_else_needs_the_secretary(sitting: Sitting) -> None:
    assert sitting.refuse(4, "attendance.check_in", seat=3) == "assembly/not_secretary"
    sitting.act(SECRETARY, "attendance.check_in", seat=3)
    sitting.act(FACILITATOR, "attendance.check_in", seat=4)
    assert sitting.state.present == {3, 4}


def test_attendance_check_in_of_an_unknown_seat_is_malformed(sitting: Sitting) -> None:
    assert sitting.refuse(SECRETARY, "attendance.check_in", seat=99) == "assembly/malformed"


def test_attendance_check_in_of_an_observer_does_not_count_for_quorum(sitting: Sitting) -> None:
    sitting.act(OBSERVER, "attendance.check_in")
    quorum = sitting.view()["attendance"]["quorum"]
    assert (quorum["present"], quorum["voting_members"], quorum["required"]) == (0, 7, 4)


def test_attendance_check_out_removes_presence_and_signal(in_session: Sitting) -> None:
    in_session.act(3, "signal.show", signal="agree")
    in_session.act(3, "attendance.check_out")
    assert 3 not in in_session.state.present
    assert 3 not in in_session.state.signals
    assert in_session.refuse(3, "attendance.check_out") == "assembly/not_present"


def test_attendance_check_out_after_close_is_refused(in_session: Sitting) -> None:
    in_session.act(FACILITATOR, "sitting.close")
    assert in_session.refuse(3, "attendance.check_out") == "assembly/sitting_closed"


def test_proxy_give_before_the_sitting_represents_an_absent_member(sitting: Sitting) -> None:
    sitting.act(3, "proxy.give", to=4)
    assert sitting.state.proxies == {3: 4}
    assert active_proxies(sitting.state) == {}  # the holder is not here yet
    sitting.act(4, "attendance.check_in")
    assert active_proxies(sitting.state) == {3: 4}
    assert quorum_check(sitting.state, Fraction(1, 2)).count == 2


def test_proxy_give_sleeps_while_the_giver_is_present(sitting: Sitting) -> None:
    sitting.act(3, "proxy.give", to=4)
    sitting.everyone_in(3, 4)
    assert active_proxies(sitting.state) == {}
    check = quorum_check(sitting.state, None)
    assert (check.present, check.represented, check.required, check.reached) == (2, 0, 0, True)
    sitting.act(3, "attendance.check_out")
    assert active_proxies(sitting.state) == {3: 4}


def test_proxy_give_to_oneself_is_refused(sitting: Sitting) -> None:
    assert sitting.refuse(3, "proxy.give", to=3) == "assembly/proxy_to_self"


def test_proxy_give_beyond_the_limit_is_refused(sitting: Sitting) -> None:
    sitting.act(3, "proxy.give", to=5)
    code = sitting.refuse(4, "proxy.give", to=5)
    assert code == "assembly/proxy_limit"


def test_proxy_give_limit_is_a_setting() -> None:
    sitting = Sitting(proxies={"allowed": True, "max_per_person": 2})
    sitting.act(3, "proxy.give", to=5)
    sitting.act(4, "proxy.give", to=5)
    assert sitting.refuse(6, "proxy.give", to=5) == "assembly/proxy_limit"


def test_proxy_give_cannot_pass_on_a_received_proxy(sitting: Sitting) -> None:
    sitting.act(3, "proxy.give", to=4)
    assert sitting.refuse(4, "proxy.give", to=5) == "assembly/proxy_chain"


def test_proxy_give_to_someone_who_gave_theirs_is_a_chain(sitting: Sitting) -> None:
    sitting.act(4, "proxy.give", to=5)
    assert sitting.refuse(3, "proxy.give", to=4) == "assembly/proxy_chain"


def test_proxy_give_twice_needs_a_withdrawal_first(sitting: Sitting) -> None:
    sitting.act(3, "proxy.give", to=4)
    assert sitting.refuse(3, "proxy.give", to=5) == "assembly/proxy_already_given"


def test_proxy_give_by_or_to_a_non_voter_is_refused(sitting: Sitting) -> None:
    assert sitting.refuse(OBSERVER, "proxy.give", to=3) == "assembly/not_a_voter"
    assert sitting.refuse(3, "proxy.give", to=OBSERVER) == "assembly/not_a_voter"


def test_proxy_give_when_proxies_are_not_allowed() -> None:
    sitting = Sitting(proxies={"allowed": False, "max_per_person": 0})
    assert sitting.refuse(3, "proxy.give", to=4) == "assembly/proxies_not_allowed"


def test_proxy_give_recorded_by_the_secretary_for_a_paper_proxy(sitting: Sitting) -> None:
    events = sitting.act(SECRETARY, "proxy.give", **{"from": 3, "to": 4})
    assert events == [{"type": "proxy.given", "giver": 3, "holder": 4, "by": SECRETARY}]
    assert sitting.refuse(5, "proxy.give", **{"from": 6, "to": 4}) == "assembly/not_secretary"


def test_proxy_give_without_holder_is_malformed(sitting: Sitting) -> None:
    assert sitting.refuse(3, "proxy.give") == "assembly/malformed"


def test_proxy_withdraw_ends_the_representation(in_session: Sitting) -> None:
    in_session.act(3, "attendance.check_out")
    in_session.act(3, "proxy.give", to=4)
    assert active_proxies(in_session.state) == {3: 4}
    in_session.act(3, "proxy.withdraw")
    assert in_session.state.proxies == {}
    assert in_session.refuse(3, "proxy.withdraw") == "assembly/no_proxy"


def test_proxy_withdraw_frees_a_place_under_the_limit(sitting: Sitting) -> None:
    sitting.act(3, "proxy.give", to=5)
    sitting.act(3, "proxy.withdraw")
    sitting.act(4, "proxy.give", to=5)
    assert sitting.state.proxies == {4: 5}


def test_quorum_counts_present_and_represented_against_rounded_up_share() -> None:
    sitting = Sitting(quorum="2/3")
    sitting.act(5, "proxy.give", to=3)
    sitting.act(6, "proxy.give", to=4)
    sitting.everyone_in(0, 3, 4)
    check = quorum_check(sitting.state, Fraction(2, 3))
    assert (check.present, check.represented, check.required) == (3, 2, 5)  # ceil(14/3)
    assert check.reached
    sitting.act(4, "attendance.check_out")
    assert not quorum_check(sitting.state, Fraction(2, 3)).reached


def test_quorum_at_opening_is_recorded(sitting: Sitting) -> None:
    sitting.everyone_in(0, 1, 2)
    events = sitting.act(FACILITATOR, "sitting.open")
    assert events[0]["quorum"] == {
        "voting_members": 7,
        "present": 3,
        "represented": 0,
        "required": 4,
        "reached": False,
    }
