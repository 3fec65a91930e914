"""Voice through the gateway (a real server, real sockets): joining, signalling, refusals,
drops, the cap, the crowd server down and back, moderation."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from estaminet.media.crowd import CrowdTicket, CrowdUnavailable
from estaminet.people.model import Role
from estaminet.people.schema import moderation_log
from estaminet.store import Database
from tests.support.live_server import LiveServer, Person, Socket

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}


def voice_frames(sock: Socket, kind: str | None = None) -> list[dict[str, Any]]:
    return [
        f for f in sock.seen if f.get("type") == "voice" and (kind is None or f["kind"] == kind)
    ]


async def user_id(person: Person) -> str:
    page = (await person.http.get("/")).text
    return page.split('data-me="')[1].split('"')[0]


async def in_voice(sock: Socket, space: str) -> dict[str, Any]:
    assert (await sock.sub(f"voice:{space}"))["type"] == "subscribed"
    reply = await sock.act("voice.join", {"space": space}, ref=f"join-{space}")
    return reply


async def members_of(sock: Socket, space: str, count: int) -> list[dict[str, Any]]:
    """Wait for the public state of ``space`` to list ``count`` people."""
    while True:
        event = await sock.take(
            lambda f: f.get("type") == "event" and f.get("topic") == f"voice:{space}"
        )
        members: list[dict[str, Any]] = event["voice"]["members"]
        if len(members) == count:
            return members


class FakeCrowd:
    """A mixing server that is up or down as the test says, and remembers what it was asked."""

    def __init__(self) -> None:
        self.up = True
        self.admitted: list[tuple[str, str]] = []
        self.released: list[tuple[str, str]] = []
        self.closed: list[str] = []
        self.muted: list[tuple[str, str, bool]] = []
        self.rooms: dict[str, int] = {}
        self.loop: asyncio.AbstractEventLoop | None = None

    async def admit(self, space: str, user_id: str, display: str) -> CrowdTicket:
        self.loop = asyncio.get_running_loop()  # the server's, to call the service in it
        if not self.up:
            raise CrowdUnavailable("voice/crowd_down")
        self.admitted.append((space, user_id))
        room = self.rooms.setdefault(space, 7 if not self.rooms else 9_000_000 + len(self.rooms))
        return CrowdTicket(
            "http://127.0.0.1:1/janus",
            room,
            42,
            "tok" if len(self.admitted) == 1 else f"tok-{room}-{len(self.admitted)}",
            datetime(2030, 1, 1, tzinfo=UTC),
        )

    async def release(self, space: str, user_id: str) -> None:
        self.released.append((space, user_id))

    async def mute(self, space: str, user_id: str, muted: bool) -> None:
        self.muted.append((space, user_id, muted))

    async def close(self, space: str) -> None:
        self.closed.append(space)

    async def healthy(self) -> bool:
        return self.up


@contextlib.asynccontextmanager
async def crowd_on(live: LiveServer) -> AsyncIterator[FakeCrowd]:
    fake = FakeCrowd()
    voice = live.app.state.voice
    voice.crowd = fake
    try:
        yield fake
    finally:
        voice.crowd = None


async def test_voice_mesh_join_lists_peers_and_relays_signals(people: Any) -> None:
    alice, bob = await people("Alice Voix"), await people("Bob Voix")
    async with alice.socket() as a, bob.socket() as b:
        first = await in_voice(a, "room:defouloir")
        assert first["type"] == "ack"
        assert first["data"]["transport"] == "mesh"
        assert first["data"]["peers"] == []
        assert first["data"]["ice_servers"] == []  # loopback: no STUN by default
        second = await in_voice(b, "room:defouloir")
        assert [p["name"] for p in second["data"]["peers"]] == ["Alice Voix"]
        alice_id = second["data"]["peers"][0]["id"]
        joined = await a.expect(type="voice", kind="peer")
        assert joined["present"] is True and joined["offer"] is False
        bob_id = joined["peer"]["id"]
        ack = await b.act(
            "voice.signal", {"space": "room:defouloir", "to": alice_id, "signal": OFFER}, ref="s1"
        )
        assert ack["type"] == "ack"
        relayed = await a.expect(type="voice", kind="signal")
        assert relayed["from"] == bob_id and relayed["signal"] == OFFER
        members = await members_of(a, "room:defouloir", 2)
        assert {m["name"] for m in members} == {"Alice Voix", "Bob Voix"}
        assert not any(m["speaking"] or m["muted"] for m in members)


async def test_voice_signal_to_someone_not_in_voice_is_refused(people: Any) -> None:
    alice, carol = await people("Alice Seule"), await people("Carol Ailleurs")
    async with alice.socket() as a, carol.socket() as c:
        await in_voice(a, "room:atelier")
        assert (await c.sub("voice:room:atelier"))["type"] == "subscribed"
        carol_id = await user_id(carol)
        refused = await a.act(
            "voice.signal", {"space": "room:atelier", "to": carol_id, "signal": OFFER}, ref="s"
        )
        assert refused["type"] == "error" and refused["code"] == "voice/not_in_voice"
        assert "conversation" in refused["message"]
        # Not in voice either: Carol cannot signal anyone.
        refused = await c.act(
            "voice.signal", {"space": "room:atelier", "to": carol_id, "signal": OFFER}, ref="t"
        )
        assert refused["code"] == "voice/not_joined"
        await c.quiet(0.3)
        assert voice_frames(c) == []  # nothing was relayed


async def test_voice_malformed_and_oversized_signals_are_refused(people: Any) -> None:
    alice, bob = await people("Alice Taille"), await people("Bob Taille")
    async with alice.socket() as a, bob.socket() as b:
        await in_voice(a, "room:atelier")
        reply = await in_voice(b, "room:atelier")
        alice_id = reply["data"]["peers"][0]["id"]
        space = "room:atelier"
        for bad, code in (
            ({"space": space, "to": alice_id, "signal": {"type": "hello"}}, "gateway/malformed"),
            ({"space": space, "to": alice_id, "signal": "offer"}, "gateway/malformed"),
            ({"space": space, "to": 5, "signal": OFFER}, "gateway/malformed"),
            ({"space": 7, "to": alice_id, "signal": OFFER}, "gateway/malformed"),
            (
                {"space": space, "to": alice_id, "signal": {"type": "offer", "sdp": 5}},
                "gateway/malformed",
            ),
            (
                {"space": space, "to": alice_id, "signal": {"type": "offer", "sdp": "a" * 13_000}},
                "voice/signal_too_large",
            ),
        ):
            refused = await b.act("voice.signal", bad, ref="bad")
            assert refused["type"] == "error" and refused["code"] == code, bad
        await a.quiet(0.3)
        assert voice_frames(a, "signal") == []
        ok = await b.act(
            "voice.signal", {"space": space, "to": alice_id, "signal": OFFER}, ref="ok"
        )
        assert ok["type"] == "ack"  # the connection is still fine


async def test_voice_peer_dropping_is_seen_and_cleaned_up(live: LiveServer, people: Any) -> None:
    alice, bob = await people("Alice Reste"), await people("Bob Part")
    async with alice.socket() as a:
        await in_voice(a, "room:jeux")
        async with bob.socket() as b:
            await in_voice(b, "room:jeux")
            arrived = await a.expect(type="voice", kind="peer")
            assert arrived["present"] is True
        left = await a.expect(type="voice", kind="peer")
        assert left["present"] is False and left["peer"]["id"] == arrived["peer"]["id"]
        members = await members_of(a, "room:jeux", 1)
        assert members[0]["name"] == "Alice Reste"
        space = live.app.state.voice.spaces["room:jeux"]
        assert list(space.members) == [members[0]["id"]]
    async with asyncio.timeout(5):  # the server sees the socket close a moment later
        while "room:jeux" in live.app.state.voice.spaces:
            await asyncio.sleep(0.02)  # nobody left: the space is forgotten


async def test_voice_refusals_keep_the_connection(people: Any) -> None:
    alice = await people("Alice Refus")
    async with alice.socket() as a:
        assert (await a.sub("voice:room:hall"))["type"] == "subscribed"
        refused = await a.act("voice.join", {"space": "room:hall"}, ref="h")
        assert refused["code"] == "voice/none"
        refused = await a.act("voice.join", {"space": "room:defouloir"}, ref="d")
        assert refused["code"] == "voice/follow_first"
        refused = await a.act("voice.join", {"space": "room:nowhere"}, ref="n")
        assert refused["code"] == "venue/unknown_room"
        refused = await a.act("voice.join", {"space": "planet:mars"}, ref="m")
        assert refused["code"] == "voice/unknown_space"
        refused = await a.act("voice.mute", {"space": "room:defouloir", "muted": True}, ref="u")
        assert refused["code"] == "voice/not_joined"
        assert (await a.sub("voice:room:bureau"))["code"] == "venue/team_only"
        sent = await a.act("chat.send", {"room": "defouloir", "body": "toujours là"}, ref="c")
        assert sent["type"] == "ack"


async def test_voice_more_people_than_the_cap_get_a_clear_message(
    live: LiveServer, people: Any
) -> None:
    names = ["Un", "Deux", "Trois", "Quatre", "Cinq"]
    persons: list[Person] = [await people(f"{n} Cap") for n in names]
    async with contextlib.AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(p.socket()) for p in persons]
        for sock in sockets[:4]:
            assert (await in_voice(sock, "room:scene"))["type"] == "ack"
        refused = await in_voice(sockets[4], "room:scene")
        assert refused["type"] == "error" and refused["code"] == "voice/full"
        assert "4" in refused["message"] and "discussion" in refused["message"]
        assert live.settings.voice_mesh_cap == 4
        # When someone leaves, there is room again.
        assert (await sockets[0].act("voice.leave", {"space": "room:scene"}, ref="l"))[
            "type"
        ] == "ack"
        assert (await sockets[4].act("voice.join", {"space": "room:scene"}, ref="again"))[
            "type"
        ] == "ack"


async def test_voice_crowd_room_gets_a_ticket(live: LiveServer, people: Any) -> None:
    alice = await people("Alice Foule")
    async with crowd_on(live) as fake, alice.socket() as a:
        reply = await in_voice(a, "room:bar")
        assert reply["data"]["transport"] == "janus"
        ticket = reply["data"]["ticket"]
        assert ticket == {
            "server": "http://127.0.0.1:1/janus",
            "room": 7,
            "participant": 42,
            "token": "tok",
            "expires_at": "2030-01-01T00:00:00+00:00",
        }
        assert "peers" not in reply["data"]
        assert fake.admitted and fake.admitted[0][0] == "room:bar"
        await a.act("voice.leave", {"space": "room:bar"}, ref="bye")


async def test_voice_crowd_down_says_so_chat_works_and_voice_comes_back(
    live: LiveServer, people: Any
) -> None:
    alice = await people("Alice Panne")
    live.settings.voice_crowd_retry_seconds = 0.1
    async with crowd_on(live) as fake, alice.socket() as a:
        fake.up = False
        refused = await in_voice(a, "room:bar")
        assert refused["type"] == "error" and refused["code"] == "voice/crowd_down"
        assert "discussion" in refused["message"]
        sent = await a.act("chat.send", {"room": "bar", "body": "le texte marche"}, ref="c")
        assert sent["type"] == "ack"
        fake.up = True
        back = await a.expect(type="voice", kind="back", within=5)
        assert back["space"] == "room:bar"
        again = await a.act("voice.join", {"space": "room:bar"}, ref="again")
        assert again["data"]["transport"] == "janus"
        await a.act("voice.leave", {"space": "room:bar"}, ref="bye")


async def test_voice_mesh_full_moves_everyone_to_the_crowd_server(
    live: LiveServer, people: Any
) -> None:
    persons = [await people(f"Migr {n}") for n in range(5)]
    async with crowd_on(live), contextlib.AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(p.socket()) for p in persons]
        for sock in sockets[:4]:
            assert (await in_voice(sock, "room:defouloir"))["data"]["transport"] == "mesh"
        fifth = await in_voice(sockets[4], "room:defouloir")
        assert fifth["data"]["transport"] == "janus"
        for sock in sockets[:4]:
            await sock.expect(type="voice", kind="rejoin")
            again = await sock.act("voice.join", {"space": "room:defouloir"}, ref="re")
            assert again["data"]["transport"] == "janus"


async def test_voice_moderator_mutes_and_removes_and_it_is_logged(
    live: LiveServer, people: Any
) -> None:
    guest, other = await people("Gaston Bruyant"), await people("Odile Calme")
    admin = await people()
    await admin.sign_in_admin()
    async with guest.socket() as g, other.socket() as o, admin.socket() as m:
        await in_voice(g, "room:atelier")
        await in_voice(o, "room:atelier")
        assert (await m.sub("voice:room:atelier"))["type"] == "subscribed"
        members = await members_of(m, "room:atelier", 2)
        gaston = next(x["id"] for x in members if x["name"] == "Gaston Bruyant")
        refused = await o.act(
            "voice.moderate", {"space": "room:atelier", "user": gaston, "action": "mute"}, ref="x"
        )
        assert refused["code"] == "venue/not_moderator"
        done = await m.act(
            "voice.moderate", {"space": "room:atelier", "user": gaston, "action": "mute"}, ref="1"
        )
        assert done["type"] == "ack"
        allow = await g.take(lambda f: f.get("kind") == "allow" and f["muted_by_moderator"])
        assert allow["send_to"] == []
        while True:
            members = await members_of(m, "room:atelier", 2)
            if next(x for x in members if x["id"] == gaston)["muted"]:
                break
        done = await m.act(
            "voice.moderate", {"space": "room:atelier", "user": gaston, "action": "remove"}, ref="2"
        )
        assert done["type"] == "ack"
        ended = await g.expect(type="voice", kind="ended")
        assert ended["reason"] == "removed" and "modérat" in ended["message"]
        await members_of(m, "room:atelier", 1)
    db = Database(live.settings.resolved_database_url)
    try:
        async with db.read() as conn:
            rows = (await conn.execute(select(moderation_log.c.action))).scalars().all()
    finally:
        await db.dispose()
    assert "voice_mute" in rows and "voice_remove" in rows


async def test_voice_speaking_and_mute_are_public_in_a_room(people: Any) -> None:
    alice, bob = await people("Alice Parle"), await people("Bob Écoute")
    async with alice.socket() as a, bob.socket() as b:
        await in_voice(a, "room:atelier")
        await in_voice(b, "room:atelier")
        await a.act("voice.speaking", {"space": "room:atelier", "speaking": True}, ref="sp")
        while True:
            members = await members_of(b, "room:atelier", 2)
            if any(m["speaking"] for m in members):
                break
        await a.act("voice.mute", {"space": "room:atelier", "muted": True}, ref="mu")
        while True:
            members = await members_of(b, "room:atelier", 2)
            alice_state = next(m for m in members if m["name"] == "Alice Parle")
            if alice_state["muted"]:
                assert not alice_state["speaking"]
                break
        bad = await a.act("voice.speaking", {"space": "room:atelier", "speaking": "yes"}, ref="b")
        assert bad["code"] == "gateway/malformed"


@pytest.fixture
def wide_mesh(live: LiveServer) -> Any:
    live.settings.voice_mesh_cap = 12
    yield
    live.settings.voice_mesh_cap = 4


async def test_voice_werewolf_night_keeps_the_wolves_channel_secret(
    live: LiveServer, people: Any, wide_mesh: Any
) -> None:
    from tests.tables.test_tables_live import create_table, post
    from tests.tables.test_werewolf_table import YOUR_ROLE, actions_in

    names = ["Ana", "Ben", "Cléo", "Dan", "Eva", "Fred", "Gil", "Héla"]
    players = [await people(f"{n} LG", role=Role.MEMBER) for n in names]
    fan = await people("Fan LG")
    table_id = await create_table(players[0], game="werewolf")
    for person in players[1:]:
        assert await post(person, table_id, "join", role="player") == 303
    assert await post(fan, table_id, "join", role="spectator") == 303
    space = f"table:{table_id}"
    async with contextlib.AsyncExitStack() as stack, asyncio.timeout(120):
        sockets = [await stack.enter_async_context(p.socket()) for p in [*players, fan]]
        for sock in sockets:
            joined = await in_voice(sock, space)
            assert joined["type"] == "ack", joined
        assert await post(players[0], table_id, "start") == 303
        roles = [
            YOUR_ROLE.search((await p.http.get(f"/t/{table_id}")).text).group(1)  # type: ignore[union-attr]
            for p in players
        ]
        wolves = {i for i, r in enumerate(roles) if r in ("Loup-Garou", "Werewolf")}
        assert wolves
        others = [i for i in range(len(players)) if i not in wolves] + [len(players)]
        # Play the first night's steps (any legal move) until the wolves are called.
        opened = False
        for _ in range(40):
            if any(f.get("channels") for i in wolves for f in voice_frames(sockets[i], "allow")):
                opened = True
                break
            moved = False
            for i, person in enumerate(players):
                choices = actions_in((await person.http.get(f"/t/{table_id}")).text)
                if choices and not (i in wolves and choices[0].get("type") == "wolf_vote"):
                    await sockets[i].act(
                        "table.act", {"table": table_id, "action": choices[0]}, ref="mv"
                    )
                    moved = True
            for sock in sockets:
                await sock.quiet(0.2)
            if not moved:
                break
        assert opened, "the wolves were never called"
        wolf = min(wolves)
        channel_frames = [f for f in voice_frames(sockets[wolf], "allow") if f["channels"]]
        channel = channel_frames[-1]["channels"][0]
        assert channel["name"] == "wolves" and len(channel["members"]) == len(wolves)
        assert channel_frames[-1]["night"] is True
        # A wolf speaks in the private channel: only the other wolves are told.
        await sockets[wolf].act("voice.speaking", {"space": space, "speaking": True}, ref="sp")
        await sockets[wolf].act("voice.mute", {"space": space, "muted": False}, ref="mu")
        for sock in sockets:
            await sock.quiet(0.4)
        wolf_id = await user_id(players[wolf])
        for i in wolves - {wolf}:
            told = voice_frames(sockets[i], "speaking")
            assert any(f["user"] == wolf_id and f["speaking"] for f in told)
        for i in others:
            frames = [
                f
                for f in sockets[i].seen
                if f.get("type") == "voice"
                or (f.get("type") == "event" and str(f.get("topic", "")).startswith("voice:"))
            ]
            text = json.dumps(frames)
            assert "wolves" not in text and "private" not in text
            assert not any(f.get("channels") for f in frames)
            assert voice_frames(sockets[i], "speaking") == []
            nights = [f for f in voice_frames(sockets[i], "allow") if f["night"]]
            assert nights and nights[-1]["send_to"] == []  # "night: all microphones off", alike
            public = [f for f in frames if f.get("type") == "event" and f["voice"]["members"]][-1][
                "voice"
            ]["members"]
            assert all(m["muted"] and not m["speaking"] for m in public)
        # The wolves' frames and a villager's frames have the same shape at night.
        villager_allow = [f for f in voice_frames(sockets[others[0]], "allow") if f["night"]][-1]
        assert set(villager_allow) == set(channel_frames[-1])


@pytest.fixture
def all_mixed(live: LiveServer) -> Any:
    live.settings.voice_mesh_cap = 0  # with a crowd server, every table's voice is mixed
    yield
    live.settings.voice_mesh_cap = 4


def _voice_frames_of(sock: Socket) -> list[dict[str, Any]]:
    return [
        f
        for f in sock.seen
        if f.get("type") == "voice"
        or (f.get("type") == "event" and str(f.get("topic", "")).startswith("voice:"))
    ]


async def test_voice_werewolf_night_on_a_mixing_server_gives_the_wolves_their_own_room(
    live: LiveServer, people: Any, all_mixed: Any
) -> None:
    """On a mixing server the wolves' channel is a mixing room of its own: only the living
    wolves are admitted to it, during their call, and only their own frames carry its ticket;
    when their step ends the tickets are released and the room removed."""
    from tests.tables.test_tables_live import create_table, post
    from tests.tables.test_werewolf_table import YOUR_ROLE, actions_in

    names = ["Ana", "Ben", "Cléo", "Dan", "Eva", "Fred", "Gil", "Héla"]
    players = [await people(f"{n} Mix", role=Role.MEMBER) for n in names]
    table_id = await create_table(players[0], game="werewolf")
    for person in players[1:]:
        assert await post(person, table_id, "join", role="player") == 303
    space = f"table:{table_id}"
    voice = live.app.state.voice

    def wolves_called() -> bool:
        return any(p.private for p in voice.spaces[space].permissions.values())

    async def play(wolves_vote: bool) -> None:
        for i, person in enumerate(players):
            choices = actions_in((await person.http.get(f"/t/{table_id}")).text)
            voting = bool(choices) and choices[0].get("type") == "wolf_vote"
            if choices and (wolves_vote or not (i in wolves and voting)):
                await sockets[i].act(
                    "table.act", {"table": table_id, "action": choices[0]}, ref="mv"
                )
        for sock in sockets:
            await sock.quiet(0.2)

    async with (
        crowd_on(live) as fake,
        contextlib.AsyncExitStack() as stack,
        asyncio.timeout(120),
    ):
        sockets = [await stack.enter_async_context(p.socket()) for p in players]
        for sock in sockets:
            joined = await in_voice(sock, space)
            assert joined["data"]["transport"] == "janus", joined
        ids = [await user_id(p) for p in players]
        assert await post(players[0], table_id, "start") == 303
        roles = [
            YOUR_ROLE.search((await p.http.get(f"/t/{table_id}")).text).group(1)  # type: ignore[union-attr]
            for p in players
        ]
        wolves = {i for i, r in enumerate(roles) if r in ("Loup-Garou", "Werewolf")}
        others = [i for i in range(len(players)) if i not in wolves]
        assert len(wolves) > 1 and others
        for _ in range(40):
            if wolves_called():
                break
            await play(wolves_vote=False)
        else:
            raise AssertionError("the wolves were never called")
        group_rooms = {s for s, _ in fake.admitted if s != space}
        assert len(group_rooms) == 1
        room = group_rooms.pop()
        assert room.startswith(f"{space}:g:") and "wolves" not in room
        # Only the living wolves are admitted to their room, and each gets its ticket.
        assert sorted(u for s, u in fake.admitted if s == room) == sorted(ids[i] for i in wolves)
        wolf = min(wolves)
        assert (space, ids[wolf], True) in fake.muted  # muted in the main mix, like everyone
        for i in wolves:
            opened = [f for f in voice_frames(sockets[i], "allow") if f["channels"]][-1]
            (channel,) = opened["channels"]
            assert channel["name"] == "wolves"
            assert sorted(channel["members"]) == sorted(ids[j] for j in wolves)
            assert channel["ticket"]["room"] == fake.rooms[room]
            assert opened["night"] is True
            assert sorted(opened["send_to"]) == sorted(ids[j] for j in wolves - {i})

        # The wolves' room's mixing server dies (several Janus, media/janus/placement.py): the
        # room is opened again and only the wolves get a new ticket; nobody is told "moved".
        def channel_token(i: int) -> str:
            allow = [f for f in voice_frames(sockets[i], "allow") if f["channels"]][-1]
            return str(allow["channels"][0]["ticket"]["token"])

        before = {i: channel_token(i) for i in wolves}
        await _in_server(fake, voice.crowd_moved({room}))
        for sock in sockets:
            await sock.quiet(0.3)
        assert all(channel_token(i) != before[i] for i in wolves)
        admitted = sorted(u for s, u in fake.admitted if s == room)
        assert admitted == sorted([ids[i] for i in wolves] * 2)
        assert all(voice_frames(sock, "moved") == [] for sock in sockets)
        # A wolf speaks in the private room: only the other wolves are told.
        await sockets[wolf].act("voice.speaking", {"space": space, "speaking": True}, ref="sp")
        for sock in sockets:
            await sock.quiet(0.4)
        for i in wolves - {wolf}:
            told = voice_frames(sockets[i], "speaking")
            assert any(f["user"] == ids[wolf] and f["speaking"] for f in told)
        # Nobody else ever receives a ticket or a frame naming the group or its room.
        room_number = str(fake.rooms[room])
        for i in others:
            frames = _voice_frames_of(sockets[i])
            text = json.dumps(frames)
            assert "wolves" not in text and "private" not in text and "ticket" not in text
            assert room_number not in text and room.split(":g:")[1] not in text
            assert voice_frames(sockets[i], "speaking") == []
            nights = [f for f in voice_frames(sockets[i], "allow") if f["night"]]
            assert nights and nights[-1]["send_to"] == [] and nights[-1]["channels"] == []
            public = [f for f in frames if f.get("type") == "event" and f["voice"]["members"]][-1]
            assert all(m["muted"] and not m["speaking"] for m in public["voice"]["members"])
        villager_allow = [f for f in voice_frames(sockets[others[0]], "allow") if f["night"]][-1]
        wolf_allow = [f for f in voice_frames(sockets[wolf], "allow") if f["channels"]][-1]
        assert set(villager_allow) == set(wolf_allow)
        assert not any(s == room for s, _ in fake.released)
        # A wolf leaving the voice loses their ticket at once; the room stays for the others.
        leaver = max(wolves)
        await sockets[leaver].act("voice.leave", {"space": space}, ref="bye")
        for sock in sockets:
            await sock.quiet(0.3)
        assert [u for s, u in fake.released if s == room] == [ids[leaver]]
        assert room not in fake.closed
        stayed = [f for f in voice_frames(sockets[wolf], "allow") if f["channels"]][-1]
        assert stayed["channels"][0]["members"] == sorted(ids[i] for i in wolves - {leaver})
        assert ids[leaver] not in stayed["send_to"]
        # The wolves choose their victim: their step ends, their room is emptied and removed.
        for _ in range(20):
            if not wolves_called():
                break
            await play(wolves_vote=True)
        else:
            raise AssertionError("the wolves' step never ended")
        assert sorted(u for s, u in fake.released if s == room) == sorted(ids[i] for i in wolves)
        assert fake.closed.count(room) == 1
        assert voice.spaces[space].groups == {}
        for i in wolves - {leaver}:
            last = voice_frames(sockets[i], "allow")[-1]
            assert last["channels"] == []
        assert all(s == space for s, _ in fake.admitted if s != room)
        # The table's own room's server dies: everyone in its voice is told, in French.
        await _in_server(fake, voice.crowd_moved({space}))
        for i, sock in enumerate(sockets):
            if i == leaver:
                continue
            moved = await sock.expect(type="voice", kind="moved")
            assert moved["space"] == space and moved["message"] == "La voix change de serveur…"
        assert voice_frames(sockets[leaver], "moved") == []


async def _in_server(fake: FakeCrowd, work: Any) -> None:
    """Run ``work`` in the served app's event loop (the one the fake crowd was called in)."""
    assert fake.loop is not None
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, fake.loop))


