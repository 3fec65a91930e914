"""Game-table benchmark: one Loup-Garou table of 18 players watched by 500 spectators.

Measures, for each player action, the time from sending it to the moment every one
of the 518 browsers has received its new view (each player its own seat's view, the
spectators the shared one), and the actions per second the table sustains. Side by
side in the same run, a bare ``websockets`` broadcast server delivers one message
of the same size to the same number of clients: the floor for a Python server. The two
are interleaved: the bare server runs beside Estaminet's for the whole run and sends one
message just before each move (:class:`Floor`), so a slower minute of the machine (a
neighbour on the host) weighs on both figures alike rather than on one of them.

    python -m bench.tables [--players 18] [--spectators 500] [--seconds 60] [--smoke]
                           [--before /work/main/src]

A view travels as a patch of the viewer's previous one (``realtime/patch.py``); the
players apply them, as the page does, to find their moves. ``--before SRC`` also serves
another source tree (the code before a change) in the same run, for a side-by-side
comparison; the bytes each spectator reads per move are reported for each. Before the
moves, everyone opens the table's page at once (one after the other, without waiting for
the answers): the time until every subscription is answered and the server's CPU per
page are reported too, and the moves begin only then.

Only 127.0.0.1; bounded in count and time; every server process is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import html
import json
import random
import re
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bench import servers
from estaminet.realtime import patch

__all__ = ["main"]

ACTION = re.compile(r"data-table-action='([^']*)'")
TOPIC = re.compile(r'data-topic="(table:\d+:(?:seat:\d+|watch))"')
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@contextlib.contextmanager
def _collector_aside() -> Iterator[None]:
    """Keep the bench's own garbage collector out of what it measures.

    The bench's process holds hundreds of clients; a full collection of its heap took
    30-110 ms, and one during a move counted as the server's latency. So the heap is
    collected and frozen before the measured moves and the collector is off during them
    (bounded in time), for Estaminet's table and for the bare broadcast alike."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Browser:
    """One person: cookies over HTTP, one WebSocket, the last view it received."""

    http: httpx.AsyncClient
    topic: str = ""
    ws: ClientConnection | None = None
    view: str = ""
    tokens: list[str] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    frames: int = 0
    resyncs: int = 0
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the server has answered its subscription (after its catch-up)."""
    pending: list[str] = field(default_factory=list)
    """A player's frames received and not yet applied (see :meth:`catch_up`)."""
    received: int = 0
    """Bytes of the frames on its topic (UTF-8 text, as on the wire without compression)."""

    async def sign_up(self, invite: str, name: str) -> None:
        page = await self.http.get(invite)
        token = CSRF.search(page.text)
        assert token, "no form token on the invite page"
        answer = await self.http.post(invite, data={"csrf": token.group(1), "name": name})
        assert answer.status_code == 303, answer.status_code

    async def post(self, path: str, **fields: str) -> httpx.Response:
        page = await self.http.get("/")  # the form token is per browser: any page has it
        token = CSRF.search(page.text)
        assert token
        return await self.http.post(path, data={"csrf": token.group(1), **fields})

    async def open(self, base: str, origin: str) -> None:
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.ws = await connect(
            base.replace("http", "ws") + "/ws",
            origin=origin,  # type: ignore[arg-type]
            additional_headers={"cookie": cookie},
            max_size=2**22,
            ping_interval=None,
        )
        await self.ws.send(json.dumps({"type": "sub", "topic": self.topic, "after": 0}))

    async def read(self, keep_view: bool) -> None:
        """Time each frame on arrival; only players keep theirs, parsed between moves (see
        :meth:`catch_up`), so 518 clients in one process do not turn JSON parsing into
        measured latency."""
        assert self.ws is not None
        marker = f'"topic":"{self.topic}"'
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                arrived = time.perf_counter()
                text = raw if isinstance(raw, str) else raw.decode()
                if '"type":"subscribed"' in text and marker in text:
                    self.subscribed.set()
                if marker in text and '"type":"event"' in text:
                    self.frames += 1
                    self.arrivals.append(arrived)
                    self.received += len(raw) if isinstance(raw, bytes) else len(text.encode())
                    if keep_view:
                        self.pending.append(text)

    async def catch_up(self) -> None:
        """Apply the frames received since the last call, as the page does (a player's view,
        to find their moves). Done between moves, not on arrival: 18 players parsing and
        patching in the one process that times 518 arrivals delayed the others' readers, and
        that client work was counted as the server's latency."""
        pending, self.pending = self.pending, []
        for text in pending:
            if not self._apply(json.loads(text)["ops"]):
                self.resyncs += 1  # as the page does: the whole view again
                assert self.ws is not None
                await self.ws.send(json.dumps({"type": "sub", "topic": self.topic}))
                return

    def _apply(self, ops: list[dict[str, Any]]) -> bool:
        """What the page does with a frame's view ops: keep a whole view, or patch it
        (``False``: the patch did not give the server's text)."""
        for op in ops:
            if op.get("target") != "#table-view":
                continue
            if op["op"] == "replace":
                self.tokens = patch.tokens(op["html"])
            elif op["op"] == "patch":
                try:
                    tokens = patch.apply_edits(self.tokens, op["edits"])
                except ValueError:
                    return False
                if patch.checksum("".join(tokens)) != op["crc"]:
                    return False
                self.tokens = tokens
            else:
                continue
            self.view = "".join(self.tokens)
        return True


