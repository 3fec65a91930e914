"""The restream's ffmpeg minder (``media/restream.py``) with stand-in ffmpegs: one that never
sends a frame is stopped and started again (with a new forward), then said failed, never
live; one that sends frames then dies is said live, then retrying, and started again."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from estaminet.media import restream
from estaminet.media.restream import TRIES, Restream

# Stand-in ffmpegs open the SDP file's ports, as the real one does on starting, then act.
_OPENS_PORTS = """#!{python}
import re, socket, sys, time
sdp = open(sys.argv[sys.argv.index("-i") + 1]).read()
time.sleep({late})
held = []
for port in re.findall(r"^m=\\w+ (\\d+)", sdp, re.M):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", int(port)))
    held.append(sock)
"""
STUCK = """
while True:
    print("frame=0", "progress=continue", sep="\\n", flush=True)
    time.sleep(0.05)
"""
DIES = """
print("frame=12", "progress=continue", sep="\\n", flush=True)
time.sleep(0.2)
sys.exit(1)
"""
SENDS = """
while True:
    print("frame=25", "progress=continue", sep="\\n", flush=True)
    time.sleep(0.05)
"""


def _stand_in(folder: Path, behaviour: str, late: float = 0.0) -> str:
    return _script(folder, _OPENS_PORTS.format(python=sys.executable, late=late) + behaviour)


def _script(folder: Path, text: str) -> str:
    path = folder / "ffmpeg"
    path.write_text(text)
    path.chmod(0o755)
    return str(path)


@dataclass
class _Run:
    states: list[str] = field(default_factory=list)
    forwards: list[int] = field(default_factory=list)
    """The feed of each forward asked of Janus."""
    listening: list[bool] = field(default_factory=list)
    """For each forward: whether ffmpeg had both its ports open when it was asked."""


async def _run(
    script: str, until: str, times: int = 1, address: str = "rtmp://127.0.0.1:1/live/key"
) -> _Run:
    run = _Run()

    async def forward(feed: int, audio: int, video: int) -> list[int]:
        run.forwards.append(feed)
        opened = restream._open_udp_ports()
        run.listening.append(opened is not None and {audio, video} <= opened)
        return [1, 2]

    async def unforward(feed: int, ids: list[int]) -> None:
        pass

    async def changed() -> None:
        run.states.append(minder.state)

    minder = Restream(address, forward, unforward, changed, ffmpeg=script, retry_seconds=0.05)
    await minder.follow(7)
    try:
        async with asyncio.timeout(30):
            while run.states.count(until) < times:
                await asyncio.sleep(0.05)
    finally:
        await minder.stop()
    return run


async def test_an_ffmpeg_that_sends_no_frame_is_restarted_then_said_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(restream, "FIRST_FRAME_SECONDS", 0.3)
    run = await _run(_stand_in(tmp_path, STUCK), "failed")
    assert "live" not in run.states
    assert run.states[-1] == "failed" and "retrying" in run.states
    assert run.forwards == [7] * TRIES  # a new forward from Janus for each try


async def test_an_ffmpeg_that_dies_after_sending_is_started_again(tmp_path: Path) -> None:
    run = await _run(_stand_in(tmp_path, DIES), "live", times=2)
    assert run.states[:3] == ["starting", "live", "retrying"]
    assert "failed" not in run.states  # it sent frames: each death starts the count again
    assert run.forwards == [7, 7]


SAYS_WHY = """#!/bin/sh
echo "[tcp @ 0x5] Connection to tcp://127.0.0.1:1 failed: Connection refused" >&2
echo "Error opening output rtmp://127.0.0.1:1/live/key-9f8e7d6c5b: Connection refused" >&2
echo "rtmp publish to /live/key-9f8e7d6c5b refused" >&2
exit 1
"""


async def test_why_ffmpeg_stopped_is_logged_without_the_stream_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An animator asking "why did it fail?" finds ffmpeg's own words in the log; the address
    holds the platform's stream key, so neither it nor the key is ever written there."""
    caplog.set_level("WARNING", logger="estaminet.media.restream")
    run = await _run(
        _script(tmp_path, SAYS_WHY), "failed", address="rtmp://127.0.0.1:1/live/key-9f8e7d6c5b"
    )
    assert run.forwards == []  # it stopped before opening its ports: Janus never asked
    stopped = [r.getMessage() for r in caplog.records if "ffmpeg stopped" in r.getMessage()]
    assert len(stopped) == TRIES
    assert "Connection refused" in stopped[0] and "Error opening output" in stopped[0]
    assert "key-9f8e7d6c5b" not in caplog.text
    assert "rtmp://127.0.0.1:1/live" not in caplog.text


async def test_janus_is_asked_to_send_only_once_ffmpeg_listens(tmp_path: Path) -> None:
    """Janus asks the performer for a keyframe when a forward starts: an ffmpeg slow to start
    (a cold or busy machine) must have its ports open by then, however long it takes."""
    run = await _run(_stand_in(tmp_path, SENDS, late=1.5), "live")
    assert run.listening == [True]
    assert run.states == ["starting", "live"]
