"""A guest on a cheap phone: bytes and time from the invite link to the bar's voice.

Headless Chromium emulates a low-end phone through the DevTools protocol: the CPU
slowed 4×, the network at 1.6 Mbit/s down, 750 kbit/s up, 150 ms latency (Lighthouse's
"slow 4G"), a 390×844 touch screen. On a fresh ``estaminet demo``:

1. the invite page, from a cold cache;
2. the floor plan the guest lands on after typing a name (what the invite page cached
   is reused, as on a real phone);
3. the floor plan again from a cold cache (someone coming back on another phone);
4. the bar, then "Join the conversation" until the voice is joined;
5. the whole way again on a new phone, without waiting for the network to be idle
   anywhere (as a person would go): from opening the invite link to the first audio
   bytes arriving from someone already talking in the bar (a second, unthrottled
   browser whose fake microphone beeps). No human pause is counted: the name is typed
   at once and every tap comes as soon as the page allows it.

Bytes are what crossed the network (``encodedDataLength``: headers and compressed
bodies, WebSocket excluded). Figures are reported, never asserted (docs/performance.md).

    python -m bench.phone [--src PATH] [--runs 3]

``--src`` runs the server from another source tree (``/work/main/src`` for a baseline).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import CDPSession, Page, sync_playwright
from tests.support.live_server import free_port

__all__ = ["main"]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-BE",
}
NETWORK = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
CPU_SLOWDOWN = 4


@contextmanager
def _demo(src: Path) -> Iterator[tuple[str, str]]:
    """``estaminet demo`` from ``src`` on a free port: (base address, invite path)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ESTAMINET_")}
        env |= {"PYTHONPATH": str(src), "ESTAMINET_BASE_URL": base, "PYTHONUNBUFFERED": "1"}
        out = Path(home) / "out.txt"
        with out.open("wb") as stdout:
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "estaminet.cli", "--data-dir", f"{home}/data"),
                    *("demo", "--host", "127.0.0.1", "--port", str(port)),
                ],
                env=env,
                stdout=stdout,
                stderr=subprocess.DEVNULL,
                cwd=home,
            )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the demo did not start")
                time.sleep(0.2)
            found = re.search(r"/i/[\w-]+", out.read_text())
            assert found is not None
            yield base, found.group(0)
        finally:
            process.terminate()
            process.wait(timeout=20)


class _Meter:
    """Bytes over the network for one page, from the DevTools protocol."""

    def __init__(self, page: Page) -> None:
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.emulateNetworkConditions", NETWORK)
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        self.bytes = 0
        self.cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event: dict[str, Any]) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))

    def measure(self, action: Any) -> tuple[int, float]:
        self.bytes = 0
        start = time.monotonic()
        action()
        return self.bytes, time.monotonic() - start


HEARD = """() => window.estaminetVoice?.stats()?.then(
  (s) => s && Object.values(s.peers).some((p) => p.inbound > 0)) || false"""


def _speaker(browser: Any, base: str, invite: str) -> Page:
    """Someone already talking in the bar (not throttled): the voice the phone should hear."""
    page = browser.new_context(base_url=base, locale="fr-BE").new_page()
    page.goto(invite)
    page.locator("#name").fill("Sam au bar")
    page.locator("main form [type=submit]").click()
    page.wait_for_url(re.compile(r"/\?welcome=1$"))
    page.goto("/r/bar")
    page.locator("[data-voice-join]").click()
    page.locator("[data-voice-mute]").wait_for(state="visible", timeout=30_000)
    return page


def _until_heard(base: str, invite: str, browser: Any) -> float:
    """Invite link → the first audio from the bar, on a new throttled phone, no idle waits."""
    context = browser.new_context(base_url=base, **PHONE)
    page = context.new_page()
    _Meter(page)
    started = time.monotonic()
    page.goto(invite, wait_until="commit")
    page.locator("#name").fill("Noé")
    page.locator("main form [type=submit]").tap()
    page.wait_for_url(re.compile(r"/\?welcome=1$"), wait_until="commit")
    page.locator("a.plan-room--bar").tap()
    page.wait_for_url(re.compile(r"/r/bar$"), wait_until="commit")
    # The button works once the page's scripts run (before, a tap does nothing): a person
    # taps when the page is there; the bench taps as soon as it is wired.
    page.wait_for_function("() => !!(window.estaminet && window.estaminet.online)", polling=50)
    page.locator("[data-voice-join]").tap()
    while not page.evaluate(HEARD):
        if time.monotonic() - started > 60:
            raise RuntimeError("the phone never heard the bar")
        page.wait_for_timeout(50)
    heard = time.monotonic() - started
    context.close()
    return heard


def _run(base: str, invite: str) -> dict[str, float]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            _speaker(browser, base, invite)
            context = browser.new_context(base_url=base, **PHONE)
            page = context.new_page()
            meter = _Meter(page)
            started = time.monotonic()
            invite_bytes, invite_s = meter.measure(
                lambda: page.goto(invite, wait_until="networkidle")
            )

            def enter() -> None:
                page.locator("#name").fill("Léa")
                page.locator("main form [type=submit]").tap()
                page.wait_for_url(re.compile(r"/\?welcome=1$"))
                page.wait_for_load_state("networkidle")

            plan_bytes, plan_s = meter.measure(enter)

            def hear() -> None:
                page.locator("a.plan-room--bar").tap()
                page.wait_for_url(re.compile(r"/r/bar$"))
                page.locator("[data-voice-join]").tap()
                page.locator("[data-voice-mute]").wait_for(state="visible", timeout=30_000)

            bar_bytes, _ = meter.measure(hear)
            to_voice = time.monotonic() - started

            cold = browser.new_context(
                base_url=base, storage_state=context.storage_state(), **PHONE
            ).new_page()
            cold_meter = _Meter(cold)
            cold_bytes, cold_s = cold_meter.measure(
                lambda: cold.goto("/", wait_until="networkidle")
            )
            # Only the speaker stays in the bar: the hearing phone meets one voice, as a
            # guest arriving at a quiet bar would.
            cold.context.close()
            context.close()
            heard = _until_heard(base, invite, browser)
        finally:
            browser.close()
    return {
        "invite page, cold (bytes)": invite_bytes,
        "invite page, cold (s)": invite_s,
        "floor plan after the invite (bytes)": plan_bytes,
        "floor plan after the invite (s)": plan_s,
        "floor plan, cold cache (bytes)": cold_bytes,
        "floor plan, cold cache (s)": cold_s,
        "the bar and its voice (bytes)": bar_bytes,
        "invite link → in the bar's voice, with idle waits (s)": to_voice,
        "invite link → hearing the bar (s)": heard,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path(__file__).parents[1] / "src")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with _demo(args.src.resolve()) as (base, invite):
        # Each run is a new guest (the demo's invite has no limit), from a cold browser.
        results = [_run(base, invite) for _ in range(args.runs)]
    print(f"{len(results)} runs, median (min–max), source {args.src}")
    for key in results[0]:
        values = [r[key] for r in results]
        unit = "KB" if "bytes" in key else "s"
        scale = 1000 if unit == "KB" else 1
        print(
            f"  {key.split(' (')[0] + ' (' + unit + ')':<44} {statistics.median(values) / scale:8.1f}"
            f"  ({min(values) / scale:.1f}–{max(values) / scale:.1f})"
        )


if __name__ == "__main__":
    main()
