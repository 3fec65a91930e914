"""Hand signals, counted live."""

from __future__ import annotations

from .conftest import FACILITATOR, Sitting


def test_signal_show_is_counted_live_for_everyone(in_session: Sitting) -> None:
    in_session.act(3, "signal.show", signal="agree")
    in_session.act(4, "signal.show", signal="agree")
    in_session.act(5, "signal.show", signal="louder")
    counts = in_session.view()["signals"]["counts"]
    assert counts == {
        "agree": 2,
        "disagree": 0,
        "clarify": 0,
        "block": 0,
        "louder": 1,
        "slower": 0,
        "simpler": 0,
    }
    assert in_session.view(3)["me"]["signal"] == "agree"


def test_signal_show_replaces_the_previous_signal(in_session: Sitting) -> None:
    in_session.act(3, "signal.show", signal="agree")
    in_session.act(3, "signal.show", signal="simpler")
    assert in_session.view()["signals"]["shown"] == [[3, "simpler"]]


def test_signal_show_refuses_unknown_signals_and_absent_people(in_session: Sitting) -> None:
    assert in_session.refuse(3, "signal.show", signal="dance") == "assembly/unknown_signal"
    in_session.act(3, "attendance.check_out")
    assert in_session.refuse(3, "signal.show", signal="agree") == "assembly/not_present"


def test_signal_clear_own_or_all_by_the_facilitator(in_session: Sitting) -> None:
    for seat in (3, 4, 5):
        in_session.act(seat, "signal.show", signal="disagree")
    in_session.act(3, "signal.clear")
    assert sorted(in_session.state.signals) == [4, 5]
    assert in_session.refuse(3, "signal.clear", seat=4) == "assembly/not_facilitator"
    assert in_session.refuse(3, "signal.clear", all=True) == "assembly/not_facilitator"
    in_session.act(FACILITATOR, "signal.clear", all=True)
    assert in_session.state.signals == {}


def test_signal_show_has_the_block_signal_of_crossed_arms(in_session: Sitting) -> None:
    in_session.act(4, "signal.show", signal="block")
    assert in_session.view()["signals"]["counts"]["block"] == 1
    assert in_session.view()["signals"]["shown"] == [[4, "block"]]
