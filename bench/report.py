"""Benchmark results: what was measured, as JSON for the record and Markdown for people.

Targets are reported, never asserted: the verdicts in :func:`targets` say
"met", "missed" or, when the run did not use the target load, "not measured".
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.load import Latency

__all__ = ["Phase", "Run", "Scenario", "markdown", "targets"]

TARGET_CLIENTS = 1000
TARGET_RATE = 10.0
TARGET_P99_MS = 100.0
TARGET_VS_WEBSOCKETS = 0.60
TARGET_IDLE_KIB = 30.0


@dataclass
class Phase:
    """One measured phase: a steady rate or saturation."""

    posted: int
    delivered: int
    expected: int
    seconds: float
    """From the first send to the last delivery."""
    server_cpu: float
    """CPU-seconds (user + system) the server used over the phase, drain included."""
    loadgen_cpu: float
    others_cpu: float
    """CPU-seconds used meanwhile by every other process on the machine."""
    wall: float
    """Wall-clock length of the CPU measurement window."""
    latency: Latency | None
    drained: bool
    """Whether every posted message reached every listener."""
    stalled: bool = False
    wire_bytes: int = 0
    """Bytes the listeners read from their sockets over the phase (as sent: compressed, framed)."""

    @property
    def wire_bytes_per_delivery(self) -> float:
        return self.wire_bytes / self.delivered if self.delivered else 0.0

    @property
    def deliveries_per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0

    @property
    def deliveries_per_cpu_second(self) -> float:
        return self.delivered / self.server_cpu if self.server_cpu > 0 else 0.0

    @property
    def cpu_ms_per_1000(self) -> float:
        return self.server_cpu / self.delivered * 1e6 if self.delivered else 0.0

    @property
    def server_load(self) -> float:
        """Share of one core the server used."""
        return self.server_cpu / self.wall if self.wall > 0 else 0.0

    @property
    def loadgen_load(self) -> float:
        return self.loadgen_cpu / self.wall if self.wall > 0 else 0.0

    @property
    def others_load(self) -> float:
        """Cores' worth of CPU other processes took meanwhile (the machine has 2)."""
        return self.others_cpu / self.wall if self.wall > 0 else 0.0

    @property
    def lost(self) -> int:
        return self.expected - self.delivered


@dataclass
class Scenario:
    """One server, one compression setting."""

    server: str
    compression: bool
    clients: int
    memory_before: int = 0
    memory_after: int = 0
    message_bytes: int = 0
    """Size of one delivered message as the client reads it (decompressed)."""
    steady: Phase | None = None
    saturation: Phase | None = None
    profiled: bool = False
    attempt: int = 1
    """Which run of the scenario this is (it is run again while other processes disturb it)."""
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.server} ({'deflate' if self.compression else 'no compression'})"

    @property
    def idle_kib_per_connection(self) -> float | None:
        if not self.memory_after or not self.clients:
            return None
        return (self.memory_after - self.memory_before) / self.clients / 1024

    @property
    def delivered(self) -> int:
        return sum(p.delivered for p in (self.steady, self.saturation) if p is not None)

    @property
    def disturbance(self) -> float:
        """The most CPU other processes took during a measured phase, in cores."""
        phases = [p.others_load for p in (self.steady, self.saturation) if p is not None]
        return max(phases, default=0.0)


@dataclass
class Run:
    command: str
    settings: dict[str, Any]
    machine: dict[str, Any]
    scenarios: list[Scenario] = field(default_factory=list)
    disturbed: list[Scenario] = field(default_factory=list)
    """Runs of a scenario that other processes disturbed and a quieter run replaced (JSON only)."""

    def to_json(self) -> str:
        def encode(value: Any) -> Any:
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                data = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
                for name in _DERIVED.get(type(value).__name__, ()):
                    data[name] = getattr(value, name)
                return data
            if isinstance(value, list):
                return [encode(v) for v in value]
            return value

        return json.dumps(encode(self), indent=2)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json())


