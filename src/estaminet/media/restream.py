"""The stage restreamed to an RTMP address (PeerTube, Twitch, YouTube…) with ffmpeg.

Janus sends the live performer's audio and video as RTP to two loopback UDP ports
(VideoRoom's ``rtp_forward``); an ``ffmpeg`` started by Estaminet reads them through a
small SDP file, turns VP8/Opus into H.264/AAC (what RTMP carries) and pushes to the
address the animator gave. The address (it holds the platform's stream key) stays in
this process's memory: it is never stored, logged or sent to anyone (when ffmpeg stops,
the last lines it wrote are logged with the address and its key blotted out).

:func:`check_rtmp` is pure. :class:`Restream` runs one stage's ffmpeg: it says ``live``
only once ffmpeg reports frames sent, and restarts a dying ffmpeg (``retrying``) until
:data:`TRIES` failures in a row make it ``failed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import tempfile
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from estaminet.kernel.errors import BadInput
from estaminet.kernel.i18n import N_

__all__ = ["STATES", "TRIES", "Restream", "check_rtmp", "free_udp_ports"]

log = logging.getLogger(__name__)

STATES = ("off", "waiting", "starting", "live", "retrying", "failed")
TRIES = 5
"""ffmpeg deaths in a row (without sending a frame in between) before giving up."""
RETRY_SECONDS = 2.0
FIRST_FRAME_SECONDS = 20.0
"""An ffmpeg that has sent no frame by then (no keyframe came, the address hangs) is
stopped and started again, with a new forward from Janus."""
_AUDIO_PT = 111
_VIDEO_PT = 96
BIND_SECONDS = 15.0
"""How long ffmpeg may take to start and open its UDP ports before Janus is asked to send."""
_SAID_LINES = 8
"""The last lines of ffmpeg's own error output kept, logged when it stops."""
_SAID_WIDTH = 300
"""Characters kept of each of those lines."""


def check_rtmp(address: object) -> str:
    """The RTMP address, if it is one (``rtmp://`` or ``rtmps://`` with a host); refused
    clearly otherwise."""
    refused = BadInput(
        "stage/bad_rtmp",
        N_(
            "Give an RTMP address that starts with rtmp:// or rtmps:// (as your platform shows it)."
        ),
    )
    if not isinstance(address, str):
        raise refused
    address = address.strip()
    if not 0 < len(address) <= 500 or any(c.isspace() or ord(c) < 32 for c in address):
        raise refused
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError as exc:
        raise refused from exc
    if parts.scheme.lower() not in ("rtmp", "rtmps") or not parts.hostname:
        raise refused
    if port is not None and not 0 < port < 65536:
        raise refused
    return address


def free_udp_ports(count: int) -> list[int]:
    """Free even UDP ports on loopback (RTP's habit), as the OS gives them."""
    found: list[int] = []
    held: list[socket.socket] = []
    try:
        while len(found) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            held.append(sock)
            port = sock.getsockname()[1]
            if port % 2 == 0:
                found.append(port)
    finally:
        for sock in held:
            sock.close()
    return found


def sdp(audio_port: int, video_port: int) -> str:
    return (
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=Estaminet stage\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {audio_port} RTP/AVP {_AUDIO_PT}\r\na=rtpmap:{_AUDIO_PT} opus/48000/2\r\n"
        f"m=video {video_port} RTP/AVP {_VIDEO_PT}\r\na=rtpmap:{_VIDEO_PT} VP8/90000\r\n"
    )


def ffmpeg_command(ffmpeg: str, sdp_file: Path, address: str) -> list[str]:
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
        "-protocol_whitelist", "file,udp,rtp", "-fflags", "+genpts",
        "-analyzeduration", "3000000", "-probesize", "5000000", "-reorder_queue_size", "100",
        "-i", str(sdp_file),
        "-map", "0:v:0", "-map", "0:a:0",
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
        "-g", "50", "-b:v", "1500k", "-maxrate", "1500k", "-bufsize", "3000k",
        "-c:a", "aac", "-ar", "44100", "-b:a", "128k",
        "-f", "flv", address,
    ]  # fmt: skip


Forward = Callable[[int, int, int], Awaitable[list[int]]]
"""Ask Janus to forward a feed to (audio port, video port): returns forwarder ids."""
Unforward = Callable[[int, list[int]], Awaitable[None]]


