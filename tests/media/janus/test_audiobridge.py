"""Crowded voice rooms on a real Janus: tickets only Janus accepts, moderation, expiry."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from estaminet.media.janus.audiobridge import JanusCrowd
from tests.conftest import FixedClock
from tests.support.janus import BrowserSide, JanusRefusal, RunningJanus

UNAUTHORIZED = 403  # Janus core: wrong or missing token
NOT_ALLOWED = 489  # AudioBridge: the token is not in the room's allowed list


@pytest.fixture
async def browsers() -> AsyncIterator[Any]:
    made: list[BrowserSide] = []

    def make(url: str, token: str) -> BrowserSide:
        made.append(BrowserSide(url, token))
        return made[-1]

    yield make
    for side in made:
        await side.aclose()


async def _participants(crowd: JanusCrowd, space: str) -> dict[int, bool]:
    present = await crowd.present(space)
    assert present is not None
    return present


async def _left(crowd: JanusCrowd, space: str, participant: int) -> bool:
    """Whether ``participant`` leaves the room (a kick takes effect a moment later)."""
    for _ in range(100):
        if participant not in await _participants(crowd, space):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_admit_ticket_lets_this_person_join_this_room(
    crowd: JanusCrowd, janus: RunningJanus, browsers: Any
) -> None:
    ticket = await crowd.admit("bar", "u-alice", "Alice")
    assert ticket.server == janus.layout.url
    assert ticket.room == crowd.room("bar").number
    assert ticket.participant == crowd.participant("bar", "u-alice")
    side = browsers(ticket.server, ticket.token)
    await side.open()
    joined = await side.join(ticket.room, ticket.participant)
    assert joined["audiobridge"] == "joined"
    assert ticket.participant in await _participants(crowd, "bar")


async def test_admit_forged_token_refused_by_janus(crowd: JanusCrowd, browsers: Any) -> None:
    ticket = await crowd.admit("bar-forged", "u-alice", "Alice")
    side = browsers(ticket.server, secrets.token_urlsafe(24))
    with pytest.raises(JanusRefusal) as refused:
        await side.open()
    assert refused.value.code == UNAUTHORIZED


async def test_admit_ticket_for_room_a_does_not_open_room_b(
    crowd: JanusCrowd, browsers: Any
) -> None:
    room_b = await crowd.admit("room-b", "u-bob", "Bob")
    ticket_a = await crowd.admit("room-a", "u-alice", "Alice")
    side = browsers(ticket_a.server, ticket_a.token)
    await side.open()  # a valid token: Janus lets the session open...
    with pytest.raises(JanusRefusal) as refused:  # ...but room B's ACL does not know it
        await side.join(room_b.room, crowd.participant("room-b", "u-alice"))
    assert refused.value.code == NOT_ALLOWED
    assert crowd.participant("room-b", "u-alice") not in await _participants(crowd, "room-b")


async def test_release_revokes_token_and_kicks(crowd: JanusCrowd, browsers: Any) -> None:
    ticket = await crowd.admit("bar-release", "u-alice", "Alice")
    side = browsers(ticket.server, ticket.token)
    await side.open()
    await side.join(ticket.room, ticket.participant)

    await crowd.release("bar-release", "u-alice")

    assert await _left(crowd, "bar-release", ticket.participant)
    replay = browsers(ticket.server, ticket.token)
    with pytest.raises(JanusRefusal) as refused:
        await replay.open()
    assert refused.value.code == UNAUTHORIZED


async def test_sweep_revokes_expired_unused_ticket(
    crowd: JanusCrowd, clock: FixedClock, browsers: Any
) -> None:
    ticket = await crowd.admit("bar-expiry", "u-alice", "Alice")
    assert ticket.expires_at == clock() + timedelta(seconds=120)
    clock.advance(seconds=60)
    assert await crowd.sweep() == 0  # not yet
    clock.advance(seconds=61)
    assert await crowd.sweep() == 1
    side = browsers(ticket.server, ticket.token)
    with pytest.raises(JanusRefusal) as refused:
        await side.open()
    assert refused.value.code == UNAUTHORIZED
    assert ticket.token not in [t.value for t in await crowd.tokens()]


async def test_sweep_keeps_ticket_in_use_until_holder_leaves(
    crowd: JanusCrowd, clock: FixedClock, browsers: Any
) -> None:
    ticket = await crowd.admit("bar-in-use", "u-alice", "Alice")
    side = browsers(ticket.server, ticket.token)
    await side.open()
    await side.join(ticket.room, ticket.participant)
    clock.advance(seconds=121)

    assert await crowd.sweep() == 0  # Alice is talking: her session goes on

    assert ticket.token in [t.value for t in await crowd.tokens()]
    await side.message({"request": "leave"})
    assert await _left(crowd, "bar-in-use", ticket.participant)
    assert await crowd.sweep() == 1
    assert ticket.token not in [t.value for t in await crowd.tokens()]


async def test_release_by_another_instance(
    crowd: JanusCrowd, janus: RunningJanus, room_key: str, browsers: Any
) -> None:
    """Tickets live on Janus: a restarted Estaminet (or a second instance) revokes them too."""
    ticket = await crowd.admit("bar-other", "u-alice", "Alice")
    side = browsers(ticket.server, ticket.token)
    await side.open()
    await side.join(ticket.room, ticket.participant)
    client = janus.client()
    try:
        other = JanusCrowd(
            client,
            public_url=janus.layout.url,
            key=room_key,
            room_admin_key=janus.layout.room_admin_key,
            ticket_seconds=120,
        )
        await other.release("bar-other", "u-alice")
    finally:
        await client.aclose()
    assert await _left(crowd, "bar-other", ticket.participant)
    with pytest.raises(JanusRefusal):
        await browsers(ticket.server, ticket.token).open()


async def test_sweep_kicks_stranger_joining_under_another_number(
    crowd: JanusCrowd, browsers: Any
) -> None:
    ticket = await crowd.admit("bar-stranger", "u-mallory", "Mallory")
    side = browsers(ticket.server, ticket.token)
    await side.open()
    await side.join(ticket.room, 12345)  # Mallory's token, someone else's number
    assert 12345 in await _participants(crowd, "bar-stranger")

    await crowd.sweep()

    assert await _left(crowd, "bar-stranger", 12345)


async def test_admit_twice_revokes_first_ticket(crowd: JanusCrowd, browsers: Any) -> None:
    first = await crowd.admit("bar-twice", "u-alice", "Alice")
    second = await crowd.admit("bar-twice", "u-alice", "Alice")
    assert first.token != second.token
    assert first.participant == second.participant
    with pytest.raises(JanusRefusal):
        await browsers(first.server, first.token).open()
    side = browsers(second.server, second.token)
    await side.open()
    await side.join(second.room, second.participant)


async def test_mute_holds_even_if_participant_unmutes(crowd: JanusCrowd, browsers: Any) -> None:
    ticket = await crowd.admit("bar-mute", "u-alice", "Alice")
    side = browsers(ticket.server, ticket.token)
    await side.open()
    await side.join(ticket.room, ticket.participant)

    await crowd.mute("bar-mute", "u-alice", True)
    assert (await _participants(crowd, "bar-mute"))[ticket.participant] is True

    await side.message({"request": "configure", "muted": False})  # Janus lets them...
    assert (await _participants(crowd, "bar-mute"))[ticket.participant] is False
    await crowd.sweep()  # ...the sweep mutes them again
    assert (await _participants(crowd, "bar-mute"))[ticket.participant] is True

    await crowd.mute("bar-mute", "u-alice", False)
    assert (await _participants(crowd, "bar-mute"))[ticket.participant] is False


async def test_mute_someone_not_in_room_is_kept_for_later(crowd: JanusCrowd) -> None:
    await crowd.admit("bar-mute-later", "u-bob", "Bob")
    await crowd.mute("bar-mute-later", "u-alice", True)  # no error: applied when they are in
    assert await _participants(crowd, "bar-mute-later") == {}


async def test_close_destroys_room_and_revokes_tickets(crowd: JanusCrowd, browsers: Any) -> None:
    ticket = await crowd.admit("bar-close", "u-alice", "Alice")
    await crowd.close("bar-close")
    assert await crowd.present("bar-close") is None
    with pytest.raises(JanusRefusal):
        await browsers(ticket.server, ticket.token).open()
    again = await crowd.admit("bar-close", "u-alice", "Alice")  # a later admit recreates it
    assert again.room == ticket.room


async def test_browser_cannot_create_rooms(crowd: JanusCrowd, browsers: Any) -> None:
    ticket = await crowd.admit("bar-create", "u-alice", "Alice")
    side = browsers(ticket.server, ticket.token)
    await side.open()
    answer = await side.message({"request": "create", "room": 4242})
    assert answer["error_code"] == 483  # AudioBridge: the admin_key is missing


async def test_room_numbers_are_stable_and_distinct(crowd: JanusCrowd) -> None:
    assert crowd.room("bar") == crowd.room("bar")
    assert crowd.room("bar").number != crowd.room("jeux").number
    assert crowd.participant("bar", "a") != crowd.participant("bar", "b")
    assert crowd.participant("bar", "a") != crowd.participant("jeux", "a")
    assert 0 < crowd.room("bar").number < 2**53
