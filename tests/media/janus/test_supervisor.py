"""Estaminet's own Janus: started, restarted when it dies, stopped, and a leftover one ended."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

from estaminet.media.janus.config import janus_command, write_config
from estaminet.media.janus.supervisor import JanusSupervisor
from tests.support.janus import janus_layout, require_janus


async def _answers(url: str) -> bool:
    async with httpx.AsyncClient(timeout=1.0) as client:
        try:
            return (await client.get(f"{url}/info")).status_code == 200
        except httpx.TransportError:
            return False


async def _until(test: object, within: float = 30.0) -> None:
    async with asyncio.timeout(within):
        while not await test():  # type: ignore[operator]
            await asyncio.sleep(0.1)


async def test_supervisor_starts_restarts_and_stops(tmp_path: Path) -> None:
    supervisor = JanusSupervisor(janus_layout(tmp_path / "janus" / "conf"), require_janus())
    try:
        assert await supervisor.start() is True
        first = supervisor.pid
        assert first is not None
        assert await _answers(supervisor.layout.url)

        os.kill(first, signal.SIGKILL)  # Janus dies

        async def restarted() -> bool:
            return supervisor.starts == 2 and await _answers(supervisor.layout.url)

        await _until(restarted)
        assert supervisor.pid not in (None, first)
    finally:
        await supervisor.stop()
    assert supervisor.pid is None
    assert not await _answers(supervisor.layout.url)
    assert not (tmp_path / "janus" / "janus.pid").exists()


async def test_supervisor_ends_janus_left_over_by_a_crash(tmp_path: Path) -> None:
    layout = janus_layout(tmp_path / "janus" / "conf")
    write_config(layout)
    leftover = await asyncio.create_subprocess_exec(*janus_command(layout, require_janus()))
    (tmp_path / "janus" / "janus.pid").write_text(str(leftover.pid))
    supervisor = JanusSupervisor(layout, require_janus())
    try:
        assert await supervisor.start() is True
        assert await asyncio.wait_for(leftover.wait(), 5) is not None  # ended: ports free again
    finally:
        await supervisor.stop()
        if leftover.returncode is None:
            leftover.kill()
            await leftover.wait()


async def test_supervisor_janus_missing_says_so(tmp_path: Path) -> None:
    supervisor = JanusSupervisor(janus_layout(tmp_path / "conf"), "/nonexistent/janus")
    with pytest.raises(RuntimeError, match="apt-get install -y janus"):
        await supervisor.start()
