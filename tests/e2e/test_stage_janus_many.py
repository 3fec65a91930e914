"""La scène with two Janus servers (Debian ``janus``, Chromium's fake camera): the stage is on
one of them; that Janus is killed mid-show; performer and watcher see « La scène revient… »,
the performer's page goes live again by itself on the other Janus, the watcher receives
again, and a new ticket names the survivor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.janus import RunningJanus, janus_layout, require_janus

from .helpers import Visitors, evaluate_within, wait_until
from .test_stage_janus import _on_stage, _publishers, _violations, _wait_receiving

pytestmark = pytest.mark.browser

TICKET = "window.estaminet.act('stage.ticket', {room: 'scene', role: 'watch'}).then(d => d.ticket)"


@pytest.fixture(scope="module")
def pair(
    database_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[RunningJanus]]:
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
    }


def test_stage_janus_killed_mid_show_comes_back_on_the_other(
    people: Visitors, pair: list[RunningJanus]
) -> None:
    animator = _on_stage(people.admin())
    singer = _on_stage(people.guest("Chanteuse Bascule"))
    fan = _on_stage(people.guest("Fan Bascule"))
    row = animator.locator("[data-stage-audience] li", has_text="Chanteuse Bascule")
    row.get_by_role("button", name="Faire monter sur scène").click()
    expect(singer.locator("[data-stage-performer]")).to_be_visible()
    singer.get_by_role("button", name="Caméra et micro").click()
    wait_until(singer, "document.querySelector('[data-stage-level]').value > 0", timeout=15)
    singer.get_by_role("button", name="Passer en direct").click()
    status = "[data-stage-status]"
    expect(singer.locator(status)).to_have_text("Tu es en direct.", timeout=20_000)
    _wait_receiving(fan)

    ticket: dict[str, Any] = evaluate_within(fan, TICKET)
    victim = next(j for j in pair if j.layout.url == ticket["server"])
    survivor = next(j for j in pair if j is not victim)
    assert len(_publishers(victim, int(ticket["room"]))) == 1

    victim.kill()

    expect(fan.locator(status)).to_have_text("La scène revient…", timeout=20_000)
    expect(singer.locator(status)).to_have_text("La scène revient…", timeout=20_000)
    # The performer's page tries again by itself: live again, on the other Janus.
    expect(singer.locator(status)).to_have_text("Tu es en direct.", timeout=40_000)
    _wait_receiving(fan)
    expect(fan.locator(status)).to_have_text("")
    again: dict[str, Any] = evaluate_within(fan, TICKET)
    assert again["server"] == survivor.layout.url
    assert again["room"] == ticket["room"]
    assert len(_publishers(survivor, int(again["room"]))) == 1
    found = [v for page in (singer, fan) for v in _violations(page)]
    assert not found, "axe found:\n" + "\n".join(found)
