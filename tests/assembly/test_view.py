"""Per-viewer views: member, facilitator, projector."""

from __future__ import annotations

import json

from estaminet.assembly import ASSEMBLY
from estaminet.kernel.activity import Viewer

from .conftest import FACILITATOR, SECRETARY, Sitting


def test_view_spectator_is_the_public_projector_view(in_session: Sitting) -> None:
    shown = in_session.view()
    assert shown["me"] is None
    assert shown["chair"] is False
    assert shown["title"] == "AG du LAB"
    assert shown["attendance"]["quorum"] == {
        "voting_members": 7,
        "present": 7,
        "represented": 0,
        "required": 4,
        "reached": True,
        "share": "1/2",
    }
    json.dumps(shown)


def test_view_member_sees_their_roles_and_proxies(sitting: Sitting) -> None:
    sitting.act(4, "proxy.give", to=SECRETARY)
    me = sitting.view(SECRETARY)["me"]
    assert me["roles"] == ["secretary"]
    assert me["proxies_held"] == [4]
    assert sitting.view(4)["me"]["proxy_given_to"] == SECRETARY


def test_view_facilitator_seat_and_narrator_see_the_same(in_session: Sitting) -> None:
    in_session.act(FACILITATOR, "vote.prepare", vote={"method": "majority"})
    by_seat = in_session.view(FACILITATOR)
    by_narrator = ASSEMBLY.view(in_session.state, Viewer.narrator())
    assert by_seat["chair"]
    assert by_narrator["chair"]
    assert by_seat["votes"][0]["can_open"] is True
    assert by_narrator["votes"][0]["blocked_by"] is None


def test_view_open_vote_shows_choices_only_after_closing(in_session: Sitting) -> None:
    vote = in_session.run_vote({"method": "majority"})
    in_session.act(3, "vote.cast", vote=vote, ballot="no")
    assert '"no"' not in json.dumps(in_session.view(4)["votes"])
    in_session.act(FACILITATOR, "vote.close", vote=vote)
    assert in_session.view(4)["votes"][0]["result"]["by_voter"] == [[3, "no"]]


def test_view_lists_votes_open_first_then_drafts_then_decisions_as_taken(
    in_session: Sitting,
) -> None:
    for question in ("Un", "Deux", "Trois", "Quatre"):
        in_session.act(
            FACILITATOR, "vote.prepare", vote={"method": "majority", "question": question}
        )
    for vote in (3, 1):  # taken in this order, not by number
        in_session.act(FACILITATOR, "vote.open", vote=vote)
        in_session.act(FACILITATOR, "vote.close", vote=vote)
        in_session.later(60)
    in_session.act(FACILITATOR, "vote.open", vote=4)
    assert in_session.view()["vote_order"] == [4, 2, 1, 3]


def test_view_offers_a_proxy_only_to_those_who_may_receive_it(sitting: Sitting) -> None:
    sitting.act(3, "proxy.give", to=4)
    assert sitting.view(4)["me"]["proxy_holders"] == []  # holds one: cannot give theirs
    assert sitting.view(3)["me"]["proxy_holders"] == []  # gave theirs already
    offered = sitting.view(5)["me"]["proxy_holders"]
    assert 3 not in offered and 4 not in offered and 5 not in offered  # 4 is at the limit of 1
    assert offered == [0, 1, 2, 6]
