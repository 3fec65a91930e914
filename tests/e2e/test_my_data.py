"""A guest finds their data from their profile, readable, with the JSON download."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from .helpers import Visitors, say, screenshot, wait_online

pytestmark = pytest.mark.browser


def test_guest_reads_and_downloads_their_data(people: Visitors) -> None:
    nina = people.guest("Nina Données")
    nina.goto("/r/bar")
    wait_online(nina)
    say(nina, "Bonjour tout le monde")
    expect(nina.locator("#chat-log-bar li.msg .msg-body").last).to_have_text(
        "Bonjour tout le monde"
    )
    nina.goto("/me")
    nina.get_by_role("link", name="Voir mes données").click()
    expect(nina.get_by_role("heading", name="Mes données", level=1)).to_be_visible()
    messages = nina.get_by_role("region", name="Tes messages")
    expect(messages.get_by_role("cell", name="Bonjour tout le monde")).to_be_visible()
    screenshot(nina, "my-data-desktop")
    nina.set_viewport_size({"width": 390, "height": 844})
    width = nina.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
    screenshot(nina, "my-data-phone")
    with nina.expect_download() as download:
        nina.get_by_role("link", name="Tout télécharger (fichier JSON)").click()
    data = json.loads(download.value.path().read_text())
    assert data["profile"]["name"] == "Nina Données"
    assert data["messages"][0]["body"] == "Bonjour tout le monde"
