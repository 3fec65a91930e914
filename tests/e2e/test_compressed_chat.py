"""With compression on, Chromium reads the chat frames Estaminet compresses once for everyone.

This module's server turns permessage-deflate on (``ESTAMINET_WS_COMPRESSION``):
the server negotiates no server context takeover, compresses each broadcast
frame once and writes the same bytes to every socket (``realtime/frames.py``).
Chromium's own inflater must read them, message after message.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import CDPSession, Page, expect

from .helpers import Visitors, messages, say, wait_online

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def venue_env() -> dict[str, str]:
    return {"ESTAMINET_WS_COMPRESSION": "true"}


class SocketWatch:
    """What Chromium's network layer says about a page's WebSockets (DevTools protocol)."""

    def __init__(self, page: Page) -> None:
        self.extensions: list[str] = []
        self.received: list[str] = []
        self.errors: list[str] = []
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.cdp.on("Network.webSocketHandshakeResponseReceived", self._handshake)
        self.cdp.on("Network.webSocketFrameReceived", self._frame)
        self.cdp.on("Network.webSocketFrameError", self._error)
        self.cdp.send("Network.enable")

    def _handshake(self, event: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        self.extensions.append(headers.get("sec-websocket-extensions", ""))

    def _frame(self, event: dict[str, Any]) -> None:
        self.received.append(event["response"]["payloadData"])

    def _error(self, event: dict[str, Any]) -> None:
        self.errors.append(event["errorMessage"])


def _enter_bar(page: Page) -> SocketWatch:
    watch = SocketWatch(page)
    # A full page load: moving around inside the venue keeps the socket the plan opened
    # (the shell), and this test watches the handshake of a socket it saw open.
    page.goto("/r/bar")
    expect(page).to_have_url(re.compile(r"/r/bar$"))
    wait_online(page)
    return watch


def test_compressed_frames_reach_chromium_message_after_message(people: Visitors) -> None:
    alice, bob = people.guest("Alice Dupont"), people.guest("Bob Martin")
    watches = {"alice": _enter_bar(alice), "bob": _enter_bar(bob)}
    for watch in watches.values():
        assert watch.extensions[-1].startswith("permessage-deflate; server_no_context_takeover")

    lines = [
        ("alice", "Salut Bob, une Chimay bleue ?"),
        ("bob", "Avec plaisir, et des chips au paprika 🥨"),
        ("alice", "Il reste des **croque-monsieur** à l'atelier."),
        ("bob", "J'arrive — garde-moi une place près du juke-box !"),
    ]
    pages = {"alice": alice, "bob": bob}
    for number, (who, text) in enumerate(lines, start=1):
        say(pages[who], text)
        for page in (alice, bob):
            expect(messages(page, "bar")).to_have_count(number)
    expected = [
        "Salut Bob, une Chimay bleue ?",
        "Avec plaisir, et des chips au paprika 🥨",
        "Il reste des croque-monsieur à l'atelier.",
        "J'arrive — garde-moi une place près du juke-box !",
    ]
    for page in (alice, bob):
        expect(messages(page, "bar").locator(".msg-body")).to_have_text(expected)
    for name, watch in watches.items():
        assert watch.errors == [], name
        # Every line arrived over the compressed socket, not from a page load.
        for word in ("Chimay", "paprika", "croque-monsieur", "juke-box"):
            assert any(word in frame for frame in watch.received), (name, word)
