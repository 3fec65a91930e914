"""Two real ``estaminet serve`` processes on one PostgreSQL database and Redis, behind a real
nginx running the deploy site with an upstream of both (plain round-robin, no stickiness).

Everything goes through nginx, over TLS, as a browser would: chat between people whose
sockets land on different instances, a resume on the other instance bringing exactly the
missed messages, a ban made through one instance closing the sockets on the other, and one
instance killed with SIGKILL during a chat flood (every socket comes back through nginx to
the survivor; no acknowledged message is lost or stored twice). The last test kills an
instance, so it runs last in this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import signal
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import estaminet.games  # noqa: F401 - registers the games
from estaminet import cli
from estaminet.games.kit import get
from estaminet.live.engine import Engine
from estaminet.live.schema import activity_timers
from estaminet.people.model import Role
from estaminet.settings import Settings
from estaminet.store import Database
from estaminet.store.database import utcnow
from estaminet.venue.schema import messages
from tests.support.databases import PG_HOST, PG_PORT, postgres_database, require_service
from tests.support.live_server import Socket
from tests.support.nginx import (
    deploy_site,
    nginx_binary,
    nginx_folder,
    ports,
    running_nginx,
    self_signed,
)
from tests.support.served import Served, served

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REDIS_URL = "redis://127.0.0.1:6379/0"
TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


@dataclass
class Cluster:
    public: str
    database_url: str
    settings: Settings
    instances: list[Served]
    admin_link: str

    def port_of(self, served_: Served) -> int:
        return int(served_.base.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    require_service("Redis", "127.0.0.1", 6379)
    nginx_binary()
    tmp = tmp_path_factory.mktemp("scale")
    folder = nginx_folder(tmp)
    cert, key = self_signed(folder)
    http_port, https_port = ports()
    public = f"https://localhost:{https_port}"
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    with postgres_database() as url, contextlib.ExitStack() as stack:
        env = {
            "ESTAMINET_DATABASE_URL": url,
            "ESTAMINET_BASE_URL": public,
            "ESTAMINET_HUB": "redis",
            "ESTAMINET_REDIS_URL": REDIS_URL,
            "ESTAMINET_REDIS_PREFIX": prefix,
            # A flood from few people: the per-person limit is not what is tested here.
            "ESTAMINET_CHAT_RATE_BURST": "10000",
            "ESTAMINET_CHAT_RATE_PER_SECOND": "10000",
            "ESTAMINET_CHAT_PAGE_SIZE": "500",
        }
        one = stack.enter_context(served(tmp / "one", host="127.0.0.1", **env))
        two = stack.enter_context(served(tmp / "two", host="127.0.0.1", init=False, **env))
        ports_ = [int(s.base.rsplit(":", 1)[1]) for s in (one, two)]
        # The test's copy of the site names the instance that took each socket.
        site = deploy_site(
            ports_, http_port, https_port, cert, key,
            ws_extra="add_header X-Upstream $upstream_addr always;",
        )  # fmt: skip
        stack.enter_context(running_nginx(folder, site, http_port, https_port))
        settings = Settings(
            data_dir=tmp / "one", secret_key="test-secret", base_url=public, database_url=url
        )
        try:
            yield Cluster(public, url, settings, [one, two], one.admin_link)
        finally:
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
            client.close()


class Browser:
    """Someone's browser, always through nginx: cookies, pages and live sockets."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.http = httpx.AsyncClient(base_url=cluster.public, verify=False, timeout=20)

    async def close(self) -> None:
        await self.http.aclose()

    async def csrf(self, path: str) -> str:
        page = await self.http.get(path)
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert found, page.text[:300]
        return found.group(1)

    async def join(self, name: str, role: Role = Role.GUEST) -> None:
        link = await cli._invite(self.cluster.settings, role, 1.0, None, "test")
        path = link.removeprefix(self.cluster.public)
        response = await self.http.post(path, data={"csrf": await self.csrf(path), "name": name})
        assert response.status_code == 303, response.text[:300]

    async def sign_in(self, link: str) -> None:
        response = await self.http.post(link, data={"csrf": await self.csrf(link)})
        assert response.status_code == 303

    async def user_id(self) -> str:
        return (await self.http.get("/me")).text.split('data-me="')[1].split('"')[0]

    @asynccontextmanager
    async def socket(self, on: int | None = None) -> AsyncIterator[tuple[Socket, int]]:
        """A live socket through nginx (on the instance of port ``on``, if given: round-robin
        alternates, so a few tries land there); with the port of the instance that took it."""
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        url = self.cluster.public.replace("https", "wss") + "/ws"
        # Round-robin alternates, but other clients' requests interleave, and nginx may set
        # an upstream aside for a while (``fail_timeout``) on a loaded machine: try for 15 s.
        # The pause between tries is random: clients retrying in step with a fixed pause
        # could lock into a phase (each always handed the same upstream).
        deadline = time.monotonic() + 15.0
        while True:
            ws = await connect(
                url,
                ssl=TLS,
                origin=self.cluster.public,  # type: ignore[arg-type]
                additional_headers={"cookie": cookie},
                max_size=2**22,
            )
            port = int(ws.response.headers["x-upstream"].rsplit(":", 1)[1])  # type: ignore[union-attr]
            if on is None or port == on:
                break
            await ws.close()
            if time.monotonic() > deadline:
                pytest.fail(f"nginx never sent a socket to port {on}")
            await asyncio.sleep(random.uniform(0.01, 0.2))
        try:
            sock = Socket(ws)
            await sock.expect(type="subscribed")  # the user topic
            yield sock, port
        finally:
            await ws.close()


