"""Many small rooms: 100 rooms × 10 people, 1 message a second in each, presence followed.

    python -m bench.rooms [--rooms 100] [--people 10] [--rate 1] [--duration 30] [--smoke]

A venue is mostly small rooms. For each server, in a fresh process:

* **estaminet**: the demo venue plus ``--rooms`` hangouts, created the way a venue's
  organisers create rooms (a venue file, ``estaminet init --venue FILE``); ``people``
  guests in each room follow what a room page follows (``room:<slug>`` and
  ``presence:<slug>``); one more guest per room posts there ``--rate`` messages a second;
* **websockets**: the bare broadcast server, one path per room (``/<slug>``), the same
  listeners and posters.

Measured: delivery latency (p50, p99), deliveries lost, server CPU (share of a core and
deliveries per CPU-second), bytes read per delivery, and the CPU other processes took
meanwhile (the machine is shared). Targets are reported, never asserted.

Results: ``bench/results/rooms-<time>.json`` and ``.md``; Markdown on stdout.
Only 127.0.0.1; bounded in count and time; every server process is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import machine, servers
from bench.dialects import EstaminetDialect, SignUpFailed, WebsocketsDialect
from bench.load import Client, Deliveries, Dialect, body_for
from bench.servers import HOST, ServerFailed, running
from bench.wire import WireClosed

__all__ = [
    "EstaminetRoom",
    "Options",
    "Result",
    "Sinks",
    "main",
    "measure_rooms",
    "open_rooms",
    "venue_file",
]

RESULTS = Path(__file__).parent / "results"
DEMO_VENUE = Path(__file__).parent.parent / "src" / "estaminet" / "venue" / "demo.toml"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Options:
    rooms: int
    people: int
    rate: float
    duration: float


@dataclass
class Result:
    server: str
    posted: int = 0
    delivered: int = 0
    expected: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    server_cpu_share: float = 0.0
    deliveries_per_cpu_second: float = 0.0
    cpu_ms_per_message: float = 0.0
    bytes_per_delivery: float = 0.0
    others_cores: float = 0.0
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def slug(n: int) -> str:
    return f"petite-{n:03d}"


def venue_file(path: Path, rooms: int) -> Path:
    """The demo venue's file with ``rooms`` small public hangouts added below its plan."""
    lines = [DEMO_VENUE.read_text(encoding="utf-8")]
    for n in range(rooms):
        lines.append(
            f'\n[[rooms]]\nslug = "{slug(n)}"\n'
            f'name = {{ fr = "Petite salle {n + 1}", en = "Small room {n + 1}" }}\n'
            'kind = "hangout"\nvisibility = "public"\nvoice = "none"\n'
            f"plan = {{ x = {n % 12 + 1}, y = {20 + n // 12}, w = 1, h = 1 }}\n"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")
    return path


@dataclass
class EstaminetRoom(EstaminetDialect):
    """A guest of one room: follows its chat and presence, posts there."""

    room: str = ""

    async def join(self, client: Client, *, listen: bool) -> None:
        await client.expect(lambda d: b'"subscribed"' in d and b'"user:' in d)
        if not listen:
            return
        for topic in (f"room:{self.room}", f"presence:{self.room}"):
            client.send(json.dumps({"type": "sub", "topic": topic, "after": 0}))
            quoted = f'"{topic}"'.encode()
            answer = await client.expect(
                lambda d, q=quoted: q in d and (b'"subscribed"' in d or b'"error"' in d)
            )
            if b'"subscribed"' not in answer:
                raise SignUpFailed(f"could not follow {topic}: {answer[:200]!r}")

    def post(self, message_id: int, body: str) -> str:
        return json.dumps(
            {
                "type": "act",
                "id": f"a{message_id}",
                "name": "chat.send",
                "data": {"room": self.room, "body": body, "client_id": f"bench-{message_id}"},
            }
        )


class Sinks:
    """Each room's deliveries: a message posted in a room is expected by its ``people``."""

    def __init__(self, rooms: int, people: int) -> None:
        self.rooms = [Deliveries(people) for _ in range(rooms)]

    def for_room(self, n: int) -> Any:
        return lambda message_id, sent_at, arrived: self.rooms[n].record(
            message_id, sent_at, arrived
        )


async def open_rooms(
    dialects: Sequence[Dialect],
    options: Options,
    host: str,
    port: int,
    origin: str,
    sinks: Sinks,
) -> tuple[list[Client], list[Client]]:
    """Open ``people`` listeners and one poster in each room (64 opening at once)."""
    per_room = options.people + 1
    gate = asyncio.Semaphore(64)

    async def one(room: int, k: int) -> Client:
        listen = k < options.people
        client = Client(dialects[room], sinks.for_room(room) if listen else None)
        async with gate:
            await client.open(
                host, port, headers=dialects[room].headers(room * per_room + k),
                origin=origin, compression=False,
            )  # fmt: skip
            await dialects[room].join(client, listen=listen)
        return client

    opened = await asyncio.gather(
        *(one(r, k) for r in range(options.rooms) for k in range(per_room))
    )
    listeners = [c for i, c in enumerate(opened) if i % per_room < options.people]
    posters = [c for i, c in enumerate(opened) if i % per_room >= options.people]
    return listeners, posters


async def measure_rooms(
    result: Result,
    dialects: Sequence[Dialect],
    options: Options,
    sinks: Sinks,
    listeners: list[Client],
    posters: list[Client],
    server_cpu: Callable[[], float],
) -> None:
    """Post ``rate`` messages a second in every room for ``duration``; fill ``result``."""
    loop = asyncio.get_running_loop()
    ids = iter(range(1, 10**9))
    received = sum(c.connection.received for c in listeners if c.connection)
    cpu, own, busy = server_cpu(), machine.own_cpu_seconds(), machine.busy_seconds()
    started = time.time()
    start = loop.time()
    total = round(options.rate * options.duration * options.rooms)
    interval = 1.0 / (options.rate * options.rooms)
    for k in range(total):
        delay = start + k * interval - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        room = k % options.rooms
        message_id, sent_at = next(ids), time.time()
        sinks.rooms[room].expect(message_id, sent_at)
        posters[room].send(dialects[room].post(message_id, body_for(message_id, sent_at)))
    drained = await asyncio.gather(*(d.drained(15.0) for d in sinks.rooms))
    wall = time.time() - started
    used = server_cpu() - cpu
    own_cpu = machine.own_cpu_seconds() - own
    others = machine.busy_seconds() - busy - used - own_cpu
    result.others_cores = max(0.0, others) / wall
    if not all(drained):
        result.notes.append(f"{drained.count(False)} rooms not drained in 15 s")
    result.posted = sum(d.posted for d in sinks.rooms)
    result.delivered = sum(d.delivered for d in sinks.rooms)
    result.expected = sum(d.expected for d in sinks.rooms)
    latencies = sorted(x for d in sinks.rooms for x in d.latencies)
    if latencies:
        result.p50_ms = latencies[len(latencies) // 2] * 1000
        result.p99_ms = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000
    result.server_cpu_share = used / wall
    result.deliveries_per_cpu_second = result.delivered / max(used, 1e-9)
    result.cpu_ms_per_message = used / max(1, result.posted) * 1000
    read = sum(c.connection.received for c in listeners if c.connection) - received
    result.bytes_per_delivery = read / max(1, result.delivered)


async def _exercise(name: str, options: Options, workdir: Path) -> Result:
    result = Result(name)
    if name == "estaminet":
        venue = venue_file(workdir / "venue.toml", options.rooms)
        spec = servers.estaminet(workdir, compression=False)
        init = [sys.executable, "-m", "estaminet.cli", "--data-dir", str(workdir / "data")]
        await asyncio.to_thread(
            subprocess.run,
            [*init, "init", "--venue", str(venue)],
            check=True, capture_output=True, timeout=180,
            env={**os.environ, **spec.env},
        )  # fmt: skip
    else:
        spec = servers.websockets_baseline(workdir, compression=False)
    _say(f"[{name}] starting: {shlex.join(spec.argv)}")
    per_room = options.people + 1  # the listeners, then the poster
    sinks = Sinks(options.rooms, options.people)
    listeners: list[Client] = []
    posters: list[Client] = []
    async with running(spec) as server:
        dialects: list[Dialect]
        if name == "estaminet":
            invite = server.find_in_log(r"/i/[A-Za-z0-9_\-]+")
            if invite is None:
                raise ServerFailed(name, "no invite link in its output", server.log_tail())
            base = EstaminetDialect(invite)
            _say(f"[{name}] signing up {options.rooms * per_room:,} guests")
            await base.prepare(server.base_url, options.rooms * per_room)
            dialects = [
                EstaminetRoom(invite, _cookies=base._cookies, room=slug(n))
                for n in range(options.rooms)
            ]
        else:
            dialects = [WebsocketsDialect(path=f"/{slug(n)}") for n in range(options.rooms)]
        await server.wait_idle()
        try:
            listeners, posters = await open_rooms(
                dialects, options, HOST, spec.port, server.base_url, sinks
            )
            _say(f"[{name}] {len(listeners) + len(posters):,} sockets open; waiting for idle")
            await server.wait_idle(within=60.0)
            await measure_rooms(
                result, dialects, options, sinks, listeners, posters, server.cpu_seconds
            )
        finally:
            await asyncio.gather(*(c.close() for c in [*listeners, *posters]))
    return result


def _markdown(results: list[Result], options: Options, about: dict[str, Any], command: str) -> str:
    bare = next((r for r in results if r.server == "websockets" and not r.error), None)
    lines = [
        f"Many small rooms: {options.rooms} rooms × {options.people} people (chat and presence "
        f"followed), {options.rate:g} msg/s per room for {options.duration:g} s; "
        f"{about.get('cpu', '?')}, {about.get('cores', '?')} cores (shared)",
        "",
        f"`{command}`",
        "",
        "| server | p50 / p99 (ms) | delivered | server CPU | deliveries per CPU-s | "
        "× bare | CPU ms per message | bytes per delivery | others' load (cores) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.error:
            lines.append(f"| {r.server} | failed: {r.error} | | | | | | | |")
            continue
        ratio = (
            f"{r.deliveries_per_cpu_second / bare.deliveries_per_cpu_second:.0%}"
            if bare and bare.deliveries_per_cpu_second
            else "—"
        )
        lines.append(
            f"| {r.server} | {r.p50_ms or 0:.1f} / {r.p99_ms or 0:.1f} | "
            f"{r.delivered:,} of {r.expected:,} | {r.server_cpu_share:.0%} | "
            f"{r.deliveries_per_cpu_second:,.0f} | {ratio} | {r.cpu_ms_per_message:.2f} | "
            f"{r.bytes_per_delivery:,.0f} | "
            f"{r.others_cores:.2f} |"
        )
        lines += [f"  - {note}" for note in r.notes]
    return "\n".join(lines)


async def _run(options: Options, command: str, only: tuple[str, ...]) -> int:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = RESULTS / f"rooms-run-{stamp}"
    results: list[Result] = []
    for name in only:
        try:
            results.append(await _exercise(name, options, run_dir / name))
        except (ServerFailed, SignUpFailed, WireClosed, OSError, TimeoutError) as error:
            results.append(Result(name, error=f"{type(error).__name__}: {error}"))
            _say(f"[{name}] FAILED: {results[-1].error}")
        except subprocess.SubprocessError as error:
            results.append(Result(name, error=f"venue setup failed: {error}"))
            _say(f"[{name}] FAILED: {results[-1].error}")
    about = machine.describe()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"rooms-{stamp}.json"
    record = {
        "command": command,
        "options": asdict(options),
        "machine": about,
        "results": [asdict(r) for r in results],
    }
    out.write_text(json.dumps(record, indent=2))
    text = _markdown(results, options, about, command)
    out.with_suffix(".md").write_text(text + "\n")
    _say(f"results: {out}")
    print(text)
    return 1 if any(r.error or r.delivered == 0 for r in results) else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--rate", type=float, default=1.0, help="messages a second per room")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--servers", default="estaminet,websockets")
    parser.add_argument("--smoke", action="store_true", help="a small, quick run (CI)")
    args = parser.parse_args(argv)
    only = tuple(s.strip() for s in args.servers.split(",") if s.strip())
    if args.smoke:
        options = Options(rooms=5, people=3, rate=1.0, duration=4.0)
    else:
        options = Options(args.rooms, args.people, args.rate, args.duration)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, options.rooms * (options.people + 1) * 2 + 1024)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    command = shlex.join(["python", "-m", "bench.rooms", *(sys.argv[1:] if argv is None else argv)])
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_run(options, command, only))
    return 130


if __name__ == "__main__":
    raise SystemExit(main())
