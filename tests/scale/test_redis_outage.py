"""A real ``estaminet serve`` on PostgreSQL and a Redis of the test's own, which is killed and
started again: the instance keeps serving its own sockets, says so in its log and in
``/healthz``, and converges when Redis is back (its sockets are told to resync)."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest

from estaminet import cli
from estaminet.people.model import Role
from tests.support.databases import PG_HOST, PG_PORT, postgres_database, require_service
from tests.support.live_server import LiveServer, Person
from tests.support.redis_server import OwnRedis
from tests.support.served import served

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def _until_health(base: str, wanted: dict[str, str], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while True:
        async with httpx.AsyncClient() as http:
            response = await http.get(f"{base}/healthz", timeout=5)
        if response.json() == wanted:
            assert response.status_code == 200
            return
        assert time.monotonic() < deadline, response.json()
        await asyncio.sleep(0.1)


async def test_redis_away_then_back_under_a_real_instance(
    own_redis: OwnRedis, tmp_path: Path
) -> None:
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    with (
        postgres_database() as url,
        served(
            tmp_path / "venue",
            host="127.0.0.1",
            ESTAMINET_DATABASE_URL=url,
            ESTAMINET_HUB="redis",
            ESTAMINET_REDIS_URL=own_redis.url,
            ESTAMINET_REDIS_PREFIX=f"test-{uuid.uuid4().hex[:8]}",
        ) as venue,
    ):
        await _until_health(venue.base, {"status": "ok"})
        settings = venue.settings.model_copy(update={"database_url": url})
        # ``Person`` only needs where the venue is and how to invite.
        server = LiveServer(venue.base, settings, venue.admin_link, app=None)
        alice, bob = Person(server), Person(server)
        try:
            for person, name in ((alice, "Alice sans Redis"), (bob, "Bob sans Redis")):
                invite = await cli._invite(settings, Role.GUEST, 1.0, None, "test")
                response = await person.join(invite.removeprefix(venue.base), name)
                assert response.status_code == 303
            async with alice.socket() as a, bob.socket() as b:
                await a.sub("room:bar")
                await b.sub("room:bar")
                await asyncio.sleep(0.3)

                own_redis.kill()
                await _until_health(venue.base, {"status": "degraded", "hub": "redis unreachable"})
                assert "Redis is unreachable" in venue.log()
                # Its own sockets are still served: a message is acknowledged and delivered.
                ack = await a.act("chat.send", {"room": "bar", "body": "sans Redis"})
                assert ack["type"] == "ack"
                event = await b.expect(type="event", topic="room:bar", kind="chat")
                assert event["seq"] == ack["data"]["seq"]

                own_redis.start()
                await _until_health(venue.base, {"status": "ok"})
                assert "Redis is back" in venue.log()
                # Not silence: each socket is told to resync what it follows.
                for sock in (a, b):
                    frame = await sock.take(
                        lambda f: f["type"] == "resync" and "room:bar" in f["topics"], within=10
                    )
                    assert frame["topics"] == ["room:bar"]
                # And it works through Redis again.
                ack = await b.act("chat.send", {"room": "bar", "body": "Redis revenu"}, ref="b2")
                event = await a.expect(type="event", topic="room:bar", seq=ack["data"]["seq"])
                assert event["kind"] == "chat"
        finally:
            await alice.close()
            await bob.close()