async def _estaminet(
    players: int,
    spectators: int,
    seconds: float,
    work: Path,
    floor: Floor,
    src: Path | None = None,
) -> dict[str, Any]:
    spec = servers.estaminet(work, compression=False)
    if src is not None:  # another source tree (the code before a change)
        spec.env["PYTHONPATH"] = str(src)
    async with servers.running(spec) as server:
        invite = server.find_in_log(r"/i/[A-Za-z0-9_\-]+")
        assert invite, "no invite link printed by the demo"
        base = server.base_url
        # Idle connections are dropped before the server's keep-alive (uvicorn: 5 s) ends
        # them: a request sent on one the server is closing fails ("Server disconnected").
        limits = httpx.Limits(max_connections=4, keepalive_expiry=2.0)
        people = [
            Browser(httpx.AsyncClient(base_url=base, limits=limits, timeout=30))
            for _ in range(players + spectators)
        ]
        gate = asyncio.Semaphore(16)

        async def sign_up(i: int, person: Browser) -> None:
            async with gate:
                await person.sign_up(invite, f"P{i}")

        await asyncio.gather(*(sign_up(i, p) for i, p in enumerate(people)))
        host = people[0]
        made = await host.post(
            "/r/jeux/tables", game="werewolf", title="Bench", max_spectators="1000"
        )
        table = made.headers["location"]
        for person in people[1:players]:
            await person.post(f"{table}/join", role="player")

        async def watch(person: Browser) -> None:
            async with gate:
                await person.post(f"{table}/join", role="spectator")

        await asyncio.gather(*(watch(p) for p in people[players:]))
        await host.post(f"{table}/start")
        for person in people[:players]:
            page = await person.http.get(table)
            person.topic = TOPIC.search(page.text).group(1)  # type: ignore[union-attr]
            person.view = page.text
        watch_topic = f"table:{table.rsplit('/', 1)[1]}:watch"
        for person in people[players:]:
            person.topic = watch_topic
        # Everyone opens the table's page: what their sockets' subscriptions cost (each
        # checks the person may see the table and draws their view), until all are answered.
        arrivals_cpu = server.cpu_seconds()
        arrivals_started = time.perf_counter()
        readers: list[asyncio.Task[None]] = []
        for i, person in enumerate(people):
            await person.open(base, base)
            readers.append(asyncio.create_task(person.read(i < players)))
        await asyncio.wait_for(asyncio.gather(*(p.subscribed.wait() for p in people)), 120)
        arrivals_seconds = time.perf_counter() - arrivals_started
        arrivals_cpu = server.cpu_seconds() - arrivals_cpu
        await asyncio.sleep(1.0)  # then quiet, before the first move
        server.profile(on=True)  # BENCH_PROFILE=estaminet: profile the play only
        before = server.cpu_seconds()
        read_before = sum(p.received for p in people[players:])
        latencies: list[float] = []
        deliveries: list[float] = []
        actions = 0
        started = time.perf_counter()
        rng = random.Random(1)
        ref = 0
        with _collector_aside():
            while time.perf_counter() - started < seconds:
                for person in people[:players]:
                    await person.catch_up()
                movers = [p for p in people[:players] if ACTION.search(p.view)]
                if not movers:
                    await asyncio.sleep(0.2)  # a night call waiting on its timer
                    continue
                person = rng.choice(movers)
                action = json.loads(html.unescape(rng.choice(ACTION.findall(person.view))))
                # The bare broadcast at the same moment (see Floor), once what the last move
                # left the server to do (the lobby, a read of the table) is done: that would
                # slow the bare round, not Estaminet's.
                await asyncio.sleep(0.05)
                await floor.beside()
                counts = [p.frames for p in people]
                ref += 1
                sent = time.perf_counter()
                assert person.ws is not None
                await person.ws.send(
                    json.dumps(
                        {
                            "type": "act",
                            "id": f"b{ref}",
                            "name": "table.act",
                            "data": {"table": int(table.rsplit("/", 1)[1]), "action": action},
                        }
                    )
                )
                deadline = sent + 5.0
                while time.perf_counter() < deadline and any(
                    p.frames == c for p, c in zip(people, counts, strict=True)
                ):
                    await asyncio.sleep(0.001)
                got = [
                    p.arrivals[c] - sent
                    for p, c in zip(people, counts, strict=True)
                    if p.frames > c
                ]
                if len(got) == len(people):
                    latencies.append(max(got))
                    deliveries.extend(got)
                    actions += 1
                else:
                    await asyncio.sleep(0.05)  # refused (someone acted first): views unchanged
            elapsed = time.perf_counter() - started
            cpu = server.cpu_seconds() - before
            beside = floor.result()  # its CPU up to now, before the rounds below
            # The floor measured as before 2026-12-07, while everyone is still connected.
            await asyncio.sleep(0.5)
            back_to_back = await floor.back_to_back(max(10, actions))
        watched = sum(p.received for p in people[players:]) - read_before
        server.profile(on=False)
        for task in readers:
            task.cancel()
        for person in people:
            if person.ws is not None:
                await person.ws.close()
            await person.http.aclose()
    return {
        "server": "estaminet" if src is None else f"estaminet ({src})",
        "viewers": players + spectators,
        "watcher_bytes_per_action": round(watched / max(spectators, 1) / max(actions, 1)),
        "player_resyncs": sum(p.resyncs for p in people[:players]),
        "actions": actions,
        "seconds": round(elapsed, 1),
        "actions_per_second": round(actions / elapsed, 1),
        "all_delivered_p50_ms": round(1000 * _quantile(latencies, 0.5), 1),
        "all_delivered_p99_ms": round(1000 * _quantile(latencies, 0.99), 1),
        "one_delivery_p50_ms": round(1000 * _quantile(deliveries, 0.5), 1),
        "server_cpu_ms_per_action": round(1000 * cpu / max(actions, 1), 1),
        "arrivals_seconds": round(arrivals_seconds, 2),
        "server_cpu_ms_per_arrival": round(1000 * arrivals_cpu / len(people), 2),
        "all_delivered_ms": [round(1000 * x, 1) for x in latencies],  # each move, in order
        "floor": beside,
        "floor_back_to_back": back_to_back,
    }