async def test_voice_kicked_from_the_room_leaves_its_voice(live: LiveServer, people: Any) -> None:
    guest, other = await people("Kévin Sorti"), await people("Olga Reste")
    admin = await people()
    await admin.sign_in_admin()
    async with guest.socket() as g, other.socket() as o, admin.socket() as m:
        await in_voice(g, "room:defouloir")
        await in_voice(o, "room:defouloir")
        kevin = await user_id(guest)
        done = await m.act(
            "room.kick", {"room": "defouloir", "user": kevin, "minutes": 5, "reason": "test"}
        )
        assert done["type"] == "ack"
        await g.expect(type="left", topic="voice:room:defouloir")
        gone = await o.take(lambda f: f.get("kind") == "peer" and f["present"] is False)
        assert gone["peer"]["id"] == kevin
        refused = await g.act("voice.join", {"space": "room:defouloir"}, ref="back")
        assert refused["type"] == "error"


async def test_voice_crowd_mutes_follow_moderation(live: LiveServer, people: Any) -> None:
    guest = await people("Gédéon Foule")
    admin = await people()
    await admin.sign_in_admin()
    async with crowd_on(live) as fake, guest.socket() as g, admin.socket() as m:
        assert (await in_voice(g, "room:scene"))["data"]["transport"] == "janus"
        gedeon = await user_id(guest)
        done = await m.act(
            "voice.moderate", {"space": "room:scene", "user": gedeon, "action": "mute"}, ref="1"
        )
        assert done["type"] == "ack"
        assert ("room:scene", gedeon, True) in fake.muted
        await m.act(
            "voice.moderate", {"space": "room:scene", "user": gedeon, "action": "unmute"}, ref="2"
        )
        assert fake.muted[-1] == ("room:scene", gedeon, False)
        await g.act("voice.leave", {"space": "room:scene"}, ref="bye")


async def test_voice_joining_again_from_the_same_tab_keeps_one_membership(
    live: LiveServer, people: Any
) -> None:
    alice = await people("Alice Deux Fois")
    async with alice.socket() as a:
        await in_voice(a, "room:defouloir")
        again = await a.act("voice.join", {"space": "room:defouloir"}, ref="again")
        assert again["type"] == "ack" and again["data"]["peers"] == []
        me = await user_id(alice)
        assert list(live.app.state.voice.spaces["room:defouloir"].members) == [me]
        async with alice.socket() as other_tab:
            await in_voice(other_tab, "room:defouloir")
            ended = await a.expect(type="voice", kind="ended")
            assert ended["reason"] == "elsewhere"
            assert live.app.state.voice.spaces["room:defouloir"].members[me].conn is not None
