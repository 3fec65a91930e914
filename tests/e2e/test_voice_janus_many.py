"""Voice through two Janus servers (Debian ``janus``, Chromium's fake microphones): two people
in *Au coin du bar*, whose mixing room is on one Janus; that Janus is killed mid-call; the
pages say « La voix change de serveur… », take new tickets by themselves and the two hear
each other again through the other Janus."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.support.janus import RunningJanus, janus_layout, require_janus

from .helpers import PHONE, Visitors, evaluate_within, screenshot, wait_until
from .test_voice_janus import (
    JOINED,
    STATUS_LOG,
    _crowd,
    _enter,
    _join,
    _participants,
    _wait_growing,
)

pytestmark = pytest.mark.browser

MOVED = "La voix change de serveur…"
_AXE = Axe()


@pytest.fixture(scope="module")
def pair(
    database_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[RunningJanus]]:
    """Two Janus of this module's own, for each database backend (the test kills one)."""
    started: list[RunningJanus] = []
    try:
        for name in ("a", "b"):
            janus = RunningJanus(
                janus_layout(tmp_path_factory.mktemp(f"janus-{name}") / "conf"), require_janus()
            )
            janus.start()
            started.append(janus)
        yield started
    finally:
        for janus in started:
            janus.stop()


@pytest.fixture(scope="module")
def venue_env(pair: list[RunningJanus]) -> dict[str, str]:
    """The demo venue told about both servers, as an admin would list them."""
    servers = [
        {
            "url": j.layout.url,
            "admin_url": j.layout.admin_url,
            "admin_secret": j.layout.admin_secret,
            "room_admin_key": j.layout.room_admin_key,
        }
        for j in pair
    ]
    return {
        "ESTAMINET_JANUS_SERVERS": json.dumps(servers),
        "ESTAMINET_JANUS_HEALTH_SECONDS": "0.5",
        "ESTAMINET_JANUS_DOWN_AFTER": "2",
        "ESTAMINET_VOICE_CROWD_RETRY_SECONDS": "1",
    }


def _server(page: Page) -> str:
    return str(_crowd(page)["server"])


def test_janus_killed_mid_call_voice_moves_to_the_other(
    people: Visitors, pair: list[RunningJanus]
) -> None:
    anna = _enter(people, "Anna Bascule")
    boris = _enter(people, "Boris Bascule", **PHONE)
    for page in (anna, boris):
        _join(page)
    for page in (anna, boris):
        _wait_growing(page)
        page.evaluate(STATUS_LOG)
    server = _server(anna)
    assert _server(boris) == server
    room = int(_crowd(anna)["room"])
    victim = next(j for j in pair if j.layout.url == server)
    survivor = next(j for j in pair if j is not victim)

    victim.kill()  # as a crash: no goodbye to anyone

    for page in (anna, boris):
        wait_until(page, f"window.statusLog.includes({json.dumps(MOVED)})", timeout=30)
    for page in (anna, boris):
        expect(page.locator("[data-voice-status]")).to_have_text(JOINED, timeout=30_000)
        wait_until(
            page,
            "window.estaminetVoice.stats()"
            f".then(s => s.crowd && s.crowd.state === 'connected' && s.crowd.server === {json.dumps(survivor.layout.url)})",
            timeout=30,
        )
    # They hear each other again, through the survivor, in the same room number.
    for page in (anna, boris):
        _wait_growing(page)
        _wait_growing(page, "outbound")
        assert int(_crowd(page)["room"]) == room
    assert len(_participants(survivor, room)) == 2
    screenshot(anna, "voice-janus-moved-desktop")
    screenshot(boris, "voice-janus-moved-phone")
    found = [
        f"[{v['impact']}] {v['id']}"
        for page in (anna, boris)
        for v in _AXE.run(page).response["violations"]
    ]
    assert not found, "axe found:\n" + "\n".join(found)
    # The pages never learnt more than their own ticket: no list of servers anywhere.
    for page in (anna, boris):
        html = page.content()
        assert victim.layout.admin_url not in html and survivor.layout.admin_url not in html
    stats = evaluate_within(anna, "window.estaminetVoice.stats()")
    assert stats["joined"] and stats["transport"] == "janus"
