"""What the stage keeps, on a real Janus (Debian ``janus``, VideoRoom) through Estaminet's own
pages and Chromium's fake camera: an animator opens the stage from an agenda event (the
stage shows what is on, the event page links to it live); recording is announced, then
« Enregistrement en cours » for performer and watcher; Janus records, ``janus-pp-rec`` and
``ffmpeg`` make a file the animator downloads (ffprobe: audio and video of a plausible
length) and a watcher cannot; the stage is restreamed to a local RTMP receiver (``ffmpeg
-listen 1``), which gets audio and video, and when the server's ffmpeg is killed the
restream says so and comes back by itself; closing the stage ends it all."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.support.janus import RunningJanus, run_janus, venue_settings

from .helpers import PHONE_390, Visitors, free_port, screenshot, wait_until
from .test_stage_janus import _on_stage, _violations, _wait_receiving

pytestmark = pytest.mark.browser

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BRUSSELS = ZoneInfo("Europe/Brussels")
TITLE = "Concert de Big Horse"


def _need(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed (apt-get install -y janus-tools ffmpeg)"
    if IN_CI:
        pytest.fail(message + "; CI must run this test")
    pytest.skip(message)


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningJanus]:
    yield from run_janus(tmp_path_factory.mktemp("janus-keep") / "conf")


@pytest.fixture(scope="module")
def venue_env(janus: RunningJanus) -> dict[str, str]:
    return venue_settings(janus)


def _probe(path: Path) -> tuple[set[str], float]:
    """The kinds of streams ffprobe reads in ``path`` and its duration in seconds."""
    done = subprocess.run(
        [
            *("ffprobe", "-v", "error", "-show_entries", "stream=codec_type:format=duration"),
            *("-of", "json", str(path)),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    found: dict[str, Any] = json.loads(done.stdout)
    kinds = {str(s["codec_type"]) for s in found.get("streams", [])}
    return kinds, float(found.get("format", {}).get("duration") or 0)


class _Receiver:
    """A local RTMP server for one stream (``ffmpeg -listen 1``), copied into ``output``."""

    def __init__(self, address: str, output: Path) -> None:
        self.address = address
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _Receiver:
        with self.output.with_suffix(".log").open("wb") as log:
            self.process = subprocess.Popen(
                [
                    *("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-listen", "1"),
                    *("-i", self.address, "-c", "copy", str(self.output)),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        return self

    def wait(self) -> None:
        """The pusher went away: the receiver ends by itself."""
        assert self.process is not None
        self.process.wait(timeout=30)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _pushers(address: str) -> list[int]:
    """The server's ffmpeg pushing to ``address`` (read from /proc: only this test's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if address.encode() in command and b"-progress" in command:
            found.append(int(entry.name))
    return found