class Floor:
    """The bare broadcast, open beside Estaminet's table for the whole run: one round just
    before each move, so that both see the machine as it is at that moment (a neighbour on
    the host, a slower minute) instead of one after the other."""

    def __init__(self, server: Any, clients: list[ClientConnection], size: int) -> None:
        self.server = server
        self.sender, self.receivers = clients[0], clients[1:]
        self.arrivals: list[list[float]] = [[] for _ in self.receivers]
        self.payload = "x" * size
        self.latencies: list[float] = []
        self.cpu_at_first: float | None = None
        """The server's CPU seconds at the first round (it does nothing else meanwhile)."""
        self.tasks = [asyncio.create_task(self._read(i, ws)) for i, ws in enumerate(self.receivers)]

    async def _read(self, i: int, ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            async for _ in ws:
                self.arrivals[i].append(time.perf_counter())

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, viewers: int, size: int, work: Path) -> AsyncIterator[Floor]:
        spec = servers.websockets_baseline(work, compression=False)
        async with servers.running(spec) as server:
            url = server.base_url.replace("http", "ws")
            clients = [
                await connect(url, max_size=2**22, ping_interval=None) for _ in range(viewers + 1)
            ]
            floor = cls(server, clients, size)
            try:
                await asyncio.sleep(1.0)
                yield floor
            finally:
                for task in floor.tasks:
                    task.cancel()
                for ws in clients:
                    await ws.close()

    async def round(self) -> float:
        """One message to every client; the time until the last has it."""
        counts = [len(a) for a in self.arrivals]
        sent = time.perf_counter()
        await self.sender.send(self.payload)
        while any(len(a) == c for a, c in zip(self.arrivals, counts, strict=True)):
            await asyncio.sleep(0.001)
        return max(a[c] for a, c in zip(self.arrivals, counts, strict=True)) - sent

    async def beside(self) -> None:
        """One round just before a move (the figures the target is judged on)."""
        if self.cpu_at_first is None:
            self.cpu_at_first = self.server.cpu_seconds()
        self.latencies.append(await self.round())

    def result(self) -> dict[str, Any]:
        """The rounds made beside the moves; the server's CPU over that whole time (it did
        nothing else) per round."""
        first = self.cpu_at_first
        cpu = 0.0 if first is None else self.server.cpu_seconds() - first
        return self._row("beside the moves", self.latencies, cpu)

    async def back_to_back(self, rounds: int) -> dict[str, Any]:
        """As many rounds one after the other, as this bench measured the floor until
        2026-12-07 (kept beside the other for comparison)."""
        latencies = []
        cpu = self.server.cpu_seconds()
        for _ in range(rounds):
            latencies.append(await self.round())
        return self._row("back to back", latencies, self.server.cpu_seconds() - cpu)

    def _row(self, how: str, latencies: list[float], cpu: float) -> dict[str, Any]:
        return {
            "server": f"websockets (bare broadcast, {how})",
            "viewers": len(self.receivers),
            "actions": len(latencies),
            "all_delivered_p50_ms": round(1000 * _quantile(latencies, 0.5), 1),
            "all_delivered_p99_ms": round(1000 * _quantile(latencies, 0.99), 1),
            "server_cpu_ms_per_action": round(1000 * cpu / max(len(latencies), 1), 1),
            "bytes": len(self.payload),
        }


