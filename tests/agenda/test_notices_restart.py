"""Notices survive a killed server: each lands in the inbox exactly once, each tab shows it
once after reconnecting. A real ``estaminet serve`` process, killed with SIGKILL before the
notices fall due, while it delivers them, and after; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from estaminet import cli
from estaminet.agenda import actions, answers
from estaminet.agenda.events import EventData
from estaminet.agenda.rules import Answer, EventKind, Visibility
from estaminet.people.actions import create_user
from estaminet.people.model import Role
from estaminet.people.queries import user_by_id
from estaminet.people.schema import notifications
from estaminet.settings import Settings
from estaminet.store import Database
from tests.support.databases import fresh_database
from tests.support.live_server import LiveServer, Person, Socket, free_port

BRUSSELS = ZoneInfo("Europe/Brussels")
TABS = 7


@dataclass
class Server:
    """``estaminet serve`` in its own process, which a test may kill and start again."""

    settings: Settings
    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ESTAMINET_")}
        env.update(
            ESTAMINET_BASE_URL=self.base,
            ESTAMINET_SECRET_KEY="restart-secret",
            ESTAMINET_DATABASE_URL=self.settings.resolved_database_url,
            ESTAMINET_JANUS_AUTOSTART="never",
            PYTHONUNBUFFERED="1",
        )
        with (self.folder / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "estaminet.cli", "--data-dir", str(self.folder)),
                    *("serve", "--host", "127.0.0.1", "--port", str(self.port)),
                ],
                env=env,
                cwd=self.folder,
                stdout=log,
                stderr=log,
            )

    async def healthy(self) -> None:
        async with httpx.AsyncClient(timeout=1.0) as client, asyncio.timeout(60):
            while True:
                assert self.process is not None and self.process.poll() is None, self.log()
                try:
                    if (await client.get(self.base + "/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lifespan end, whatever it was doing."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=15)
        self.process = None

    def log(self) -> str:
        return (self.folder / "server.log").read_text(errors="replace")[-3000:]


@pytest.fixture
def server(database_backend: str, tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    with fresh_database(database_backend, tmp_path, migrate=False) as url:
        settings = Settings(
            data_dir=tmp_path,
            secret_key="restart-secret",
            base_url=f"http://127.0.0.1:{port}",
            database_url=url,
        )
        asyncio.run(cli._prepare(settings, venue_file=None, admin_name="Admin"))
        running = Server(settings, port, tmp_path)
        try:
            yield running
        finally:
            running.kill()


@dataclass
class Member:
    person: Person
    user_id: str


@asynccontextmanager
async def tab(member: Member, after: int) -> AsyncIterator[Socket]:
    """A browser tab coming back: it resumes its notices from ``after``, as main.js does."""
    async with member.person.socket() as sock:
        await sock.send({"type": "sub", "topic": f"user:{member.user_id}", "after": after})
        yield sock


def starting_toasts(frame: dict[str, Any]) -> int:
    if frame.get("type") != "event" or not str(frame.get("topic", "")).startswith("user:"):
        return 0
    return sum("ça commence" in op.get("html", "") for op in frame.get("ops", []))


async def shown(sock: Socket, within: float = 60.0) -> tuple[int, int]:
    """Wait until the tab shows the "it's starting" notice; (how many toasts, last seq)."""
    frame = await sock.take(lambda f: starting_toasts(f) > 0, within)
    count = starting_toasts(frame)
    for later in await sock.quiet(1.0):  # nothing more: once
        count += starting_toasts(later)
    return count, int(frame["seq"])


async def inbox_counts(db: Database) -> dict[str, int]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(notifications.c.user_id, func.count())
            .where(notifications.c.kind == "agenda/start")
            .group_by(notifications.c.user_id)
        )
        return {user_id: count for user_id, count in rows}


async def test_notices_restart_each_reaches_the_inbox_and_every_tab_once(server: Server) -> None:
    server.start()
    await server.healthy()
    live = LiveServer(server.base, server.settings, "", None)
    db = Database(server.settings.resolved_database_url)
    people: list[Member] = []
    try:
        # Seven people with a tab open on the venue, and the numbers their tabs last saw.
        seen: dict[str, int] = {}
        for number in range(TABS):
            person = Person(live)
            invite = await cli._invite(server.settings, Role.MEMBER, 1.0, None, "test")
            joined = await person.join(invite.removeprefix(server.base), f"Membre {number}")
            assert joined.status_code == 303
            page = await person.http.get("/")
            me = page.text.split('data-me="', 1)[1].split('"', 1)[0]
            seen[me] = int(page.text.split('data-inbox-seq="', 1)[1].split('"', 1)[0])
            people.append(Member(person, me))
        # Many more who have no tab: the start-up delivery takes a while.
        now = datetime.now(UTC)
        crowd = [await create_user(db, f"Foule {n}", Role.MEMBER, now) for n in range(60)]
        animator = await create_user(db, "Anim", Role.ANIMATOR, now)

        # Before the due time: the server dies. Meanwhile an event starts (the people said
        # "yes" an hour before it, through the agenda's own write path).
        server.kill()
        local_now = datetime.now(BRUSSELS).replace(second=0, microsecond=0, tzinfo=None)
        start = local_now - timedelta(minutes=1)
        event = EventData(
            title="Soirée jeux",
            description="",
            kind=EventKind.GAME_NIGHT,
            room_slug="jeux",
            visibility=Visibility.MEMBERS,
            capacity=None,
            waitlist=True,
            start=start,
            duration=timedelta(hours=3),
        )
        hour_before = start.replace(tzinfo=BRUSSELS).astimezone(UTC) - timedelta(hours=1)
        event_id = await actions.create_event(db, animator, event, hour_before, BRUSSELS)
        key = start.strftime("%Y%m%dT%H%M")
        everyone = [m.user_id for m in people] + [u.id for u in crowd]
        async with db.read() as conn:
            members = [await user_by_id(conn, user_id) for user_id in everyone]
        for member in members:
            assert member is not None
            await answers.answer(db, member, event_id, key, Answer.YES, hour_before, BRUSSELS)

        # During delivery: started again, and killed again at once, a few times.
        rng = random.Random(17)
        for _ in range(3):
            server.start()
            await server.healthy()
            await asyncio.sleep(rng.uniform(0.0, 0.3))
            server.kill()
        server.start()
        await server.healthy()

        # Every tab comes back (the number it last saw) and shows the notice once.
        async def comes_back(member: Member) -> tuple[int, int]:
            async with tab(member, seen[member.user_id]) as sock:
                return await shown(sock)

        results = await asyncio.gather(*(comes_back(p) for p in people))
        assert [count for count, _ in results] == [1] * TABS
        async with asyncio.timeout(60):
            while len(await inbox_counts(db)) < len(everyone):
                await asyncio.sleep(0.2)
        counts = await inbox_counts(db)
        assert counts == {user_id: 1 for user_id in everyone}

        # After delivery: killed and started again, nothing is stored or shown twice.
        server.kill()
        server.start()
        await server.healthy()
        assert await inbox_counts(db) == counts
        for member, (_, last) in zip(people, results, strict=True):
            async with tab(member, last) as sock:
                assert sum(starting_toasts(f) for f in await sock.quiet(1.0)) == 0
            # Another tab, which had not shown it yet (its number from before), shows it.
            async with tab(member, seen[member.user_id]) as sock:
                assert (await shown(sock))[0] == 1
    finally:
        for member in people:
            await member.person.close()
        await db.dispose()
        server.kill()
