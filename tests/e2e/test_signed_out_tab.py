"""A tab whose session was signed out elsewhere stops reconnecting and says why."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .helpers import Visitors, screenshot, wait_online


def _sign_out(page: Page) -> None:
    page.goto("/me")
    page.locator("form[action='/logout'] [type=submit]").click()


def test_signed_out_tab_stops_retrying_and_says_why(people: Visitors) -> None:
    context = people.context()
    room = people.guest("Gaëlle", context=context)
    room.goto("/r/defouloir")
    wait_online(room)
    sockets: list[object] = []
    room.on("websocket", lambda ws: sockets.append(ws))

    _sign_out(context.new_page())

    status = room.locator("#connection")
    expect(status).to_have_class("connection connection--ended")
    expect(status).to_have_text(
        "Tu es déconnecté·e dans cet onglet. Recharge la page pour revenir."
    )
    expect(room.locator("body")).to_have_attribute("data-live", "ended")
    # The reconnection would start within a second (backoff from 0.5 s): none comes.
    room.wait_for_timeout(2_500)
    assert sockets == []
    screenshot(room, "signed-out-tab", full_page=False)
    room.set_viewport_size({"width": 390, "height": 844})
    screenshot(room, "signed-out-tab-phone", full_page=False)
