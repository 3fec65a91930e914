"""Moving around the venue while in voice (docs/voice.md, "Moving around the venue"): the page
changes, the call and the one live connection stay; the dock shows the conversation on every
page; leaving the venue's pages asks first; without JavaScript the pages still work."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .helpers import PHONE_390, Visitors, screenshot, wait_online, wait_until

pytestmark = pytest.mark.browser

ROOM = "bar"
JOINED = "Tu es dans la conversation."


def _me(page: Page) -> str:
    return str(page.evaluate("document.body.dataset.me"))


def _in_bar(people: Visitors, name: str, **options: Any) -> tuple[Page, list[str]]:
    """A guest opens the bar and joins its voice; returns the page and its WebSocket log."""
    page = people.guest(name, **options)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"/r/{ROOM}")
    wait_online(page)
    del sockets[:-1]  # the floor plan's own socket may have opened after the listener
    page.get_by_role("button", name="Rejoindre la conversation").click()
    expect(page.locator("[data-voice-status]")).to_have_text(JOINED)
    return page, sockets


def _keeps_hearing(listener: Page, speaker: str) -> None:
    """Audio from ``speaker`` keeps arriving at ``listener`` (inbound bytes grow, twice)."""
    for _ in range(2):
        start = listener.evaluate(
            f"window.estaminetVoice.stats().then(s => (s.peers[{speaker!r}] || {{}}).inbound || 0)"
        )
        wait_until(
            listener,
            f"window.estaminetVoice.stats().then(s => (s.peers[{speaker!r}] || {{}}).inbound"
            f" > {start + 2000})",
            timeout=20.0,
        )


def _nav(page: Page, name: str) -> Any:
    """A link of the top bar's main menu."""
    menu = page.get_by_role("navigation", name="Menu principal")
    return menu.get_by_role("link", name=name, exact=True)


def _dock(page: Page) -> Any:
    return page.locator("[data-voice-dock]")


def test_moving_around_keeps_the_voice_and_the_connection(people: Visitors) -> None:
    anne, _ = _in_bar(people, "Anne Reste")
    bruno, sockets = _in_bar(people, "Bruno Bouge")
    bruno_id = _me(bruno)
    _keeps_hearing(anne, bruno_id)
    # On the bar's own page, the voice panel is there: no dock.
    expect(_dock(bruno)).to_be_hidden()

    # The agenda, from the top bar: the page changes, the dock says where the voice is.
    _nav(bruno, "Agenda").click()
    expect(bruno).to_have_url(re.compile(r"/agenda$"))
    expect(bruno.locator("main h1")).to_be_visible()
    expect(bruno).to_have_title(re.compile("Agenda"))
    expect(_dock(bruno)).to_be_visible()
    expect(_dock(bruno).locator("[data-voice-dock-name]")).to_have_text("Au coin du bar")
    expect(_dock(bruno).locator("[data-voice-dock-who]")).to_contain_text("Anne Reste")
    _keeps_hearing(anne, bruno_id)
    screenshot(bruno, "voice-dock-desktop", full_page=False)

    # Mute from the dock: Anne stops hearing him; unmute: she hears him again.
    bruno.get_by_role("button", name="Couper mon micro").click()
    expect(_dock(bruno).get_by_role("button", name="Rallumer mon micro")).to_have_attribute(
        "aria-pressed", "true"
    )
    wait_until(
        bruno,
        "window.estaminetVoice.stats().then(s => Object.values(s.peers).every(p => !p.sending))",
    )
    bruno.get_by_role("button", name="Rallumer mon micro").click()
    _keeps_hearing(anne, bruno_id)

    # Another room, through the floor plan: its chat works, the bar's voice goes on.
    _nav(bruno, "Le lieu").click()
    expect(bruno.locator(".plan-grid")).to_be_visible()
    bruno.locator("a.plan-room--jeux").click()
    expect(bruno).to_have_url(re.compile(r"/r/jeux$"))
    expect(_dock(bruno)).to_be_visible()
    box = bruno.locator("form[data-chat-form] textarea")
    box.fill("Je passe par ici, toujours au bar.")
    box.press("Enter")
    expect(bruno.locator("#chat-log-jeux li.msg").last).to_contain_text("toujours au bar")
    _keeps_hearing(anne, bruno_id)

    # The dock brings him back to the bar: the panel shows the call, with its volume slider.
    _dock(bruno).locator("[data-voice-dock-link]").click()
    expect(bruno).to_have_url(re.compile(rf"/r/{ROOM}$"))
    expect(bruno.locator("[data-voice-status]")).to_have_text(JOINED)
    expect(bruno.get_by_role("button", name="Quitter la conversation")).to_be_visible()
    expect(_dock(bruno)).to_be_hidden()
    expect(bruno.locator(f"[data-voice-members] [data-user='{bruno_id}']")).to_be_visible()
    expect(bruno.get_by_label("Volume de Anne Reste")).to_be_attached()

    # "Tester mon micro", inside the voice panel, no longer drops the call.
    bruno.locator("section[data-voice]").get_by_role("link", name="Tester mon micro").click()
    expect(bruno.locator("h1")).to_have_text("Tester mon micro")
    bruno.get_by_role("button", name="Commencer le test").click()
    wait_until(bruno, "window.estaminetMicTest.loudest() > 0.01")
    _keeps_hearing(anne, bruno_id)

    # The back button returns to the bar, still in the call.
    bruno.go_back()
    expect(bruno).to_have_url(re.compile(rf"/r/{ROOM}$"))
    expect(bruno.locator("[data-voice-status]")).to_have_text(JOINED)
    bruno.go_back()
    expect(bruno).to_have_url(re.compile(r"/r/jeux$"))
    expect(bruno.locator("#chat-log-jeux li.msg").last).to_contain_text("toujours au bar")
    bruno.go_forward()
    expect(bruno).to_have_url(re.compile(rf"/r/{ROOM}$"))
    _keeps_hearing(anne, bruno_id)
    # All of that on one live connection; Anne saw no one leave.
    assert len(sockets) == 1, sockets
    assert not people.left_in_voice

    # Signing out while in voice asks first; saying no keeps everything.
    bruno.locator("a.me-link").click()
    dialog_texts: list[str] = []
    bruno.once("dialog", lambda d: (dialog_texts.append(d.message), d.dismiss()))
    bruno.get_by_role("button", name="Se déconnecter").click()
    assert dialog_texts and "conversation" in dialog_texts[0]
    expect(bruno).to_have_url(re.compile(r"/me$"))
    expect(_dock(bruno)).to_be_visible()
    # A form (POST, then a redirect) is sent in place: the new page shows, the call goes on.
    bruno.locator("#name").fill("Bruno Bougeotte")
    bruno.locator("form[action='/me/name'] [type=submit]").click()
    expect(bruno).to_have_url(re.compile(r"/me\?saved=1$"))
    expect(bruno.locator("header .me-name")).to_have_text("Bruno Bougeotte")
    expect(_dock(bruno)).to_be_visible()
    _keeps_hearing(anne, bruno_id)
    assert len(sockets) == 1, sockets

    # A reload is a real page load: the browser asks first, then the bar's page rejoins.
    bruno.goto(f"/r/{ROOM}")
    assert people.left_in_voice, "leaving the venue's pages in a call did not ask first"
    expect(bruno.locator("[data-voice-status]")).to_have_text(JOINED)
    bruno.reload()
    expect(bruno.locator("[data-voice-status]")).to_have_text(JOINED)
    _keeps_hearing(anne, bruno_id)
    assert len(sockets) == 3, sockets

    # Leaving from the dock ends the call: Anne sees him go.
    _nav(bruno, "Agenda").click()
    expect(_dock(bruno)).to_be_visible()
    _dock(bruno).get_by_role("button", name="Quitter la conversation").click()
    expect(_dock(bruno)).to_be_hidden()
    expect(anne.locator(f"[data-voice-members] [data-user='{bruno_id}']")).to_have_count(0)


