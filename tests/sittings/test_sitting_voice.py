"""The sitting page carries its room's conversation, and the facilitator's silence reaches it.

A real server on SQLite and on PostgreSQL, real sockets: the sitting page holds the
assembly room's own voice and chat (the room's topics), the facilitator's
``speaker.silence`` mutes everyone in the room's voice but the person who has the floor
(and the facilitator), the floor follows the queue, the person given the floor is asked
to switch their own microphone on (never switched on for them), bad input changes
nothing, a secret ballot says nothing in the voice or the chat, and the hold comes back
after a restart of the voice state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from estaminet.people.model import Role
from tests.media.test_voice_live import crowd_on
from tests.sittings.test_sittings_live import act, convene, ok, refused, seat_of, user_id
from tests.support.live_server import LiveServer, Socket, start_server_on

SPACE = "room:ag"


@pytest.fixture(scope="module")
def live(database_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The venue served for real, on each database."""
    yield from start_server_on(database_backend, tmp_path_factory.mktemp("live"))


async def allow_of(sock: Socket, **match: Any) -> dict[str, Any]:
    """The next ``allow`` frame of the room's voice whose fields equal ``match``."""
    return await sock.take(
        lambda f: (
            f.get("type") == "voice"
            and f.get("kind") == "allow"
            and f.get("space") == SPACE
            and all(f.get(k) == v for k, v in match.items())
        )
    )


async def in_voice(sock: Socket) -> dict[str, Any]:
    assert (await sock.sub(f"voice:{SPACE}"))["type"] == "subscribed"
    reply = await sock.act("voice.join", {"space": SPACE}, ref=f"join-{id(sock)}")
    assert reply["type"] == "ack", reply
    data: dict[str, Any] = reply["data"]
    return data


async def test_the_sitting_page_carries_the_rooms_voice_and_chat(
    live: LiveServer, people: Any
) -> None:
    admin = await people()
    await admin.sign_in_admin()
    folks = {n: await people(n, role=Role.MEMBER) for n in ("Anaïs", "Chloé", "Dédé")}
    ids = {n: await user_id(p) for n, p in folks.items()}
    sitting = await convene(
        admin,
        voters=list(ids.values()),
        facilitator=ids["Anaïs"],
        secretary=ids["Anaïs"],
        timekeeper=ids["Anaïs"],
    )
    page = (await folks["Chloé"].http.get(f"/a/{sitting}")).text
    # The room's own components and topics, not copies.
    assert f'data-voice="{SPACE}"' in page and f'data-topic="voice:{SPACE}"' in page
    assert 'data-topic="room:ag"' in page and 'id="chat-log-ag"' in page
    assert 'data-room="ag"' in page and "data-sitting-tabs" in page
    assert f'data-voice-floor="{SPACE}"' in page
    # The projector carries no conversation.
    screen = (await folks["Chloé"].http.get(f"/a/{sitting}/screen")).text
    assert "data-voice=" not in screen and "chat-log-ag" not in screen


