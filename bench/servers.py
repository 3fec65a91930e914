"""The servers under test: each in its own process, on a free loopback port, always stopped.

A :class:`Server` is started by :func:`running` and stopped when the block
exits, also on Ctrl-C or an exception; an ``atexit`` hook kills any survivor.
Its CPU time (user + system) and memory (USS, else RSS) are read with psutil.

Set ``BENCH_PROFILE`` to a comma-separated list of server names (or ``all``) to
run those servers under cProfile (see :mod:`bench.profiler`); their figures are
then distorted and reported as such.

Set ``BENCH_ESTAMINET_SRC`` to another source tree (``/work/main/src``: the code before a
change) to serve Estaminet from it, with the same bench and the same baselines.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

__all__ = [
    "HOST",
    "Server",
    "ServerFailed",
    "ServerSpec",
    "estaminet",
    "free_port",
    "profiled",
    "running",
    "socketio_baseline",
    "websockets_baseline",
]

HOST = "127.0.0.1"
RESULTS = Path(__file__).parent / "results"
_live: set[int] = set()
"""Pids of the servers started and not yet stopped."""


class ServerFailed(Exception):
    """A server did not start, or died; carries the end of its log."""

    def __init__(self, name: str, reason: str, log_tail: str = "") -> None:
        super().__init__(f"{name}: {reason}\n{log_tail}".rstrip())
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server: its command line, environment and log file."""

    name: str
    argv: list[str]
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    profile_path: Path | None = None


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def profiled(name: str) -> bool:
    """Whether ``BENCH_PROFILE`` asks for ``name`` to run under cProfile."""
    wanted = {n.strip() for n in os.environ.get("BENCH_PROFILE", "").split(",") if n.strip()}
    return name in wanted or "all" in wanted


def _module_argv(
    name: str, module: str, args: list[str], tag: str
) -> tuple[list[str], Path | None]:
    if not profiled(name):
        return [sys.executable, "-m", module, *args], None
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"profile-{tag}-{time.strftime('%Y%m%d-%H%M%S')}.prof"
    return [sys.executable, "-m", "bench.profiler", str(out), module, *args], out


def estaminet(workdir: Path, *, compression: bool, send_queue: int | None = None) -> ServerSpec:
    """Estaminet's demo venue in ``workdir/data``, chat rate limit lifted for the poster."""
    port = free_port()
    tag = f"estaminet-{'deflate' if compression else 'plain'}"
    argv, profile = _module_argv(
        "estaminet",
        "estaminet.cli",
        ["--data-dir", str(workdir / "data"), "demo", "--host", HOST, "--port", str(port)],
        tag,
    )
    env = {
        "ESTAMINET_BASE_URL": f"http://{HOST}:{port}",
        "ESTAMINET_WS_COMPRESSION": "true" if compression else "false",
        "ESTAMINET_CHAT_RATE_BURST": "1000000",
        "ESTAMINET_CHAT_RATE_PER_SECOND": "1000000",
        "ESTAMINET_CONFIG": str(workdir / "absent.toml"),  # ignore any estaminet.toml around
    }
    if send_queue is not None:
        env["ESTAMINET_WS_SEND_QUEUE"] = str(send_queue)
    src = os.environ.get("BENCH_ESTAMINET_SRC")
    if src:  # serve another source tree (the code before a change), same bench
        env["PYTHONPATH"] = src
    return ServerSpec("estaminet", argv, port, workdir / "server.log", env, profile)


def websockets_baseline(workdir: Path, *, compression: bool) -> ServerSpec:
    port = free_port()
    tag = f"websockets-{'deflate' if compression else 'plain'}"
    args = ["--host", HOST, "--port", str(port), *(["--compression"] if compression else [])]
    argv, profile = _module_argv("websockets", "bench.baselines.websockets_server", args, tag)
    return ServerSpec("websockets", argv, port, workdir / "server.log", {}, profile)


def socketio_baseline(workdir: Path, *, compression: bool) -> ServerSpec:
    port = free_port()
    tag = f"socketio-{'deflate' if compression else 'plain'}"
    args = ["--host", HOST, "--port", str(port), *(["--compression"] if compression else [])]
    argv, profile = _module_argv("socketio", "bench.baselines.socketio_server", args, tag)
    return ServerSpec("socketio", argv, port, workdir / "server.log", {}, profile)


def uvicorn_baseline(workdir: Path, *, compression: bool) -> ServerSpec:
    """uvicorn and Starlette with Estaminet's server options and no venue (the stack's floor)."""
    port = free_port()
    tag = f"uvicorn-{'deflate' if compression else 'plain'}"
    args = ["--host", HOST, "--port", str(port), *(["--compression"] if compression else [])]
    argv, profile = _module_argv("uvicorn", "bench.baselines.uvicorn_server", args, tag)
    env = {"ESTAMINET_CONFIG": str(workdir / "absent.toml")}
    src = os.environ.get("BENCH_ESTAMINET_SRC")
    if src:
        env["PYTHONPATH"] = src
    return ServerSpec("uvicorn", argv, port, workdir / "server.log", env, profile)


class Server:
    """A running server process."""

    def __init__(self, spec: ServerSpec, process: asyncio.subprocess.Process) -> None:
        self.spec = spec
        self.process = process
        self._ps = psutil.Process(process.pid)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.spec.port}"

    def log_text(self) -> str:
        try:
            return self.spec.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def find_in_log(self, pattern: str) -> str | None:
        found = re.search(pattern, self.log_text())
        return found[0] if found else None

    def check_alive(self) -> None:
        if self.process.returncode is not None:
            raise ServerFailed(
                self.spec.name, f"exited with code {self.process.returncode}", self.log_tail()
            )

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        times = self._ps.cpu_times()
        return float(times.user + times.system)

    def memory_bytes(self) -> int:
        """Unique set size (memory that would be freed if the process exited), else RSS."""
        try:
            return int(self._ps.memory_full_info().uss)
        except (psutil.AccessDenied, AttributeError):
            return int(self._ps.memory_info().rss)

    def profile(self, *, on: bool) -> None:
        """Switch the profiler of a ``BENCH_PROFILE`` server on or off (SIGUSR1 / SIGUSR2)."""
        if self.spec.profile_path is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGUSR1 if on else signal.SIGUSR2)

    async def wait_ready(self, within: float) -> None:
        """Wait until the server accepts TCP connections."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(HOST, self.spec.port), 1.0
                )
            except (OSError, TimeoutError):
                await asyncio.sleep(0.2)
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        raise ServerFailed(self.spec.name, f"not listening after {within:.0f} s", self.log_tail())

    async def wait_idle(
        self, *, quiet: float = 0.03, step: float = 0.5, within: float = 30.0
    ) -> None:
        """Wait until the server uses less than ``quiet`` CPU-seconds in ``step`` seconds."""
        deadline = time.monotonic() + within
        before = self.cpu_seconds()
        while time.monotonic() < deadline:
            await asyncio.sleep(step)
            self.check_alive()
            now = self.cpu_seconds()
            if now - before < quiet:
                return
            before = now

    async def stop(self, grace: float = 15.0) -> None:
        """SIGTERM (a graceful stop, which also lets cProfile write), then SIGKILL."""
        process = self.process
        try:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), grace)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                    await process.wait()
        finally:
            _live.discard(process.pid)


@atexit.register
def _kill_survivors() -> None:
    for pid in list(_live):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@contextlib.asynccontextmanager
async def running(spec: ServerSpec, *, within: float = 90.0) -> AsyncIterator[Server]:
    """Start ``spec``, wait until it listens, yield it, and stop it whatever happens."""
    spec.log_path.parent.mkdir(parents=True, exist_ok=True)
    with spec.log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *spec.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **spec.env},
            cwd=Path(__file__).parent.parent,
        )
    _live.add(process.pid)
    server = Server(spec, process)
    try:
        await server.wait_ready(within)
        yield server
    finally:
        await server.stop()
