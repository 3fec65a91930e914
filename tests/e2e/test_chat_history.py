"""Chat history: a room shows its last 50 messages, and earlier ones on demand.

This module's server lifts the chat rate limit so a test can post a long history quickly.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import Visitors, messages, wait_online

pytestmark = pytest.mark.browser

PAGE_SIZE = 50
POSTED = 55


@pytest.fixture(scope="module")
def venue_env() -> dict[str, str]:
    return {"ESTAMINET_CHAT_RATE_BURST": "1000", "ESTAMINET_CHAT_RATE_PER_SECOND": "1000"}


def _post(page: Page, room: str, count: int) -> None:
    """``count`` messages from this person, one after the other, straight through the socket."""
    page.evaluate(
        """async ([room, count]) => {
            for (let number = 1; number <= count; number++) {
                await window.estaminet.act("chat.send", {
                    room, body: `message ${number}`, client_id: `${room}-${number}`,
                });
            }
        }""",
        [room, count],
    )


def test_chat_history_shows_last_page_then_earlier_messages(people: Visitors) -> None:
    page = people.guest("Sam")
    page.goto("/r/defouloir")
    wait_online(page)
    _post(page, "defouloir", POSTED)
    expect(messages(page, "defouloir")).to_have_count(POSTED)

    page.reload()
    wait_online(page)
    bodies = messages(page, "defouloir").locator(".msg-body")
    first_page = [f"message {n}" for n in range(POSTED - PAGE_SIZE + 1, POSTED + 1)]
    expect(bodies).to_have_text(first_page)
    # The newest message is in view, at the bottom.
    expect(messages(page, "defouloir").last).to_be_in_viewport()

    more = page.locator("#chat-log-defouloir [data-history]")
    expect(more).to_have_count(1)
    more.scroll_into_view_if_needed()
    oldest_shown = bodies.filter(has_text=re.compile(r"^message 6$"))
    before = oldest_shown.bounding_box()
    more.click()
    everything = [f"message {n}" for n in range(1, POSTED + 1)]
    expect(bodies).to_have_text(everything)
    # That was the beginning: no more button; and the reader's place did not jump.
    expect(page.locator("#chat-log-defouloir [data-history]")).to_have_count(0)
    after = oldest_shown.bounding_box()
    assert before is not None
    assert after is not None
    assert after["y"] == pytest.approx(before["y"], abs=2)

    # Live messages still arrive below the history.
    page.evaluate(
        """() => window.estaminet.act("chat.send", {
            room: "defouloir", body: "après l'historique", client_id: "history-after",
        })"""
    )
    expect(bodies.last).to_have_text("après l'historique")
    expect(messages(page, "defouloir")).to_have_count(POSTED + 1)
    ids = messages(page, "defouloir").evaluate_all("(items) => items.map((li) => li.id)")
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"msg-\d+", i) for i in ids)


def test_chat_history_by_keyboard_keeps_focus_in_the_log(people: Visitors) -> None:
    page = people.guest("Tom")
    page.goto("/r/jeux")
    wait_online(page)
    _post(page, "jeux", PAGE_SIZE + 1)
    page.reload()
    more = page.locator("#chat-log-jeux [data-history]")
    more.focus()
    page.keyboard.press("Enter")
    expect(messages(page, "jeux").first.locator(".msg-body")).to_have_text("message 1")
    # The button is gone: focus must stay in the messages (ideally on the first earlier one).
    focused = page.evaluate(
        "document.activeElement && document.activeElement.closest('.chat-scroll') !== null"
    )
    assert focused, page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
