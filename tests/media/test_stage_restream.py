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


# ffmpeg's own words about the address it was given (its last argument), as it writes them:
# the whole address, its path, and one line long enough that a cut at the log's width
# would fall in the middle of the key.
SAYS_WHY = """#!{python}
import sys
address = sys.argv[-1]
path = "/" + address.split("://", 1)[1].split("/", 1)[1]
for line in (
    "[tcp @ 0x5] Connection to tcp://127.0.0.1:1 failed: Connection refused",
    f"Error opening output {{address}}: Connection refused",
    f"rtmp publish to {{path}} refused",
    "x" * (299 - len(address) + 6) + f" {{address}} " + "y" * 100,  # cut 6 before its end
):
    print(line, file=sys.stderr)
sys.exit(1)
"""


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("rtmp://127.0.0.1:1/live/key-9f8e7d6c5b", "key-9f8e7d6c5b"),
        ("rtmps://127.0.0.1:1/app/live?key=9f8e7d6c5b4a", "9f8e7d6c5b4a"),
    ],
)
async def test_why_ffmpeg_stopped_is_logged_without_the_stream_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, address: str, key: str
) -> None:
    """An animator asking "why did it fail?" finds ffmpeg's own words in the log; the address
    holds the platform's stream key (in its path or its query), so neither the address nor
    the key, nor a piece of it cut short at the log's width, is ever written there."""
    caplog.set_level("WARNING", logger="estaminet.media.restream")
    script = _script(tmp_path, SAYS_WHY.format(python=sys.executable))
    run = await _run(script, "failed", address=address)
    assert run.forwards == []  # it stopped before opening its ports: Janus never asked
    stopped = [r.getMessage() for r in caplog.records if "ffmpeg stopped" in r.getMessage()]
    assert len(stopped) == TRIES
    assert "Connection refused" in stopped[0] and "Error opening output" in stopped[0]
    assert "xxxxxxxx" in stopped[0]  # the long line is there, cut short
    for secret in (key, key[:6], "127.0.0.1:1/"):
        assert secret not in caplog.text


async def test_an_ffmpeg_that_never_opens_its_ports_is_not_forwarded_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An ffmpeg that runs but never listens (a wrong build, a port taken meanwhile) is
    stopped and tried again, then said failed; Janus is never asked to send to nobody."""
    monkeypatch.setattr(restream, "BIND_SECONDS", 0.3)
    caplog.set_level("WARNING", logger="estaminet.media.restream")
    run = await _run(_script(tmp_path, "#!/bin/sh\nexec sleep 30\n"), "failed")
    assert run.forwards == []
    assert run.states[0] == "starting" and run.states[-1] == "failed" and "live" not in run.states
    assert sum("ffmpeg opened no port" in r.getMessage() for r in caplog.records) == TRIES


async def test_janus_is_asked_to_send_only_once_ffmpeg_listens(tmp_path: Path) -> None:
    """Janus asks the performer for a keyframe when a forward starts: an ffmpeg slow to start
    (a cold or busy machine) must have its ports open by then, however long it takes."""
    run = await _run(_stand_in(tmp_path, SENDS, late=1.5), "live")
    assert run.listening == [True]
    assert run.states == ["starting", "live"]
