"""Run a server module under cProfile (the ``BENCH_PROFILE`` hook of :mod:`bench.servers`).

    python -m bench.profiler OUT.prof MODULE [ARGS…]

Runs ``python -m MODULE ARGS…`` in this process. The profiler is off until
SIGUSR1 and off again at SIGUSR2: the bench sends them around each measured
phase, so sign-ups and connections stay out of the picture. When the module
returns (the bench stops servers with SIGTERM, which uvicorn and the websockets
baseline turn into a clean exit) it writes ``OUT.prof`` and a text summary
``OUT.txt``: time spent in the garbage collector, then the functions with the
most own time and the most cumulative time. Only the main thread is profiled
(not aiosqlite's thread). With ``BENCH_PROFILE_CLOCK=thread`` the profile counts the
main thread's CPU time (``time.thread_time``) rather than wall time: waits for the GIL
and for other threads are then left out, and what remains is what the main thread
itself computed.
"""

from __future__ import annotations

import cProfile
import gc
import io
import os
import pstats
import runpy
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["GarbageTimer", "main", "summary"]


class GarbageTimer:
    """Wall time spent in each garbage-collector generation while profiling is on."""

    def __init__(self) -> None:
        self.active = False
        self.seconds = [0.0, 0.0, 0.0]
        self.counts = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if not self.active:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            generation = int(info["generation"])
            self.seconds[generation] += time.perf_counter() - self._started
            self.counts[generation] += 1

    def report(self) -> str:
        return "\n".join(
            f"gc generation {g}: {self.counts[g]} collections, {self.seconds[g]:.3f} s"
            for g in range(3)
        )


def summary(stats: pstats.Stats, limit: int = 45) -> str:
    """The top ``limit`` functions by own time, then by cumulative time."""
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out, module, rest = Path(args[0]), args[1], args[2:]
    sys.argv = [module, *rest]
    clock = os.environ.get("BENCH_PROFILE_CLOCK", "wall")
    profile = cProfile.Profile(time.thread_time) if clock == "thread" else cProfile.Profile()
    garbage = GarbageTimer()
    gc.callbacks.append(garbage)

    def switch(signum: int, _frame: FrameType | None) -> None:
        on = signum == signal.SIGUSR1
        garbage.active = on
        if on:
            profile.enable()
        else:
            profile.disable()

    def leave(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGUSR1, switch)
    signal.signal(signal.SIGUSR2, switch)
    # uvicorn re-raises the signal that stopped it once it has shut down: exit cleanly then.
    signal.signal(signal.SIGTERM, leave)
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0
    except KeyboardInterrupt:
        code = 130
    finally:
        profile.disable()
        out.parent.mkdir(parents=True, exist_ok=True)
        profile.dump_stats(out)
        text = garbage.report() + "\n\n"
        try:
            text += summary(pstats.Stats(profile))
        except TypeError:  # nothing was profiled
            text += "(the profiler was never switched on)\n"
        out.with_suffix(".txt").write_text(text)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
