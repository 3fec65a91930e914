"""Several instances: 1, 2 and 3 ``estaminet serve`` on PostgreSQL and Redis behind nginx.

    python -m bench.instances [--counts 1,2,3] [--clients 400] [--rooms 40] [--people 10]
                              [--duration 15] [--saturation 10] [--smoke]

For each set-up, in turn, a fresh venue (the demo venue plus ``--rooms`` small rooms, made
by ``estaminet init --venue``) and:

* **baseline**: one instance on SQLite with the in-memory hub (the default install);
* **N instances** (1, 2, 3): ``estaminet serve`` processes on one fresh PostgreSQL database
  (the machine's server, 127.0.0.1:5432) and a Redis of the bench's own (a
  ``redis-server`` on a free loopback port), with ``ESTAMINET_HUB=redis``.

Each set-up sits behind a Debian nginx of the bench's own doing plain round-robin over
the instances on ``/`` and ``/ws`` (HTTP on a loopback port, no TLS: the deploy site's TLS
would cost the load generator, not the instances). Every client goes through nginx: the
guests sign up there and their sockets land on the instances in turn.

Measured, with the clients of :mod:`bench.delivery` and :mod:`bench.rooms` (the same
sockets, sign-ups and timing):

* **one big room**: ``--clients`` listeners in the bar; steady 10 messages a second for
  ``--duration`` (deliveries per second, p50/p99 latency), then saturation, 16 messages in
  flight for ``--saturation`` (the most deliveries per second);
* **many small rooms**: ``--rooms`` × ``--people``, one message a second in each;
* CPU over each phase: the instances (together), Redis (its process), PostgreSQL (the
  backends serving the bench's database, from ``pg_stat_activity``), nginx, the load
  generator, and every other process on the machine (it is shared); the instances' memory.

Results: ``bench/results/instances-<time>.json`` and ``.md``. Loopback only; bounded in
clients and time; every process started is stopped at the end. Targets are reported, not
asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench import machine, servers
from bench.delivery import measure
from bench.dialects import EstaminetDialect, SignUpFailed
from bench.load import Client, Deliveries, Fleet, post_saturating, post_steady
from bench.report import Phase
from bench.rooms import (
    EstaminetRoom,
    Options,
    Result,
    Sinks,
    measure_rooms,
    open_rooms,
    slug,
    venue_file,
)
from bench.servers import HOST, Server, ServerFailed, ServerSpec, running
from bench.wire import WireClosed

__all__ = ["main"]

PG = ("127.0.0.1", 5432)
_RATE = 10.0
_WINDOW = 16


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- What runs: PostgreSQL's database, Redis, the instances, nginx ------------------------


@contextlib.asynccontextmanager
async def _postgres_database() -> AsyncIterator[str]:
    """A fresh database on the machine's PostgreSQL, dropped at the end."""
    import asyncpg

    name = f"estaminet_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(host=PG[0], port=PG[1], user="postgres", database="postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield name
    finally:
        conn = await asyncpg.connect(host=PG[0], port=PG[1], user="postgres", database="postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


class Backends:
    """PostgreSQL's server processes serving one database (the bench's), by pid."""

    def __init__(self, database: str | None) -> None:
        self.database = database
        self._seen: dict[int, float] = {}

    async def cpu_seconds(self) -> float:
        """CPU-seconds used so far by every backend that served the database (gone ones kept)."""
        if self.database is None:
            return 0.0
        import asyncpg

        conn = await asyncpg.connect(host=PG[0], port=PG[1], user="postgres", database="postgres")
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1", self.database
            )
        finally:
            await conn.close()
        for row in rows:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(row["pid"]).cpu_times()
                self._seen[row["pid"]] = times.user + times.system
        return sum(self._seen.values())


def _nginx_conf(folder: Path, port: int, upstreams: Sequence[int]) -> Path:
    servers_ = "\n".join(f"    server 127.0.0.1:{p};" for p in upstreams)
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / temp).mkdir(mode=0o777, exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""pid {folder}/nginx.pid;
error_log {folder}/error.log;
{"user root root;" if os.geteuid() == 0 else ""}
worker_processes 1;
worker_rlimit_nofile 65536;
events {{ worker_connections 16384; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  upstream estaminet {{
{servers_}
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://estaminet;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 3600s;
      proxy_buffering off;
    }}
  }}
}}
"""
    )
    return conf


@dataclass
class Cluster:
    """The instances, nginx, Redis and the database's backends of one set-up."""

    label: str
    instances: list[Server]
    nginx: Server
    redis: psutil.Process | None
    backends: Backends
    port: int
    invite: str

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def cpu_seconds(self) -> float:
        """The instances' CPU together (what :func:`bench.delivery.measure` reads)."""
        return sum(i.cpu_seconds() for i in self.instances)

    def memory_bytes(self) -> int:
        return sum(i.memory_bytes() for i in self.instances)

    def check_alive(self) -> None:
        for instance in self.instances:
            instance.check_alive()
        self.nginx.check_alive()

    def profile(self, *, on: bool) -> None:
        pass


