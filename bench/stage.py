"""The stage benchmark: one performer to N watchers through Janus VideoRoom.

    python -m bench.stage [--counts 10,50,100,200] [--window 10] [--smoke]

* **Janus**: Debian's ``janus`` with the configuration Estaminet writes
  (:mod:`estaminet.media.janus.config`), supervised as ``estaminet serve`` does it; the
  stage's room and every ticket come from Estaminet's :class:`JanusStage` (token auth, the
  room's ``allowed`` list, the performer's fixed feed), as on a real evening.
* **The performer**: an ``aiortc`` peer (not Chromium: 200 browsers do not fit on 2
  cores, and one browser publisher beside them would take a core). Synthetic tracks: a
  640×360 VP8 picture at 30 frames a second, its encoder held at 500 kbit/s (aiortc's
  VP8 encoder, its REMB-driven range pinned), and a 440 Hz Opus tone. Each picture carries
  its capture time (milliseconds, 32 bits) painted as black and white blocks in a clean
  top band; the rest is moving noise so that the encoder really spends its 500 kbit/s.
* **The watchers**: ``aiortc`` subscribers, as ``stage-janus.js`` subscribes (join as
  subscriber to the performer's feed, Janus's offer, an answer, ``start``). Two kinds:
  *probes* (2) decode the video and read the painted time back: delivery latency =
  the probe's clock when the decoded picture is in its hands − the painted capture time
  (same machine, same clock), so it includes encoding, Janus, the jitter buffer and
  decoding, as a person would see it; *light* watchers do not decode (a null decoder) and
  count the RTP packets and bytes they receive, so that 200 of them fit in two worker
  processes. Every watcher must receive audio and video during the window; those that do
  not are listed.
* **Baselines, same run**: the probe receives the same performer **peer to peer** (no
  Janus): its latency is the floor Janus is compared to. And Janus with the performer
  publishing and **no watcher**: its CPU is what each step's CPU per watcher is counted
  from.

At each step: Janus's CPU (``/proc`` of its process, through psutil) over the window and its
resident memory; the load generator's CPU (performer and watcher processes) and everyone
else's; the machine's memory in use. Results: ``bench/results/stage-<time>.json`` and
``.md``. This machine only (Janus and aiortc pair on the machine's own address, which the
kernel delivers through ``lo``: nothing leaves the machine);
bounded in watchers and time; Janus and the worker processes are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import multiprocessing
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil

from bench import machine, servers

__all__ = ["main"]

SPACE = "bench-scene"
WIDTH, HEIGHT, BAND = 640, 360, 48
BITS = 32
BLOCK = WIDTH // BITS
BITRATE = 500_000
NOISE = (64, 120)
"""The moving noise patch (rows, columns) that makes the encoder spend its bit rate."""
PROBES = 2
LIGHT_WORKERS = 2
RTP_PORTS = (50000, 52000)
_KEEPALIVE = 20.0


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _loopback_only() -> None:
    """aiortc gathers one host candidate: the machine's own IPv4 address, the one Janus offers.

    Debian's Janus skips the loopback interface when it gathers, and a pair from 127.0.0.1
    to the machine's address does not connect; packets to the machine's own address never
    leave it (the kernel delivers them through ``lo``: ``ip route get`` says ``local``).
    """
    import aioice.ice

    own = [a for a in aioice.ice.get_host_addresses(True, False) if ":" not in a][:1]
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: own or ["127.0.0.1"]


# -- Janus's HTTP API, as stage-janus.js speaks it -----------------------------------------


class JanusError(Exception):
    pass


class JanusSession:
    """One Janus session with a ticket's token: create, attach, plugin requests, keepalives."""

    def __init__(self, http: Any, server: str, token: str) -> None:
        self.http = http
        self.server = server
        self.token = token
        self.id: int | None = None
        self._keepalive: asyncio.Task[None] | None = None

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {"transaction": secrets.token_hex(6), "token": self.token, **body}
        answer: dict[str, Any] = (await self.http.post(self.server + path, json=body)).json()
        if answer.get("janus") == "error":
            raise JanusError(f"{answer['error']['code']}: {answer['error']['reason']}")
        return answer

    async def create(self) -> None:
        self.id = (await self._post("", {"janus": "create"}))["data"]["id"]

    async def attach(self) -> int:
        answer = await self._post(
            f"/{self.id}", {"janus": "attach", "plugin": "janus.plugin.videoroom"}
        )
        return int(answer["data"]["id"])

    async def request(
        self, handle: int, body: dict[str, Any], jsep: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A plugin request; an asynchronous answer is read from the session's long poll."""
        transaction = secrets.token_hex(6)
        message: dict[str, Any] = {"janus": "message", "transaction": transaction, "body": body}
        if jsep is not None:
            message["jsep"] = jsep
        answer = await self._post(f"/{self.id}/{handle}", message)
        deadline = time.monotonic() + 30
        while answer.get("janus") == "ack":
            if time.monotonic() > deadline:
                raise JanusError(f"no answer to {body.get('request')}")
            events = (
                await self.http.get(
                    f"{self.server}/{self.id}", params={"token": self.token, "maxev": 5}
                )
            ).json()
            for event in events if isinstance(events, list) else [events]:
                if event.get("transaction") == transaction and event.get("janus") != "ack":
                    answer = event
        data = answer.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(f"{data['error_code']}: {data.get('error')}")
        return answer

    def keep_alive(self) -> None:
        async def loop() -> None:
            while True:
                await asyncio.sleep(_KEEPALIVE)
                with contextlib.suppress(Exception):
                    await self._post(f"/{self.id}", {"janus": "keepalive"})

        self._keepalive = asyncio.create_task(loop())

    async def destroy(self) -> None:
        if self._keepalive is not None:
            self._keepalive.cancel()
        with contextlib.suppress(Exception):
            await self._post(f"/{self.id}", {"janus": "destroy"})


# -- The performer's synthetic tracks ---------------------------------------------------------


def _tracks() -> tuple[Any, Any]:
    import av
    import numpy as np
    from aiortc.mediastreams import AUDIO_PTIME, AudioStreamTrack, VideoStreamTrack

    class PaintedVideo(VideoStreamTrack):
        """Moving noise below a band of 32 blocks: the capture time in milliseconds."""

        def __init__(self) -> None:
            super().__init__()
            self._rng = np.random.default_rng(7)
            self._noise = self._rng.integers(0, 256, (HEIGHT * 2, WIDTH), dtype=np.uint8)
            ramp = (np.arange(2 * WIDTH) % 256).astype(np.uint8)
            self._ramp = np.tile(ramp, (HEIGHT - BAND, 1))
            self._n = 0

        async def recv(self) -> Any:
            pts, time_base = await self.next_timestamp()
            picture = np.full((HEIGHT * 3 // 2, WIDTH), 128, dtype=np.uint8)
            picture[BAND:HEIGHT] = self._ramp[:, (self._n * 4) % WIDTH :][:, :WIDTH]
            shift = (self._n * 7) % HEIGHT
            picture[BAND + 40 : BAND + 40 + NOISE[0], 160 : 160 + NOISE[1]] = self._noise[
                shift : shift + NOISE[0], : NOISE[1]
            ]
            self._n += 1
            stamp = int(time.time() * 1000) & 0xFFFFFFFF
            half = BAND // 2
            for bit in range(BITS):
                on = (stamp >> (BITS - 1 - bit)) & 1
                columns = slice(bit * BLOCK, (bit + 1) * BLOCK)
                picture[:half, columns] = 255 if on else 0
                picture[half:BAND, columns] = 0 if on else 255  # the check: each bit inverted
            frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")
            frame.pts, frame.time_base = pts, time_base
            return frame

    class Tone(AudioStreamTrack):
        """A 440 Hz tone, 48 kHz mono, 20 ms frames."""

        async def recv(self) -> Any:
            silent = await super().recv()
            samples = int(AUDIO_PTIME * 48000)
            start = int(silent.pts)
            t = (np.arange(start, start + samples) / 48000.0).astype(np.float32)
            wave = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(wave, format="s16", layout="mono")
            frame.sample_rate, frame.pts = 48000, silent.pts
            frame.time_base = fractions.Fraction(1, 48000)
            return frame

    return PaintedVideo(), Tone()


def _pin_bitrate() -> None:
    """Hold aiortc's VP8 encoder at 500 kbit/s whatever REMB the receiver sends."""
    import aiortc.codecs.vpx as vpx

    vpx.MIN_BITRATE = vpx.MAX_BITRATE = vpx.DEFAULT_BITRATE = BITRATE


def read_stamp(luma: Any) -> int | None:
    """The capture time painted in a decoded picture's luma plane (milliseconds, 32 bits).

    The band's upper half carries the bits, its lower half each bit inverted: a picture the
    encoder blurred or a decoder mangled (a bit whose two halves agree) reads as None, to be
    counted as unreadable, never as a plausible but wrong latency.
    """
    half = BAND // 2
    bits, check = luma[half // 4 : half * 3 // 4], luma[half + half // 4 : half + half * 3 // 4]
    value = 0
    for bit in range(BITS):
        columns = slice(bit * BLOCK + BLOCK // 4, (bit + 1) * BLOCK - BLOCK // 4)
        on, inverted = float(bits[:, columns].mean()) > 128, float(check[:, columns].mean()) > 128
        if on == inverted:
            return None
        value = (value << 1) | on
    return value


def latency_ms(now: float, stamp: int) -> int:
    return (int(now * 1000) - stamp) & 0xFFFFFFFF


# -- Watchers, in worker processes ---------------------------------------------------------------


class _NullDecoder:
    def decode(self, encoded_frame: Any) -> list[Any]:
        return []


@dataclass
class _Watcher:
    pc: Any
    session: JanusSession | None
    latencies: list[int] = field(default_factory=list)
    unreadable: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {"audio_packets": 0, "video_packets": 0, "audio_bytes": 0, "video_bytes": 0}
        for receiver in self.pc.getReceivers():
            got = receiver.__dict__.get("_bench_counts", (0, 0))
            kind = receiver.track.kind if receiver.track is not None else "video"
            out[f"{kind}_packets"] += got[0]
            out[f"{kind}_bytes"] += got[1]
        return out


def _count_rtp() -> None:
    from aiortc.rtcrtpreceiver import RTCRtpReceiver

    original = RTCRtpReceiver._handle_rtp_packet

    async def counted(self: Any, packet: Any, arrival_time_ms: int) -> None:
        packets, size = self.__dict__.get("_bench_counts", (0, 0))
        self.__dict__["_bench_counts"] = (packets + 1, size + len(packet.payload))
        await original(self, packet, arrival_time_ms)

    RTCRtpReceiver._handle_rtp_packet = counted  # type: ignore[method-assign]


def _consume(watcher: _Watcher, track: Any, decode: bool) -> None:
    async def pictures() -> None:
        with contextlib.suppress(Exception):
            while True:
                frame = await track.recv()
                now = time.time()
                if track.kind != "video" or not decode:
                    continue
                stamp = read_stamp(frame.to_ndarray()[:HEIGHT])
                late = 10_000 if stamp is None else latency_ms(now, stamp)
                if late < 10_000:
                    watcher.latencies.append(late)
                else:
                    watcher.unreadable += 1

    watcher.tasks.append(asyncio.create_task(pictures()))


async def _subscribe(http: Any, ticket: dict[str, Any], feed: int, decode: bool) -> _Watcher:
    from aiortc import RTCPeerConnection, RTCSessionDescription

    session = JanusSession(http, ticket["server"], ticket["token"])
    await session.create()
    handle = await session.attach()
    joined = await session.request(
        handle,
        {
            "request": "join",
            "ptype": "subscriber",
            "room": ticket["room"],
            "streams": [{"feed": feed}],
            "token": ticket["token"],
        },
    )
    pc = RTCPeerConnection()
    watcher = _Watcher(pc, session)
    pc.on("track", lambda track: _consume(watcher, track, decode))
    await pc.setRemoteDescription(RTCSessionDescription(joined["jsep"]["sdp"], "offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    await session.request(
        handle, {"request": "start"}, {"type": "answer", "sdp": pc.localDescription.sdp}
    )
    session.keep_alive()
    return watcher


async def _subscribe_all(
    http: Any, tickets: list[dict[str, Any]], feed: int, decode: bool
) -> list[_Watcher | str]:
    """Subscribe a watcher per ticket, 8 at a time; a failure is its message."""
    gate = asyncio.Semaphore(8)

    async def one(ticket: dict[str, Any]) -> _Watcher | str:
        async with gate:
            try:
                return await _subscribe(http, ticket, feed, decode)
            except Exception as error:
                return f"{type(error).__name__}: {error}"

    return list(await asyncio.gather(*(one(t) for t in tickets)))


async def _worker_main(conn: Connection, decode: bool) -> None:
    import httpx
    from aiortc import RTCPeerConnection, RTCSessionDescription, rtcrtpreceiver

    _loopback_only()
    _count_rtp()
    if not decode:
        rtcrtpreceiver.get_decoder = lambda codec: _NullDecoder()  # type: ignore[assignment]
    watchers: list[_Watcher] = []
    async with httpx.AsyncClient(timeout=40, limits=httpx.Limits(max_connections=32)) as http:
        while True:
            command, *args = await asyncio.to_thread(conn.recv)
            if command == "add":
                tickets, feed = args
                made = await _subscribe_all(http, tickets, feed, decode)
                watchers += [w for w in made if isinstance(w, _Watcher)]
                conn.send([m for m in made if isinstance(m, str)])
            elif command == "p2p":
                pc = RTCPeerConnection()
                watcher = _Watcher(pc, None)
                pc.on("track", lambda track, w=watcher: _consume(w, track, decode))
                await pc.setRemoteDescription(RTCSessionDescription(args[0], "offer"))
                await pc.setLocalDescription(await pc.createAnswer())
                watchers.append(watcher)
                conn.send(pc.localDescription.sdp)
            elif command == "drop":  # the peer-to-peer probe, once its phase is over
                for watcher in watchers:
                    for task in watcher.tasks:
                        task.cancel()
                    await watcher.pc.close()
                watchers.clear()
                conn.send("dropped")
            elif command == "stats":
                stats = []
                for w in watchers:
                    stats.append(
                        {**w.counts(), "latencies": w.latencies, "unreadable": w.unreadable}
                    )
                    w.latencies, w.unreadable = [], 0
                conn.send(stats)
            else:  # stop
                for watcher in watchers:
                    for task in watcher.tasks:
                        task.cancel()
                    if watcher.session is not None:
                        await watcher.session.destroy()
                    with contextlib.suppress(Exception):
                        await watcher.pc.close()
                conn.send("stopped")
                return


def _worker(conn: Connection, decode: bool) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_worker_main(conn, decode))


class Workers:
    """The watcher processes: one for the probes (decoding), the others for light watchers."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes: list[Any] = []
        for decode in [True] + [False] * LIGHT_WORKERS:
            mine, theirs = context.Pipe()
            process = context.Process(target=_worker, args=(theirs, decode), daemon=True)
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)
        self.sizes = [0] * len(self.pipes)

    async def ask(self, index: int, *message: Any) -> Any:
        pipe = self.pipes[index]
        pipe.send(message)
        return await asyncio.wait_for(asyncio.to_thread(pipe.recv), 600)

    def cpu_seconds(self) -> float:
        total = 0.0
        for process in self.processes:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(process.pid).cpu_times()
                total += times.user + times.system
        return total

    async def stats(self) -> list[list[dict[str, Any]]]:
        return list(await asyncio.gather(*(self.ask(i, "stats") for i in range(len(self.pipes)))))

    async def stop(self) -> None:
        for index in range(len(self.pipes)):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ask(index, "stop"), 60)
        for process in self.processes:
            process.join(5)
            if process.is_alive():
                process.kill()


# -- The run --------------------------------------------------------------------------------------


def udp_receive_drops() -> int:
    """The machine's count of UDP datagrams dropped for a full receive buffer."""
    try:
        lines = [row.split() for row in Path("/proc/net/snmp").read_text().splitlines()]
    except OSError:
        return 0
    udp = [row for row in lines if row and row[0] == "Udp:"]
    if len(udp) < 2 or "RcvbufErrors" not in udp[0]:
        return 0
    return int(udp[1][udp[0].index("RcvbufErrors")])


def _percentile(values: list[int], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


@dataclass
class Step:
    watchers: int
    janus_cpu_cores: float = 0.0
    janus_rss_mib: float = 0.0
    cpu_percent_per_watcher: float | None = None
    loadgen_cpu_cores: float = 0.0
    others_cpu_cores: float = 0.0
    machine_memory_used_gib: float = 0.0
    kbps_per_watcher_video: float = 0.0
    kbps_per_watcher_audio: float = 0.0
    packets_per_watcher_per_second: float = 0.0
    min_kbps_video: float = 0.0
    without_media: int = 0
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    latency_samples: int = 0
    unreadable_pictures: int = 0
    udp_drops_per_second: float = 0.0
    """Datagrams the kernel dropped because a receiving socket's buffer was full (whole
    machine, ``/proc/net/snmp``): a load generator that cannot keep up."""
    failed_to_join: list[str] = field(default_factory=list)


async def _window(
    janus: psutil.Process | None, workers: Workers, seconds: float
) -> tuple[Step, list[dict[str, Any]]]:
    """Measure ``seconds``: CPU of Janus, of the load generator, of the rest; watchers' media."""
    before = await workers.stats()
    janus_cpu = sum(janus.cpu_times()[:2]) if janus else 0.0
    own, busy, load = machine.own_cpu_seconds(), machine.busy_seconds(), workers.cpu_seconds()
    drops = udp_receive_drops()
    started = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - started
    drops = udp_receive_drops() - drops
    janus_used = (sum(janus.cpu_times()[:2]) - janus_cpu) if janus else 0.0
    loadgen = machine.own_cpu_seconds() - own + workers.cpu_seconds() - load
    others = max(0.0, machine.busy_seconds() - busy - loadgen - janus_used)
    after = await workers.stats()
    rows: list[dict[str, Any]] = []
    for first, last in zip(before, after, strict=True):
        for a, b in zip(first, last, strict=False):
            rows.append(
                {
                    key: (b[key] - a[key]) / elapsed
                    for key in ("audio_packets", "video_packets", "audio_bytes", "video_bytes")
                }
                | {"latencies": b["latencies"], "unreadable": b["unreadable"]}
            )
    step = Step(watchers=0)
    step.janus_cpu_cores = janus_used / elapsed
    step.udp_drops_per_second = drops / elapsed
    step.janus_rss_mib = janus.memory_info().rss / 2**20 if janus else 0.0
    step.loadgen_cpu_cores = loadgen / elapsed
    step.others_cpu_cores = others / elapsed
    memory = psutil.virtual_memory()
    step.machine_memory_used_gib = (memory.total - memory.available) / 2**30
    if rows:
        step.kbps_per_watcher_video = sum(8 * r["video_bytes"] for r in rows) / len(rows) / 1000
        step.kbps_per_watcher_audio = sum(8 * r["audio_bytes"] for r in rows) / len(rows) / 1000
        step.packets_per_watcher_per_second = sum(
            r["audio_packets"] + r["video_packets"] for r in rows
        ) / len(rows)
        step.min_kbps_video = min(8 * r["video_bytes"] / 1000 for r in rows)
        step.without_media = sum(
            1 for r in rows if r["video_packets"] <= 0 or r["audio_packets"] <= 0
        )
    latencies = [x for r in rows for x in r["latencies"]]
    step.latency_p50_ms = _percentile(latencies, 0.5)
    step.latency_p99_ms = _percentile(latencies, 0.99)
    step.latency_samples = len(latencies)
    step.unreadable_pictures = sum(r["unreadable"] for r in rows)
    return step, rows


async def _publisher_kbps(pc: Any, seconds: float) -> float:
    async def sent() -> int:
        total = 0
        for sender in pc.getSenders():
            if sender.track is not None and sender.track.kind == "video":
                for stat in (await sender.getStats()).values():
                    if stat.type == "outbound-rtp":
                        total += stat.bytesSent
        return total

    first = await sent()
    await asyncio.sleep(seconds)
    return 8 * (await sent() - first) / seconds / 1000


async def _peer_to_peer(workers: Workers, options: argparse.Namespace) -> dict[str, Any]:
    """The baseline: the same performer straight to the probe process, no Janus."""
    from aiortc import RTCPeerConnection, RTCSessionDescription

    video, audio = _tracks()
    pc = RTCPeerConnection()
    pc.addTrack(audio)
    pc.addTrack(video)
    await pc.setLocalDescription(await pc.createOffer())
    answer = await workers.ask(0, "p2p", pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    await asyncio.sleep(options.settle)
    step, _ = await _window(None, workers, options.window)
    kbps = await _publisher_kbps(pc, 3.0)
    await workers.ask(0, "drop")
    await pc.close()
    return {"step": asdict(step), "publisher_video_kbps": kbps}


async def _publish(http: Any, stage: Any) -> tuple[Any, JanusSession, int]:
    from aiortc import RTCPeerConnection, RTCSessionDescription

    ticket = await stage.admit(SPACE, "performer")
    session = JanusSession(http, ticket.server, ticket.token)
    await session.create()
    handle = await session.attach()
    await session.request(
        handle,
        {
            "request": "join",
            "ptype": "publisher",
            "room": ticket.room,
            "id": ticket.participant,
            "token": ticket.token,
        },
    )
    video, audio = _tracks()
    pc = RTCPeerConnection()
    pc.addTrack(audio)
    pc.addTrack(video)
    await pc.setLocalDescription(await pc.createOffer())
    answer = await session.request(
        handle, {"request": "publish"}, {"type": "offer", "sdp": pc.localDescription.sdp}
    )
    await pc.setRemoteDescription(RTCSessionDescription(answer["jsep"]["sdp"], "answer"))
    session.keep_alive()
    return pc, session, ticket.participant


async def _run(options: argparse.Namespace, command: str) -> int:
    import httpx

    from estaminet.media.janus.client import JanusClient
    from estaminet.media.janus.config import JanusLayout
    from estaminet.media.janus.supervisor import JanusSupervisor
    from estaminet.media.janus.videoroom import JanusStage

    _loopback_only()
    _pin_bitrate()
    executable = shutil.which("janus")
    assert executable is not None
    run: dict[str, Any] = {
        "command": command,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "revision": machine.revision(),
        "machine": machine.describe(),
        "window_seconds": options.window,
        "steps": [],
    }
    workers = Workers()
    with tempfile.TemporaryDirectory(prefix="bench-stage-") as tmp:
        layout = JanusLayout(
            folder=Path(tmp) / "janus" / "conf",
            http_port=servers.free_port(),
            admin_port=servers.free_port(),
            admin_secret=secrets.token_urlsafe(16),
            room_admin_key=secrets.token_urlsafe(16),
            rtp_ports=RTP_PORTS,
        )
        supervisor = JanusSupervisor(layout, executable)
        client = JanusClient(layout.url, layout.admin_url, layout.admin_secret)
        stage = JanusStage(
            client,
            public_url=layout.url,
            key=secrets.token_hex(16),
            room_admin_key=layout.room_admin_key,
            ticket_seconds=3600,
        )
        publisher: Any = None
        session: JanusSession | None = None
        try:
            _say("[stage] baseline: the performer straight to the probe, no Janus")
            run["peer_to_peer"] = await _peer_to_peer(workers, options)
            _say(f"[stage] peer to peer: {run['peer_to_peer']['step']}")
            if not await supervisor.start():
                _say(f"Janus did not start; see {layout.log_file}")
                return 1
            assert supervisor.pid is not None
            janus = psutil.Process(supervisor.pid)
            async with httpx.AsyncClient(timeout=40) as http:
                publisher, session, feed = await _publish(http, stage)
                await asyncio.sleep(options.settle)
                alone, _ = await _window(janus, workers, options.window)
                run["janus_publisher_only"] = asdict(alone)
                run["publisher_video_kbps"] = await _publisher_kbps(publisher, 3.0)
                _say(f"[stage] Janus with the performer and nobody watching: {alone}")
                admitted = 0
                for count in options.counts:
                    tickets: list[list[dict[str, Any]]] = [[] for _ in workers.pipes]
                    while admitted < count:
                        ticket = await stage.admit(SPACE, f"watcher-{admitted}")
                        data = {"server": ticket.server, "room": ticket.room, "token": ticket.token}
                        index = 0 if admitted < PROBES else 1 + (admitted - PROBES) % LIGHT_WORKERS
                        tickets[index].append(data)
                        admitted += 1
                    _say(f"[stage] {count} watchers: subscribing")
                    failures = await asyncio.gather(
                        *(
                            workers.ask(i, "add", batch, feed)
                            for i, batch in enumerate(tickets)
                            if batch
                        )
                    )
                    await asyncio.sleep(options.settle)
                    step, _ = await _window(janus, workers, options.window)
                    step.watchers = count
                    step.failed_to_join = [f for batch in failures for f in batch]
                    step.cpu_percent_per_watcher = (
                        100 * (step.janus_cpu_cores - alone.janus_cpu_cores) / count
                    )
                    run["steps"].append(asdict(step))
                    _say(f"[stage] {count} watchers: {step}")
        finally:
            with contextlib.suppress(Exception):
                await workers.stop()
            if session is not None:
                await session.destroy()
            if publisher is not None:
                await publisher.close()
            with contextlib.suppress(Exception):
                await stage.close(SPACE)
            await client.aclose()
            await supervisor.stop()
    text = _report(run)
    servers.RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (servers.RESULTS / f"stage-{stamp}.json").write_text(json.dumps(run, indent=2))
    (servers.RESULTS / f"stage-{stamp}.md").write_text(text)
    print(text)
    ok = run["steps"] and all(
        s["without_media"] == 0 and not s["failed_to_join"] for s in run["steps"]
    )
    return 0 if ok else 1


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _report(run: dict[str, Any]) -> str:
    p2p = run["peer_to_peer"]["step"]
    alone = run.get("janus_publisher_only", {})
    floor = p2p["latency_p50_ms"]
    lines = [
        "## Stage benchmark: one performer to N watchers through Janus VideoRoom",
        "",
        f"`{run['command']}` at {run['revision'] or 'an unknown commit'} — "
        f"{run['machine']['cpu']}, {run['machine']['cores']} cores (shared), "
        f"{run['window_seconds']:g} s windows",
        "",
        f"Performer's video as sent: {_f(run.get('publisher_video_kbps'))} kbit/s through "
        f"Janus, {_f(run['peer_to_peer']['publisher_video_kbps'])} kbit/s peer to peer.",
        "",
        f"Baseline, peer to peer (no Janus, the probe only): latency p50 {_f(floor)} ms, "
        f"p99 {_f(p2p['latency_p99_ms'])} ms ({p2p['latency_samples']} pictures); "
        f"video received {_f(p2p['kbps_per_watcher_video'])} kbit/s.",
        "",
        f"Baseline, Janus with the performer and nobody watching: "
        f"{_f(100 * alone.get('janus_cpu_cores', 0.0), 2)} % of a core, "
        f"{_f(alone.get('janus_rss_mib'))} MiB resident.",
        "",
        "| watchers | Janus CPU (% of a core) | Janus CPU per watcher (% of a core) "
        "| Janus RSS MiB | video kbit/s per watcher (mean / lowest) | audio kbit/s "
        "| packets/s per watcher | without media | latency p50 / p99 ms "
        "| p50 × peer to peer | UDP datagrams dropped/s (full receive buffers) "
        "| load generator (cores) | others (cores) | machine memory GiB |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for s in run["steps"]:
        ratio = f"{s['latency_p50_ms'] / floor:.2f}×" if floor and s["latency_p50_ms"] else "–"
        lines.append(
            f"| {s['watchers']} | {_f(100 * s['janus_cpu_cores'])} "
            f"| {_f(s['cpu_percent_per_watcher'], 2)} | {_f(s['janus_rss_mib'])} "
            f"| {_f(s['kbps_per_watcher_video'])} / {_f(s['min_kbps_video'])} "
            f"| {_f(s['kbps_per_watcher_audio'])} | {_f(s['packets_per_watcher_per_second'], 0)} "
            f"| {s['without_media']} | {_f(s['latency_p50_ms'], 0)} / "
            f"{_f(s['latency_p99_ms'], 0)} | {ratio} | {_f(s['udp_drops_per_second'], 0)} "
            f"| {_f(s['loadgen_cpu_cores'], 2)} "
            f"| {_f(s['others_cpu_cores'], 2)} | {_f(s['machine_memory_used_gib'], 2)} |"
        )
    notes = [
        f"- {s['watchers']} watchers: {len(s['failed_to_join'])} could not subscribe "
        f"({s['failed_to_join'][0]})"
        for s in run["steps"]
        if s["failed_to_join"]
    ]
    notes += [
        f"- {s['watchers']} watchers: {s['unreadable_pictures']} pictures whose painted time "
        "could not be read"
        for s in run["steps"]
        if s["unreadable_pictures"]
    ]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--counts",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[10, 50, 100, 200],
        help="watchers at each step (default 10,50,100,200)",
    )
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured per step")
    parser.add_argument("--settle", type=float, default=4.0, help="seconds before measuring")
    parser.add_argument("--smoke", action="store_true", help="3 watchers, 3 s windows (CI)")
    options = parser.parse_args(argv)
    if options.smoke:
        options.counts, options.window, options.settle = [3], 3.0, 3.0
    if shutil.which("janus") is None:
        print("needs Debian's janus (apt-get install -y janus)")
        return 1
    command = "python -m bench.stage " + " ".join(sys.argv[1:] if argv is None else argv)
    try:
        return asyncio.run(_cancellable(_run(options, command.strip())))
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 130


async def _cancellable(work: Coroutine[Any, Any, int]) -> int:
    """Run ``work``; SIGTERM cancels it, so that Janus and the watchers are stopped."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await work


if __name__ == "__main__":
    raise SystemExit(main())
