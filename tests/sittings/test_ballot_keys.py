"""The key holders' actions through the gateway: who may fetch or show a share, and bad input."""

from __future__ import annotations

from typing import Any

from tests.sittings.test_sittings_live import VOTERS, convene, ok, roles, seat_of, venue  # noqa: F401
from tests.support.live_server import LiveServer

SECRET = {"method": "majority", "question": "Élire Camille ?", "secret": True}


async def test_ballot_keys_go_to_the_facilitator_alone_when_the_secretary_page_is_closed(
    live: LiveServer,
    venue: dict[str, Any],  # noqa: F811
) -> None:
    admin, folks, ids = venue["admin"], venue["folks"], venue["ids"]
    sitting = await convene(admin, quorum="none", **roles(ids, VOTERS))
    seat = (await seat_of(folks["Anaïs"], sitting))[1]
    token = await folks["Oscar"].csrf(f"/a/{sitting}")
    await folks["Oscar"].http.post(f"/a/{sitting}/watch", data={"csrf": token})
    async with (
        folks["Anaïs"].socket() as chair,
        folks["Bruno"].socket() as secretary,
        folks["Oscar"].socket() as observer,
    ):
        await chair.sub(f"table:{sitting}:seat:{seat}")  # Bruno's sitting page is not open
        await ok(chair, sitting, "in", type="attendance.check_in")
        await ok(chair, sitting, "open", type="sitting.open")
        await ok(chair, sitting, "item", type="agenda.next_item")
        await ok(chair, sitting, "prep", type="vote.prepare", vote=SECRET)
        await ok(chair, sitting, "vopen", type="vote.open", vote=1)
        mine = await chair.act("ballot.keys", {"table": sitting}, ref="k1")
        assert [k["part"] for k in mine["data"]["keys"]] == [0, 1]  # both halves
        theirs = await secretary.act("ballot.keys", {"table": sitting}, ref="k2")
        assert theirs["data"] == {"keys": []}
        for sock, data, code in (
            (observer, {"table": sitting}, "ballots/not_a_keeper"),  # no seat
            (chair, {"table": "x"}, "gateway/malformed"),
            (chair, {"table": True}, "gateway/malformed"),
        ):
            answer = await sock.act("ballot.keys", data, ref="bad")
            assert answer["type"] == "error" and answer["code"] == code, answer
            assert answer["message"]
        share = mine["data"]["keys"][0]["share"]
        for data, code in (
            ({"table": sitting, "box": "x" * 41, "part": 0, "share": share}, "gateway/malformed"),
            ({"table": sitting, "box": "vote:2", "part": 0, "share": share}, "ballots/box_unknown"),
            ({"table": sitting, "box": "vote:1", "part": 0}, "ballots/wrong_share"),
            ({"table": sitting, "box": "vote:1", "part": 1, "share": share}, "ballots/wrong_share"),
        ):
            answer = await chair.act("ballot.key", data, ref="bad")
            assert answer["type"] == "error" and answer["code"] == code, answer
            assert share not in answer["message"]
        for key in mine["data"]["keys"]:  # the facilitator's page confirms both halves
            answer = await chair.act("ballot.key", {"table": sitting, **key}, ref="kept")
            assert answer == {"type": "ack", "id": "kept", "data": {"unlocked": False}}
        page = (await folks["Anaïs"].http.get(f"/a/{sitting}")).text
        assert page.count("✔ reçue") == 1  # one keeper, both halves received