@contextlib.asynccontextmanager
async def _cluster(count: int, backend: str, workdir: Path, rooms: int) -> AsyncIterator[Cluster]:
    """``count`` instances on ``backend`` ("sqlite" or "postgres"), behind nginx."""
    nginx_port = servers.free_port()
    base = f"http://{HOST}:{nginx_port}"
    env = {
        "ESTAMINET_BASE_URL": base,
        "ESTAMINET_SECRET_KEY": "bench-secret",
        "ESTAMINET_CHAT_RATE_BURST": "1000000",
        "ESTAMINET_CHAT_RATE_PER_SECOND": "1000000",
        "ESTAMINET_WS_COMPRESSION": "false",
        "ESTAMINET_JANUS_AUTOSTART": "never",
        "ESTAMINET_CONFIG": str(workdir / "absent.toml"),
    }
    async with contextlib.AsyncExitStack() as stack:
        redis_process: psutil.Process | None = None
        database: str | None = None
        if backend == "postgres":
            database = await stack.enter_async_context(_postgres_database())
            from tests.support.redis_server import OwnRedis

            (workdir / "redis").mkdir(parents=True, exist_ok=True)
            redis = OwnRedis(workdir / "redis")
            redis.start()
            stack.callback(redis.kill)
            assert redis.process is not None
            redis_process = psutil.Process(redis.process.pid)
            env |= {
                "ESTAMINET_DATABASE_URL": (
                    f"postgresql+asyncpg://postgres@{PG[0]}:{PG[1]}/{database}"
                ),
                "ESTAMINET_HUB": "redis",
                "ESTAMINET_REDIS_URL": redis.url,
                "ESTAMINET_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
            }
        data = workdir / "data"
        cli = [sys.executable, "-m", "estaminet.cli", "--data-dir", str(data)]
        environment = {**os.environ, **env}
        venue = venue_file(workdir / "venue.toml", rooms)
        await asyncio.to_thread(
            subprocess.run,
            [*cli, "init", "--venue", str(venue)],
            check=True, capture_output=True, timeout=300, env=environment,
        )  # fmt: skip
        made = await asyncio.to_thread(
            subprocess.run,
            [*cli, "invite", "create", "--note", "bench"],
            check=True, capture_output=True, text=True, timeout=120, env=environment,
        )  # fmt: skip
        invite = "/i/" + made.stdout.strip().rsplit("/i/", 1)[1].split()[0]
        instances: list[Server] = []
        for n in range(count):
            port = servers.free_port()
            spec = ServerSpec(
                f"instance-{n + 1}",
                [*cli, "serve", "--host", HOST, "--port", str(port)],
                port,
                workdir / f"instance-{n + 1}.log",
                env,
            )
            instances.append(await stack.enter_async_context(running(spec)))
        folder = workdir / "nginx"
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
        conf = _nginx_conf(folder, nginx_port, [i.spec.port for i in instances])
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        spec = ServerSpec(
            "nginx",
            [nginx, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
            nginx_port,
            folder / "nginx.out",
        )
        proxy = await stack.enter_async_context(running(spec))
        label = (
            "1 instance, SQLite, memory hub (baseline)"
            if backend == "sqlite"
            else f"{count} instance{'s' if count > 1 else ''}, PostgreSQL + Redis"
        )
        yield Cluster(
            label, instances, proxy, redis_process, Backends(database), nginx_port, invite
        )


# -- The measurements --------------------------------------------------------------------------


@dataclass
class Usage:
    """CPU (cores) of each party over a phase."""

    instances: float = 0.0
    redis: float = 0.0
    postgres: float = 0.0
    nginx: float = 0.0
    load_generator: float = 0.0
    others: float = 0.0


@dataclass
class SetUp:
    label: str
    instances: int
    backend: str
    steady: dict[str, Any] | None = None
    saturation: dict[str, Any] | None = None
    rooms: dict[str, Any] | None = None
    usage: dict[str, dict[str, float]] = field(default_factory=dict)
    memory_mib_per_instance: float = 0.0
    sockets: int = 0
    seconds_to_open: float | None = None
    """How long the big room's listeners took to open and join, 16 at a time."""
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def _cpu(process: psutil.Process | None) -> float:
    if process is None:
        return 0.0
    with contextlib.suppress(psutil.Error):
        times = process.cpu_times()
        return float(times.user + times.system)
    return 0.0


async def _watching(cluster: Cluster, work: Callable[[], Awaitable[Any]]) -> tuple[Any, Usage]:
    """Run ``work`` and say how much CPU each party used meanwhile."""
    nginx = psutil.Process(cluster.nginx.process.pid)
    workers = lambda: sum(_cpu(c) for c in nginx.children())  # noqa: E731
    start = (
        cluster.cpu_seconds(),
        _cpu(cluster.redis),
        await cluster.backends.cpu_seconds(),
        _cpu(nginx) + workers(),
        machine.own_cpu_seconds(),
        machine.busy_seconds(),
        time.monotonic(),
    )
    outcome = await work()
    end = (
        cluster.cpu_seconds(),
        _cpu(cluster.redis),
        await cluster.backends.cpu_seconds(),
        _cpu(nginx) + workers(),
        machine.own_cpu_seconds(),
        machine.busy_seconds(),
        time.monotonic(),
    )
    wall = end[-1] - start[-1]
    used = [b - a for a, b in zip(start[:-1], end[:-1], strict=True)]
    ours = sum(used[:5])
    usage = Usage(*(u / wall for u in used[:5]), others=max(0.0, used[5] - ours) / wall)
    return outcome, usage


def _phase(p: Phase) -> dict[str, Any]:
    return {
        "deliveries_per_second": p.deliveries_per_second,
        "delivered": p.delivered,
        "expected": p.expected,
        "p50_ms": p.latency.p50 if p.latency else None,
        "p99_ms": p.latency.p99 if p.latency else None,
        "instances_cpu_cores": p.server_load,
        "deliveries_per_instance_cpu_second": p.deliveries_per_cpu_second,
        "drained": p.drained,
    }


async def _big_room(cluster: Cluster, args: argparse.Namespace, setup: SetUp) -> None:
    dialect = EstaminetDialect(cluster.invite)
    _say(f"[{setup.label}] signing up {args.clients + 1:,} guests through nginx")
    await dialect.prepare(cluster.base_url, args.clients + 1)
    fleet, poster = Fleet(dialect), Client(dialect, None)
    try:
        opening = time.monotonic()
        await fleet.connect(HOST, cluster.port, args.clients, compression=False, concurrency=16)
        setup.seconds_to_open = time.monotonic() - opening
        setup.sockets = args.clients + 1
        await poster.open(
            HOST, cluster.port, headers=dialect.headers(0), origin=cluster.base_url,
            compression=False,
        )  # fmt: skip
        await dialect.join(poster, listen=False)
        warm = fleet.track()
        await post_steady(poster, warm, rate=10.0, duration=0.5)
        await warm.drained(15.0)
        await asyncio.sleep(1.0)
        setup.memory_mib_per_instance = cluster.memory_bytes() / len(cluster.instances) / 2**20

        def steady(d: Deliveries) -> Awaitable[None]:
            return post_steady(poster, d, _RATE, args.duration)

        def saturating(d: Deliveries) -> Awaitable[bool]:
            return post_saturating(poster, d, _WINDOW, args.saturation)

        _say(f"[{setup.label}] big room: steady {_RATE:g} msg/s for {args.duration:g} s")
        phase, setup.usage["steady"] = await _watching(
            cluster,
            lambda: measure(cluster, fleet, steady),  # type: ignore[arg-type]
        )
        setup.steady = _phase(phase)
        _say(f"[{setup.label}] big room: {_WINDOW} in flight for {args.saturation:g} s")
        phase, setup.usage["saturation"] = await _watching(
            cluster,
            lambda: measure(cluster, fleet, saturating),  # type: ignore[arg-type]
        )
        setup.saturation = _phase(phase)
    finally:
        await poster.close()
        await fleet.close()


async def _small_rooms(cluster: Cluster, args: argparse.Namespace, setup: SetUp) -> None:
    options = Options(args.rooms, args.people, 1.0, args.duration)
    per_room = options.people + 1
    base = EstaminetDialect(cluster.invite)
    _say(f"[{setup.label}] signing up {options.rooms * per_room:,} guests for the small rooms")
    await base.prepare(cluster.base_url, options.rooms * per_room)
    dialects = [
        EstaminetRoom(cluster.invite, _cookies=base._cookies, room=slug(n))
        for n in range(options.rooms)
    ]
    sinks = Sinks(options.rooms, options.people)
    listeners: list[Client] = []
    posters: list[Client] = []
    try:
        listeners, posters = await open_rooms(
            dialects, options, HOST, cluster.port, cluster.base_url, sinks
        )
        await asyncio.sleep(2.0)
        result = Result("estaminet")
        _say(f"[{setup.label}] {options.rooms} rooms × {options.people}: 1 msg/s each")
        _, setup.usage["rooms"] = await _watching(
            cluster,
            lambda: measure_rooms(
                result, dialects, options, sinks, listeners, posters, cluster.cpu_seconds
            ),
        )
        setup.rooms = asdict(result)
        setup.rooms["deliveries_per_second"] = result.delivered / max(1e-9, options.duration)
    finally:
        await asyncio.gather(*(c.close() for c in [*listeners, *posters]))


async def _exercise(count: int, backend: str, args: argparse.Namespace, workdir: Path) -> SetUp:
    setup = SetUp("", count, backend)
    async with _cluster(count, backend, workdir, args.rooms) as cluster:
        setup.label = cluster.label
        _say(f"[{cluster.label}] up behind nginx at {cluster.base_url}")
        for part in (_big_room, _small_rooms):
            try:
                await part(cluster, args, setup)
            except (SignUpFailed, WireClosed, OSError, TimeoutError) as error:
                setup.notes.append(
                    f"{part.__name__.strip('_').replace('_', ' ')} failed: "
                    f"{type(error).__name__}: {error}"
                )
                _say(f"[{setup.label}] {setup.notes[-1]}")
        cluster.check_alive()
    return setup


# -- The report --------------------------------------------------------------------------------


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def _report(run: dict[str, Any]) -> str:
    setups = run["setups"]
    base = next((s for s in setups if s["backend"] == "sqlite" and not s["error"]), None)

    def ratio(s: dict[str, Any], part: str, key: str) -> str:
        if base is None or not base.get(part) or not s.get(part) or not base[part][key]:
            return "–"
        return f"{s[part][key] / base[part][key]:.2f}×"

    a = run["settings"]
    lines = [
        "## Several instances behind nginx: 1, 2 and 3 on PostgreSQL + Redis",
        "",
        f"`{run['command']}` at {run['revision'] or 'an unknown commit'} — "
        f"{run['machine']['cpu']}, {run['machine']['cores']} cores (shared)",
        "",
        f"### One big room: {a['clients']:,} listeners, steady {_RATE:g} msg/s for "
        f"{a['duration']:g} s, then {_WINDOW} in flight for {a['saturation']:g} s",
        "",
        "| set-up | steady deliveries/s | steady p50 / p99 ms | saturation deliveries/s "
        "| × baseline | saturation p99 ms | instances CPU (cores) | Redis | PostgreSQL | nginx "
        "| load generator | others | memory per instance MiB | seconds to open the sockets |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for s in setups:
        if s["error"]:
            lines.append(f"| {s['label'] or s['instances']} | failed: {s['error']} " + "|" * 13)
            continue
        if not s["steady"] or not s["saturation"]:
            lines.append(f"| {s['label']} | not measured (see the notes) " + "|" * 13)
            continue
        st, sa, u = s["steady"], s["saturation"], s["usage"].get("saturation", {})
        lines.append(
            f"| {s['label']} | {_f(st['deliveries_per_second'], 0)} "
            f"| {_f(st['p50_ms'])} / {_f(st['p99_ms'])} | {_f(sa['deliveries_per_second'], 0)} "
            f"| {ratio(s, 'saturation', 'deliveries_per_second')} | {_f(sa['p99_ms'])} "
            f"| {_f(u.get('instances'), 2)} | {_f(u.get('redis'), 2)} "
            f"| {_f(u.get('postgres'), 2)} | {_f(u.get('nginx'), 2)} "
            f"| {_f(u.get('load_generator'), 2)} | {_f(u.get('others'), 2)} "
            f"| {_f(s['memory_mib_per_instance'])} | {_f(s['seconds_to_open'])} |"
        )
    lines += [
        "",
        f"### Many small rooms: {a['rooms']} rooms × {a['people']} people, 1 msg/s in each "
        f"for {a['duration']:g} s",
        "",
        "| set-up | delivered | deliveries/s | p50 / p99 ms | deliveries per instance CPU-s "
        "| × baseline | instances CPU (cores) | Redis | PostgreSQL | nginx | others |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for s in setups:
        if s["error"] or not s["rooms"]:
            continue
        r, u = s["rooms"], s["usage"].get("rooms", {})
        lines.append(
            f"| {s['label']} | {r['delivered']:,} of {r['expected']:,} "
            f"| {_f(r['deliveries_per_second'], 0)} | {_f(r['p50_ms'])} / {_f(r['p99_ms'])} "
            f"| {_f(r['deliveries_per_cpu_second'], 0)} "
            f"| {ratio(s, 'rooms', 'deliveries_per_cpu_second')} | {_f(u.get('instances'), 2)} "
            f"| {_f(u.get('redis'), 2)} | {_f(u.get('postgres'), 2)} | {_f(u.get('nginx'), 2)} "
            f"| {_f(u.get('others'), 2)} |"
        )
    notes = [f"- {s['label']}: {n}" for s in setups for n in s["notes"]]
    notes += [
        f"- {s['label']}: {n}" for s in setups if s["rooms"] for n in s["rooms"].get("notes", [])
    ]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


async def _run(args: argparse.Namespace, command: str) -> int:
    plan: list[tuple[int, str]] = [(1, "sqlite")] + [(n, "postgres") for n in args.counts]
    run: dict[str, Any] = {
        "command": command,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "revision": machine.revision(),
        "machine": machine.describe(),
        "settings": {
            "clients": args.clients,
            "rooms": args.rooms,
            "people": args.people,
            "duration": args.duration,
            "saturation": args.saturation,
        },
        "setups": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-instances-") as tmp:
        for count, backend in plan:
            workdir = Path(tmp) / f"{backend}-{count}"
            try:
                setup = await _exercise(count, backend, args, workdir)
            except (
                ServerFailed, SignUpFailed, WireClosed, OSError, TimeoutError,
                subprocess.SubprocessError,
            ) as error:  # fmt: skip
                setup = SetUp(f"{count} × {backend}", count, backend)
                said = getattr(error, "stderr", None) or ""
                said = said.decode(errors="replace") if isinstance(said, bytes) else said
                setup.error = f"{type(error).__name__}: {str(error)[:200]} {said[-300:]}".strip()
                _say(f"[{setup.label}] FAILED: {setup.error}")
            run["setups"].append(asdict(setup))
    text = _report(run)
    servers.RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (servers.RESULTS / f"instances-{stamp}.json").write_text(json.dumps(run, indent=2))
    (servers.RESULTS / f"instances-{stamp}.md").write_text(text)
    print(text)
    failed = [s for s in run["setups"] if s["error"] or not (s["steady"] or s["rooms"])]
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--counts",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2, 3],
        help="instances on PostgreSQL + Redis at each step (default 1,2,3)",
    )
    parser.add_argument("--clients", type=int, default=300, help="listeners in the big room")
    parser.add_argument("--rooms", type=int, default=30, help="small rooms")
    parser.add_argument("--people", type=int, default=10, help="listeners per small room")
    parser.add_argument("--duration", type=float, default=15.0, help="steady phases, seconds")
    parser.add_argument("--saturation", type=float, default=10.0, help="saturation, seconds")
    parser.add_argument("--smoke", action="store_true", help="a small, quick run (CI)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.counts, args.clients, args.rooms, args.people = [1, 2], 20, 4, 3
        args.duration, args.saturation = 3.0, 3.0
    missing = [n for n in ("nginx", "redis-server") if not _found(n)]
    if missing:
        print(f"needs Debian's {' and '.join(missing)} (apt-get install -y nginx redis-server)")
        return 1
    servers_needed = (args.clients + args.rooms * (args.people + 1)) * 2 + 1024
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < servers_needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, servers_needed), hard))
    command = shlex.join(
        ["python", "-m", "bench.instances", *(sys.argv[1:] if argv is None else argv)]
    )
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        return asyncio.run(_cancellable(_run(args, command)))
    return 130


async def _cancellable(work: Awaitable[int]) -> int:
    """Run ``work``; SIGTERM cancels it, so that every process started is stopped."""
    import signal

    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await work


def _found(name: str) -> bool:
    return (
        shutil.which(name) is not None
        or Path(f"/usr/sbin/{name}").exists()
        or Path(f"/usr/bin/{name}").exists()
    )


if __name__ == "__main__":
    raise SystemExit(main())