async def test_the_facilitator_silences_all_but_the_floor_and_the_floor_asks_to_unmute(
    live: LiveServer, people: Any
) -> None:
    admin = await people()
    await admin.sign_in_admin()
    folks = {n: await people(n, role=Role.MEMBER) for n in ("Anaïs", "Chloé", "Dédé", "Éric")}
    ids = {n: await user_id(p) for n, p in folks.items()}
    anais, chloe, dede, eric = ids["Anaïs"], ids["Chloé"], ids["Dédé"], ids["Éric"]
    sitting = await convene(
        admin,
        voters=[anais, chloe, dede],
        facilitator=anais,
        secretary=anais,
        timekeeper=anais,
    )
    seat = {n: (await seat_of(folks[n], sitting))[1] for n in ("Anaïs", "Chloé", "Dédé")}
    async with (
        folks["Anaïs"].socket() as fac,
        folks["Chloé"].socket() as c,
        folks["Dédé"].socket() as d,
        folks["Éric"].socket() as e,  # in the room's voice, not convened
    ):
        for sock in (fac, c, d, e):
            joined = await in_voice(sock)
            assert joined["allow"]["silenced"] is False
        for name, sock in (("Anaïs", fac), ("Chloé", c), ("Dédé", d)):
            await ok(sock, sitting, f"in-{name}", type="attendance.check_in")
        await ok(fac, sitting, "open", type="sitting.open")
        await ok(fac, sitting, "next", type="agenda.next_item")

        # Bad input: refused with a reason, nothing changes, the connection stays.
        await refused(c, sitting, "c1", "assembly/not_facilitator", type="speaker.silence", on=True)
        message = await refused(
            fac, sitting, "f1", "assembly/malformed", type="speaker.silence", on="oui"
        )
        assert "silence" in message
        await ok(c, sitting, "hand", type="speaker.raise_hand")  # still connected
        assert not [f for f in await c.quiet(0.3) if f.get("silenced")]

        # Silence: everyone but the facilitator is muted in the room's voice.
        await ok(fac, sitting, "hush", type="speaker.silence", on=True)
        for sock in (c, d, e):
            told = await allow_of(sock, silenced=True)
            assert told["send_to"] == [] and told["muted_by_moderator"] is False
        members = {m["id"]: m for m in live.app.state.voice.public_state(SPACE)}
        assert [u for u, m in members.items() if not m["muted"]] == [anais]

        # The floor: Chloé is heard by everyone, and told so; the others stay silent.
        await ok(fac, sitting, "floor", type="speaker.give_floor")
        told = await allow_of(c, silenced=False)
        assert sorted(told["send_to"]) == sorted([anais, dede, eric])
        floor = await c.expect(type="voice", kind="floor")
        assert floor["handover"] == "open" and floor["space"] == SPACE
        members = {m["id"]: m for m in live.app.state.voice.public_state(SPACE)}
        assert sorted(u for u, m in members.items() if not m["muted"]) == sorted([anais, chloe])
        assert live.app.state.voice.spaces[SPACE].permissions[dede].send == frozenset()

        # Dédé muted himself; given the floor, he is asked to switch his microphone on:
        # the venue lifts the silence for him, never his own switch. Chloé is silent again.
        await d.act("voice.mute", {"space": SPACE, "muted": True}, ref="self-mute")
        await ok(fac, sitting, "floor2", type="speaker.give_floor", seat=seat["Dédé"])
        assert (await d.expect(type="voice", kind="floor"))["handover"] == "ask"
        assert (await allow_of(d, silenced=False))["send_to"]
        await allow_of(c, silenced=True)
        assert not [f for f in await e.quiet(0.3) if f.get("kind") == "floor"]

        # After a restart the voice state is empty: the hold is read again from the sitting.
        voice = live.app.state.voice
        voice.holds.forget()
        assert (await e.act("voice.leave", {"space": SPACE}, ref="out"))["type"] == "ack"
        assert (await in_voice(e))["allow"]["silenced"] is True

        # Undone in one action: everyone may speak again.
        await ok(fac, sitting, "unhush", type="speaker.silence", on=False)
        for sock in (c, e):
            await allow_of(sock, silenced=False)
        assert all(p.send for p in voice.spaces[SPACE].permissions.values())


