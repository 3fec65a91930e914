"""A reconnect storm after a restart: N room pages resume at once on a cold server.

    python -m bench.reconnect [--clients 1000] [--messages 10] [--smoke]

Estaminet, in its own process on the demo venue:

1. N guests sign up; each opens ``/ws`` and follows what a room page follows
   (``room:bar`` and ``presence:bar``), remembering the ``seq`` (and, for presence, its
   era) and what it applied: the message ids, the list of people and their count;
2. a poster posts ``--messages`` messages; half the clients then drop out (a phone
   that slept) and ``--messages`` more are posted, so that half has a gap to catch up;
3. the server is stopped (SIGTERM) and started again on the same data (a cold
   process); every client, as ``live.js`` does, retries with a backoff of 0.5 s
   doubling up to 15 s (±25 %), reopens ``/ws`` with its cookie and subscribes again
   with ``after`` = its last ``seq`` on each topic (and presence's era);
4. measured: the time from the SIGTERM (and from the new process listening) until
   the last client is resumed; whether every client's chat is exactly the database's
   (same last ``seq``, same message ids since it first subscribed) and its list of
   people exactly the room page's, read afterwards (same people named, in the same
   order, same count); the server's CPU
   from listening until idle with everyone back, per connection; its memory (USS)
   with everyone back and idle, minus the cold process's, per connection.

Then, each fresh and in the same run, the same CPU and memory per connection for: the
floor of Estaminet's own stack (``uvicorn``: uvicorn and Starlette with the venue's server
options, answering a page's three subscriptions and doing nothing else; the N pages open
at once), bare ``websockets`` and python-socketio (the same N clients connect and join).
Targets (issue 20, reported, never asserted): everyone resumed within 10 s for 1,000
clients, < 1 ms of server CPU per connection, < 20 KiB per idle connection.

Results: ``bench/results/reconnect-<time>.json`` and ``.md``; Markdown on stdout.
Only 127.0.0.1; bounded in count and time; every server process is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import random
import re
import resource
import shlex
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import machine, servers
from bench.dialects import ROOM, EstaminetDialect, SocketioDialect, WebsocketsDialect
from bench.load import Client, Dialect, Fleet
from bench.people_list import PeopleList
from bench.servers import HOST, ServerFailed, running
from bench.wire import WireClosed, WireConnection

__all__ = ["main"]

RESULTS = Path(__file__).parent / "results"
TARGET_RESUME_SECONDS = 10.0
TARGET_CPU_MS = 1.0
TARGET_IDLE_KIB = 20.0
_ROOM_TOPIC = f"room:{ROOM}"
_PRESENCE_TOPIC = f"presence:{ROOM}"
_MESSAGE_ID = re.compile(r'id="msg-(\d+)"')


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Figures:
    """One server's figures: CPU and memory per connection (and, for Estaminet, the resume)."""

    server: str
    clients: int
    cpu_ms_per_connection: float | None = None
    idle_kib_per_connection: float | None = None
    memory_cold_mib: float | None = None
    memory_connected_mib: float | None = None
    resumed: int = 0
    exact: int = 0
    presence_exact: int = 0
    """Pages whose list of people (named, in order, and the count) is the room page's."""
    resume_from_stop_s: float | None = None
    resume_from_listening_s: float | None = None
    restart_s: float | None = None
    catch_up_frames: int = 0
    catch_up_bytes: int = 0
    attempts_max: int = 0
    attempt_p50_s: float | None = None
    attempt_max_s: float | None = None
    """The successful attempt, socket opened to resumed: the server's part of the wait."""
    others_cores: float | None = None
    """CPU other processes (not the server, not the load generator) took meanwhile, in cores."""
    mismatches: list[str] = field(default_factory=list)
    error: str | None = None