@pytest.fixture
async def browsers(cluster: Cluster) -> AsyncIterator[Any]:
    made: list[Browser] = []

    async def make(name: str | None = None, role: Role = Role.GUEST) -> Browser:
        browser = Browser(cluster)
        made.append(browser)
        if name is not None:
            await browser.join(name, role)
        return browser

    yield make
    for browser in made:
        await browser.close()


def message_ids(frame: dict[str, Any]) -> list[int]:
    """The chat messages a ``room:`` event shows (its ``upsert`` ops)."""
    return [int(op["id"].removeprefix("msg-")) for op in frame["ops"] if op["op"] == "upsert"]


async def test_two_instances_chat_crosses_them_through_nginx(
    cluster: Cluster, browsers: Any
) -> None:
    one, two = (cluster.port_of(s) for s in cluster.instances)
    alice, bob = await browsers("Alice d'ici"), await browsers("Bob de là")
    async with alice.socket(on=one) as (a, _), bob.socket(on=two) as (b, _):
        await a.sub("room:bar")
        await b.sub("room:bar")
        await asyncio.sleep(0.3)  # Redis confirms subscriptions asynchronously
        ack = await a.act("chat.send", {"room": "bar", "body": "salut par nginx"})
        assert ack["type"] == "ack"
        event = await b.expect(type="event", topic="room:bar", kind="chat")
        assert event["seq"] == ack["data"]["seq"]
        assert message_ids(event) == [ack["data"]["message"]]
        back = await b.act("chat.send", {"room": "bar", "body": "et retour"}, ref="b1")
        event = await a.expect(type="event", topic="room:bar", kind="chat", seq=back["data"]["seq"])
        assert message_ids(event) == [back["data"]["message"]]


async def test_two_instances_resume_on_the_other_brings_exactly_the_missed_messages(
    cluster: Cluster, browsers: Any
) -> None:
    one, two = (cluster.port_of(s) for s in cluster.instances)
    alice, bob = await browsers("Alice reprend"), await browsers("Bob écrit")
    async with bob.socket(on=two) as (b, _):
        async with alice.socket(on=one) as (a, _):
            await a.sub("room:bar")
            ack = await a.act("chat.send", {"room": "bar", "body": "avant la coupure"})
            last = ack["data"]["seq"]
        missed = []
        for n in range(3):
            sent = await b.act("chat.send", {"room": "bar", "body": f"pendant {n}"}, ref=f"m{n}")
            missed.append(sent["data"]["message"])
        async with alice.socket(on=two) as (a, port):
            assert port == two
            await a.send({"type": "sub", "topic": "room:bar", "after": last})
            frames = [f for f in await a.quiet(1.0) if f.get("topic") == "room:bar"]
    assert [f["type"] for f in frames] == ["event", "subscribed"] or [
        f["type"] for f in frames
    ] == ["subscribed", "event"], frames
    (catch_up,) = [f for f in frames if f["type"] == "event"]
    assert catch_up["kind"] == "catch_up"
    assert message_ids(catch_up) == missed