def _report(rows: Sequence[dict[str, Any]], command: str) -> str:
    ours = rows[0]
    floor = ours["floor"]
    lines = [
        f"## Table benchmark: {ours['viewers']} viewers of one Loup-Garou table",
        "",
        f"`{command}`",
        "",
        "| server | actions | actions/s | all views delivered p50 ms | p99 ms | p99 / bare p99 "
        "| server CPU ms per action | bytes per action per spectator |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    floor_p99 = max(floor["all_delivered_p99_ms"], 0.001)
    for row in rows:
        # Each Estaminet row against the bare broadcast interleaved with its own moves.
        for shown in (row, row["floor"], row["floor_back_to_back"]):
            own_floor = max(row["floor"]["all_delivered_p99_ms"], 0.001)
            lines.append(
                f"| {shown['server']} | {shown['actions']} | "
                f"{shown.get('actions_per_second', '—')} | {shown['all_delivered_p50_ms']} | "
                f"{shown['all_delivered_p99_ms']} | {shown['all_delivered_p99_ms'] / own_floor:.2f} | "
                f"{shown['server_cpu_ms_per_action']} | "
                f"{shown.get('watcher_bytes_per_action', shown.get('bytes', '—'))} |"
            )
    ratio = ours["all_delivered_p99_ms"] / floor_p99
    lines += [
        "",
        f"- Target: p99 under 2× the bare broadcast's p99 in the same run: "
        f"**{'met' if ratio < 2 else 'not met'}** ({ratio:.2f}×; "
        f"{ours['all_delivered_p99_ms']} against {floor['all_delivered_p99_ms']} ms).",
        f"- Target: under 1 KB per move per spectator: "
        f"**{'met' if ours['watcher_bytes_per_action'] < 1000 else 'not met'}** "
        f"({ours['watcher_bytes_per_action']} B).",
        f"- The bare broadcast sends one {floor['bytes']}-byte message per action to as many "
        "clients; it computes no view, renders nothing and checks nothing. It runs beside "
        "each Estaminet server for the whole run, one message just before each move (the "
        "row under it), so both are measured in the same seconds of the machine, after the "
        "same pause; the last row sends as many one after the other once the moves are over "
        "(how this bench measured the floor until 2026-12-07: usually faster, as nothing "
        f"lies between two rounds). Against that one, Estaminet's p99 is "
        f"{ours['all_delivered_p99_ms'] / max(ours['floor_back_to_back']['all_delivered_p99_ms'], 0.001):.2f}×.",
    ]
    for row in rows:
        lines.append(
            f"- {row['server']}: everyone's page opened (socket, subscription, catch-up) in "
            f"{row['arrivals_seconds']} s, {row['server_cpu_ms_per_arrival']} ms of server CPU "
            "per page (measured before the moves, not in the figures above)."
        )
    return "\n".join(lines) + "\n"


async def _run(options: argparse.Namespace, command: str) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8192)), hard))
    viewers = options.players + options.spectators
    trees: list[tuple[str, Path | None]] = [("estaminet", None)]
    if options.before is not None:
        trees.append(("before", options.before.resolve()))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-tables-") as tmp:
        work = Path(tmp)
        for name, src in trees:
            (work / name).mkdir()
            (work / f"{name}-websockets").mkdir()
            async with Floor.running(viewers, 6000, work / f"{name}-websockets") as floor:
                rows.append(
                    await _estaminet(
                        options.players,
                        options.spectators,
                        options.seconds,
                        work / name,
                        floor,
                        src,
                    )
                )
    ours = rows[0]
    text = _report(rows, command)
    servers.RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (servers.RESULTS / f"tables-{stamp}.md").write_text(text)
    (servers.RESULTS / f"tables-{stamp}.json").write_text(json.dumps(rows, indent=2))
    print(text)
    return 0 if ours["actions"] > 0 else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=18)
    parser.add_argument("--spectators", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--smoke", action="store_true", help="8 players, 20 spectators, 15 s")
    parser.add_argument(
        "--before", type=Path, default=None, help="also serve this source tree, side by side"
    )
    options = parser.parse_args(argv)
    if options.smoke:
        options.players, options.spectators, options.seconds = 8, 20, 15.0
    command = "python -m bench.tables " + " ".join(sys.argv[1:] if argv is None else argv)
    return asyncio.run(_run(options, command.strip()))


if __name__ == "__main__":
    raise SystemExit(main())