class Page:
    """One room page's socket: what it applied (seq per topic, message ids) and its resume."""

    def __init__(self, dialect: EstaminetDialect, index: int) -> None:
        self.dialect = dialect
        self.index = index
        self.connection: WireConnection | None = None
        self.seq: dict[str, int] = {}
        self.first_seq: int | None = None
        """The room's seq when this page first subscribed: it knows every message after it."""
        self.ids: set[int] = set()
        self.era: dict[str, str] = {}
        """The era of each topic's numbers, as its ``subscribed`` said (as live.js keeps it)."""
        self.people = PeopleList(ROOM, [], 0, "")
        """The room's list of people as this page shows it, from presence frames."""
        self.attempts = 0
        self.catch_up_frames = 0
        self.catch_up_bytes = 0
        self._user_ready = asyncio.Event()
        self._subscribed: dict[str, asyncio.Event] = {}
        self.resumed_at: float | None = None
        self.last_attempt_s: float | None = None
        """How long the successful attempt took, from opening the socket to resumed."""
        self.errors: list[str] = []

    def handle(self, data: bytes | bytearray, arrived: float) -> None:
        frame = json.loads(data)
        kind, topic = frame.get("type"), frame.get("topic")
        if kind == "subscribed":
            if isinstance(topic, str) and topic.startswith("user:"):
                self._user_ready.set()
                return
            if frame.get("era"):
                self.era[topic] = str(frame["era"])
            self.seq[topic] = max(self.seq.get(topic, 0), int(frame["seq"]))
            if topic == _ROOM_TOPIC and self.first_seq is None:
                self.first_seq = int(frame["seq"])
            event = self._subscribed.get(topic)
            if event is not None:
                event.set()
            return
        if kind == "error":
            self.errors.append(str(frame.get("code")))
            return
        if kind != "event" or topic not in (_ROOM_TOPIC, _PRESENCE_TOPIC):
            return
        seq = int(frame["seq"])
        if frame.get("kind") == "catch_up":
            self.catch_up_frames += 1
            self.catch_up_bytes += len(data)
        elif seq <= self.seq.get(topic, 0):
            return  # a duplicate
        self.seq[topic] = seq
        if topic == _PRESENCE_TOPIC:
            self.people.apply(frame.get("ops", ()))
            return
        for op in frame.get("ops", ()):
            if op.get("op") == "upsert" and str(op.get("id", "")).startswith("msg-"):
                self.ids.add(int(op["id"][4:]))
            elif op.get("op") == "replace":  # more than a page missed: the last page again
                self.ids = {int(m) for m in _MESSAGE_ID.findall(op.get("html", ""))}
                self.first_seq = None  # known: the last page only

    async def open(self, port: int, *, within: float = 30.0) -> None:
        """Open the socket and (re)subscribe with the last seq of each topic, as live.js does."""
        self.attempts += 1
        self._user_ready.clear()
        self._subscribed = {t: asyncio.Event() for t in (_ROOM_TOPIC, _PRESENCE_TOPIC)}
        self.connection = await WireConnection.open(
            HOST, port, "/ws", on_message=self.handle, headers=self.dialect.headers(self.index),
            origin=f"http://{HOST}:{port}", within=within,
        )  # fmt: skip
        await asyncio.wait_for(self._user_ready.wait(), within)
        for topic in (_ROOM_TOPIC, _PRESENCE_TOPIC):
            sub: dict[str, Any] = {"type": "sub", "topic": topic, "after": self.seq.get(topic, 0)}
            if topic in self.era:
                sub["era"] = self.era[topic]
            self.connection.send_text(json.dumps(sub))
        await asyncio.wait_for(
            asyncio.gather(*(e.wait() for e in self._subscribed.values())), within
        )

    async def resume(self, port: int, loop: asyncio.AbstractEventLoop) -> None:
        """Wait for the server to drop this socket, then retry with live.js's backoff."""
        if self.connection is not None:
            await self.connection.closed
        attempt = 0
        while True:
            await asyncio.sleep(min(15.0, 0.5 * 2**attempt) * (0.75 + random.random() / 2))
            attempt += 1
            began = loop.time()
            try:
                await self.open(port, within=15.0)
            except (OSError, WireClosed, TimeoutError):
                if self.connection is not None:
                    self.connection.abort()
                continue
            self.resumed_at = loop.time()
            self.last_attempt_s = self.resumed_at - began
            return

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()


def _database(data_dir: Path) -> tuple[int, dict[int, int]]:
    """The room's last seq and its messages (id → seq), read from the venue's database."""
    uri = f"file:{(data_dir / 'estaminet.db').resolve()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        (room_id, last_seq), *_ = db.execute(
            "SELECT id, last_seq FROM rooms WHERE slug = ?", (ROOM,)
        )
        rows = db.execute("SELECT id, seq FROM messages WHERE room_id = ?", (room_id,)).fetchall()
    return int(last_seq), {int(i): int(s) for i, s in rows}


