"""One stage, people on two instances (two ``StageService``s, each with its own Redis hub,
sharing Redis): the performers, the cut, the raised hands, the audience count and the
dropped rule are the venue's, whichever instance served the action or holds the socket.
Access is a stand-in (the person's role decides); the hub, the shared state and the stage
service are the real ones."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
from sqlalchemy import insert

from estaminet.kernel.errors import EstaminetError, NotFound
from estaminet.media import stage as stage_module
from estaminet.media.stage import StageService
from estaminet.media.stage_sessions import StageKeep
from estaminet.media.stage_table import StageTables
from estaminet.people.model import Role, User
from estaminet.people.schema import users
from estaminet.realtime.connection import Principal
from estaminet.realtime.frames import Frame
from estaminet.realtime.gateway import ActionContext
from estaminet.realtime.redis_hub import RedisHub
from estaminet.realtime.shared_state import RedisSharedState
from estaminet.store import Database
from estaminet.translations import translate
from estaminet.web.templating import Templates
from tests.media.test_stage_keep import FakeKeepStage

pytestmark = pytest.mark.redis

NOW = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
SLUG = "grande-scene"
ROLES = {"anim": Role.ANIMATOR, "max": Role.ANIMATOR}


@dataclass
class Tab:
    """A browser tab as the stage service sees it: what it was pushed."""

    principal: Principal
    id: int
    locale: str = "fr"
    subscriptions: dict[str, Any] = field(default_factory=dict)
    pushed: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False

    def push_json(self, frame: dict[str, Any]) -> None:
        self.pushed.append(frame)

    def push_catch_up(self, topic: str, seq: int, frames: list[Any], **state: Any) -> None:
        self.pushed.append({"type": "catch_up", "topic": topic, "seq": seq, **state})


class Heard:
    """What one instance's hub delivers on a topic (what its tabs following it receive)."""

    def __init__(self, hub: RedisHub, topic: str) -> None:
        self.frames: list[dict[str, Any]] = []
        hub.subscribe(topic, self._got)

    def _got(self, frame: Frame) -> None:
        self.frames.append(json.loads(frame.text("fr")))

    def last(self, key: str) -> Any:
        found = [f[key] for f in self.frames if key in f]
        return found[-1] if found else None


@dataclass
class Instance:
    hub: RedisHub
    shared: RedisSharedState
    service: StageService
    stopped: bool = False


@contextlib.asynccontextmanager
async def instances(
    redis_url: str, clock: Callable[[], datetime] = lambda: NOW
) -> AsyncIterator[list[Instance]]:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    made: list[Instance] = []
    for _ in range(2):
        hub = RedisHub(redis_url, prefix=prefix)
        shared = RedisSharedState(redis_url, prefix=prefix, lease=3.0)
        await hub.start()
        await shared.start()
        service = StageService(
            None,  # type: ignore[arg-type]  # access is the stand-in below
            hub,
            Templates(),
            clock,
            shared=shared,
        )

        async def access(principal: Principal, slug: str) -> tuple[User, Any]:
            role = ROLES.get(principal.user_id, Role.MEMBER)
            user = User(
                principal.user_id, principal.display_name, role, None, None, False, NOW, None
            )
            return user, None

        service.access = access  # type: ignore[method-assign]
        made.append(Instance(hub, shared, service))
    try:
        yield made
    finally:
        for instance in made:
            if not instance.stopped:
                await instance.shared.stop()
                await instance.hub.stop()
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


async def follow(instance: Instance, user_id: str, conn_id: int) -> Tab:
    tab = Tab(Principal(user_id, user_id.title(), "member"), conn_id)
    tab.subscriptions[f"stage:{SLUG}"] = None
    await instance.service.arrive(tab, SLUG)  # type: ignore[arg-type]
    return tab


async def act(instance: Instance, tab: Tab, action: str, **data: Any) -> Any:
    ctx = ActionContext(tab.principal, tab, "fr", NOW)  # type: ignore[arg-type]
    handler = getattr(instance.service, f"_{action}")
    return await handler(ctx, {"room": SLUG, **data})


def performers(heard: Heard) -> dict[str, dict[str, Any]]:
    stage = heard.last("stage")
    return {p["id"]: p for p in stage["performers"]} if stage else {}


