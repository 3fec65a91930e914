"""La scène on a real Janus (Debian ``janus``, VideoRoom) through Estaminet's own pages:
an animator names a performer, who previews camera and microphone (Chromium's fake
devices) and goes live; two watchers (one on a phone) receive video and audio through
Janus; a watcher's attempt to publish is refused; applause comes back as one wave; Janus
stops and comes back mid-show; the animator cuts the performer and Janus drops the feed."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.support.janus import RunningJanus, run_janus, venue_settings

from .helpers import (
    PHONE_390,
    Visitors,
    evaluate_within,
    screenshot,
    wait_online,
    wait_until,
)

pytestmark = pytest.mark.browser

ROOM = "scene"
_AXE = Axe()


def _violations(page: Page) -> list[str]:
    result: dict[str, Any] = _AXE.run(page).response
    return [
        f"{page.url} [{v['impact']}] {v['id']}: "
        + "; ".join(str(node["target"]) for node in v["nodes"][:4])
        for v in result["violations"]
    ]


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningJanus]:
    yield from run_janus(tmp_path_factory.mktemp("janus") / "conf")


@pytest.fixture(scope="module")
def venue_env(janus: RunningJanus) -> dict[str, str]:
    return venue_settings(janus)


def _on_stage(page: Page) -> Page:
    page.goto(f"/r/{ROOM}")
    wait_online(page)
    expect(page.locator("[data-stage-watchers]")).to_be_visible()
    return page


def _stats(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = evaluate_within(page, "window.estaminetStage.stats()")
    return found


def _received(page: Page) -> tuple[int, int, int]:
    feeds = _stats(page)["feeds"]
    assert len(feeds) == 1, feeds
    feed = next(iter(feeds.values()))
    return int(feed["audioBytes"]), int(feed["videoBytes"]), int(feed["framesDecoded"])


def _wait_receiving(page: Page) -> None:
    """Wait until audio bytes, video bytes and decoded frames keep growing."""
    script = (
        "window.estaminetStage.stats().then(s => Object.values(s.feeds)"
        ".some(f => f.audioBytes > 4000 && f.videoBytes > 20000 && f.framesDecoded > 10))"
    )
    wait_until(page, script, timeout=30)
    audio, video, frames = _received(page)
    page.wait_for_timeout(1500)
    audio2, video2, frames2 = _received(page)
    assert audio2 > audio and video2 > video and frames2 > frames, (audio2, video2, frames2)


def _keep(page: Page, name: str) -> None:
    """A picture in test-artifacts/ (the ones in docs/images/ are copied from there)."""
    screenshot(page, name)


ROGUE = """async () => {
  const { openStage } = await import('/static/js/stage-janus.js');
  const data = await window.estaminet.act('stage.ticket', {room: 'scene', role: 'watch'});
  const session = await openStage(data.ticket);
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  window.rogueEnded = false;
  try {
    await session.publish(stream, {onEnded: () => { window.rogueEnded = true; }});
    return `published ${data.ticket.room} ${data.ticket.participant}`;
  } catch (error) {
    return 'refused ' + error.code;
  }
}"""


def _publishers(janus: RunningJanus, room: int) -> set[int]:
    """The feeds publishing in a VideoRoom room according to Janus itself."""
    layout = janus.layout
    body = {
        "janus": "message_plugin",
        "transaction": secrets.token_hex(6),
        "admin_secret": layout.admin_secret,
        "plugin": "janus.plugin.videoroom",
        "request": {"request": "listparticipants", "room": room},
    }
    response = httpx.post(layout.admin_url, json=body, timeout=5).json()["response"]
    assert "error_code" not in response, response
    return {int(p["id"]) for p in response["participants"] if p.get("publisher")}


def test_stage_one_performer_two_watchers_through_janus(
    people: Visitors, janus: RunningJanus
) -> None:
    animator = _on_stage(people.admin())
    singer = _on_stage(people.guest("Chanteuse"))
    fan = _on_stage(people.guest("Fan de scène"))
    phone = _on_stage(people.guest("Fan au téléphone", **PHONE_390))

    # A watcher never publishes: asking for a performer's ticket is refused, in French.
    refusal = evaluate_within(
        fan,
        "window.estaminet.act('stage.ticket', {room: 'scene', role: 'perform'})"
        ".then(() => 'accepted', e => e.code + ' ' + e.message)",
    )
    assert refusal.startswith("stage/not_performer Seuls les artistes"), refusal

    # With its own ticket, a watcher's page could still ask Janus to publish (Janus cannot
    # tell a watcher's token from a performer's): Estaminet kicks that feed within seconds,
    # and nobody is ever told to watch it.
    rogue = evaluate_within(fan, f"({ROGUE})()", seconds=20)
    assert rogue.startswith("published "), rogue
    _, room, feed = rogue.split()
    wait_until(fan, "window.rogueEnded === true", timeout=15)
    assert int(feed) not in _publishers(janus, int(room))

    # The animator puts the singer on stage.
    row = animator.locator("[data-stage-audience] li", has_text="Chanteuse")
    row.get_by_role("button", name="Faire monter sur scène").click()
    expect(singer.locator("[data-stage-performer]")).to_be_visible()
    singer.get_by_role("button", name="Caméra et micro").click()
    wait_until(singer, "document.querySelector('[data-stage-level]').value > 0", timeout=15)
    singer.get_by_role("button", name="Passer en direct").click()
    expect(singer.locator("[data-stage-status]")).to_have_text("Tu es en direct.", timeout=20_000)

    for watcher in (fan, phone, animator):
        _wait_receiving(watcher)
    assert len(_publishers(janus, int(room))) == 1  # the singer only
    expect(fan.locator("[data-stage-watchers]")).to_have_text("3")  # the singer is on stage
    expect(fan.locator(".stage-feed figcaption")).to_have_text("Chanteuse")

    # Applause: several clicks, one wave (one frame) for everyone.
    for _ in range(3):
        fan.get_by_role("button", name="Applaudissements").click()
    # (On a loaded machine the clicks may straddle two windows: the waves add up to three.)
    wait_until(phone, "Number(document.querySelector('[data-stage-wave]').dataset.total) >= 3")
    _keep(singer, "stage-performer-desktop")
    _keep(fan, "stage-watcher-desktop")
    _keep(phone, "stage-watcher-phone")
    _keep(animator, "stage-animator-desktop")
    singer.set_viewport_size({"width": 390, "height": 844})
    _keep(singer, "stage-performer-phone")
    singer.set_viewport_size({"width": 1280, "height": 800})
    found = [v for page in (singer, fan, phone, animator) for v in _violations(page)]
    assert not found, "axe found:\n" + "\n".join(found)

    # Audio only: the phone keeps the sound, the video stops coming.
    phone.get_by_label("Qualité :").select_option("audio")
    phone.wait_for_timeout(1500)
    _, video, _ = _received(phone)
    audio, _, _ = _received(phone)
    phone.wait_for_timeout(2000)
    audio2, video2, _ = _received(phone)
    assert audio2 > audio
    assert video2 - video < 20_000, (video, video2)

    # Janus stops mid-show: the watchers and the performer are told, the chat goes on, and
    # when Janus is back the performer goes back on stage by themselves.
    said: list[str] = []  # why each try to go back on stage failed, for a failure's message
    singer.on("console", lambda m: said.append(m.text) if m.type in ("warning", "error") else None)
    janus.stop()
    status = "[data-stage-status]"
    expect(fan.locator(status)).to_have_text("La scène revient…", timeout=20_000)
    expect(singer.locator(status)).to_have_text("La scène revient…", timeout=20_000)
    janus.start()
    # The page tries again every 3 s; one try begun while Janus was starting may wait out
    # its answer (15 s) and its gathering (5 s) before the next, on a loaded machine.
    try:
        expect(singer.locator(status)).to_have_text("Tu es en direct.", timeout=60_000)
    except AssertionError as failed:
        raise AssertionError(f"{failed}\nthe singer's page said:\n" + "\n".join(said)) from None
    _wait_receiving(fan)
    expect(fan.locator(status)).to_have_text("")

    # The animator cuts: the feed disappears for the watchers.
    row = animator.locator("[data-stage-performers] li", has_text="Chanteuse")
    row.get_by_role("button", name="Couper").click()
    wait_until(fan, "window.estaminetStage.stats().then(s => !Object.keys(s.feeds).length)")
    expect(fan.locator("[data-stage-empty]")).to_be_visible()
    expect(singer.locator("[data-stage-performer]")).to_be_hidden()
