"""Presence at real sizes: a big room whose pages follow presence, with people coming and going.

    python -m bench.presence [--clients 1000] [--churn 1.0] [--stay 10] [--rate 10]
                             [--duration 60] [--scenarios NAME,…] [--smoke]

Three scenarios, one after the other, each in a fresh server process:

* ``websockets``: the bare broadcast baseline, N listeners, the poster at R msg/s;
* ``estaminet-chat``: N listeners following the room's chat only (what the delivery
  benchmark measures), the poster at R msg/s;
* ``estaminet-presence``: N listeners that follow what a room page follows (the chat and
  ``presence:bar``), while C people a second arrive in the room and C leave (each stays
  ``--stay`` seconds), and the poster posts R msg/s.

For each: chat delivery latency (p50, p99), bytes the listeners read per chat delivery,
server CPU; for the presence scenario also the bytes the listeners read while connecting,
the presence bytes per arrival or departure per follower, and the server's memory sampled
through the churn (flat, or growing). Targets (issue 20) are reported, never asserted:
chat p99 under 25 ms, presence bytes per change per follower under 300 B, memory flat.

Results: ``bench/results/presence-<time>.json`` and a Markdown table on stdout.
Only 127.0.0.1; bounded in count and time; every server process is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import machine, servers
from bench.dialects import EstaminetDialect, WebsocketsDialect
from bench.load import Client, Dialect, Fleet, post_steady
from bench.servers import HOST, Server, ServerFailed, running

__all__ = ["main"]

RESULTS = Path(__file__).parent / "results"
TARGET_P99_MS = 25.0
TARGET_BYTES_PER_CHANGE = 300
SCENARIOS = ("websockets", "estaminet-chat", "estaminet-presence")


@dataclass(frozen=True)
class Options:
    clients: int
    churn: float
    stay: float
    rate: float
    duration: float
    scenarios: tuple[str, ...] = SCENARIOS


@dataclass
class Result:
    scenario: str
    clients: int
    posted: int = 0
    delivered: int = 0
    expected: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    server_cpu_share: float = 0.0
    bytes_per_delivery: float = 0.0
    connect_bytes: int = 0
    arrivals: int = 0
    departures: int = 0
    presence_bytes_per_change_per_follower: float | None = None
    memory_mib: list[float] = field(default_factory=list)
    error: str | None = None


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _churn(
    dialect: Dialect,
    first_index: int,
    count: int,
    server: Server,
    rate: float,
    stay: float,
    until: float,
    counts: dict[str, int],
) -> None:
    """People arriving at ``rate`` a second, each leaving ``stay`` seconds later, until
    ``until`` (loop time); the arrivals cycle through ``count`` signed-up guests."""
    loop = asyncio.get_running_loop()
    staying: set[asyncio.Task[None]] = set()
    origin = server.base_url

    async def visit(index: int) -> None:
        client = Client(dialect, None)
        try:
            await client.open(
                HOST, server.spec.port, headers=dialect.headers(index), origin=origin,
                compression=False,
            )  # fmt: skip
            await dialect.join(client, listen=True)
            counts["arrivals"] += 1
            await asyncio.sleep(stay)
        finally:
            await client.close()
            counts["departures"] += 1

    start, n = loop.time(), 0
    while loop.time() < until:
        delay = start + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(visit(first_index + n % count))
        staying.add(task)
        task.add_done_callback(staying.discard)
        n += 1
    await asyncio.gather(*staying, return_exceptions=True)


async def _scenario(name: str, options: Options, workdir: Path) -> Result:
    result = Result(name, options.clients)
    presence = name == "estaminet-presence"
    if name == "websockets":
        spec = servers.websockets_baseline(workdir, compression=False)
    else:
        spec = servers.estaminet(workdir, compression=False)
    _say(f"[{name}] starting: {shlex.join(spec.argv)}")
    async with running(spec) as server:
        dialect: Dialect
        churners = max(1, round(options.churn * options.stay * 1.5)) if presence else 0
        if name == "websockets":
            dialect = WebsocketsDialect()
        else:
            invite = server.find_in_log(r"/i/[A-Za-z0-9_\-]+")
            if invite is None:
                raise ServerFailed(name, "no invite link in its output", server.log_tail())
            dialect = EstaminetDialect(invite, also=("presence:bar",) if presence else ())
            _say(f"[{name}] signing up {options.clients + 1 + churners:,} guests")
        await dialect.prepare(server.base_url, options.clients + 1 + churners)
        await server.wait_idle()
        fleet, poster = Fleet(dialect), Client(dialect, None)
        try:
            before = time.monotonic()
            await fleet.connect(HOST, spec.port, options.clients, compression=False)
            _say(f"[{name}] {options.clients:,} connected in {time.monotonic() - before:.1f} s")
            await server.wait_idle(within=60.0)
            result.connect_bytes = fleet.received_bytes()
            await poster.open(
                HOST, spec.port, headers=dialect.headers(0), origin=server.base_url,
                compression=False,
            )  # fmt: skip
            await dialect.join(poster, listen=False)
            warm = fleet.track()
            await post_steady(poster, warm, rate=10.0, duration=0.5)
            await warm.drained(15.0)

            other_before = sum(c.other_bytes for c in fleet.listeners)
            received_before = fleet.received_bytes()
            cpu_before = server.cpu_seconds()
            deliveries = fleet.track()
            loop = asyncio.get_running_loop()
            until = loop.time() + options.duration
            counts = {"arrivals": 0, "departures": 0}
            result.memory_mib.append(server.memory_bytes() / 2**20)

            async def sample() -> None:
                while loop.time() < until:
                    await asyncio.sleep(min(10.0, options.duration / 4))
                    result.memory_mib.append(server.memory_bytes() / 2**20)

            work = [post_steady(poster, deliveries, options.rate, options.duration), sample()]
            if presence:
                first = options.clients + 1
                work.append(
                    _churn(dialect, first, churners, server, options.churn, options.stay,
                           until, counts)
                )  # fmt: skip
            started = time.time()
            await asyncio.gather(*work)
            await deliveries.drained(15.0)
            await asyncio.sleep(1.0)  # the last departures' frames
            wall = time.time() - started
            result.memory_mib.append(server.memory_bytes() / 2**20)
            result.server_cpu_share = (server.cpu_seconds() - cpu_before) / wall
            result.posted, result.delivered = deliveries.posted, deliveries.delivered
            result.expected = deliveries.expected
            latency = deliveries.latency()
            if latency is not None:
                result.p50_ms, result.p99_ms = latency.p50, latency.p99
            read = fleet.received_bytes() - received_before
            result.bytes_per_delivery = read / max(1, deliveries.delivered)
            result.arrivals, result.departures = counts["arrivals"], counts["departures"]
            changes = result.arrivals + result.departures
            if presence and changes:
                other = sum(c.other_bytes for c in fleet.listeners) - other_before
                result.presence_bytes_per_change_per_follower = other / changes / options.clients
        finally:
            await poster.close()
            await fleet.close()
    return result


def _markdown(results: list[Result], options: Options, about: dict[str, Any]) -> str:
    lines = [
        f"Presence at size: {options.clients:,} listeners, {options.rate:g} msg/s, "
        f"{options.churn:g} arrivals and {options.churn:g} departures a second (stay "
        f"{options.stay:g} s), {options.duration:g} s; {about.get('cpu', '?')}",
        "",
        "| scenario | chat p50 / p99 (ms) | delivered | bytes per chat delivery | "
        "server CPU | bytes read connecting | presence B per change per follower | "
        "memory MiB (start → end, max) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.error:
            lines.append(f"| {r.scenario} | failed: {r.error} | | | | | | |")
            continue
        mem = r.memory_mib
        per_change = r.presence_bytes_per_change_per_follower
        lines.append(
            f"| {r.scenario} | {r.p50_ms or 0:.1f} / {r.p99_ms or 0:.1f} | "
            f"{r.delivered:,} of {r.expected:,} | {r.bytes_per_delivery:,.0f} | "
            f"{r.server_cpu_share:.0%} | {r.connect_bytes / 2**20:,.1f} MiB | "
            f"{'—' if per_change is None else f'{per_change:,.0f}'} | "
            f"{mem[0]:.0f} → {mem[-1]:.0f}, {max(mem):.0f} |"
        )
    lines += [
        "",
        f"Targets (reported, not asserted): chat p99 < {TARGET_P99_MS:g} ms with presence and "
        f"churn; presence bytes per change per follower < {TARGET_BYTES_PER_CHANGE} B; memory "
        "flat under churn.",
    ]
    return "\n".join(lines)


async def _run(options: Options, command: str) -> list[Result]:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = RESULTS / f"presence-run-{stamp}"
    results: list[Result] = []
    for name in options.scenarios:
        try:
            results.append(await _scenario(name, options, run_dir / name))
        except (ServerFailed, OSError, TimeoutError) as error:
            failed = Result(name, options.clients, error=f"{type(error).__name__}: {error}")
            results.append(failed)
            _say(f"[{name}] FAILED: {failed.error}")
    about = machine.describe()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"presence-{stamp}.json"
    record = {
        "command": command,
        "options": asdict(options),
        "machine": about,
        "results": [asdict(r) for r in results],
    }
    out.write_text(json.dumps(record, indent=2))
    text = _markdown(results, options, about)
    out.with_suffix(".md").write_text(text + "\n")
    _say(f"results: {out}")
    print(text)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument(
        "--churn", type=float, default=1.0, help="arrivals (and departures) a second"
    )
    parser.add_argument("--stay", type=float, default=10.0, help="seconds each visitor stays")
    parser.add_argument("--rate", type=float, default=10.0, help="chat messages a second")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="which to run, comma-separated (a long churn run: estaminet-presence)",
    )
    parser.add_argument("--smoke", action="store_true", help="a small, quick run (CI)")
    args = parser.parse_args(argv)
    chosen = tuple(name.strip() for name in args.scenarios.split(",") if name.strip())
    if not chosen or not set(chosen) <= set(SCENARIOS):
        parser.error(f"--scenarios: choose among {', '.join(SCENARIOS)}")
    if args.smoke:
        options = Options(clients=30, churn=2.0, stay=2.0, rate=5.0, duration=6.0)
    else:
        options = Options(args.clients, args.churn, args.stay, args.rate, args.duration, chosen)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, options.clients * 2 + 1024)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    command = shlex.join(
        ["python", "-m", "bench.presence", *(sys.argv[1:] if argv is None else argv)]
    )
    with contextlib.suppress(KeyboardInterrupt):
        results = asyncio.run(_run(options, command))
        return 1 if any(r.error or r.delivered == 0 for r in results) else 0
    return 130


if __name__ == "__main__":
    raise SystemExit(main())