async def test_one_stage_whichever_instance_serves_each_person(redis_url: str) -> None:
    async with instances(redis_url) as (a, b):
        on_a = Heard(a.hub, f"stage:{SLUG}")
        on_b = Heard(b.hub, f"stage:{SLUG}")
        desk_on_a = Heard(a.hub, f"stagedesk:{SLUG}")
        bob_hand_on_b = Heard(b.hub, f"stagehand:{SLUG}:bob")
        await asyncio.sleep(0.3)  # Redis confirms subscriptions asynchronously

        anim = await follow(a, "anim", 1)
        await follow(b, "zoe", 1)  # the same connection number, on another instance
        bob = await follow(b, "bob", 2)
        max_ = await follow(b, "max", 3)
        # The audience counts the watchers of both instances, seen the same on both.
        await until(lambda: (on_a.last("stage") or {}).get("watchers") == 4)
        assert on_b.last("stage")["watchers"] == 4
        await until(lambda: a.service.state(SLUG)["watchers"] == 4)  # nudged: read again
        assert b.service.state(SLUG)["watchers"] == 4

        # The animator on A names zoe, whose only tab is on B: B's followers see her.
        await act(a, anim, "perform", user="zoe", performer=True)
        await until(lambda: "zoe" in performers(on_b))
        assert performers(on_b)["zoe"]["name"] == "Zoe"
        await until(lambda: [p["id"] for p in b.service.state(SLUG)["performers"]] == ["zoe"])

        # Bob, on B, raises his hand: the animator's desk on A lists him.
        reply = await act(b, bob, "hand", raised=True)
        assert reply == {"raised": True, "position": 1}
        await until(lambda: desk_on_a.last("hands") == [{"id": "bob", "name": "Bob"}])
        await until(lambda: a.service.desk_state(SLUG) == [{"id": "bob", "name": "Bob"}])
        # Accepted on A: Bob is a performer, seen on B, and his own hand is down.
        await act(a, anim, "answer", user="bob", accept=True)
        await until(lambda: "bob" in performers(on_b))
        await until(lambda: (bob_hand_on_b.last("hand") or {}).get("raised") is False)
        assert desk_on_a.last("hands") == []

        # Cut on B (another animator there): A's list says so; sent back: gone from A's.
        await act(b, max_, "cut", user="zoe", cut=True)
        await until(lambda: performers(on_a).get("zoe", {}).get("cut") is True)
        await act(b, max_, "perform", user="zoe", performer=False)
        await until(lambda: "zoe" not in performers(on_a))
        await until(lambda: [p["id"] for p in a.service.state(SLUG)["performers"]] == ["bob"])

        # Bad input changes nothing, on either instance.
        with pytest.raises(NotFound):
            await act(a, anim, "cut", user="nobody", cut=True)
        assert [p["id"] for p in b.service.state(SLUG)["performers"]] == ["bob"]

        # Bob goes live from his tab on B; B dies: A sweeps its watchers, Bob dropped.
        await act(b, bob, "live", live=True)
        await until(lambda: performers(on_a).get("bob", {}).get("live") is True)
        await b.shared.stop()  # its lease goes: its entries stay until swept
        await b.hub.stop()
        b.stopped = True
        await a.shared.sweep()
        await until(lambda: performers(on_a).get("bob", {}).get("dropped") is True)
        stage = on_a.last("stage")
        assert stage["watchers"] == 1  # only the animator on A is left
        assert [w["id"] for w in stage["audience"]] == ["anim"]
        assert performers(on_a)["bob"]["live"] is True  # dropped: still on, for the grace


