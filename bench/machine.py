"""The machine the benchmark runs on: what it is, and who else is using its CPU.

The server and the load generator need the two cores to themselves; anything
else running (a test suite, a browser) skews latency and, less, throughput. The
bench measures the CPU other processes take during each phase and, before each
scenario, waits for a quiet machine when it can.
"""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import time
from collections import deque
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

__all__ = ["busy_seconds", "describe", "own_cpu_seconds", "revision", "wait_quiet"]

_PACKAGES = (
    "estaminet",
    "websockets",
    "python-socketio",
    "python-engineio",
    "uvicorn",
    "starlette",
    "uvloop",
)


def own_cpu_seconds() -> float:
    """User + system CPU time this process (the load generator) has used so far."""
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def busy_seconds() -> float:
    """CPU-seconds every process on the machine has used (all cores; idle and I/O wait excluded)."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


async def wait_quiet(limit: float, within: float, *, say: Callable[[str], None]) -> float:
    """Wait up to ``within`` seconds for other processes to use under ``limit`` cores.

    Quiet means three readings of two seconds in a row under ``limit``. Returns
    the highest of the last three readings (at or above ``limit`` on time-out).
    """
    deadline = time.monotonic() + within
    readings: deque[float] = deque(maxlen=3)
    while True:
        busy, own, start = busy_seconds(), own_cpu_seconds(), time.monotonic()
        await asyncio.sleep(2.0)
        elapsed = time.monotonic() - start
        readings.append((busy_seconds() - busy - (own_cpu_seconds() - own)) / elapsed)
        if (len(readings) == 3 and max(readings) < limit) or time.monotonic() >= deadline:
            return max(readings)
        if readings[-1] >= limit:
            say(f"waiting for a quieter machine: other processes use {readings[-1]:.2f} cores")


def revision() -> str | None:
    """The Git commit of the code under test, marked ``+dirty`` when ``src/`` has changes."""
    root = Path(__file__).parent.parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = bool(git("status", "--porcelain", "--", "src"))
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def describe() -> dict[str, Any]:
    """CPU model, cores, memory, system, Python and the versions of the servers' libraries."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    versions: dict[str, str | None] = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
        "system": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }
