"""Runs a Janus on this machine for Estaminet: starts it, restarts it when it dies, stops it.

Only for the embedded set-up (``janus_autostart``): a Janus from the Debian
package, with a configuration generated into the data folder (see
:mod:`estaminet.media.janus.config`). A real deployment may run Janus itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from pathlib import Path

import httpx

from estaminet.media.janus.config import JanusLayout, janus_command, write_config

__all__ = ["JanusSupervisor"]

log = logging.getLogger(__name__)


class JanusSupervisor:
    """One Janus process, kept alive until :meth:`stop`."""

    def __init__(
        self,
        layout: JanusLayout,
        executable: str = "janus",
        *,
        startup_seconds: float = 20.0,
        max_backoff: float = 30.0,
    ) -> None:
        self.layout = layout
        self.executable = executable
        self.startup_seconds = startup_seconds
        self.max_backoff = max_backoff
        self.starts = 0
        """How many times Janus was started (restarts included)."""
        self._process: asyncio.subprocess.Process | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    @property
    def _pid_file(self) -> Path:
        return self.layout.folder.parent / "janus.pid"

    def _leftover(self) -> int | None:
        """The pid of a Janus started for this folder by an earlier run, if still there."""
        try:
            pid = int(self._pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        # The number may belong to another process by now: check it runs on our folder.
        return pid if f"--configs-folder={self.layout.folder}".encode() in cmdline else None

    async def _stop_leftover(self) -> None:
        """A Janus left over by a crash of Estaminet still holds the ports: end it."""
        pid = self._leftover()
        if pid is None:
            return
        log.warning("stopping a Janus left over from an earlier run (pid %s)", pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not _running(pid):
                return
            await asyncio.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    async def _spawn(self) -> None:
        write_config(self.layout)
        try:
            self._process = await asyncio.create_subprocess_exec(
                *janus_command(self.layout, self.executable),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except FileNotFoundError as exc:
            raise RuntimeError(
                f"cannot start Janus: {self.executable!r} is not installed "
                '(apt-get install -y janus, or set janus_autostart = "never")'
            ) from exc
        self.starts += 1
        self._pid_file.write_text(str(self._process.pid))
        log.info("Janus started (pid %s), API %s", self._process.pid, self.layout.url)

    async def wait_ready(self) -> bool:
        """Whether Janus answers ``info`` within the start-up time."""
        deadline = asyncio.get_running_loop().time() + self.startup_seconds
        async with httpx.AsyncClient(timeout=1.0) as client:
            while asyncio.get_running_loop().time() < deadline:
                if self._process is None or self._process.returncode is not None:
                    return False
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.layout.url}/info")).status_code == 200:
                        return True
                await asyncio.sleep(0.1)
        return False

    async def start(self) -> bool:
        """Start Janus and its watcher; returns whether it answered (it is retried anyway)."""
        self._stopping = False
        self.layout.folder.parent.mkdir(parents=True, exist_ok=True)
        await self._stop_leftover()
        await self._spawn()
        ready = await self.wait_ready()
        if not ready:
            log.error("Janus did not start; see %s", self.layout.log_file)
        self._watcher = asyncio.create_task(self._watch())
        return ready

    async def _watch(self) -> None:
        backoff = 1.0
        while not self._stopping:
            process = self._process
            assert process is not None
            code = await process.wait()
            if self._stopping:
                return
            log.warning("Janus exited (%s); restarting in %.0f s", code, backoff)
            await asyncio.sleep(backoff)
            if self._stopping:
                return
            await self._spawn()
            backoff = 1.0 if await self.wait_ready() else min(backoff * 2, self.max_backoff)

    async def stop(self) -> None:
        """Stop Janus (SIGTERM, then SIGKILL after 10 s) and the watcher."""
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        process = self._process
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        self._pid_file.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
