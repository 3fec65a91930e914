"""A real server (uvicorn in a thread) and people who use it over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from estaminet import cli
from estaminet.app import create_app
from estaminet.people.actions import create_login_link
from estaminet.people.model import Role
from estaminet.realtime import patch
from estaminet.settings import Settings
from estaminet.store import Database, utcnow
from estaminet.web.wsserver import uvicorn_ws
from tests.support.databases import fresh_database
from tests.support.frames import check_server_frame


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SteppingMonotonic:
    """The server's monotonic clock: real time, plus what a test skipped with :meth:`advance`
    (a throttle or a cooldown is waited out without sleeping)."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped

    def advance(self, seconds: float) -> None:
        self.skipped += seconds


class SteppingClock:
    """The server's wall clock: the time now, plus what a test skipped with
    :meth:`LiveServer.skip` (a game's timers are waited out without sleeping)."""

    def __init__(self) -> None:
        self.skipped = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.skipped


class _Server(uvicorn.Server):
    """uvicorn's server, keeping the event loop it serves on (to reach the app from a test)."""

    loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)


@dataclass
class LiveServer:
    base: str
    settings: Settings
    admin_link: str
    app: Any
    monotonic: SteppingMonotonic = field(default_factory=SteppingMonotonic)
    clock: SteppingClock = field(default_factory=SteppingClock)
    loop: asyncio.AbstractEventLoop | None = None

    @property
    def origin(self) -> str:
        return self.base

    def skip(self, seconds: float) -> None:
        """Move the server's wall clock ``seconds`` on and wake its timer loop: the deadlines
        passed meanwhile fire now, as they would have once that time had gone by."""
        assert self.loop is not None
        self.clock.skipped += timedelta(seconds=seconds)
        self.loop.call_soon_threadsafe(self.app.state.engine.timers_changed.set)

    async def fresh_admin_link(self) -> str:
        """A new one-time sign-in link for the admin (each link works once)."""
        db = Database(self.settings.resolved_database_url)
        try:
            admin = await cli._first_admin(db)
            assert admin is not None
            token = await create_login_link(db, admin, utcnow(), purpose="signin")
        finally:
            await db.dispose()
        return f"/l/{token}"

    async def invite(
        self, role: Role = Role.GUEST, uses: int | None = None, days: float = 7.0
    ) -> str:
        url = await cli._invite(self.settings, role, days, uses, "test")
        return url.removeprefix(self.base)


@contextmanager
def uvicorn_thread(config: uvicorn.Config, what: str) -> Iterator[_Server]:
    """uvicorn serving ``config`` in a daemon thread: started and waited for, then stopped
    and waited for whole (a server thread still running after its test would end its loop
    under a later test, and what it raised then would be blamed on that test)."""
    server = _Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the {what} did not start")
        time.sleep(0.02)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        if thread.is_alive():
            raise RuntimeError(f"the {what} did not stop within 30 s")


def start_server(
    tmp: Path, *, loop: str = "auto", port: int | None = None, **overrides: Any
) -> Iterator[LiveServer]:
    """The venue served by uvicorn in a thread, on uvloop as in production (``loop="auto"``).

    Two instances in one process stop one after the other: uvloop's ``loop.close()`` then
    sometimes waits 10–14 s on the first one's sockets and warns of unclosed transports
    (seen in ``test_scale_out``, not on the standard loop); such tests pass ``loop="asyncio"``.
    A test that restarts the venue serves it again on the ``port`` it had.
    """
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=tmp, secret_key="test-secret", base_url=base, **overrides)
    link, _ = asyncio.run(cli._prepare(settings, venue_file=None, admin_name="Admin"))
    monotonic = SteppingMonotonic()
    clock = SteppingClock()
    app = create_app(settings, migrate=False, monotonic=monotonic, clock=clock)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws_max_size=settings.ws_max_message_bytes,
        ws=uvicorn_ws(settings.ws_impl),
        lifespan="on",
        loop=loop,
    )
    with uvicorn_thread(config, "test server") as server:
        yield LiveServer(
            base, settings, link.removeprefix(base), app, monotonic, clock, server.loop
        )


def start_server_on(backend: str, tmp: Path, **overrides: Any) -> Iterator[LiveServer]:
    """:func:`start_server` on a fresh database of ``backend`` (dropped when it stops), migrated
    already (a copy of the process's template: the server finds it at the head revision)."""
    with fresh_database(backend, tmp) as url:
        yield from start_server(tmp, database_url=url, **overrides)