class Restream:
    """One stage's restream: follows one live feed, runs ffmpeg, says how it goes."""

    def __init__(
        self,
        address: str,
        forward: Forward,
        unforward: Unforward,
        changed: Callable[[], Awaitable[None]],
        *,
        ffmpeg: str = "ffmpeg",
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._address = address
        self._forward = forward
        self._unforward = unforward
        self._changed = changed
        self._ffmpeg = ffmpeg
        self._retry = retry_seconds
        self.state = "waiting"
        self.feed: int | None = None
        self.failures = 0
        self._task: asyncio.Task[None] | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="estaminet-restream-"))
        self.process: asyncio.subprocess.Process | None = None

    def __repr__(self) -> str:  # never the address: it holds the stream key
        return f"<Restream {self.state} feed={self.feed}>"

    async def follow(self, feed: int | None) -> None:
        """Restream this live feed (or wait for one: ``None``)."""
        if feed == self.feed and (feed is None or self._task is not None):
            return
        await self._halt()
        self.feed = feed
        self.failures = 0
        if feed is None:
            await self._set("waiting")
            return
        self._task = asyncio.get_running_loop().create_task(self._run(feed))

    async def stop(self) -> None:
        await self._halt()
        self.state = "off"
        shutil.rmtree(self._folder, ignore_errors=True)

    async def _halt(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _set(self, state: str) -> None:
        if state != self.state:
            self.state = state
            await self._changed()

    async def _run(self, feed: int) -> None:
        while True:
            await self._set("starting" if self.failures == 0 else "retrying")
            sent = await self._once(feed)
            if sent:
                self.failures = 0
            self.failures += 1
            if self.failures >= TRIES:
                await self._set("failed")
                return
            await self._set("retrying")
            await asyncio.sleep(self._retry)

    async def _once(self, feed: int) -> bool:
        """Run ffmpeg on this feed until it exits; returns whether it sent frames."""
        if shutil.which(self._ffmpeg) is None:
            log.error("restream: ffmpeg is not installed (apt-get install ffmpeg)")
            return False
        audio_port, video_port = free_udp_ports(2)
        sdp_file = self._folder / "stage.sdp"
        sdp_file.write_text(sdp(audio_port, video_port))
        process = await asyncio.create_subprocess_exec(
            *ffmpeg_command(self._ffmpeg, sdp_file, self._address),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self.process = process
        said: deque[str] = deque(maxlen=_SAID_LINES)
        assert process.stderr is not None
        collecting = asyncio.get_running_loop().create_task(
            _collect(process.stderr, said, self._blotted)
        )
        streams: list[int] = []
        sent = False
        try:
            # Janus asks the performer's browser for a keyframe when the forward starts, and
            # ffmpeg can begin with nothing else: it must be listening by then (an ffmpeg slow to
            # start, on a cold or busy machine, would miss it and give up without a picture).
            if await _listening(process, (audio_port, video_port), BIND_SECONDS):
                try:
                    streams = await self._forward(feed, audio_port, video_port)
                except Exception as exc:  # Janus away or the feed gone: try again later
                    log.warning("restream: Janus did not forward the feed: %s", type(exc).__name__)
                    return False
            elif process.returncode is None:
                log.warning(
                    "restream: ffmpeg opened no port in %s s%s", BIND_SECONDS, self._told(said)
                )
                return False
            # (An ffmpeg that stopped before opening its ports is said below, with its words.)
            assert process.stdout is not None
            loop = asyncio.get_running_loop()
            deadline = loop.time() + FIRST_FRAME_SECONDS
            while True:
                if not sent and loop.time() > deadline:
                    log.warning(
                        "restream: ffmpeg sent no frame in %s s%s",
                        FIRST_FRAME_SECONDS,
                        self._told(said),
                    )
                    return False
                try:
                    raw = await asyncio.wait_for(
                        process.stdout.readline(), None if sent else FIRST_FRAME_SECONDS
                    )
                except TimeoutError:
                    continue
                if not raw:
                    break
                line = raw.decode(errors="replace").strip()
                frames = line.startswith("frame=") and line[6:].isdigit() and int(line[6:]) > 0
                if frames and not sent:
                    sent = True
                    await self._set("live")
            await process.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(collecting), 2)
            log.warning("restream: ffmpeg stopped (%s)%s", process.returncode, self._told(said))
            return sent
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 5)
                except TimeoutError:
                    process.kill()
                    await process.wait()
            collecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await collecting
            self.process = None
            if streams:
                with contextlib.suppress(Exception):
                    await self._unforward(feed, streams)

    def _told(self, said: deque[str]) -> str:
        """ffmpeg's last words for the log (each line blotted out as it came)."""
        return f": {' | '.join(said)}" if said else ""

    def _blotted(self, text: str) -> str:
        """``text`` with the address, its path, its query and its last part (the key)
        replaced by « … »."""
        parts = urlsplit(self._address)
        secrets = [self._address, parts.path, parts.query, parts.path.rstrip("/").split("/")[-1]]
        for secret in sorted((s for s in secrets if s), key=len, reverse=True):
            text = text.replace(secret, "…")
        return text


async def _collect(
    stream: asyncio.StreamReader, said: deque[str], blot: Callable[[str], str]
) -> None:
    """Keep the last lines ffmpeg writes on its error output, blotted out *before* they are
    cut short (a key cut in two would no longer be recognised), and read to the end so that
    ffmpeg never blocks on a full pipe. A line longer than the reader's limit (64 KiB) is
    dropped whole, its end included (and so, at worst, the line after it): never in part."""
    skipping = False
    while True:
        try:
            raw = await stream.readline()
        except ValueError:  # longer than the limit: what was read of it is gone
            skipping = True
            continue
        if not raw:
            return
        if skipping:  # the end of that over-long line
            skipping = False
            continue
        line = blot(raw.decode(errors="replace").strip())
        if line:
            said.append(line[:_SAID_WIDTH])


async def _listening(
    process: asyncio.subprocess.Process, ports: tuple[int, ...], within: float
) -> bool:
    """Wait until ``process`` (still running) has its UDP ``ports`` open: read from the
    kernel's socket table, where Linux has one; a short pause elsewhere."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if process.returncode is not None:
            return False
        opened = _open_udp_ports()
        if opened is None:
            await asyncio.sleep(0.5)
            return process.returncode is None
        if set(ports) <= opened:
            return True
        await asyncio.sleep(0.05)
    return False


def _open_udp_ports() -> set[int] | None:
    """The local ports of this machine's UDP sockets, IPv4 and IPv6 (``None`` without
    ``/proc``)."""
    found: set[int] = set()
    read = False
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        read = True
        for line in lines:
            fields = line.split()
            if len(fields) > 1 and ":" in fields[1]:
                found.add(int(fields[1].rsplit(":", 1)[1], 16))
    return found if read else None
