"""Voice whose members' sockets are on two instances (two ``VoiceService``s, each with its
own Redis hub, sharing Redis), as if there were one instance:

- at a game table, the game's voice plan changes through one instance (the night falls,
  the wolves get their private channel) and the players on the other are muted, and the
  wolves joined;
- in an assembly room, a sitting committed through one instance gives the floor to one
  person and the members on the other are silenced (on a mixing server too);
- a space's roster (``voice:<space>``) goes out once per change venue-wide, and a late
  joiner's catch-up on either instance shows what the frames said.

Access, the table, the sittings' silences and the mixing server are stand-ins; the hub, the
shared state and the voice service are the real ones."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from estaminet.media import voice as voice_module
from estaminet.media.crowd import CrowdTicket
from estaminet.media.voice import VoiceService
from estaminet.media.voice_rules import TablePerson
from estaminet.realtime.connection import Principal
from estaminet.realtime.frames import Frame
from estaminet.realtime.gateway import ActionContext
from estaminet.realtime.redis_hub import RedisHub
from estaminet.realtime.shared_state import RedisSharedState
from estaminet.settings import Settings
from estaminet.web.templating import Templates

pytestmark = pytest.mark.redis

NOW = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
SEATS = {"wolf1": 0, "wolf2": 1, "villager": 2}


@dataclass
class Tab:
    """A browser tab as the voice service sees it: what it was pushed."""

    principal: Principal
    id: int
    locale: str = "fr"
    subscriptions: dict[str, Any] = field(default_factory=dict)
    pushed: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False

    def push_json(self, frame: dict[str, Any]) -> None:
        self.pushed.append(frame)

    def push_catch_up(self, topic: str, seq: int, ops: list[Any], **extra: Any) -> None:
        self.pushed.append(
            {"type": "event", "topic": topic, "seq": seq, "kind": "catch_up", **extra}
        )

    def voice(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.pushed if f.get("type") == "voice" and f["kind"] == kind]


class Table:
    """The game: its voice plan, as the rules would give it, and who sits where."""

    def __init__(self) -> None:
        self.plan: dict[str, Any] | None = None
        self.listeners: list[Any] = []
        self.engine = self
        self.forgotten = 0

    def forget(self, table_id: int) -> None:
        """The engine's cached state dropped: the next read is the database's."""
        self.forgotten += 1

    def on_change(self, listener: Any) -> None:
        self.listeners.append(listener)

    async def voice_plan(self, table_id: int) -> dict[str, Any] | None:
        return self.plan

    async def table(self, table_id: int) -> Any:
        class _Seat:
            def __init__(self, seat: int) -> None:
                self.role, self.seat = "player", seat

        class _Table:
            def participant(self, user_id: str) -> Any:
                return _Seat(SEATS[user_id]) if user_id in SEATS else None

        return _Table()


class Crowd:
    """A mixing server: who is admitted, who is muted in it."""

    def __init__(self) -> None:
        self.muted: dict[tuple[str, str], bool] = {}

    async def admit(self, space: str, user_id: str, display: str) -> CrowdTicket:
        return CrowdTicket("https://janus.test", 7, 1, f"t-{user_id}", NOW)

    async def release(self, space: str, user_id: str) -> None:
        self.muted.pop((space, user_id), None)

    async def mute(self, space: str, user_id: str, muted: bool) -> None:
        self.muted[(space, user_id)] = muted

    async def close(self, space: str) -> None:
        return None

    async def healthy(self) -> bool:
        return True


class Sittings:
    """The running sittings' silences on a room, as the database holds them after a commit."""

    def __init__(self) -> None:
        self.asked: dict[str, frozenset[str]] = {}
        self.fresh_reads = 0

    async def holds(self, key: str, fresh: bool = False) -> dict[str, frozenset[str]]:
        self.fresh_reads += fresh
        return dict(self.asked) if key == ROOM else {}


ROOM = "room:assemblee"