_DERIVED = {
    "Phase": (
        "deliveries_per_second",
        "deliveries_per_cpu_second",
        "cpu_ms_per_1000",
        "server_load",
        "loadgen_load",
        "others_load",
        "lost",
        "wire_bytes_per_delivery",
    ),
    "Scenario": ("idle_kib_per_connection", "disturbance"),
}


# -- Markdown ---------------------------------------------------------------------


def _ms(latency: Latency | None, name: str) -> str:
    return f"{getattr(latency, name):.1f}" if latency else "–"


def _pct(value: float) -> str:
    return f"{value * 100:.0f} %"


def _steady_table(scenarios: list[Scenario]) -> list[str]:
    rows = [
        "| server | compression | deliveries/s | delivered / expected | p50 ms | p99 ms | max ms "
        "| server CPU | CPU ms per 1,000 deliveries | load generator CPU | other processes |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for s in scenarios:
        p = s.steady
        if p is None:
            rows.append(f"| {s.server} | {_mode(s)} | {_failed(s)} ||||||||| ")
            continue
        rows.append(
            f"| {s.server} | {_mode(s)} | {p.deliveries_per_second:,.0f} "
            f"| {p.delivered:,} / {p.expected:,} | {_ms(p.latency, 'p50')} "
            f"| {_ms(p.latency, 'p99')} | {_ms(p.latency, 'max')} | {_pct(p.server_load)} "
            f"| {p.cpu_ms_per_1000:.1f} | {_pct(p.loadgen_load)} | {_pct(p.others_load)} |"
        )
    return rows


def _saturation_table(scenarios: list[Scenario]) -> list[str]:
    rows = [
        "| server | compression | deliveries/s | deliveries per server CPU-second "
        "| server CPU | p50 ms | p99 ms | delivered / expected | load generator CPU "
        "| other processes |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for s in scenarios:
        p = s.saturation
        if p is None:
            rows.append(f"| {s.server} | {_mode(s)} | {_failed(s)} |||||||| ")
            continue
        stalled = " (stalled)" if p.stalled else ""
        rows.append(
            f"| {s.server} | {_mode(s)} | {p.deliveries_per_second:,.0f} "
            f"| **{p.deliveries_per_cpu_second:,.0f}** | {_pct(p.server_load)} "
            f"| {_ms(p.latency, 'p50')} | {_ms(p.latency, 'p99')} "
            f"| {p.delivered:,} / {p.expected:,}{stalled} | {_pct(p.loadgen_load)} "
            f"| {_pct(p.others_load)} |"
        )
    return rows


def _memory_table(scenarios: list[Scenario]) -> list[str]:
    rows = [
        "| server | compression | server memory before | with the idle clients "
        "| per idle connection | one delivered message | on the wire per delivery (steady) |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for s in scenarios:
        per = s.idle_kib_per_connection
        if not s.memory_after:
            rows.append(f"| {s.server} | {_mode(s)} | {_failed(s)} ||||| ")
            continue
        rows.append(
            f"| {s.server} | {_mode(s)} | {s.memory_before / 2**20:.1f} MiB "
            f"| {s.memory_after / 2**20:.1f} MiB | {f'{per:.1f} KiB' if per is not None else '–'} "
            f"| {s.message_bytes:,} B | {_wire(s)} |"
        )
    return rows


def _wire(s: Scenario) -> str:
    p = s.steady
    return f"{p.wire_bytes_per_delivery:,.0f} B" if p is not None and p.wire_bytes else "–"


def _ratio_table(scenarios: list[Scenario]) -> list[str]:
    rows = [
        "| compression | Estaminet / websockets (target ≥ 60 %) "
        "| Estaminet / python-socketio (target > 100 %) |",
        "|---|--:|--:|",
    ]
    for compression in sorted({s.compression for s in scenarios}):
        ratios = [_ratio(scenarios, compression, b) for b in ("websockets", "socketio")]
        cells = [_pct(r) if r is not None else "–" for r in ratios]
        rows.append(f"| {'deflate' if compression else 'none'} | {cells[0]} | {cells[1]} |")
    return rows


def _ratio(scenarios: list[Scenario], compression: bool, baseline: str) -> float | None:
    def rate(server: str) -> float | None:
        for s in scenarios:
            if s.server == server and s.compression == compression and s.saturation:
                return s.saturation.deliveries_per_cpu_second or None
        return None

    ours, theirs = rate("estaminet"), rate(baseline)
    return ours / theirs if ours and theirs else None


def _mode(s: Scenario) -> str:
    return "deflate" if s.compression else "none"


def _failed(s: Scenario) -> str:
    return f"failed: {s.error.splitlines()[0]}" if s.error else "not run"


def targets(run: Run) -> list[tuple[str, str]]:
    """Each target of the issue with its verdict: met, missed or not measured."""
    settings = run.settings
    at_load = settings["clients"] >= TARGET_CLIENTS and settings["rate"] >= TARGET_RATE
    found = {(s.server, s.compression): s for s in run.scenarios}
    verdicts: list[tuple[str, str]] = []

    for compression in (False, True):
        ours = found.get(("estaminet", compression))
        mode = "deflate" if compression else "no compression"
        name = f"p99 < {TARGET_P99_MS:.0f} ms at 1,000 clients × 10 msg/s ({mode})"
        if ours is None or ours.steady is None or ours.steady.latency is None:
            continue
        p99 = ours.steady.latency.p99
        verdict = _verdict(p99 < TARGET_P99_MS and ours.steady.drained, at_load)
        verdicts.append((name, f"{verdict} (p99 {p99:.1f} ms)"))

        for baseline, floor, label in (
            ("websockets", TARGET_VS_WEBSOCKETS, "≥ 60 % of bare websockets"),
            ("socketio", 1.0, "more than python-socketio"),
        ):
            ratio = _ratio(run.scenarios, compression, baseline)
            if ratio is None:
                continue
            ok = ratio >= floor if baseline == "websockets" else ratio > floor
            verdicts.append(
                (
                    f"saturation deliveries per CPU-second {label} ({mode})",
                    f"{_verdict(ok, at_load)} ({ratio * 100:.0f} %)",
                )
            )

    plain = found.get(("estaminet", False))
    if plain is not None and plain.idle_kib_per_connection is not None:
        kib = plain.idle_kib_per_connection
        verdict = _verdict(kib < TARGET_IDLE_KIB, settings["clients"] >= TARGET_CLIENTS)
        verdicts.append(
            (
                f"under {TARGET_IDLE_KIB:.0f} KiB per idle connection (no compression)",
                f"{verdict} ({kib:.1f} KiB)",
            )
        )
    return verdicts


def _verdict(ok: bool, at_load: bool) -> str:
    if not at_load:
        return "not measured at the target load"
    return "met" if ok else "MISSED"


def markdown(run: Run) -> str:
    """The summary printed at the end of a run."""
    s = run.settings
    lines = [
        f"## Delivery benchmark: {s['clients']:,} clients in one room",
        "",
        f"`{run.command}` (Estaminet at {run.settings.get('revision') or 'an unknown commit'})",
        "",
        f"Machine: {run.machine['cpu']}, {run.machine['cores']} cores, "
        f"Python {run.machine['python']}.",
        "",
        f"### Steady: {s['rate']:g} messages/s for {s['duration']:g} s "
        f"({s['clients'] * s['rate']:,.0f} deliveries/s expected)",
        "",
        *_steady_table(run.scenarios),
        "",
        f"### Saturation: {s['window']} messages in flight for {s['saturation']:g} s",
        "",
        *_saturation_table(run.scenarios),
        "",
        "### Memory",
        "",
        *_memory_table(run.scenarios),
        "",
        "### Estaminet against the baselines (saturation, deliveries per server CPU-second)",
        "",
        *_ratio_table(run.scenarios),
        "",
        "### Targets",
        "",
        *[f"- {name}: **{verdict}**" for name, verdict in targets(run)],
    ]
    notes = [f"- {sc.label}: {note}" for sc in run.scenarios for note in sc.notes]
    notes += [f"- {sc.label}: error: {sc.error}" for sc in run.scenarios if sc.error]
    if notes:
        lines += ["", "### Notes", "", *notes]
    return "\n".join(lines) + "\n"
