"""The stage's VideoRoom rooms on a real Janus: tickets only Janus accepts, per stage."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from estaminet.media.janus.videoroom import JanusStage
from tests.conftest import FixedClock
from tests.support.janus import BrowserSide, JanusRefusal, RunningJanus

UNAUTHORIZED = 403  # Janus core: wrong or missing token
ROOM_UNAUTHORIZED = 433  # VideoRoom: not in the room's allowed list, or a wrong admin key
MISSING_ELEMENT = 429  # VideoRoom: a mandatory element is missing


class VideoRoomSide(BrowserSide):
    """What ``stage-janus.js`` does over HTTP, without the WebRTC part."""

    async def open(self) -> None:
        self.session = (await self._post("", {"janus": "create"}))["data"]["id"]
        attached = await self._post(
            f"/{self.session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"}
        )
        self.handle = attached["data"]["id"]

    async def join_stage(self, room: int, feed: int) -> dict[str, Any]:
        body = {"request": "join", "ptype": "publisher", "room": room, "id": feed}
        data = await self.message({**body, "token": self.token})
        if "error_code" in data:
            raise JanusRefusal(data["error_code"], data.get("error", ""))
        return data


@pytest.fixture
async def stage(janus: RunningJanus, clock: FixedClock, room_key: str) -> AsyncIterator[JanusStage]:
    client = janus.client()
    yield JanusStage(
        client,
        public_url=janus.layout.url,
        key=room_key,
        room_admin_key=janus.layout.room_admin_key,
        ticket_seconds=120,
        clock=clock,
    )
    await client.aclose()


@pytest.fixture
async def sides() -> AsyncIterator[Any]:
    made: list[VideoRoomSide] = []

    def make(url: str, token: str) -> VideoRoomSide:
        made.append(VideoRoomSide(url, token))
        return made[-1]

    yield make
    for side in made:
        await side.aclose()


async def test_stage_ticket_opens_this_stage_only(stage: JanusStage, sides: Any) -> None:
    other = await stage.admit("stage:b", "u-bob")
    ticket = await stage.admit("stage:a", "u-alice")
    assert ticket.room == stage.room("stage:a") != other.room
    assert ticket.participant == stage.feed("stage:a", "u-alice")
    side = sides(ticket.server, ticket.token)
    await side.open()
    joined = await side.join_stage(ticket.room, ticket.participant)
    assert joined["videoroom"] == "joined"
    elsewhere = sides(ticket.server, ticket.token)
    await elsewhere.open()
    with pytest.raises(JanusRefusal) as refused:
        await elsewhere.join_stage(other.room, stage.feed("stage:b", "u-alice"))
    assert refused.value.code == ROOM_UNAUTHORIZED
    assert await stage.publishers("stage:a") == set()  # joined, not publishing


async def test_stage_forged_and_released_tokens_refused(stage: JanusStage, sides: Any) -> None:
    ticket = await stage.admit("stage:c", "u-alice")
    forged = sides(ticket.server, secrets.token_urlsafe(24))
    with pytest.raises(JanusRefusal) as refused:
        await forged.open()
    assert refused.value.code == UNAUTHORIZED
    await stage.release("stage:c", "u-alice")
    replay = sides(ticket.server, ticket.token)
    with pytest.raises(JanusRefusal) as refused:
        await replay.open()
    assert refused.value.code == UNAUTHORIZED


async def test_stage_room_without_the_admin_key_cannot_be_made(
    janus: RunningJanus, sides: Any, stage: JanusStage
) -> None:
    """Browsers cannot create VideoRoom rooms: only Estaminet holds the admin key."""
    ticket = await stage.admit("stage:d", "u-alice")
    side = sides(ticket.server, ticket.token)
    await side.open()
    answer = await side.message({"request": "create", "room": 4242, "token": ticket.token})
    assert answer.get("error_code") == MISSING_ELEMENT, answer  # admin_key is mandatory
    guessed = {"request": "create", "room": 4243, "admin_key": "guess", "token": ticket.token}
    answer = await side.message(guessed)
    assert answer.get("error_code") == ROOM_UNAUTHORIZED, answer