async def test_a_performer_with_a_tab_on_each_instance_is_not_dropped_by_one_leaving(
    redis_url: str,
) -> None:
    now = [NOW]
    async with instances(redis_url, lambda: now[0]) as (a, b):
        on_a = Heard(a.hub, f"stage:{SLUG}")
        await asyncio.sleep(0.3)
        anim = await follow(a, "anim", 1)
        ana_a = await follow(a, "ana", 2)
        ana_b = await follow(b, "ana", 1)
        await act(a, anim, "perform", user="ana", performer=True)
        await act(a, ana_a, "live", live=True)
        await until(lambda: performers(on_a).get("ana", {}).get("live") is True)
        # Her tab on B closes: she still watches from A, so she is neither dropped nor off.
        await b.service.leave(ana_b, SLUG)  # type: ignore[arg-type]
        await until(lambda: (on_a.last("stage") or {}).get("watchers") is not None)
        assert performers(on_a)["ana"]["dropped"] is False
        assert performers(on_a)["ana"]["live"] is True
        # Her tab on A closes too: now she dropped (venue-wide: no tab anywhere).
        await a.service.leave(ana_a, SLUG)  # type: ignore[arg-type]
        await until(lambda: performers(on_a).get("ana", {}).get("dropped") is True)
        assert performers(on_a)["ana"]["live"] is True
        # And a new tab of hers on B brings her back (no longer dropped).
        ana_b = await follow(b, "ana", 5)
        await until(lambda: performers(on_a).get("ana", {}).get("dropped") is False)
        assert a.service.state(SLUG)["performers"][0]["dropped"] is False

        # Dropped through B this time: A, told by the record, looks again after the grace
        # too (B may die before), on the wall clock both share.
        await act(b, ana_b, "live", live=True)  # her page goes live again by itself
        await until(lambda: performers(on_a).get("ana", {}).get("live") is True)
        await b.service.leave(ana_b, SLUG)  # type: ignore[arg-type]
        await until(lambda: performers(on_a).get("ana", {}).get("dropped") is True)
        await until(lambda: any(user == "ana" for _, user, _ in a.service._expiring))
        assert await a.service.expire_dropped(SLUG) == []  # not before the grace
        now[0] = NOW + timedelta(seconds=stage_module.DROP_GRACE_SECONDS)
        assert await a.service.expire_dropped(SLUG) == ["ana"]
        await until(lambda: performers(on_a).get("ana", {}).get("live") is False)
        assert b.service.state(SLUG)["performers"][0]["dropped"] is False


async def test_a_change_waiting_too_long_for_the_stage_s_lock_is_refused_and_changes_nothing(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stage_module, "LOCK_WAIT_SECONDS", 0.2)
    async with instances(redis_url) as (a, b):
        anim = await follow(a, "anim", 1)
        await follow(b, "zoe", 1)
        before = await a.shared.record(f"stage:{SLUG}")
        async with b.shared.lock(f"stage:{SLUG}") as got:  # B is changing the stage
            assert got
            with pytest.raises(EstaminetError) as refused:
                await act(a, anim, "perform", user="zoe", performer=True)
        assert refused.value.code == "stage/busy"
        assert translate("fr", refused.value.message) == (
            "La scène est occupée ; réessaie dans un instant."
        )
        assert await a.shared.record(f"stage:{SLUG}") == before
        assert a.service.state(SLUG)["performers"] == []
        # The lock free again: the same action goes through.
        await act(a, anim, "perform", user="zoe", performer=True)
        await until(lambda: [p["id"] for p in b.service.state(SLUG)["performers"]] == ["zoe"])