def test_voice_dock_on_a_390px_phone_leaves_the_message_box_free(people: Visitors) -> None:
    chloe, _ = _in_bar(people, "Chloé Téléphone", **PHONE_390)
    chloe.locator("a.brand").click()
    expect(chloe.locator(".plan-grid")).to_be_visible()
    chloe.locator("a.plan-room--jeux").click()
    expect(chloe).to_have_url(re.compile(r"/r/jeux$"))
    dock = _dock(chloe)
    expect(dock).to_be_visible()
    width = chloe.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"
    textarea = chloe.locator("form[data-chat-form] textarea")
    textarea.scroll_into_view_if_needed()
    dock_box = dock.bounding_box()
    box = textarea.bounding_box()
    assert dock_box is not None and box is not None
    # The dock sits in the page's flow under the top bar: it never covers the message box.
    overlap = not (
        dock_box["y"] + dock_box["height"] <= box["y"] or box["y"] + box["height"] <= dock_box["y"]
    )
    assert not overlap, (dock_box, box)
    for button in (dock.get_by_role("button").first, dock.get_by_role("button").last):
        size = button.bounding_box()
        assert size is not None and size["height"] >= 44
    chloe.evaluate("window.scrollTo(0, 0)")
    screenshot(chloe, "voice-dock-phone", full_page=False)


def test_without_javascript_pages_render_and_links_work(people: Visitors) -> None:
    context = people.context(java_script_enabled=False)
    page = people.guest("Sans Script", context=context)
    expect(page.locator("[data-voice-dock]")).to_be_hidden()
    _nav(page, "Agenda").click()
    expect(page).to_have_url(re.compile(r"/agenda$"))
    expect(page.locator("main h1")).to_be_visible()
    _nav(page, "Le lieu").click()
    page.locator("a.plan-room--jeux").click()
    expect(page).to_have_url(re.compile(r"/r/jeux$"))
    expect(page.locator("main h1")).to_have_text(re.compile(r"\S"))
    page.locator("section[data-voice]").get_by_role("link", name="Tester mon micro").click()
    expect(page.locator("h1")).to_have_text("Tester mon micro")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/r/jeux$"))
