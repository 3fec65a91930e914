"""The inbox in a real browser: "ça commence" after the page reloads, once; the bell; the page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from .helpers import PHONE, Visitors, say, screenshot

pytestmark = pytest.mark.browser

BRUSSELS = ZoneInfo("Europe/Brussels")


def _online(page: Page) -> None:
    expect(page.locator("body")).to_have_attribute("data-live", "online")


def _mention(animator: Page, name: str, text: str) -> None:
    animator.goto("/r/jeux")
    _online(animator)
    say(animator, f"@{name} {text}")
    expect(animator.locator("#chat-log-jeux li.msg", has_text=text)).to_have_count(1)


def test_inbox_starting_notice_after_reload_once_then_bell_and_page(
    people: Visitors, tmp_path: Path
) -> None:
    venue = people.venue
    animator = people.guest("Anim", invite=venue.create_invite(role="animator"))
    now = datetime.now(BRUSSELS).replace(second=0, microsecond=0)
    animator.goto("/agenda/new")
    animator.get_by_label("Titre").fill("Soirée en cours")
    animator.locator("#ev-start").fill(now.strftime("%Y-%m-%dT%H:%M"))
    animator.locator("#ev-end").fill((now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    animator.get_by_label("Salle", exact=True).select_option("jeux")
    # "Comme la salle": the games room is open to guests, and the form says so.
    expect(animator.locator("#ev-visibility-help")).to_contain_text("les invités")
    animator.get_by_role("button", name="Créer l'évènement").click()
    expect(animator.locator(".banner")).to_contain_text("L'évènement est dans l'agenda.")
    event_url = animator.url.split("?")[0]

    gus = people.guest("Gus")
    gus.goto(event_url)
    _online(gus)
    # "Je viens" to an event in progress: the page reloads, and the notice reaches it.
    gus.get_by_role("button", name="Je viens", exact=True).click()
    expect(gus).to_have_url(re.compile(r"\?saved=1$"))
    starting = gus.locator("#toasts .toast", has_text="Ça commence — rejoindre")
    expect(starting).to_have_count(1)
    expect(gus.locator("[data-bell] .bell-count")).to_have_text("1")
    expect(gus.locator("[data-bell]")).to_have_attribute("aria-label", "Notifications : 1 non lue")

    # Reloaded again: the tab already showed it, it does not come twice.
    gus.reload()
    _online(gus)
    _mention(animator, "Gus", "on t'attend à la table 2")
    mention = gus.locator("#toasts .toast", has_text="on t'attend à la table 2")
    expect(mention).to_have_count(1)
    expect(starting).to_have_count(0)
    expect(gus.locator("[data-bell] .bell-count")).to_have_text("2")
    screenshot(gus, "inbox-bell-desktop", full_page=False)

    # The keyboard reaches the bell; the inbox lists both, with their links.
    gus.locator("[data-bell]").focus()
    gus.keyboard.press("Enter")
    expect(gus).to_have_url(re.compile(r"/me/notices$"))
    expect(gus.get_by_role("heading", name="Mes notifications")).to_be_visible()
    items = gus.locator(".inbox-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("on t'attend à la table 2")
    expect(items.nth(1)).to_contain_text("Soirée en cours — ça commence")
    expect(items.nth(1).get_by_role("link")).to_have_attribute("href", "/r/jeux")
    expect(gus.locator(".inbox-item--unread")).to_have_count(2)
    expect(gus.locator("[data-bell] .bell-count")).to_have_count(0)
    screenshot(gus, "inbox-page-desktop")
    gus.reload()
    expect(gus.locator(".inbox-item--unread")).to_have_count(0)

    # On a phone (390 px): the bell in the top bar, the inbox without sideways scrolling.
    phone = people.context(**{**PHONE, "viewport": {"width": 390, "height": 844}})
    lou = people.guest("Lou", invite=venue.create_invite(), context=phone)
    _online(lou)
    _mention(animator, "Lou", "tu viens jouer au Loup-Garou ?")
    _mention(animator, "Lou", "la partie commence dans cinq minutes")
    expect(lou.locator("[data-bell] .bell-count")).to_have_text("2")
    screenshot(lou, "inbox-bell-phone", full_page=False)
    lou.locator("[data-bell]").click()
    expect(lou.locator(".inbox-item")).to_have_count(2)
    width = lou.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the inbox scrolls sideways on a phone: {width}"
    screenshot(lou, "inbox-page-phone")