def _check(page: Page, last_seq: int, messages: dict[int, int], page_size: int) -> str | None:
    """Why ``page``'s chat differs from the database, or ``None`` when it is exact."""
    if page.seq.get(_ROOM_TOPIC) != last_seq:
        return f"page {page.index}: seq {page.seq.get(_ROOM_TOPIC)} ≠ {last_seq}"
    if page.first_seq is None:
        wanted = set(sorted(messages)[-page_size:])
    else:
        wanted = {i for i, s in messages.items() if s > page.first_seq}
    if page.ids != wanted:
        return f"page {page.index}: {len(page.ids ^ wanted)} messages differ"
    return None


async def _room_page_people(base_url: str, headers: dict[str, str]) -> PeopleList:
    """The room's list of people as its page shows it now."""
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30.0) as http:
        page = (await http.get(f"/r/{ROOM}")).text
    return PeopleList.from_page(ROOM, page)[0]


def _check_people(page: Page, truth: PeopleList) -> str | None:
    """Why ``page``'s list of people differs from the room page's, or ``None``."""
    shown, people = page.people.people(), truth.people()
    if shown != people or page.people.count != truth.count:
        differ = len(set(shown) ^ set(people))
        what = f"{differ} people differ" if differ else "the same people in another order"
        return (
            f"page {page.index}: {what} ({len(shown)} listed, the room page {len(people)}); "
            f"count {page.people.count}, the room page {truth.count}"
        )
    return None


async def _post(poster: Client, dialect: EstaminetDialect, count: int, first: int) -> None:
    """Post ``count`` messages, each acknowledged before the next."""
    for n in range(first, first + count):
        poster.send(dialect.post(n, f"Message {n} avant le redémarrage"))
        await poster.expect(lambda d, n=n: b'"ack"' in d and f'"a{n}"'.encode() in d)


