"""Two server instances on one PostgreSQL database and Redis: a room's chat crosses them."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator

import pytest

from estaminet.people.model import Role
from tests.conftest import PG_HOST, PG_PORT, _create_pg_database, _drop_pg_database, require_service
from tests.support.live_server import LiveServer, Person, start_server
from tests.web.test_access_changes import closed_with, follow, left, set_role, set_team, user_id

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def two_instances(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, LiveServer]]:
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    require_service("Redis", "127.0.0.1", 6379)
    name = asyncio.run(_create_pg_database())
    shared = {
        "database_url": f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}",
        "hub": "redis",
        "redis_url": "redis://127.0.0.1:6379/0",
        "redis_prefix": f"test-{uuid.uuid4().hex[:8]}",
        "loop": "asyncio",  # two uvloop servers in one process: see start_server
    }
    try:
        with contextlib.ExitStack() as stack:
            one = stack.enter_context(
                contextlib.contextmanager(start_server)(tmp_path_factory.mktemp("one"), **shared)
            )
            two = stack.enter_context(
                contextlib.contextmanager(start_server)(tmp_path_factory.mktemp("two"), **shared)
            )
            yield one, two
    finally:
        asyncio.run(_drop_pg_database(name))


async def test_scale_out_chat_crosses_instances(
    two_instances: tuple[LiveServer, LiveServer],
) -> None:
    one, two = two_instances
    alice, bob = Person(one), Person(two)
    try:
        assert (await alice.join(await one.invite(), "Alice d'ici")).status_code == 303
        assert (await bob.join(await two.invite(), "Bob de là")).status_code == 303
        async with alice.socket() as a, bob.socket() as b:
            await a.sub("room:bar")
            await b.sub("room:bar")
            await asyncio.sleep(0.3)  # Redis confirms subscriptions asynchronously
            ack = await a.act("chat.send", {"room": "bar", "body": "salut l'autre instance"})
            assert ack["type"] == "ack"
            event = await b.expect(type="event", topic="room:bar", kind="chat")
            assert (
                "salut l&#39;autre instance" in event["ops"][0]["html"]
                or "salut l'autre instance" in event["ops"][0]["html"]
            )
            assert event["seq"] == ack["data"]["seq"]
        # A page served by the other instance shows the same history.
        page = await bob.http.get("/r/bar")
        assert "autre instance" in page.text
    finally:
        await alice.close()
        await bob.close()


async def test_scale_out_access_taken_away_on_one_instance_ends_it_on_the_other(
    two_instances: tuple[LiveServer, LiveServer],
) -> None:
    """An admin on one instance demotes someone whose sockets are on the other: they stop."""
    one, two = two_instances
    admin, mia = Person(one), Person(two)
    try:
        await admin.sign_in_admin()
        assert (await mia.join(await two.invite(Role.MEMBER), "Mia d'en face")).status_code == 303
        mia_id = await user_id(mia)
        await set_team(admin, "bureau", mia_id, member=True)
        async with mia.socket() as first, mia.socket() as second:
            for sock in (first, second):
                await follow(sock, "room:bureau", "room:ag", "room:bar")
            await asyncio.sleep(0.3)  # Redis confirms subscriptions asynchronously
            await set_team(admin, "bureau", mia_id, member=False)
            await set_role(admin, mia_id, "guest")
            for sock in (first, second):
                await left(sock, "room:bureau")
                await left(sock, "room:ag")
                assert (await sock.sub("room:ag"))["code"] == "venue/members_only"
            # A ban made on one instance closes the sockets on the other.
            token = await admin.csrf("/admin/people")
            response = await admin.http.post(
                f"/admin/people/{mia_id}/ban", data={"csrf": token, "banned": "1"}
            )
            assert response.status_code == 303
            for sock in (first, second):
                assert await closed_with(sock) == 4403
    finally:
        await admin.close()
        await mia.close()


async def test_scale_out_sign_in_attempts_count_once_across_instances(
    two_instances: tuple[LiveServer, LiveServer],
) -> None:
    """An attacker alternating instances gets one account's allowance (5), not one each."""
    one, two = two_instances
    here, there = Person(one), Person(two)

    async def attempt(person: Person, n: int) -> int:
        token = await person.csrf("/login")
        response = await person.http.post(
            "/login",
            data={"csrf": token, "email": "nobody@example.org", "password": f"essai {n}"},
            headers={"x-forwarded-for": f"10.9.0.{n}"},  # another address each time
        )
        return response.status_code

    try:
        answers = [await attempt(here if n % 2 else there, n) for n in range(5)]
        assert answers == [400] * 5
        assert await attempt(here, 5) == 429
        assert await attempt(there, 6) == 429
    finally:
        await here.close()
        await there.close()