async def test_a_secret_ballot_says_nothing_in_the_voice_or_the_chat(
    live: LiveServer, people: Any
) -> None:
    admin = await people()
    await admin.sign_in_admin()
    folks = {n: await people(n, role=Role.MEMBER) for n in ("Anaïs", "Chloé", "Dédé")}
    ids = {n: await user_id(p) for n, p in folks.items()}
    sitting = await convene(
        admin,
        voters=list(ids.values()),
        facilitator=ids["Anaïs"],
        secretary=ids["Anaïs"],
        timekeeper=ids["Anaïs"],
    )
    async with (
        folks["Anaïs"].socket() as fac,
        folks["Chloé"].socket() as c,
        folks["Dédé"].socket() as d,
    ):
        assert (await d.sub("room:ag"))["type"] == "subscribed"
        await in_voice(d)
        await in_voice(c)
        for name, sock in (("Anaïs", fac), ("Chloé", c)):
            await ok(sock, sitting, f"in-{name}", type="attendance.check_in")
        await ok(fac, sitting, "open", type="sitting.open")
        await ok(fac, sitting, "next", type="agenda.next_item")
        await ok(fac, sitting, "hush", type="speaker.silence", on=True)
        vote = {"method": "majority", "question": "Secret ?", "secret": True}
        await ok(fac, sitting, "prep", type="vote.prepare", vote=vote)
        await ok(fac, sitting, "vopen", type="vote.open", vote=1)
        await d.quiet(0.4)
        answer = await act(c, sitting, "cast", type="vote.cast", vote=1, ballot="yes")
        assert answer["type"] == "ack"
        after = await d.quiet(0.6)
        # Nothing in the room's voice or chat moved because Chloé voted.
        assert not [f for f in after if f.get("type") == "voice"]
        assert not [f for f in after if f.get("topic") in ("room:ag", f"voice:{SPACE}")]
        await ok(fac, sitting, "unhush", type="speaker.silence", on=False)


async def test_someone_asked_to_leave_the_room_keeps_the_sitting_without_its_conversation(
    live: LiveServer, people: Any
) -> None:
    admin = await people()
    await admin.sign_in_admin()
    folks = {n: await people(n, role=Role.MEMBER) for n in ("Anaïs", "Chloé")}
    ids = {n: await user_id(p) for n, p in folks.items()}
    sitting = await convene(
        admin,
        voters=list(ids.values()),
        facilitator=ids["Anaïs"],
        secretary=ids["Anaïs"],
        timekeeper=ids["Anaïs"],
    )
    async with admin.socket() as mod:
        kicked = await mod.act("room.kick", {"room": "ag", "user": ids["Chloé"], "minutes": 5})
        assert kicked["type"] == "ack", kicked
    page = await folks["Chloé"].http.get(f"/a/{sitting}")
    assert page.status_code == 200
    assert "data-voice=" not in page.text and "chat-log-ag" not in page.text
    assert "salle des AG pour un moment" in page.text
    assert f'data-topic="table:{sitting}:seat:' in page.text


async def test_on_a_mixing_server_the_silence_is_enforced_like_a_moderators_mute(
    live: LiveServer, people: Any
) -> None:
    admin = await people()
    await admin.sign_in_admin()
    folks = {n: await people(n, role=Role.MEMBER) for n in ("Anaïs", "Chloé")}
    ids = {n: await user_id(p) for n, p in folks.items()}
    anais, chloe = ids["Anaïs"], ids["Chloé"]
    sitting = await convene(
        admin, voters=[anais, chloe], facilitator=anais, secretary=anais, timekeeper=anais
    )
    live.settings.voice_mesh_cap = 0  # with a crowd server, the room's voice is mixed
    try:
        async with (
            crowd_on(live) as fake,
            folks["Anaïs"].socket() as fac,
            folks["Chloé"].socket() as c,
        ):
            for sock in (fac, c):
                joined = await in_voice(sock)
                assert joined["transport"] == "janus" and joined["allow"]["silenced"] is False
            for name, sock in (("Anaïs", fac), ("Chloé", c)):
                await ok(sock, sitting, f"in-{name}", type="attendance.check_in")
            await ok(fac, sitting, "open", type="sitting.open")
            await ok(fac, sitting, "next", type="agenda.next_item")
            await ok(c, sitting, "hand", type="speaker.raise_hand")
            await ok(fac, sitting, "hush", type="speaker.silence", on=True)
            await allow_of(c, silenced=True)
            # The mixing server mutes her (and re-applies it), as for a moderator's mute.
            assert fake.muted[-1] == (SPACE, chloe, True)
            assert (SPACE, anais, True) not in fake.muted
            await ok(fac, sitting, "floor", type="speaker.give_floor")
            await allow_of(c, silenced=False)
            assert fake.muted[-1] == (SPACE, chloe, False)
            await ok(fac, sitting, "unhush", type="speaker.silence", on=False)
            for sock in (fac, c):
                await sock.act("voice.leave", {"space": SPACE}, ref="bye")
    finally:
        live.settings.voice_mesh_cap = 4