async def test_two_instances_a_ban_through_one_closes_the_sockets_on_the_other(
    cluster: Cluster, browsers: Any
) -> None:
    one, two = (cluster.port_of(s) for s in cluster.instances)
    admin = await browsers()
    await admin.sign_in(cluster.admin_link)
    mia = await browsers("Mia bannie", Role.MEMBER)
    mia_id = await mia.user_id()
    async with mia.socket(on=one) as (first, _), mia.socket(on=two) as (second, _):
        await asyncio.sleep(0.3)  # Redis confirms subscriptions asynchronously
        token = await admin.csrf("/admin/people")
        response = await admin.http.post(
            f"/admin/people/{mia_id}/ban", data={"csrf": token, "banned": "1"}
        )
        assert response.status_code == 303
        for sock in (first, second):
            assert await closed_with(sock) == 4403


async def closed_with(sock: Socket) -> int | None:
    try:
        async with asyncio.timeout(10):
            while True:
                await sock.ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None


class AllSent:
    """Set once every flooder has said so (each may say it several times)."""

    def __init__(self, flooders: int) -> None:
        self.waiting = flooders
        self.event = asyncio.Event()
        self.finished: set[str] = set()

    def done(self, flooder: Flooder) -> None:
        if flooder.name not in self.finished:
            self.finished.add(flooder.name)
            if len(self.finished) == self.waiting:
                self.event.set()


@dataclass
class Flooder:
    """One person sending numbered messages, acknowledged one by one, through any socket
    nginx gives; on a lost socket it reconnects, resumes, and sends the unacknowledged
    message again with the same ``client_id`` (the server stores it at most once)."""

    browser: Browser
    name: str
    acks: dict[str, int] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)
    ports: list[int] = field(default_factory=list)
    reconnects: int = 0

    async def run(self, count: int, on: int, progress: Any, all_sent: Any) -> None:
        last = 0
        sent = 0
        want: int | None = on
        while True:
            try:
                async with self.browser.socket(on=want) as (sock, port):
                    self.ports.append(port)
                    await sock.sub("room:bar", after=last)
                    while sent < count:
                        key = f"{self.name}-{sent}"
                        ack = await sock.act(
                            "chat.send",
                            {"room": "bar", "body": key, "client_id": key},
                            ref=key,
                        )
                        assert ack["type"] == "ack", ack
                        self.acks[key] = ack["data"]["message"]
                        sent += 1
                        if sent >= count // 3:
                            progress.done(self)
                        last = await self._take(sock, last)
                    all_sent.done(self)
                    # Follow the room live until everyone has sent everything, then a little.
                    while not all_sent.event.is_set():
                        await sock.quiet(0.2)
                        last = await self._take(sock, last)
                    await sock.quiet(1.0)
                    last = await self._take(sock, last)
                    return
            except (ConnectionClosed, OSError, TimeoutError):
                self.reconnects += 1
                want = None  # wherever nginx sends it now
                await asyncio.sleep(0.1)

    async def _take(self, sock: Socket, last: int) -> int:
        """Note the messages of the frames this socket received; the last seq applied.

        As ``live.js`` does, a live frame whose seq skips one (a frame committed by the
        killed instance but never published: it died between the two) makes the page ask
        for what it missed (``sub`` with ``after``), and the catch-up brings it."""
        while True:
            hole: int | None = None
            for frame in sock.seen:
                if frame.get("topic") == "room:bar" and frame["type"] == "event":
                    seq = int(frame["seq"])
                    if frame["kind"] != "catch_up" and seq > last + 1 and hole is None:
                        hole = last
                    if frame["kind"] in ("chat", "catch_up"):
                        self.seen.update(message_ids(frame))
                    last = max(last, seq)
            sock.seen.clear()
            if hole is None:
                return last
            await sock.sub("room:bar", after=hole)


