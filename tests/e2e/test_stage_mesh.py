"""La scène with no Janus at all (a fresh demo on a machine without the package): browser to
browser. The animator names a performer, who goes live; the animator and three watchers
(four seats) receive audio and video straight from the performer's browser; a fifth sees,
in French, that the stage is full and what to install; a watcher leaves and the fifth gets
the stream; the animator's cut ends every call. Chromium's fake devices, axe on each view."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .helpers import Visitors, evaluate_within, screenshot, wait_online, wait_until
from .test_stage_janus import _violations, _wait_receiving

pytestmark = pytest.mark.browser

ROOM = "scene"


@pytest.fixture(scope="module")
def venue_env() -> dict[str, str]:
    return {"ESTAMINET_JANUS_AUTOSTART": "never"}


def _arrive(page: Page, seat: str | None = None) -> Page:
    """Open the stage and wait until the venue told this tab its seat (arrival order)."""
    page.goto(f"/r/{ROOM}")
    wait_online(page)
    expect(page.locator("[data-stage-no-janus]")).to_be_attached()
    wait_until(page, "!!document.querySelector('section[data-stage]').dataset.seat")
    if seat is not None:
        expect(page.locator("section[data-stage]")).to_have_attribute("data-seat", seat)
    return page


def _stats(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = evaluate_within(page, "window.estaminetStage.stats()")
    return found


def test_stage_without_janus_four_seats_then_a_line(people: Visitors) -> None:
    singer = _arrive(people.guest("Chanteuse Maille"))
    animator = _arrive(people.admin())
    row = animator.locator("[data-stage-audience] li", has_text="Chanteuse Maille")
    row.get_by_role("button", name="Faire monter sur scène").click()
    expect(singer.locator("[data-stage-performer]")).to_be_visible()
    expect(animator.locator("section[data-stage]")).to_have_attribute("data-seat", "seated")
    fans = [_arrive(people.guest(f"Fan {n}"), "seated") for n in (1, 2, 3)]
    fifth = _arrive(people.guest("Fan en attente"), "waiting")

    # The fifth is told, in French, that the stage is full, their place, and what to install.
    full = fifth.locator("[data-stage-full]")
    expect(full).to_be_visible()
    expect(full).to_contain_text("La scène est complète")
    expect(full).to_contain_text("Tu es n° 1 dans la file")
    expect(full).to_contain_text("apt-get install janus")
    expect(full).to_contain_text("le chat et le chapeau marchent")
    expect(fifth.locator("[data-stage-no-janus]")).to_be_hidden()  # said once, in the line's
    expect(fifth.locator("[data-stage-feeds]")).to_be_hidden()
    expect(fans[0].locator("[data-stage-no-janus]")).to_contain_text("4 personnes au plus")
    for seated in (animator, *fans):
        expect(seated.locator("[data-stage-full]")).to_be_hidden()
    expect(fans[0].get_by_label("Audio seulement")).to_be_hidden()  # one stream per seat

    # The singer goes live from a camera preview: four calls leave their browser.
    singer.get_by_role("button", name="Caméra et micro").click()
    wait_until(singer, "document.querySelector('[data-stage-level]').value > 0", timeout=15)
    # Four encodings on a shared 2-core machine: the same stream, at a small size.
    evaluate_within(
        singer,
        "document.querySelector('[data-stage-preview]').srcObject.getVideoTracks()[0]"
        ".applyConstraints({width: 320, height: 180, frameRate: 15}).then(() => true)",
    )
    singer.get_by_role("button", name="Passer en direct").click()
    expect(singer.locator("[data-stage-status]")).to_have_text("Tu es en direct.")
    for watcher in (animator, *fans):
        _wait_receiving(watcher)
    expect(fans[0].locator(".stage-feed figcaption")).to_have_text("Chanteuse Maille")
    wait_until(singer, "window.estaminetStage.stats().then(s => s.publishing.sendingTo === 4)")
    # The fifth receives nothing while waiting (no call, no bytes).
    assert _stats(fifth)["feeds"] == {}
    expect(fifth.locator(".stage-feed")).to_have_count(0)

    for page in (singer, animator, *fans, fifth):
        page.set_default_timeout(60_000)  # a loaded machine: pictures and axe take their time
    screenshot(fans[0], "stage-mesh-watcher-desktop")
    screenshot(fifth, "stage-mesh-full-desktop")
    fifth.set_viewport_size({"width": 390, "height": 844})
    screenshot(fifth, "stage-mesh-full-phone")
    found = [v for page in (singer, animator, fans[0], fifth) for v in _violations(page)]
    assert not found, "axe found:\n" + "\n".join(found)
    fifth.set_viewport_size({"width": 1280, "height": 800})

    # A watcher leaves: the first in line gets the seat and the stream, by themselves.
    fans[0].close()
    expect(fifth.locator("section[data-stage]")).to_have_attribute("data-seat", "seated")
    expect(full).to_be_hidden()
    expect(fifth.locator("[data-stage-feeds]")).to_be_visible()
    _wait_receiving(fifth)
    wait_until(singer, "window.estaminetStage.stats().then(s => s.publishing.sendingTo === 4)")

    # The animator cuts the singer: every call ends, the watchers' bytes stop.
    performer = animator.locator("[data-stage-performers] li", has_text="Chanteuse Maille")
    # The animator's lists are named, for the eye and for a screen reader.
    expect(animator.get_by_role("list", name="Artistes")).to_contain_text("Chanteuse Maille")
    expect(animator.get_by_role("heading", name="Public", exact=True)).to_be_visible()
    animator.locator("[data-stage-animator-tools]").scroll_into_view_if_needed()
    screenshot(animator, "stage-mesh-animator", full_page=False)
    performer.get_by_role("button", name="Couper").click()
    for watcher in (animator, fans[1], fifth):
        wait_until(watcher, "window.estaminetStage.stats().then(s => !Object.keys(s.feeds).length)")
        expect(watcher.locator(".stage-feed")).to_have_count(0)
    expect(singer.locator("[data-stage-performer]")).to_be_hidden()
    wait_until(singer, "window.estaminetStage.stats().then(s => s.publishing === null)")
