"""L'atelier's help desk in two browsers: a guest on a phone asks for help from the bar, a
member who said « je peux aider » sees the request arrive live, takes it, and both meet in the
help corner: they hear each other and write to each other, then settle it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import PHONE_390, Visitors, evaluate_within, screenshot, wait_online, wait_until

pytestmark = pytest.mark.browser

JOINED = "Tu es dans la conversation."


def _hears(listener: Page, speaker: str) -> None:
    """Audio from ``speaker`` keeps arriving at ``listener`` (inbound bytes grow)."""
    script = f"window.estaminetVoice.stats().then(s => (s.peers[{speaker!r}] || {{}}).inbound || 0)"
    start = int(evaluate_within(listener, script))
    wait_until(
        listener,
        f"window.estaminetVoice.stats().then(s => (s.peers[{speaker!r}] || {{}}).inbound > {start + 2000})",
        timeout=20.0,
    )


def _me(page: Page) -> str:
    return str(page.evaluate("document.body.dataset.me"))


def test_help_from_the_bar_to_the_help_corner(people: Visitors) -> None:
    camille = people.guest("Camille Aide", invite=people.venue.create_invite(role="member"))
    camille.goto("/help")
    camille.get_by_role("button", name="Je peux aider").click()
    expect(camille.get_by_text("Tu as dit que tu peux aider")).to_be_visible()
    wait_online(camille)
    expect(camille.locator("[data-help-queue]")).to_contain_text("Personne n'attend")

    lou = people.guest("Lou Perdu", **PHONE_390)
    lou.goto("/r/bar")
    wait_online(lou)
    # « Aide » is in the top bar of every page; it remembers where Lou was.
    lou.get_by_role("link", name="Aide").click()
    expect(lou).to_have_url(re.compile(r"/help\?from=/r/bar$"))
    expect(lou.get_by_role("heading", name="J'ai besoin d'aide")).to_be_visible()
    lou.get_by_label("Mon micro").check()
    lou.get_by_label("En quelques mots (si tu veux)").fill("On ne m'entend pas au bar")
    screenshot(lou, "help-ask-phone")
    lou.get_by_role("button", name="Demander de l'aide").click()
    expect(lou).to_have_url(re.compile(r"/help/\d+$"))
    expect(lou.locator(".help-status-line")).to_have_text(
        "En attente : tu es le prochain ou la prochaine dans la file."
    )
    expect(lou.locator(".help-details")).to_contain_text("Au coin du bar")
    expect(lou.locator(".help-details a[href='/r/bar']")).to_be_visible()
    screenshot(lou, "help-waiting-phone", full_page=False)

    # Camille's queue changes live (no reload) and a notice comes.
    expect(camille.locator("[data-help-queue]")).to_contain_text("On ne m'entend pas au bar")
    expect(camille.locator(".toast").first).to_contain_text("Lou Perdu demande de l'aide")
    camille.get_by_role("link", name="Voir et m'en occuper").click()
    camille.get_by_role("button", name="Je m'en occupe").click()
    expect(camille).to_have_url(re.compile(r"/help/\d+$"))
    expect(camille.get_by_role("heading", name="Coin d'entraide")).to_be_visible()

    # Lou's card says who is coming, live.
    expect(lou.locator(".help-status-line")).to_have_text("Camille Aide s'en occupe.")
    # They meet in the corner's own voice and hear each other.
    for page in (lou, camille):
        page.get_by_role("button", name="Rejoindre la conversation").click()
        expect(page.locator("[data-voice-status]")).to_have_text(JOINED)
    _hears(camille, _me(lou))
    _hears(lou, _me(camille))
    # And write to each other (Enter sends).
    box = lou.get_by_label("Ton message")
    box.fill("Merci, je t'entends !")
    box.press("Enter")
    expect(camille.locator(".help-log")).to_contain_text("Merci, je t'entends !")
    expect(lou.locator(".help-log")).to_contain_text("Merci, je t'entends !")
    expect(box).to_have_value("")
    screenshot(lou, "help-corner-phone")
    screenshot(camille, "help-corner-desktop", full_page=False)

    # Camille settles it: both voices end with the corner.
    camille.get_by_role("button", name="C'est réglé").click()
    expect(camille).to_have_url(re.compile(r"/help\?settled=1$"))
    expect(lou.locator(".help-status-line")).to_have_text("Réglé.")
    expect(camille.locator(".help-count")).to_contain_text("1 personne a été aidée")