async def test_the_recording_runs_where_it_started_and_stops_through_the_other_instance(
    redis_url: str, db: Database, tmp_path: Path
) -> None:
    """A session opened on A is B's too; a recording started on A is said "on" by B's
    frames; an animator's "stop" on B reaches A, which stops it; closing on B closes A's."""
    async with db.begin() as conn:
        await conn.execute(
            insert(users).values(id="anim", display_name="Anim", role="animator", created_at=NOW)
        )
    async with instances(redis_url) as (a, b):
        fakes = []
        for name, instance in (("a", a), ("b", b)):
            instance.service.db = db
            fake = FakeKeepStage()
            instance.service.media = fake
            fakes.append(fake)
            keep = StageKeep(instance.service, tmp_path / name)
            keep.announce_seconds = 0.05
            await keep.start()
        on_b = Heard(b.hub, f"stage:{SLUG}")
        await asyncio.sleep(0.3)
        anim_a, anim_b = await follow(a, "anim", 1), await follow(b, "anim", 1)
        opened = await act_keep(a, anim_a, "open", title="Concert")
        assert opened["session"]["title"] == "Concert"
        await until(lambda: ((on_b.last("stage") or {}).get("session") or {}).get("id") is not None)
        refused = act_keep(b, anim_b, "open", title="Autre")
        with pytest.raises(EstaminetError) as twice:
            await refused
        assert twice.value.code == "stage/already_open"

        await act_keep(a, anim_a, "record", record=True)
        await until(lambda: fakes[0].recorded != [])  # Janus asked by A, never by B
        await until(lambda: (on_b.last("stage") or {}).get("recording") == "on")
        assert b.service.state(SLUG)["recording"] == "on" and fakes[1].recorded == []
        # Started again through B: nothing new (it runs on A).
        assert (await act_keep(b, anim_b, "record", record=True)) == {"recording": "on"}
        # Stopped through B: A stops it (Janus told to stop by A).
        await act_keep(b, anim_b, "record", record=False)
        await until(lambda: fakes[0].recorded[-1:] == [None])
        await until(lambda: (on_b.last("stage") or {}).get("recording") == "off")
        assert fakes[1].recorded == []

        await act_keep(b, anim_b, "close")
        await until(lambda: a.service.keep is not None and SLUG not in a.service.keep.sessions)
        # B's frames come back through Redis: the one that says "closed" may arrive after A
        # has dropped the session (it did under a loaded machine's test suite).
        await until(lambda: (on_b.last("stage") or {}).get("session", "no frame") is None)

        # Recording again on A, closed through B: A, reading the closed record, stops it.
        await act_keep(a, anim_a, "open", title="Rappel")
        await act_keep(a, anim_a, "record", record=True)
        await until(lambda: (on_b.last("stage") or {}).get("recording") == "on")
        stops = fakes[0].recorded.count(None)
        await act_keep(b, anim_b, "close")
        await until(lambda: fakes[0].recorded.count(None) == stops + 1)
        await until(lambda: (on_b.last("stage") or {}).get("recording") == "off")
        assert fakes[1].recorded == []

        # Recording on A, and A dies: closing through B clears the state A left.
        await act_keep(a, anim_a, "open", title="Dernière")
        await act_keep(a, anim_a, "record", record=True)
        await until(lambda: b.service.state(SLUG)["recording"] == "on")
        assert a.service.keep is not None
        a.service.keep.takes.clear()  # dies with A
        await a.shared.stop()
        await a.hub.stop()
        a.stopped = True
        await act_keep(b, anim_b, "close")
        await until(lambda: (on_b.last("stage") or {}).get("session", 0) is None)
        assert on_b.last("stage")["recording"] == "off"
        assert b.service.state(SLUG)["recording"] == "off"
        assert b.service.keep is not None
        await b.service.keep.stop()


async def act_keep(instance: Instance, tab: Tab, action: str, **data: Any) -> Any:
    assert instance.service.keep is not None
    ctx = ActionContext(tab.principal, tab, "fr", NOW)  # type: ignore[arg-type]
    handler = getattr(instance.service.keep, f"_{action}")
    return await handler(ctx, {"room": SLUG, **data})


class Tables:
    """The games room as the stage's table needs it: one public, running game table."""

    def __init__(self) -> None:
        self.stage_guests: list[Any] = []
        self.ended_listeners: list[Any] = []
        self.engine = self

    def on_change(self, listener: Any) -> None:
        pass

    async def table(self, table_id: int) -> Any:
        return type(
            "Table", (), {"id": table_id, "kind": "game", "private": False, "status": "playing"}
        )()

    async def check_can_see(self, user: User, table: Any) -> None:
        pass


async def test_the_table_shown_through_one_instance_is_the_stage_s_on_the_other(
    redis_url: str,
) -> None:
    async with instances(redis_url) as (a, b):
        shown = [StageTables(None, i.service, Tables(), Templates()) for i in (a, b)]  # type: ignore[arg-type]
        on_b = Heard(b.hub, f"stage:{SLUG}")
        await asyncio.sleep(0.3)
        anim_a, anim_b = await follow(a, "anim", 1), await follow(b, "anim", 1)
        ctx = ActionContext(anim_a.principal, anim_a, "fr", NOW)  # type: ignore[arg-type]
        assert await shown[0]._show(ctx, {"room": SLUG, "table": 7}) == {"table": 7}
        await until(lambda: ((on_b.last("stage") or {}).get("table") or {}).get("id") == 7)
        await until(lambda: shown[1].stages_showing(7) == [SLUG])  # B lets its watchers in
        assert b.service.state(SLUG)["table"]["view"] == "table:7:watch"
        # Taken off through B: A no longer shows it.
        ctx = ActionContext(anim_b.principal, anim_b, "fr", NOW)  # type: ignore[arg-type]
        await shown[1]._hide(ctx, {"room": SLUG})
        await until(lambda: shown[0].stages_showing(7) == [])
        assert a.service.state(SLUG)["table"] is None
