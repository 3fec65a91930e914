"""Bad input in a real browser: dead invites, closed doors, HTML where text goes, floods.

The server runs with the default chat rate limits (a burst of 8, then 1 per second).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Response, expect

from .helpers import PHONE, Visitors, messages, say, screenshot, wait_online

pytestmark = pytest.mark.browser

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_MESSAGE = "<b>gras ?</b> <img src=x onerror=alert(2)> <script>alert(3)</script>"


def _friendly_refusal(page: Page, response: Response | None, status: int) -> None:
    """A page in the venue's shell that explains, with a way back, and no form to fill."""
    assert response is not None
    assert response.status == status
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("main h1")).to_have_text(re.compile(r"\S"))
    expect(page.locator("main .lead")).to_have_text(re.compile(r"\S"))
    expect(page.locator("main a[href='/']")).to_be_visible()
    expect(page.locator("#name")).to_have_count(0)


def test_invite_used_up_shows_friendly_page(people: Visitors) -> None:
    once = people.venue.create_invite(uses=1)
    people.guest("Karim", invite=once)

    late = people.context(**PHONE).new_page()
    response = late.goto(once)
    _friendly_refusal(late, response, 410)
    screenshot(late, "invite-used-up-phone")
    # The text says why: it is not the page for a forged link.
    forged = people.context().new_page()
    forged_response = forged.goto("/i/" + "x" * 43)
    _friendly_refusal(forged, forged_response, 404)
    assert late.locator("main .lead").inner_text() != forged.locator("main .lead").inner_text()


def test_invite_forged_shows_friendly_not_found_page(people: Visitors) -> None:
    page = people.context().new_page()
    real = people.venue.invite_link
    tampered = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    _friendly_refusal(page, page.goto(tampered), 404)
    _friendly_refusal(page, page.goto("/i/nope"), 404)
    # Nobody got in.
    page.goto("/")
    expect(page.locator(".plan-grid")).to_have_count(0)
    expect(page.locator("body")).to_have_attribute("data-me", "")


def test_room_team_only_refuses_guest(people: Visitors) -> None:
    page = people.guest("Louise")
    expect(page.locator("a.plan-room--bureau")).to_have_count(0)
    response = page.goto("/r/bureau")
    assert response is not None
    assert response.status == 403
    screenshot(page, "team-room-refused")
    expect(page.locator("main h1")).to_have_text(re.compile(r"\S"))
    expect(page.locator("main .lead")).to_have_text(re.compile(r"\S"))
    expect(page.locator("main a[href='/']")).to_be_visible()
    expect(page.locator("form[data-chat-form]")).to_have_count(0)
    # The live side refuses too: no subscription, and nothing from the room arrives.
    wait_online(page)
    refused = page.evaluate(
        """() => new Promise((resolve) => {
            const ws = window.estaminet.ws;
            const listen = (e) => {
              const frame = JSON.parse(e.data);
              if (frame.topic === "room:bureau") { ws.removeEventListener("message", listen); resolve(frame); }
            };
            ws.addEventListener("message", listen);
            ws.send(JSON.stringify({ type: "sub", topic: "room:bureau", after: 0 }));
        })"""
    )
    assert refused["type"] == "error"
    assert refused["message"]


def test_chat_html_in_names_and_messages_shown_as_text(people: Visitors) -> None:
    hostile = people.guest(HOSTILE_NAME)
    witness = people.guest("Marie")
    expect(hostile.locator(".me-name")).to_have_text(HOSTILE_NAME)
    expect(hostile.locator("header img")).to_have_count(0)

    hostile.goto("/r/defouloir")
    witness.goto("/")
    expect(witness.locator("[data-occupants=defouloir]")).to_contain_text(HOSTILE_NAME)
    expect(witness.locator("[data-occupants=defouloir] img")).to_have_count(0)
    witness.goto("/r/defouloir")
    wait_online(hostile)
    say(hostile, HOSTILE_MESSAGE)

    for page in (hostile, witness):
        message = messages(page, "defouloir").last
        expect(message.locator(".msg-author")).to_have_text(HOSTILE_NAME)
        expect(message.locator(".msg-body")).to_contain_text("<img src=x onerror=alert(2)>")
        expect(message.locator(".msg-body")).to_contain_text("<script>alert(3)</script>")
        expect(message.locator("img, script, b")).to_have_count(0)
        expect(page.locator("[data-people=defouloir] .person-name").first).to_have_text(
            HOSTILE_NAME
        )
        expect(page.locator("[data-people=defouloir] img")).to_have_count(0)
    # No alert() ran anywhere: the people fixture fails the test if one did.


def test_chat_flood_slows_down_only_the_flooder(people: Visitors) -> None:
    flooder = people.guest("Nico")
    calm = people.guest("Odile")
    for page in (flooder, calm):
        page.goto("/r/scene")
        wait_online(page)

    # Twenty messages in one go, each sent the way the form sends it: Enter in the box.
    flooder.evaluate(
        """() => {
            const box = document.querySelector("form[data-chat-form] textarea");
            for (let number = 1; number <= 20; number++) {
                box.value = `flood ${number}`;
                box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
            }
        }"""
    )
    error = flooder.locator("#chat-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(re.compile(r"\d"))  # how long to wait
    expect(calm.locator("#chat-error")).to_be_hidden()
    expect(calm.locator("#toasts .toast")).to_have_count(0)

    # After waiting as asked, the same connection still works.
    flooder.wait_for_timeout(2_000)
    say(flooder, "Pardon, je me calme.")
    expect(messages(calm, "scene").last.locator(".msg-body")).to_have_text("Pardon, je me calme.")
    expect(error).to_be_hidden()
    assert flooder.evaluate("window.estaminet.online")
    # The burst went through; the rest was refused, not queued for later, and nothing doubled.
    flood = messages(calm, "scene").locator(".msg-body", has_text=re.compile(r"^flood \d+$"))
    delivered = flood.all_inner_texts()
    assert 1 <= len(delivered) <= 10, delivered
    assert len(set(delivered)) == len(delivered), delivered
    assert "flood 1" in delivered