async def _estaminet(clients: int, messages: int, workdir: Path) -> Figures:
    figures = Figures("estaminet", clients)
    spec = servers.estaminet(workdir, compression=False)
    loop = asyncio.get_running_loop()
    pages: list[Page] = []
    try:
        async with running(spec) as server:
            invite = server.find_in_log(r"/i/[A-Za-z0-9_\-]+")
            if invite is None:
                raise ServerFailed("estaminet", "no invite link in its output", server.log_tail())
            dialect = EstaminetDialect(invite)
            _say(f"[estaminet] signing up {clients + 1:,} guests")
            await dialect.prepare(server.base_url, clients + 1)
            pages = [Page(dialect, i) for i in range(1, clients + 1)]
            gate = asyncio.Semaphore(64)

            async def first_open(page: Page) -> None:
                async with gate:
                    await page.open(spec.port)

            await asyncio.gather(*(first_open(p) for p in pages))
            _say(f"[estaminet] {clients:,} pages open; posting {messages} messages")
            poster = Client(dialect, None)
            await poster.open(
                HOST, spec.port, headers=dialect.headers(0), origin=server.base_url,
                compression=False,
            )  # fmt: skip
            await dialect.join(poster, listen=False)
            await _post(poster, dialect, messages, 1)
            await asyncio.sleep(1.0)
            sleepers = pages[::2]
            await asyncio.gather(*(p.close() for p in sleepers))
            await _post(poster, dialect, messages, messages + 1)
            await poster.close()
            await server.wait_idle(within=30.0)
            _say("[estaminet] stopping the server (SIGTERM)")
            storm = [asyncio.create_task(p.resume(spec.port, loop)) for p in pages]
            stopped_at = loop.time()
            busy, own = machine.busy_seconds(), machine.own_cpu_seconds()
            await server.stop()
        again = dataclasses.replace(spec, log_path=workdir / "server-restarted.log")
        async with running(again, within=120.0) as server:
            listening_at = loop.time()
            server.profile(on=True)  # BENCH_PROFILE=estaminet: the storm, not the start
            cpu0, memory0 = server.cpu_seconds(), server.memory_bytes()
            figures.restart_s = listening_at - stopped_at
            _say(f"[estaminet] listening again after {figures.restart_s:.1f} s")
            done, waiting = await asyncio.wait(storm, timeout=120.0)
            for task in waiting:
                task.cancel()
            for task in done:
                task.result()
            await server.wait_idle(within=30.0)
            server.profile(on=False)
            cpu1, memory1 = server.cpu_seconds(), server.memory_bytes()
            storm_cpu = cpu1 - cpu0
            others = machine.busy_seconds() - busy - (machine.own_cpu_seconds() - own) - storm_cpu
            figures.others_cores = max(0.0, others) / max(1e-9, loop.time() - stopped_at)
            back = [p for p in pages if p.resumed_at is not None]
            figures.resumed = len(back)
            if back:
                last = max(p.resumed_at for p in back if p.resumed_at is not None)
                figures.resume_from_stop_s = last - stopped_at
                figures.resume_from_listening_s = last - listening_at
            figures.cpu_ms_per_connection = storm_cpu / clients * 1000
            figures.memory_cold_mib = memory0 / 2**20
            figures.memory_connected_mib = memory1 / 2**20
            figures.idle_kib_per_connection = (memory1 - memory0) / clients / 1024
            figures.catch_up_frames = sum(p.catch_up_frames for p in pages)
            figures.catch_up_bytes = sum(p.catch_up_bytes for p in pages)
            figures.attempts_max = max(p.attempts for p in pages)
            took = sorted(p.last_attempt_s for p in pages if p.last_attempt_s is not None)
            if took:
                figures.attempt_p50_s, figures.attempt_max_s = took[len(took) // 2], took[-1]
            last_seq, stored = _database(workdir / "data")
            for page in pages:
                why = _check(page, last_seq, stored, page_size=50)
                if why is None:
                    figures.exact += 1
                elif len(figures.mismatches) < 5:
                    figures.mismatches.append(why)
            truth = await _room_page_people(server.base_url, dialect.headers(0))
            for page in pages:
                why = _check_people(page, truth)
                if why is None:
                    figures.presence_exact += 1
                elif len(figures.mismatches) < 10:
                    figures.mismatches.append(why)
    finally:
        await asyncio.gather(*(p.close() for p in pages), return_exceptions=True)
    return figures


class _AnyCookie:
    """The uvicorn floor signs nobody in: no cookie is needed."""

    def headers(self, index: int) -> dict[str, str]:
        return {}


async def _baseline(name: str, clients: int, workdir: Path) -> Figures:
    """A baseline, fresh: its N clients connect at once; CPU and memory per connection.

    ``uvicorn`` (the stack's floor) serves the same room pages as Estaminet: each opens
    its socket and follows its three topics. ``websockets`` and ``socketio`` connect and
    join as in the delivery bench."""
    figures = Figures(name, clients)
    pages: list[Page] = []
    fleet: Fleet | None = None
    if name == "uvicorn":
        spec = servers.uvicorn_baseline(workdir, compression=False)
        pages = [Page(_AnyCookie(), i) for i in range(1, clients + 1)]  # type: ignore[arg-type]
    else:
        baseline = (
            servers.websockets_baseline if name == "websockets" else servers.socketio_baseline
        )
        spec = baseline(workdir, compression=False)
        dialect: Dialect = WebsocketsDialect() if name == "websockets" else SocketioDialect()
        fleet = Fleet(dialect)
    async with running(spec) as server:
        await server.wait_idle()
        busy, own, start = machine.busy_seconds(), machine.own_cpu_seconds(), time.monotonic()
        cpu0, memory0 = server.cpu_seconds(), server.memory_bytes()
        try:
            if fleet is not None:
                await fleet.connect(
                    HOST, spec.port, clients, compression=False, concurrency=clients
                )
            else:
                await asyncio.gather(*(p.open(spec.port) for p in pages))
            await server.wait_idle(within=30.0)
            cpu1, memory1 = server.cpu_seconds(), server.memory_bytes()
            others = machine.busy_seconds() - busy - (machine.own_cpu_seconds() - own)
            figures.others_cores = max(0.0, others - (cpu1 - cpu0)) / (time.monotonic() - start)
        finally:
            if fleet is not None:
                await fleet.close()
            await asyncio.gather(*(p.close() for p in pages), return_exceptions=True)
    figures.resumed = figures.exact = figures.presence_exact = clients
    figures.cpu_ms_per_connection = (cpu1 - cpu0) / clients * 1000
    figures.memory_cold_mib, figures.memory_connected_mib = memory0 / 2**20, memory1 / 2**20
    figures.idle_kib_per_connection = (memory1 - memory0) / clients / 1024
    return figures


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.1f}×" if value is not None and base else "—"


