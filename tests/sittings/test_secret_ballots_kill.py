"""A secret vote survives ``kill -9`` of a real server, stays secret, and closes once unlocked.

A real ``estaminet serve`` process (SQLite, then PostgreSQL): the
facilitator opens a secret vote, the facilitator's and the secretary's pages
take and confirm their key shares, members vote, and the server is killed
(SIGKILL, no shutdown). The restarted server has every ballot but no key:
the box is locked, voting goes on, closing is refused with a clear reason,
forged or foreign shares are refused and change nothing; the holders' shares
unlock it and the vote closes with the right totals. Then the attacker reads
the files left after the kill (every version the WAL or the old tuples
keep) and the server's whole log: no ballot, share or key, and no link.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from estaminet import cli
from estaminet.people.model import Role
from estaminet.settings import Settings
from tests.conftest import PG_HOST, PG_PORT
from tests.sittings.test_sittings_live import VOTERS, convene, ok, refused, roles, seat_of
from tests.support.attacker import PLAINTEXT_NEEDLES, links, pg_box_versions, sqlite_box_versions
from tests.support.live_server import LiveServer, Person, free_port

SECRET = {"method": "majority", "question": "Élire Camille ?", "secret": True}


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESTAMINET_")}
    env.update(
        ESTAMINET_DATA_DIR=str(settings.data_dir),
        ESTAMINET_DATABASE_URL=settings.resolved_database_url,
        ESTAMINET_SECRET_KEY=str(settings.secret_key),
        ESTAMINET_BASE_URL=settings.base_url,
        ESTAMINET_JANUS_AUTOSTART="never",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def server(settings: Settings, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``estaminet serve`` on ``port``, its whole output appended to ``log``."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "estaminet.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=_env(settings),
            cwd=settings.data_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120  # a busy machine starts slowly
        while True:
            assert process.poll() is None, log.read_text()[-2000:]
            try:
                if httpx.get(f"{settings.base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=15)


async def _person(base: LiveServer, name: str) -> Person:
    person = Person(base)
    response = await person.join(await base.invite(Role.MEMBER), name)
    assert response.status_code == 303
    return person


async def _user_id(person: Person) -> str:
    return (await person.http.get("/me")).text.split('data-me="')[1].split('"')[0]


@pytest.mark.timeout(240)
async def test_secret_vote_kill_9_keeps_every_ballot_locks_then_unlocks(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = tmp_path / "data"
    settings = Settings(
        data_dir=data, secret_key="kill-test", base_url=base, database_url=database_url
    )
    link, _ = await cli._prepare(settings, venue_file=None, admin_name="Admin")
    log = tmp_path / "server.log"
    live = LiveServer(base, settings, link.removeprefix(base), None)
    sqlite_file = Path(database_url.split("///", 1)[1]) if "sqlite" in database_url else None
    people: list[Person] = []
    given: list[str] = []
    try:
        with server(settings, port, log) as first:
            admin = Person(live)
            people.append(admin)
            token = await admin.csrf(live.admin_link)
            assert (await admin.http.post(live.admin_link, data={"csrf": token})).status_code == 303
            folks = {name: await _person(live, name) for name in [*VOTERS, "Tim"]}
            people += folks.values()
            ids = {name: await _user_id(person) for name, person in folks.items()}
            sitting = await convene(admin, **roles(ids, VOTERS))
            seat = {n: (await seat_of(folks[n], sitting))[1] for n in VOTERS}
            async with folks["Anaïs"].socket() as chair, folks["Bruno"].socket() as secretary:
                # Both pages are open: each keeps one share.
                await chair.sub(f"table:{sitting}:seat:{seat['Anaïs']}")
                await secretary.sub(f"table:{sitting}:seat:{seat['Bruno']}")
                for name in VOTERS:
                    async with folks[name].socket() as sock:
                        await ok(sock, sitting, "in", type="attendance.check_in")
                await ok(chair, sitting, "open", type="sitting.open")
                await ok(chair, sitting, "item", type="agenda.next_item")
                await ok(chair, sitting, "prep", type="vote.prepare", vote=SECRET)
                await ok(chair, sitting, "vopen", type="vote.open", vote=1)
                for sock, part in ((chair, 0), (secretary, 1)):
                    keys = await sock.act("ballot.keys", {"table": sitting}, ref="keys")
                    assert keys["type"] == "ack", keys
                    (mine,) = keys["data"]["keys"]
                    assert (mine["box"], mine["part"]) == ("vote:1", part)
                    given.append(mine["share"])
                    confirm = {"table": sitting, **mine}
                    assert (await sock.act("ballot.key", confirm, ref="kept"))["type"] == "ack"
                ballots = ["yes", "no", "yes", "abstain"]
                copies: list[Path] = []
                for n, (name, ballot) in enumerate(
                    zip(["Chloé", "Dédé", "Élise", "Fanny"], ballots, strict=True)
                ):
                    async with folks[name].socket() as sock:
                        await ok(sock, sitting, "cast", type="vote.cast", vote=1, ballot=ballot)
                    if sqlite_file is not None:  # a copy of the files after each ballot
                        copies.append(_copy(sqlite_file, tmp_path / f"after-{n}"))
            os.kill(first.pid, signal.SIGKILL)  # no shutdown, no checkpoint
            first.wait(timeout=15)
        left = _copy(sqlite_file, tmp_path / "left") if sqlite_file is not None else None

        with server(settings, port, log):
            async with (
                folks["Anaïs"].socket() as chair,
                folks["Bruno"].socket() as secretary,
                folks["Gaston"].socket() as gaston,
            ):
                view = await chair.sub(f"table:{sitting}:seat:{seat['Anaïs']}")
                assert view["type"] == "subscribed"
                page = (await folks["Anaïs"].http.get(f"/a/{sitting}")).text
                assert "Urne verrouillée" in page
                assert 'data-state="locked"' in page
                assert (await chair.act("ballot.keys", {"table": sitting}, ref="k"))["data"] == {
                    "keys": []
                }  # this server holds no key
                # Voting goes on; counting is refused, with the reason, and the socket stays up.
                await ok(gaston, sitting, "cast", type="vote.cast", vote=1, ballot="no")
                said = await refused(
                    chair, sitting, "close", "assembly/ballot_box_locked", type="vote.close", vote=1
                )
                assert "verrouillée" in said
                forged = f"{int(given[0], 16) ^ 4:0{len(given[0])}x}"
                for sock, part, share, code in (
                    (chair, 0, forged, "ballots/wrong_share"),
                    (chair, 1, given[1], "ballots/not_a_keeper"),
                    (gaston, 0, given[0], "ballots/not_a_keeper"),
                    (chair, "x", given[0], "ballots/malformed"),
                ):
                    data = {"table": sitting, "box": "vote:1", "part": part, "share": share}
                    answer = await sock.act("ballot.key", data, ref="bad")
                    assert answer["type"] == "error" and answer["code"] == code, answer
                    assert answer["message"] and share not in answer["message"]
                await ok(chair, sitting, "still", type="speaker.raise_hand")  # the socket is fine
                # The holders' pages give the key back: unlocked, then counted.
                for sock, part in ((chair, 0), (secretary, 1)):
                    data = {"table": sitting, "box": "vote:1", "part": part, "share": given[part]}
                    answer = await sock.act("ballot.key", data, ref=f"give{part}")
                    assert answer["type"] == "ack", answer
                assert answer["data"] == {"unlocked": True}
                await ok(chair, sitting, "count", type="vote.close", vote=1)
                page = (await folks["Anaïs"].http.get(f"/a/{sitting}")).text
                assert "verrouillée" not in page and 'data-state="' not in page
                minutes = (await folks["Anaïs"].http.get(f"/a/{sitting}/minutes.md")).text
                assert "2" in minutes
        result_text = await _closed_result(settings, sitting)
        assert (result_text["yes"], result_text["no"], result_text["abstain"]) == (2, 2, 1)
        assert result_text["ballots"] == 5
    finally:
        for person in people:
            await person.close()

    # The server's whole log: no share, no key, no ballot.
    text = log.read_text(errors="replace")
    assert "Traceback" not in text
    for secret in given:
        assert secret not in text and secret[:40] not in text
    assert '"ballot"' not in text and "vote:1" not in text

    # The attacker, on the files left after the kill and on every copy.
    if left is not None:
        for copy in [*copies, left]:
            for path in (copy, Path(f"{copy}-wal")):
                if path.exists():
                    data = path.read_bytes()
                    for needle in PLAINTEXT_NEEDLES:
                        assert needle not in data, (needle, path)
                    for secret in given:
                        assert secret.encode() not in data
        found = links(sqlite_box_versions(left), sitting)
    else:
        found = await _pg_links(database_url, sitting)
    _assert_counts_only(found)


def _copy(main: Path, folder: Path) -> Path:
    folder.mkdir()
    for suffix in ("", "-wal"):
        if Path(f"{main}{suffix}").exists():
            shutil.copyfile(f"{main}{suffix}", folder / f"db{suffix}")
    return folder / "db"


def _assert_counts_only(found: dict[int, dict[str, Any]]) -> None:
    """Every voter's transaction wrote a box version that depends on nothing but the count."""
    assert found, "the attacker found no version to link"
    shapes = {
        repr({k: v for k, v in version.items() if k != "ballots"}) for version in found.values()
    }
    assert len(shapes) == 1
    counts = sorted(version["ballots"] for version in found.values())
    assert len(set(counts)) == len(counts)


async def _closed_result(settings: Settings, sitting: int) -> dict[str, Any]:
    from sqlalchemy import select

    from estaminet.live.schema import activity_events
    from estaminet.store import Database

    db = Database(settings.resolved_database_url)
    try:
        async with db.read() as conn:
            rows = await conn.execute(
                select(activity_events.c.data).where(activity_events.c.activity_id == sitting)
            )
            closed = [data for (data,) in rows if data["type"] == "vote.closed"]
    finally:
        await db.dispose()
    assert len(closed) == 1
    result: dict[str, Any] = closed[0]["result"]
    return result


async def _pg_links(database_url: str, sitting: int) -> dict[int, dict[str, Any]]:
    import asyncpg

    name = database_url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database=name)
    try:
        return links(await pg_box_versions(conn), sitting)
    finally:
        await conn.close()