@contextlib.asynccontextmanager
async def instances(
    redis_url: str,
    tmp_path: Path,
    *,
    room_mode: str = "mesh",
    sittings: Sittings | None = None,
) -> AsyncIterator[list[VoiceService]]:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    settings = Settings(data_dir=tmp_path, secret_key="k")
    made: list[tuple[RedisHub, RedisSharedState, VoiceService]] = []
    for _ in range(2):
        hub = RedisHub(redis_url, prefix=prefix)
        shared = RedisSharedState(redis_url, prefix=prefix, lease=3.0)
        await hub.start()
        await shared.start()
        service = VoiceService(
            None,  # type: ignore[arg-type]  # access is the stand-in below
            hub,
            Templates(),
            settings,
            lambda: NOW,
            tables=Table(),  # type: ignore[arg-type]
            crowd=Crowd() if room_mode == "crowd" else None,
            shared=shared,
        )
        if sittings is not None:
            service.holds.source = sittings.holds

        async def access(principal: Principal, space: str) -> Any:
            if space.startswith("room:"):
                return voice_module._Access(room_mode, None)
            person = TablePerson(principal.user_id, "player", SEATS[principal.user_id])
            return voice_module._Access("mesh", None, person)

        service.access = access  # type: ignore[method-assign]
        made.append((hub, shared, service))
    try:
        yield [service for _, _, service in made]
    finally:
        await asyncio.sleep(0.5)  # the last coalesced rosters go out before Redis is left
        for hub, shared, _ in made:
            await shared.stop()
            await hub.stop()
        client = redis.Redis.from_url(redis_url)
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def until(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def join(service: VoiceService, user_id: str, conn_id: int, space: str = "table:1") -> Tab:
    tab = Tab(Principal(user_id, user_id.title(), "member"), conn_id)
    tab.subscriptions[f"voice:{space}"] = None
    ctx = ActionContext(tab.principal, tab, "fr", NOW)  # type: ignore[arg-type]
    reply = await service._join(ctx, {"space": space})
    tab.pushed.append({"type": "reply", **reply})
    return tab


async def act(service: VoiceService, tab: Tab, action: str, data: dict[str, Any]) -> Any:
    ctx = ActionContext(tab.principal, tab, "fr", NOW)  # type: ignore[arg-type]
    return await getattr(service, f"_{action}")(ctx, {"space": ROOM, **data})


def last_allow(tab: Tab) -> dict[str, Any]:
    allows = tab.voice("allow")
    if allows:
        return allows[-1]
    return next(f for f in tab.pushed if f.get("type") == "reply")["allow"]


async def test_the_night_falls_through_one_instance_and_mutes_the_other_s_players(
    redis_url: str, tmp_path: Path
) -> None:
    async with instances(redis_url, tmp_path) as (one, two):
        for service in (one, two):
            service._relay_here()
        wolf1 = await join(one, "wolf1", 1)
        villager = await join(two, "villager", 2)
        wolf2 = await join(two, "wolf2", 3)
        await asyncio.sleep(0.3)  # Redis confirms subscriptions asynchronously
        await until(lambda: set(one.spaces["table:1"].members) == set(SEATS))
        # The lobby: everyone talks to everyone, across the instances.
        await until(lambda: last_allow(villager)["send_to"] == ["wolf1", "wolf2"])
        assert last_allow(wolf1)["send_to"] == ["villager", "wolf2"]

        # The night falls, committed through instance one (its engine's listener runs there).
        assert two.tables is not None
        forgotten = two.tables.forgotten  # type: ignore[attr-defined]
        for service in (one, two):
            assert service.tables is not None
            service.tables.plan = {  # type: ignore[attr-defined]
                "muted_all": True,
                "private_channels": {"wolves": [0, 1]},
            }
        table: Any = one.tables
        for listener in table.listeners:
            await listener(type("Live", (), {"id": 1})(), [])
        # The villager, on the other instance, is muted; the wolves share their channel.
        await until(lambda: last_allow(villager)["night"] is True)
        # Read afresh on the other instance, not from its cached (stale) game state.
        assert two.tables.forgotten > forgotten  # type: ignore[attr-defined]
        assert last_allow(villager)["send_to"] == []
        assert last_allow(villager)["channels"] == []
        await until(lambda: bool(last_allow(wolf2)["channels"]))
        (channel,) = last_allow(wolf2)["channels"]
        assert channel["name"] == "wolves" and channel["members"] == ["wolf1", "wolf2"]
        assert last_allow(wolf2)["send_to"] == ["wolf1"]
        await until(lambda: last_allow(wolf1)["send_to"] == ["wolf2"])
        # The villager's tab is never told the wolves' channel (nor its name).
        assert not any("wolves" in str(frame) for frame in villager.pushed)


async def in_the_assembly(one: VoiceService, two: VoiceService) -> tuple[Tab, Tab, Tab]:
    """Alice's socket on instance one, Bob's and Carol's on instance two, all in the voice."""
    for service in (one, two):
        service._relay_here()
    alice = await join(one, "alice", 1, ROOM)
    await asyncio.sleep(0.3)  # Redis confirms subscriptions asynchronously
    bob = await join(two, "bob", 2, ROOM)
    carol = await join(two, "carol", 3, ROOM)
    everyone = {"alice", "bob", "carol"}
    await until(lambda: all(set(s.spaces[ROOM].members) == everyone for s in (one, two)))
    return alice, bob, carol


def roster(service: VoiceService) -> dict[str, bool]:
    return {m["id"]: m["muted"] for m in service.public_state(ROOM)}


async def test_a_sitting_through_one_instance_silences_the_members_on_the_other(
    redis_url: str, tmp_path: Path
) -> None:
    sittings = Sittings()
    async with instances(redis_url, tmp_path, sittings=sittings) as (one, two):
        alice, bob, carol = await in_the_assembly(one, two)
        await until(lambda: last_allow(carol)["send_to"] == ["alice", "bob"])
        reads = sittings.fresh_reads
        await asyncio.sleep(0.8)  # the joins' rosters are out
        frames: list[Frame] = []
        one.hub.subscribe(f"voice:{ROOM}", frames.append)
        await asyncio.sleep(0.3)  # Redis confirms subscriptions asynchronously

        # The facilitator gives Bob the floor: the sitting's commit runs through instance one.
        sittings.asked["sitting:1"] = frozenset({"bob"})
        await one.hold_floor(ROOM, "sitting:1", frozenset({"bob"}))
        one.hand_floor(ROOM, "bob")
        # Carol, whose socket is on instance two, is silenced without joining again.
        await until(lambda: last_allow(carol)["silenced"] is True)
        assert sittings.fresh_reads > reads  # instance two read the silences again, fresh
        assert last_allow(carol)["send_to"] == []
        assert last_allow(alice)["silenced"] is True
        assert last_allow(bob)["silenced"] is False
        assert last_allow(bob)["send_to"] == ["alice", "carol"]
        await until(lambda: bool(bob.voice("floor")))
        assert bob.voice("floor")[-1]["handover"] == "open"
        # The roster says so once, venue-wide (both instances applied the silence).
        await settled(frames, 1)
        shown = {m["id"]: m["muted"] for m in voice_of(frames[0])["members"]}
        assert shown == {"alice": True, "bob": False, "carol": True}
        # Carol switching her own microphone on does not make her heard: the server shows
        # her muted, and never speaking.
        assert await act(two, carol, "mute", {"muted": False}) == {"muted": False}
        await act(two, carol, "speaking", {"speaking": True})
        assert two.spaces[ROOM].members["carol"].speaking is False
        for service in (one, two):
            await until(lambda s=service: roster(s) == {"alice": True, "bob": False, "carol": True})

        # The sitting ends its silence (through instance one): Carol is heard again.
        del sittings.asked["sitting:1"]
        await one.hold_floor(ROOM, "sitting:1", None)
        await until(lambda: last_allow(carol)["silenced"] is False)
        assert last_allow(carol)["send_to"] == ["alice", "bob"]
        assert roster(two) == {"alice": False, "bob": False, "carol": False}


async def test_a_sitting_through_one_instance_mutes_the_other_s_members_on_the_mixing_server(
    redis_url: str, tmp_path: Path
) -> None:
    sittings = Sittings()
    async with instances(redis_url, tmp_path, room_mode="crowd", sittings=sittings) as (
        one,
        two,
    ):
        _, _, carol = await in_the_assembly(one, two)
        assert two.crowd is not None and one.crowd is not None
        crowd_two: Any = two.crowd
        crowd_one: Any = one.crowd
        assert crowd_two.muted.get((ROOM, "carol")) is False

        sittings.asked["sitting:1"] = frozenset({"bob"})
        await one.hold_floor(ROOM, "sitting:1", frozenset({"bob"}))
        # Instance two mutes its own members in the shared mixing room; instance one its own.
        await until(lambda: crowd_two.muted.get((ROOM, "carol")) is True)
        assert crowd_two.muted[(ROOM, "bob")] is False
        assert crowd_one.muted[(ROOM, "alice")] is True
        assert (ROOM, "carol") not in crowd_one.muted  # each instance mutes only its own
        assert last_allow(carol)["silenced"] is True

        del sittings.asked["sitting:1"]
        await one.hold_floor(ROOM, "sitting:1", None)
        await until(lambda: crowd_two.muted.get((ROOM, "carol")) is False)
        assert crowd_one.muted[(ROOM, "alice")] is False


async def test_a_silence_read_by_an_instance_that_joins_later_is_the_latest(
    redis_url: str, tmp_path: Path
) -> None:
    """Instance two had nobody in the room when the sitting changed; its first member
    there reads the silences past what it had cached."""
    sittings = Sittings()
    async with instances(redis_url, tmp_path, sittings=sittings) as (one, two):
        for service in (one, two):
            service._relay_here()
        await join(one, "alice", 1, ROOM)
        first = await join(two, "bob", 2, ROOM)
        await until(lambda: set(two.spaces[ROOM].members) == {"alice", "bob"})
        await act(two, first, "leave", {})
        await until(lambda: ROOM not in two.spaces)
        sittings.asked["sitting:1"] = frozenset({"alice"})
        await one.hold_floor(ROOM, "sitting:1", frozenset({"alice"}))
        # Bob comes back on instance two: silenced from his first frame.
        again = await join(two, "bob", 3, ROOM)
        assert last_allow(again)["silenced"] is True


def voice_of(frame: Frame) -> dict[str, Any]:
    return dict(json.loads(frame.text("fr"))["voice"])


async def settled(frames: list[Frame], count: int) -> None:
    """``count`` frames arrived, and no other follows once every instance has flushed."""
    await until(lambda: len(frames) >= count)
    await asyncio.sleep(1.0)
    assert len(frames) == count, [
        (f.seq, [(m["id"], m["muted"]) for m in voice_of(f)["members"]]) for f in frames
    ]


async def test_a_voice_roster_goes_out_once_per_change_with_members_on_both_instances(
    redis_url: str, tmp_path: Path
) -> None:
    async with instances(redis_url, tmp_path) as (one, two):
        here: list[Frame] = []
        there: list[Frame] = []
        one.hub.subscribe(f"voice:{ROOM}", here.append)
        two.hub.subscribe(f"voice:{ROOM}", there.append)
        for service in (one, two):
            service._relay_here()
        await asyncio.sleep(0.3)

        alice = await join(one, "alice", 1, ROOM)
        await settled(here, 1)
        bob = await join(two, "bob", 2, ROOM)
        await settled(here, 2)
        await act(two, bob, "mute", {"muted": True})
        await settled(here, 3)
        await act(one, alice, "mute", {"muted": True})
        await settled(here, 4)
        await act(one, alice, "leave", {})
        await settled(here, 5)

        def shown(frame: Frame) -> list[tuple[str, bool]]:
            return [(m["id"], m["muted"]) for m in voice_of(frame)["members"]]

        assert [shown(f) for f in here] == [
            [("alice", False)],
            [("alice", False), ("bob", False)],
            [("alice", False), ("bob", True)],
            [("alice", True), ("bob", True)],
            [("bob", True)],
        ]
        seqs = [f.seq for f in here]
        assert seqs == sorted(set(seqs))
        assert [f.seq for f in there] == seqs  # the same frames reach instance two's followers

        # A late joiner's catch-up, on either instance, is what the frames said.
        for service in (one, two):
            tab = Tab(Principal("dan", "Dan", "member"), 9)
            topic = f"voice:{ROOM}"
            seq = await voice_module._VoiceTopics(service).catch_up(tab, topic, -1)  # type: ignore[arg-type]
            assert seq == seqs[-1]
            (caught,) = tab.pushed
            assert caught["seq"] == seqs[-1] and caught["voice"] == voice_of(here[-1])
            # Up to date already: nothing to catch up.
            assert await voice_module._VoiceTopics(service).catch_up(tab, topic, seq) == seq  # type: ignore[arg-type]
            assert len(tab.pushed) == 1


async def test_a_malformed_nudge_changes_no_silence(redis_url: str, tmp_path: Path) -> None:
    """The internal topic carries only what instances send, but what cannot be read in a
    nudge is ignored: the members are read again, the silences stay as they are."""
    sittings = Sittings()
    async with instances(redis_url, tmp_path, sittings=sittings) as (one, two):
        _, bob, _ = await in_the_assembly(one, two)
        sittings.asked["sitting:1"] = frozenset({"alice"})
        await one.hold_floor(ROOM, "sitting:1", frozenset({"alice"}))
        await until(lambda: last_allow(bob)["silenced"] is True)
        allows = len(bob.voice("allow"))
        for holds in ("x", {"holder": 5}, {"from": None}, ["sitting:1"]):
            control = {"action": "voice_sync", "holds": holds}
            await one.hub.publish(Frame(f"voice-sync:{ROOM}", 0, {}, control))
        await asyncio.sleep(0.5)
        assert two.holds.in_force[ROOM] == ("sitting:1", frozenset({"alice"}))
        assert len(bob.voice("allow")) == allows
        assert two.spaces[ROOM].members.keys() == {"alice", "bob", "carol"}
