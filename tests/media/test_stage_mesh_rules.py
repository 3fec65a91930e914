"""The stage without Janus as pure rules: seats by order of arrival, pairs from each live
performer's tab to each seated tab, and what each end of a pair may say."""

from __future__ import annotations

import pytest

from estaminet.media.stage_mesh_rules import (
    Side,
    answer_sends_media,
    plan_mesh,
    side_of,
    signal_allowed,
)

HEAD = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


def test_seats_go_by_order_of_arrival_and_performers_never_take_one() -> None:
    tabs = [(1, "anim"), (2, "singer"), (3, "ana"), (4, "bob"), (5, "cleo"), (6, "dan")]
    plan = plan_mesh(tabs, {"singer"}, set(), {"singer": 2}, seats=4)
    assert plan.seated == (1, 3, 4, 5)
    assert plan.waiting == (6,)
    assert plan.place(6) == 1 and plan.place(3) == 0 and plan.place(2) == 0
    assert plan.pairs == {(2, 1), (2, 3), (2, 4), (2, 5)}
    # The first seated leaves: the next in line moves up.
    later = plan_mesh([t for t in tabs if t[0] != 3], {"singer"}, set(), {"singer": 2}, 4)
    assert later.seated == (1, 4, 5, 6) and later.waiting == ()


def test_only_a_named_live_performer_not_cut_from_a_present_tab_sends() -> None:
    tabs = [(1, "anim"), (2, "singer"), (3, "duo"), (4, "ana")]
    named = {"singer", "duo"}
    both = plan_mesh(tabs, named, set(), {"singer": 2, "duo": 3}, 4)
    assert both.pairs == {(2, 1), (2, 4), (3, 1), (3, 4)}  # performers do not pair together
    assert plan_mesh(tabs, named, {"duo"}, {"singer": 2, "duo": 3}, 4).pairs == {(2, 1), (2, 4)}
    assert plan_mesh(tabs, {"singer"}, set(), {"duo": 3}, 4).pairs == frozenset()  # not named
    assert plan_mesh(tabs, named, set(), {"singer": 9}, 4).pairs == frozenset()  # tab gone
    assert plan_mesh(tabs, named, set(), {"singer": 2}, 0).pairs == frozenset()  # no seats


def test_each_end_of_a_pair_says_only_its_part() -> None:
    pairs = {(2, 1)}
    assert side_of(2, 1, pairs) is Side.SENDER
    assert side_of(1, 2, pairs) is Side.RECEIVER
    assert side_of(1, 4, pairs) is None
    recv = (
        HEAD + "m=audio 9 RTP/SAVPF 111\r\na=recvonly\r\nm=video 9 RTP/SAVPF 96\r\na=inactive\r\n"
    )
    assert signal_allowed(Side.SENDER, "offer", "v=0")
    assert signal_allowed(Side.SENDER, "candidate", None)
    assert not signal_allowed(Side.SENDER, "answer", recv)
    assert not signal_allowed(Side.SENDER, "restart", None)
    assert signal_allowed(Side.RECEIVER, "answer", recv)
    assert signal_allowed(Side.RECEIVER, "candidate", None)
    assert signal_allowed(Side.RECEIVER, "restart", None)
    assert not signal_allowed(Side.RECEIVER, "offer", "v=0")
    assert not signal_allowed(Side.RECEIVER, "answer", None)


@pytest.mark.parametrize(
    ("sdp", "sends"),
    [
        (HEAD + "m=audio 9 RTP/SAVPF 111\r\na=recvonly\r\n", False),
        (HEAD + "m=audio 9 RTP/SAVPF 111\r\na=sendrecv\r\n", True),
        (HEAD + "m=video 9 RTP/SAVPF 96\r\na=sendonly\r\n", True),
        (HEAD + "m=audio 9 RTP/SAVPF 111\r\n", True),  # no direction: sendrecv
        (HEAD + "a=recvonly\r\nm=audio 9 RTP/SAVPF 111\r\n", False),  # the session's
        (HEAD + "a=recvonly\r\nm=audio 9 RTP/SAVPF 111\r\na=sendrecv\r\n", True),
        (HEAD + "m=audio 0 RTP/SAVPF 111\r\na=sendrecv\r\n", False),  # rejected section
        (HEAD + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", False),
        ("m=audio 9 RTP/SAVPF 111\na=recvonly\nm=video 9 RTP/SAVPF 96\na=sendrecv\n", True),
    ],
)
def test_an_answer_that_would_send_media_is_seen(sdp: str, sends: bool) -> None:
    assert answer_sends_media(sdp) is sends