def _new_event(animator: Page) -> str:
    now = datetime.now(BRUSSELS).replace(second=0, microsecond=0)
    animator.goto("/agenda/new")
    animator.get_by_label("Titre").fill(TITLE)
    animator.locator("#ev-start").fill(now.strftime("%Y-%m-%dT%H:%M"))
    animator.locator("#ev-end").fill((now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    animator.get_by_label("Salle", exact=True).select_option("scene")
    animator.get_by_label("Qui le voit").select_option("public")
    animator.get_by_role("button", name="Créer l'évènement").click()
    expect(animator.locator(".banner")).to_contain_text("L'évènement est dans l'agenda.")
    return animator.url.split("?")[0]


def test_stage_opened_for_an_event_recorded_and_restreamed(
    people: Visitors, janus: RunningJanus, tmp_path: Path
) -> None:
    _need("janus-pp-rec", "ffmpeg", "ffprobe")
    animator = people.admin()
    event_url = _new_event(animator)
    singer = people.guest("Chanteuse")
    fan = people.guest("Fan de scène")
    phone = people.guest("Fan au téléphone", **PHONE_390)

    # Before it opens, a watcher's event page has no live link and no « Ouvrir la scène ».
    fan.goto(event_url)
    expect(fan.get_by_role("link", name="Regarder la scène en direct")).to_have_count(0)
    expect(fan.get_by_role("button", name="Ouvrir la scène")).to_have_count(0)

    # The animator opens the stage from the event: the stage shows what is on.
    animator.goto(event_url)
    animator.get_by_role("button", name="Ouvrir la scène").click()
    expect(animator).to_have_url(re.compile(r"/r/scene$"))
    for page in (singer, fan, phone):
        _on_stage(page)
    _on_stage(animator)
    for page in (animator, fan, phone):
        expect(page.locator("[data-stage-session-title]")).to_have_text(TITLE)
    expect(fan.locator("[data-stage-session-link]")).to_have_attribute(
        "href", re.compile(r"^/agenda/\d+/")
    )
    other = fan.context.new_page()
    other.goto(event_url)
    other.get_by_role("link", name="Regarder la scène en direct").click()
    expect(other).to_have_url(re.compile(r"/r/scene$"))
    other.close()

    # A performer goes live; the watchers receive through Janus.
    row = animator.locator("[data-stage-audience] li", has_text="Chanteuse")
    row.get_by_role("button", name="Faire monter sur scène").click()
    singer.get_by_role("button", name="Caméra et micro").click()
    wait_until(singer, "document.querySelector('[data-stage-level]').value > 0", timeout=15)
    singer.get_by_role("button", name="Passer en direct").click()
    expect(singer.locator("[data-stage-status]")).to_have_text("Tu es en direct.", timeout=20_000)
    _wait_receiving(fan)

    # Recording: announced first to everyone (the performer included), then on.
    animator.get_by_role("button", name="Lancer l'enregistrement").click()
    for page in (singer, fan, phone):
        expect(page.locator("[data-stage-recording]")).to_have_text(
            "L'enregistrement commence dans quelques secondes"
        )
    for page in (singer, fan, phone, animator):
        expect(page.locator("[data-stage-recording]")).to_have_text(
            "Enregistrement en cours", timeout=15_000
        )
    expect(animator.get_by_role("button", name="Arrêter l'enregistrement")).to_be_visible()

    # Restream to a local RTMP receiver while recording.
    port = free_port()
    address = f"rtmp://127.0.0.1:{port}/live/cle-secrete"
    with _Receiver(address, tmp_path / "first.flv") as first:
        animator.get_by_label("Diffuser vers (adresse RTMP avec sa clé de stream)").fill(address)
        animator.get_by_role("button", name="Diffuser", exact=True).click()
        for page in (animator, fan):
            expect(page.locator("[data-stage-restream]")).to_have_text(
                "Diffusion en cours", timeout=40_000
            )
        assert "cle-secrete" not in fan.content()
        assert "cle-secrete" not in animator.content()  # the field was emptied
        screenshot(animator, "stage-keep-animator-desktop")
        screenshot(fan, "stage-keep-watcher-desktop")
        screenshot(phone, "stage-keep-watcher-phone")
        found = [v for page in (animator, fan, phone, singer) for v in _violations(page)]
        assert not found, "axe found:\n" + "\n".join(found)
        animator.wait_for_timeout(5000)
        # The server's ffmpeg dies: it is said, and started again by itself.
        pushers = _pushers(address)
        assert len(pushers) == 1, pushers
        os.kill(pushers[0], signal.SIGKILL)
        first.wait()
    with _Receiver(address, tmp_path / "second.flv") as second:
        expect(fan.locator("[data-stage-restream]")).to_have_text(
            re.compile("La diffusion s'est interrompue|La diffusion démarre"), timeout=20_000
        )
        expect(fan.locator("[data-stage-restream]")).to_have_text(
            "Diffusion en cours", timeout=90_000
        )
        animator.wait_for_timeout(4000)
        animator.get_by_role("button", name="Arrêter la diffusion").click()
        expect(fan.locator("[data-stage-restream]")).to_be_hidden()
        second.wait()
        assert _pushers(address) == []
    for receiver in (first, second):
        kinds, seconds = _probe(receiver.output)
        assert kinds == {"audio", "video"}, kinds
        assert 2 < seconds < 120, seconds

    # Stop recording: the file appears for the organisers once processed.
    animator.get_by_role("button", name="Arrêter l'enregistrement").click()
    for page in (fan, singer):
        expect(page.locator("[data-stage-recording]")).to_be_hidden()
    download = animator.get_by_role("link", name=re.compile(r"^Télécharger\s: Chanteuse$"))
    expect(download).to_be_visible(timeout=90_000)
    href = download.get_attribute("href")
    assert href is not None
    response = animator.request.get(href)
    assert response.status == 200
    kept = tmp_path / "recording.webm"
    kept.write_bytes(response.body())
    kinds, seconds = _probe(kept)
    assert kinds == {"audio", "video"}, kinds
    assert 8 < seconds < 180, seconds
    # A watcher gets neither the file nor the list.
    assert fan.request.get(href).status == 403
    assert fan.request.get("/r/scene/stage/recordings").status == 403
    expect(fan.get_by_role("link", name=re.compile("Télécharger"))).to_have_count(0)
    # The singer gets her own appearance (its file names her), and finds it in her data.
    assert singer.request.get(href).status == 200
    singer.goto("/me/data")
    mine = singer.locator(f'#data-recordings ~ .table-wrap a[href="{href}"]')
    expect(mine).to_be_visible()
    mine.scroll_into_view_if_needed()
    screenshot(singer, "stage-recording-in-my-data", full_page=False)

    # Closing the stage: the banner goes, the event page no longer links to it.
    animator.get_by_role("button", name="Fermer la scène").click()
    expect(fan.locator("[data-stage-session]")).to_be_hidden()
    fan.goto(event_url)
    expect(fan.get_by_role("link", name="Regarder la scène en direct")).to_have_count(0)
