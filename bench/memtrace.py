"""Where the memory of idle connections goes: a tracemalloc diff inside the server.

    python -m bench.memtrace [--clients N] [--compression] [--top K]

Starts Estaminet (``estaminet demo``) under tracemalloc, signs up N guests,
takes a snapshot, connects N listeners that follow ``room:bar`` (as the
delivery bench does), waits for the server to go idle, takes a second
snapshot and prints the difference grouped by the line that allocated, per
connection. The figures are Python allocations only (what tracemalloc sees):
the kernel's socket buffers and the allocator's slack are not in them, so the
total is below the USS difference the delivery bench reports.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import linecache
import os
import signal
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from bench import servers
from bench.dialects import EstaminetDialect
from bench.load import Fleet
from bench.servers import HOST, running

__all__ = ["main"]

_FRAMES = 12


def _serve(out: Path, module: str, args: list[str]) -> int:
    """In the server process: snapshot at SIGUSR1, diff at SIGUSR2, then run ``module``."""
    import runpy

    tracemalloc.start(_FRAMES)
    before: list[tracemalloc.Snapshot] = []

    def mark(signum: int, _frame: FrameType | None) -> None:
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        if signum == signal.SIGUSR1:
            before[:] = [snapshot]
            # A snapshot of the whole heap takes seconds, during which the server answers
            # nobody: the bench connects its clients only once this file is there.
            out.with_suffix(".ready").write_text("ready")
            return
        count = int(os.environ.get("BENCH_MEMTRACE_CLIENTS", "1"))
        lines = [
            _diff(before[0], snapshot, count, "lineno"),
            _diff(before[0], snapshot, count, "traceback"),
        ]
        out.write_text("\n\n".join(lines))

    signal.signal(signal.SIGUSR1, mark)
    signal.signal(signal.SIGUSR2, mark)

    def leave(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, leave)
    sys.argv = [module, *args]
    with contextlib.suppress(SystemExit):
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


def _diff(old: tracemalloc.Snapshot, new: tracemalloc.Snapshot, count: int, key: str) -> str:
    stats = new.compare_to(old, key)
    total = sum(s.size_diff for s in stats)
    lines = [f"# by {key}: {total / count / 1024:.2f} KiB per connection (Python allocations)"]
    shown = stats[:25] if key == "lineno" else stats[:12]
    for stat in shown:
        if stat.size_diff <= 0:
            continue
        frames = stat.traceback if key == "traceback" else stat.traceback[:1]
        lines.append(
            f"{stat.size_diff / count:8.0f} B/conn {stat.count_diff / count:6.1f} blocks/conn"
        )
        for frame in list(frames)[-_FRAMES:]:
            source = linecache.getline(frame.filename, frame.lineno).strip()
            lines.append(f"      {_short(frame.filename)}:{frame.lineno}  {source}")
    return "\n".join(lines)


def _short(filename: str) -> str:
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


async def _measure(clients: int, compression: bool) -> str:
    with tempfile.TemporaryDirectory(prefix="memtrace-") as tmp:
        workdir = Path(tmp)
        spec = servers.estaminet(workdir, compression=compression)
        out = workdir / "memtrace.txt"
        spec.argv[1:3] = ["-m", "bench.memtrace", "--serve", str(out), "estaminet.cli"]
        spec.env["BENCH_MEMTRACE_CLIENTS"] = str(clients)
        async with running(spec) as server:
            invite = server.find_in_log(r"/i/[A-Za-z0-9_\-]+")
            assert invite is not None, server.log_tail()
            dialect = EstaminetDialect(invite)
            await dialect.prepare(server.base_url, clients + 1)
            await server.wait_idle()
            used_before = server.memory_bytes()
            server.process.send_signal(signal.SIGUSR1)
            ready = out.with_suffix(".ready")
            deadline = time.monotonic() + 300
            while not ready.exists() and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            if not ready.exists():
                raise RuntimeError("no first snapshot:\n" + server.log_tail(30))
            await server.wait_idle()
            fleet = Fleet(dialect)
            try:
                await fleet.connect(HOST, spec.port, clients, compression=compression)
                await server.wait_idle()
                used_after = server.memory_bytes()
                server.process.send_signal(signal.SIGUSR2)
                deadline = time.monotonic() + 300
                while not out.exists() and time.monotonic() < deadline:
                    await asyncio.sleep(0.5)
                await asyncio.sleep(1.0)
            finally:
                await fleet.close()
            if not out.exists():
                raise RuntimeError("no snapshot diff:\n" + server.log_tail(30))
        uss = (used_after - used_before) / clients / 1024
        return f"USS: {uss:.2f} KiB per idle connection (tracemalloc on)\n\n" + out.read_text()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--serve"]:
        return _serve(Path(args[1]), args[2], args[3:])
    parser = argparse.ArgumentParser(prog="python -m bench.memtrace")
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--compression", action="store_true")
    options = parser.parse_args(args)
    print(asyncio.run(_measure(options.clients, options.compression)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