@pytest.fixture(scope="module")
def live(database_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The venue served for real, once per module and database backend."""
    yield from start_server_on(
        database_backend,
        tmp_path_factory.mktemp("live"),
        chat_rate_burst=5,
        chat_rate_per_second=2.0,
    )


@dataclass
class Socket:
    """A test client's WebSocket; frames not yet asked for wait in ``pending``."""

    ws: ClientConnection
    pending: list[dict[str, Any]] = field(default_factory=list)
    seen: list[dict[str, Any]] = field(default_factory=list)
    acts: dict[Any, str] = field(default_factory=dict)
    """The name of each action sent, by its ``id``: its ack is checked against that action's."""

    async def send(self, frame: dict[str, Any] | str) -> None:
        if isinstance(frame, dict) and frame.get("type") == "act":
            self.acts[frame.get("id")] = str(frame.get("name"))
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    kept: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """Like the page (``static/js/ops.js``): per (topic, target), the text of the last kept
    ``replace``, the base of the ``patch`` ops that follow."""

    async def _next(self) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await self.ws.recv())
        # Every frame any live test receives is held to its schema (docs/protocol.md).
        check_server_frame(frame, self.acts)
        self._patch(frame)
        self.seen.append(frame)
        return frame

    def _patch(self, frame: dict[str, Any]) -> None:
        """Apply ``patch`` ops as the page does and give each its result as ``html`` (so a
        test reads a view the same way whether it came whole or as a patch); a patch that
        does not give the server's text (its CRC-32) fails the test."""
        topic = str(frame.get("topic"))
        for op in frame.get("ops") or ():
            key = (topic, str(op.get("target")))
            if op.get("op") == "replace" and op.get("keep"):
                self.kept[key] = patch.tokens(op["html"])
            elif op.get("op") == "patch":
                assert key in self.kept, f"a patch without its base on {key}"
                after = patch.apply_edits(self.kept[key], op["edits"])
                html = "".join(after)
                assert patch.checksum(html) == op["crc"], f"a patch gave another text on {key}"
                self.kept[key] = after
                op["html"] = html

    async def take(self, test: Any, within: float = 5.0) -> dict[str, Any]:
        """The first frame (already received or coming) for which ``test(frame)`` holds."""
        for index, frame in enumerate(self.pending):
            if test(frame):
                return self.pending.pop(index)
        async with asyncio.timeout(within):
            while True:
                frame = await self._next()
                if test(frame):
                    return frame
                self.pending.append(frame)

    async def expect(self, within: float = 5.0, **match: Any) -> dict[str, Any]:
        """The next frame whose fields equal ``match``."""
        return await self.take(lambda f: all(f.get(k) == v for k, v in match.items()), within)

    async def quiet(self, within: float = 0.3) -> list[dict[str, Any]]:
        """Every frame that arrives within ``within`` seconds (and those pending)."""
        got, self.pending = self.pending, []
        try:
            async with asyncio.timeout(within):
                while True:
                    got.append(await self._next())
        except TimeoutError:
            return got

    async def act(self, name: str, data: dict[str, Any], ref: str = "a1") -> dict[str, Any]:
        await self.send({"type": "act", "id": ref, "name": name, "data": data})
        return await self.take(lambda f: f.get("id") == ref and f["type"] in ("ack", "error"))

    async def sub(self, topic: str, after: int = 0, era: str | None = None) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "sub", "topic": topic, "after": after}
        if era is not None:
            frame["era"] = era
        await self.send(frame)
        return await self.take(
            lambda f: f.get("topic") == topic and f["type"] in ("subscribed", "error")
        )


class Person:
    """Someone with their own browser cookies."""

    def __init__(self, server: LiveServer, locale: str = "fr") -> None:
        self.server = server
        self.locale = locale
        self.http = httpx.AsyncClient(
            base_url=server.base, headers={"accept-language": locale}, follow_redirects=False
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def csrf(self, path: str) -> str:
        page = await self.http.get(path)
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert found, page.text[:500]
        return found.group(1)

    async def join(self, invite_path: str, name: str) -> httpx.Response:
        token = await self.csrf(invite_path)
        return await self.http.post(invite_path, data={"csrf": token, "name": name})

    async def sign_in_admin(self) -> None:
        link = await self.server.fresh_admin_link()
        token = await self.csrf(link)
        response = await self.http.post(link, data={"csrf": token})
        assert response.status_code == 303

    @asynccontextmanager
    async def socket(self, origin: str | None = None) -> AsyncIterator[Socket]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        url = self.server.base.replace("http", "ws") + "/ws"
        async with connect(
            url,
            origin=origin or self.server.origin,  # type: ignore[arg-type]
            additional_headers={"cookie": cookie, "accept-language": self.locale},
            max_size=2**22,
        ) as ws:
            sock = Socket(ws)
            await sock.expect(type="subscribed")  # the user topic
            yield sock


@pytest.fixture
async def people(live: LiveServer) -> AsyncIterator[Any]:
    made: list[Person] = []

    async def make(name: str | None = None, role: Role = Role.GUEST, locale: str = "fr") -> Person:
        person = Person(live, locale)
        made.append(person)
        if name is not None:
            response = await person.join(await live.invite(role), name)
            assert response.status_code == 303, response.text[:300]
        return person

    yield make
    for person in made:
        await person.close()
