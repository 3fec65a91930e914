"""What publishing one Loup-Garou move costs the server, in-process: views, screens, frames.

An 18-seat table watched by 500 spectators (``--spectators``: the table bench's
size; they share one topic), a random game played through the
rules; after each move the table service's ``publish_views`` runs as after a real
commit, and every frame it publishes is turned into text (French) as the first
reader would. Reported: CPU milliseconds per move (``time.process_time``, so other
processes on the machine do not count, though they still slow caches) and the
bytes of the frames per move, for the spectators' topic and for all topics.

    python -m bench.views [--moves 150] [--spectators 500] [--src /work/main/src]

``--src`` runs the same measure on another source tree (the code before a change) in
a child process, and prints both side by side. Pure CPU, no socket, bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["main"]

NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)


def measure(moves: int, seed: int, spectators: int = 500) -> dict[str, Any]:
    import asyncio

    from estaminet.games.werewolf.game import GAME
    from estaminet.kernel.activity import Viewer
    from estaminet.live.engine import Live
    from estaminet.tables import chat as table_chat
    from estaminet.tables.model import Participant, TableInfo
    from estaminet.tables.service import TableService, viewer_topic
    from estaminet.web.templating import Templates

    class Hub:
        def __init__(self) -> None:
            self.seqs: dict[str, int] = {}
            self.bytes: dict[str, int] = {}

        async def next_seq(self, topic: str) -> int:
            self.seqs[topic] = self.seqs.get(topic, 0) + 1
            return self.seqs[topic]

        async def publish(self, frame: Any, *, buffer: bool = False) -> None:
            text = frame.text("fr")  # what the first French reader makes it render
            self.bytes[frame.topic] = self.bytes.get(frame.topic, 0) + len(text.encode())

    class Db:
        @contextlib.asynccontextmanager
        async def read(self) -> AsyncIterator[None]:
            yield None

        read_now = read

    async def no_history(conn: Any, table_id: int, channels: list[str], since: Any = None) -> Any:
        return {channel: [] for channel in channels}

    table_chat.history = no_history  # type: ignore[assignment]  # no database here
    seats = 18
    people = (
        *(Participant(f"u{i}", f"Joueur {i}", "player", i, i) for i in range(seats)),
        *(
            Participant(f"fan{i}", f"Fan {i}", "spectator", None, seats + i)
            for i in range(spectators)
        ),
    )
    table = TableInfo(
        1, "werewolf", "game", 1, "jeux", "T", "u0", "running", {}, False, 500, NOW, None, people
    )
    service = object.__new__(TableService)
    hub = Hub()
    import estaminet.tables

    folder = Path(estaminet.tables.__file__).parent / "templates"
    service.templates = Templates(extra_dirs=[folder])
    service.view_templates, service.hub = {}, hub
    service.db = Db()  # type: ignore[assignment]
    for name in ("_rights", "_shown", "_sent", "_pieces"):
        setattr(service, name, {})
    state = GAME.setup(seats, GAME.default_options(), seed, NOW)
    rng = random.Random(seed)
    now = NOW
    cpu = 0.0
    done = 0

    async def play() -> None:
        nonlocal state, cpu, done, now
        await service.publish_views(table, Live(1, "werewolf", GAME, state, 0, "running"))
        hub.bytes.clear()
        for step in range(1, 10_000):
            if done >= moves or GAME.outcome(state) is not None:
                return
            choices = [(s, a) for s in range(seats) for a in GAME.legal_actions(state, s)]
            due = GAME.deadline(state)
            if not choices or (due is not None and rng.random() < 0.05):
                if due is None:
                    return
                now = max(now, due)
                seat, action = -1, {"type": "timeout"}
            else:
                seat, action = rng.choice(choices)
            events = GAME.apply(state, seat, action, now)
            if not isinstance(events, list | tuple) or not events:
                continue
            for event in events:
                state = GAME.evolve(state, event)
            started = time.process_time()
            await service.publish_views(table, Live(1, "werewolf", GAME, state, step, "running"))
            cpu += time.process_time() - started
            done += 1

    asyncio.run(play())
    watch = viewer_topic(1, Viewer.spectator())
    return {
        "moves": done,
        "cpu_ms_per_move": round(1000 * cpu / max(done, 1), 2),
        "spectator_bytes_per_move": round(hub.bytes.get(watch, 0) / max(done, 1)),
        "all_bytes_per_move": round(sum(hub.bytes.values()) / max(done, 1)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=150)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--spectators", type=int, default=500)
    parser.add_argument("--src", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    rows = [("this tree", _runs(options.moves, options.seeds, options.spectators))]
    if options.src is not None:
        env = {**os.environ, "PYTHONPATH": str(options.src.resolve())}
        child = subprocess.run(
            [sys.executable, "-m", "bench.views", "--json", "--moves", str(options.moves),
             "--seeds", str(options.seeds), "--spectators", str(options.spectators)],
            env=env, capture_output=True, text=True, timeout=900, check=True,
        )  # fmt: skip
        rows.append((str(options.src), json.loads(child.stdout)))
    if options.json:
        print(json.dumps(rows[0][1]))
        return 0
    print("| code | moves | CPU ms per move | bytes per move, spectators' topic | all topics |")
    print("|---|--:|--:|--:|--:|")
    for name, row in rows:
        print(
            f"| {name} | {row['moves']} | {row['cpu_ms_per_move']} | "
            f"{row['spectator_bytes_per_move']:,} | {row['all_bytes_per_move']:,} |"
        )
    return 0


def _runs(moves: int, seeds: int, spectators: int) -> dict[str, Any]:
    results = [measure(moves, seed, spectators) for seed in range(1, seeds + 1)]
    total = sum(r["moves"] for r in results)

    def mean(key: str) -> float:
        return sum(r[key] * r["moves"] for r in results) / max(total, 1)

    return {
        "moves": total,
        "cpu_ms_per_move": round(mean("cpu_ms_per_move"), 2),
        "spectator_bytes_per_move": round(mean("spectator_bytes_per_move")),
        "all_bytes_per_move": round(mean("all_bytes_per_move")),
    }


if __name__ == "__main__":
    raise SystemExit(main())