async def test_two_instances_one_killed_during_a_flood_loses_and_doubles_nothing(
    cluster: Cluster, browsers: Any
) -> None:
    """The instance that started a game (and so holds its deadline in memory) is killed
    during a chat flood: the survivor takes every socket, and fires the deadline once."""
    ports_ = [cluster.port_of(s) for s in cluster.instances]
    # A game whose first deadline falls due after the kill.
    host, zoe = await browsers("Hôte du jeu", Role.MEMBER), await browsers("Zoé joue")
    token = await host.csrf("/r/jeux")
    created = await host.http.post(
        "/r/jeux/tables",
        data={"csrf": token, "game": "lowest_unique", "title": "Partie",
              "option_pick_seconds": "20", "option_rounds": "3"},
    )  # fmt: skip
    assert created.status_code == 303, created.text[:300]
    table_id = int(created.headers["location"].rsplit("/", 1)[1])
    for person, what, fields in ((zoe, "join", {"role": "player"}), (host, "start", {})):
        token = await person.csrf(f"/t/{table_id}")
        done = await person.http.post(f"/t/{table_id}/{what}", data={"csrf": token, **fields})
        assert done.status_code == 303, done.text[:300]
    started = [f"/t/{table_id}/start" in s.log() for s in cluster.instances]
    assert started.count(True) == 1, started
    victim = started.index(True)
    survivor = 1 - victim

    flooders = [
        Flooder(await browsers(f"Flot {n}"), f"flot{n}-{uuid.uuid4().hex[:4]}") for n in range(4)
    ]
    # The kill waits until every flooder is under way on the instance it asked for: one
    # still trying to reach the victim when it dies would never get there (seen in CI).
    progress, all_sent = AllSent(len(flooders)), AllSent(len(flooders))
    count = 40
    runs = [
        asyncio.create_task(f.run(count, ports_[n % 2], progress, all_sent))
        for n, f in enumerate(flooders)
    ]

    async with asyncio.timeout(120):
        await progress.event.wait()
        killed = cluster.instances[victim].process
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        await asyncio.gather(*runs)

    # Every socket that was on the killed instance came back, on the survivor.
    for n, flooder in enumerate(flooders):
        if n % 2 == victim:
            assert flooder.reconnects >= 1
        assert flooder.ports[-1] == ports_[survivor]
    # What was acknowledged is stored once; what is stored was acknowledged.
    acked = {key: message for f in flooders for key, message in f.acks.items()}
    assert len(acked) == 4 * count
    db = Database(cluster.database_url)
    try:
        async with db.read() as conn:
            rows = (
                await conn.execute(
                    select(messages.c.client_id, messages.c.id).where(
                        messages.c.client_id.in_(list(acked))
                    )
                )
            ).all()
        assert sorted(client_id for client_id, _ in rows) == sorted(acked)
        assert {client_id: message for client_id, message in rows} == acked
        # And every person saw every acknowledged message (live or in a resume's catch-up).
        for flooder in flooders:
            assert set(acked.values()) <= flooder.seen, flooder.name

        # The game's first deadline, set by the dead instance, is fired by the survivor
        # (with several instances, its timer loop looks at the rows every 5 s), exactly once: round 2,
        # whose own deadline is 20 s later, and one new timer row for the new position.
        engine = Engine(db, get, utcnow)
        async with asyncio.timeout(40):
            while (await engine.get(table_id)).state.round < 2:
                engine.forget(table_id)
                await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)
        engine.forget(table_id)
        live = await engine.get(table_id)
        assert live.state.round == 2
        async with db.read() as conn:
            timers = (
                await conn.execute(
                    select(activity_timers).where(activity_timers.c.activity_id == table_id)
                )
            ).all()
        assert [timer.for_seq for timer in timers] == [live.seq]
    finally:
        await db.dispose()
    # The survivor still answers through nginx.
    async with httpx.AsyncClient(base_url=cluster.public, verify=False) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