def _markdown(results: list[Figures], about: dict[str, Any], command: str) -> str:
    by = {r.server: r for r in results}
    est, bare, floor = by.get("estaminet"), by.get("websockets"), by.get("uvicorn")
    n = results[0].clients if results else 0
    lines = [
        f"Reconnect storm after a restart: {n:,} room pages (chat and presence); "
        f"{about.get('cpu', '?')}, {about.get('cores', '?')} cores (shared)",
        "",
        f"`{command}`",
        "",
        "| server | CPU per connection (ms) | × bare | × floor | KiB per idle connection | "
        "× bare | memory cold → connected (MiB) | others' load (cores) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.error:
            lines.append(f"| {r.server} | failed: {r.error} | | | | | | |")
            continue
        lines.append(
            f"| {r.server} | {r.cpu_ms_per_connection or 0:.2f} | "
            f"{_ratio(r.cpu_ms_per_connection, bare and bare.cpu_ms_per_connection)} | "
            f"{_ratio(r.cpu_ms_per_connection, floor and floor.cpu_ms_per_connection)} | "
            f"{r.idle_kib_per_connection or 0:.1f} | "
            f"{_ratio(r.idle_kib_per_connection, bare and bare.idle_kib_per_connection)} | "
            f"{r.memory_cold_mib or 0:.0f} → {r.memory_connected_mib or 0:.0f} | "
            f"{r.others_cores or 0:.2f} |"
        )
    if est is not None and est.error is None:
        lines += [
            "",
            f"Estaminet: restarted and listening {est.restart_s or 0:.1f} s after the SIGTERM; "
            f"{est.resumed:,} of {n:,} pages resumed, the last {est.resume_from_stop_s or 0:.1f} s "
            f"after the SIGTERM ({est.resume_from_listening_s or 0:.1f} s after listening; "
            f"at most {est.attempts_max} attempts for one page, backoff as live.js; the "
            f"successful attempt, socket opened to resumed: median "
            f"{est.attempt_p50_s or 0:.2f} s, slowest {est.attempt_max_s or 0:.2f} s); "
            f"{est.exact:,} of {n:,} chats exactly the database's; "
            f"{est.presence_exact:,} of {n:,} lists of people exactly the room page's; "
            f"{est.catch_up_frames:,} catch-up frames, "
            f"{est.catch_up_bytes / max(1, est.catch_up_frames):,.0f} B each on average.",
        ]
        lines += [f"- {m}" for m in est.mismatches]
    lines += [
        "",
        f"Targets (reported, not asserted): every page resumed within {TARGET_RESUME_SECONDS:g} s "
        f"for 1,000 clients; < {TARGET_CPU_MS:g} ms of server CPU per connection; "
        f'< {TARGET_IDLE_KIB:g} KiB per idle connection. "Bare" is a websockets server that '
        'only accepts; the "floor" (uvicorn) is Estaminet\'s own stack, uvicorn and Starlette '
        "with the venue's options, answering the three subscriptions of a page and nothing more.",
    ]
    return "\n".join(lines)


async def _run(clients: int, messages: int, command: str, only: tuple[str, ...]) -> int:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = RESULTS / f"reconnect-run-{stamp}"
    results: list[Figures] = []
    for name in only:
        _say(f"[{name}] starting")
        try:
            if name == "estaminet":
                results.append(await _estaminet(clients, messages, run_dir / name))
            else:
                results.append(await _baseline(name, clients, run_dir / name))
        except (ServerFailed, WireClosed, OSError, TimeoutError, RuntimeError) as error:
            results.append(Figures(name, clients, error=f"{type(error).__name__}: {error}"))
            _say(f"[{name}] FAILED: {results[-1].error}")
    about = machine.describe()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"reconnect-{stamp}.json"
    record = {"command": command, "machine": about, "results": [asdict(r) for r in results]}
    out.write_text(json.dumps(record, indent=2))
    text = _markdown(results, about, command)
    out.with_suffix(".md").write_text(text + "\n")
    _say(f"results: {out}")
    print(text)
    failed = any(
        r.error or r.resumed < clients or r.exact < clients or r.presence_exact < clients
        for r in results
    )
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument(
        "--messages", type=int, default=10, help="posted before half the pages drop, and after"
    )
    parser.add_argument("--servers", default="estaminet,uvicorn,websockets,socketio")
    parser.add_argument("--smoke", action="store_true", help="a small, quick run (CI)")
    args = parser.parse_args(argv)
    clients, messages = (20, 3) if args.smoke else (args.clients, args.messages)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, clients * 2 + 1024)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    command = shlex.join(
        ["python", "-m", "bench.reconnect", *(sys.argv[1:] if argv is None else argv)]
    )
    only = tuple(s.strip() for s in args.servers.split(",") if s.strip())
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_run(clients, messages, command, only))
    return 130


if __name__ == "__main__":
    raise SystemExit(main())
