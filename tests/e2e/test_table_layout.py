"""The shared table layout in a real browser, on the example game (so every game gets it):
the game on the left and the voice and chat on the right of a 1280 px screen, one column on a
390 px phone; whoever speaks on voice is lit on the circle, also after the screen changes;
sound cues follow the viewer's own screen and a remembered switch turns them off."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .helpers import Visitors, mark_for_reload, screenshot, wait_online, wait_reloaded, wait_until

pytestmark = pytest.mark.browser

PHONE_390: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box


def _set_up_example_table(host: Page) -> int:
    host.locator("a.plan-room--jeux").click()
    expect(host).to_have_url(re.compile(r"/r/jeux$"))
    form = host.locator(".new-table")
    if not form.evaluate("details => details.open"):
        form.locator("summary").click()
    host.locator("#new-table-game").select_option("lowest_unique")
    host.locator("#new-table-title").fill("Le plus petit")
    form.locator("button[type=submit]").click()
    expect(host).to_have_url(re.compile(r"/t/\d+$"))
    return int(host.url.rsplit("/", 1)[1])


def _join_voice(page: Page) -> None:
    page.get_by_role("button", name="Rejoindre la conversation").click()
    expect(page.locator("[data-voice-status]")).to_have_text("Tu es dans la conversation.")


def _pick(page: Page) -> None:
    """Pick the lowest number; wait until the screen shows the pick or the next round."""
    heading = page.locator("#table-view .game-banner h2").inner_text()
    page.locator("#table-view button.pick").first.click()
    wait_until(
        page,
        "!!document.querySelector('#table-view .my-pick') || "
        f"document.querySelector('#table-view .game-banner h2')?.innerText !== {heading!r}",
    )


def test_table_layout_speaking_light_and_sound_cues(people: Visitors) -> None:
    anne = people.guest("Anne Tablée")  # a 1280 px screen
    bruno = people.guest("Bruno Tablée", **PHONE_390)
    table_id = _set_up_example_table(anne)
    wait_online(anne)
    bruno.goto(f"/t/{table_id}")
    bruno.locator('form[action$="/join"]:has(input[name=role][value=player]) button').click()
    expect(anne.locator(".lobby-players .person")).to_have_count(2)
    mark_for_reload(bruno)  # the start loads his table page afresh (table.js)
    anne.locator('form[action$="/start"] button').click()
    wait_reloaded(bruno)
    for page in (anne, bruno):
        expect(page.locator("#table-view.game-table .table-circle-seat")).to_have_count(2)
        wait_online(page)
    anne_id, bruno_id = (str(p.evaluate("document.body.dataset.me")) for p in (anne, bruno))

    # 1280 px: the game on the left; the voice then the chat in the column on the right.
    game, voice = _box(anne, ".table-main"), _box(anne, ".table-side .voice")
    chat = _box(anne, ".table-side .table-chat")
    assert voice["x"] >= game["x"] + game["width"], (game, voice)
    assert abs(chat["x"] - voice["x"]) < 2 and chat["y"] > voice["y"], (voice, chat)
    assert game["width"] > 600, game
    # The move sits beside the circle, not below it.
    move, circle = _box(anne, ".game-table-beside"), _box(anne, ".table-round")
    assert move["x"] >= circle["x"] + circle["width"] - 1, (circle, move)
    # 390 px: one column, an oval taller than wide, nothing wider than the screen.
    oval = _box(bruno, ".table-round")
    assert oval["height"] > oval["width"] and oval["width"] <= 390
    assert _box(bruno, ".table-side")["y"] > _box(bruno, ".table-main")["y"]
    assert bruno.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # A seated player has nothing to press in the side column during the game: no empty box.
    expect(bruno.locator(".table-controls")).to_be_hidden()
    expect(anne.locator(".table-controls")).to_be_visible()  # the host's tools

    # Both join the voice: the fake microphones beep, each one's seat lights up on the other's
    # circle (the circle is decoration; the voice panel's list says it in words).
    _join_voice(anne)
    _join_voice(bruno)
    lit = re.compile(r"\bperson--speaking\b")
    bruno_seat = anne.locator(f"#table-view .table-circle-seat[data-user='{bruno_id}']")
    expect(bruno_seat).to_have_class(lit, timeout=20_000)
    expect(bruno.locator(f"#table-view .table-circle-seat[data-user='{anne_id}']")).to_have_class(
        lit, timeout=20_000
    )
    screenshot(anne, "table-layout-example-desktop", full_page=False)
    screenshot(bruno, "table-layout-example-phone")
    # A move replaces Anne's screen (Bruno has picked: a tick on his seat); the light comes back
    # on the new circle without waiting for the next voice notice.
    _pick(bruno)
    expect(bruno_seat.locator(".table-circle-mark")).to_be_visible()
    expect(bruno_seat).to_have_class(lit, timeout=20_000)

    # Sound cues: on by default (quiet), for this viewer's own turn; the switch is remembered.
    sound = anne.locator("[data-table-sound]")
    expect(sound).to_have_attribute("aria-pressed", "true")
    anne.locator("main h1").click()  # a gesture: the browser lets the page make sounds
    _pick(anne)  # both have picked: round 2, a new turn for each
    wait_until(anne, "(window.estaminetCues || []).some(c => c.cue === 'turn')")
    cues = anne.evaluate("window.estaminetCues")
    assert all(c["on"] and c["heard"] for c in cues), cues
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "false")
    expect(sound).to_contain_text("coupés")
    expect(anne.get_by_role("button", name="Signaux sonores")).to_have_attribute(
        "aria-pressed", "false"
    )
    anne.reload()
    wait_online(anne)
    expect(anne.locator("[data-table-sound]")).to_have_attribute("aria-pressed", "false")
    anne.locator("main h1").click()
    _pick(anne)
    _pick(bruno)
    wait_until(anne, "(window.estaminetCues || []).some(c => c.cue === 'turn')")
    cues = anne.evaluate("window.estaminetCues")
    assert cues and all(not c["on"] and not c["heard"] for c in cues), cues
    # Bruno's phone never pressed the switch: his cues stay on.
    assert bruno.evaluate("localStorage.getItem('estaminet.sound')") is None
