"""The privacy page, deleting one's account, and signing out one's other devices, in a browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .helpers import Visitors, screenshot, wait_online

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"


def test_sign_out_my_other_devices_ends_the_other_tab(people: Visitors) -> None:
    laptop = people.guest("Gaston Deux Écrans")
    laptop.goto("/me")
    laptop.get_by_role("button", name="Créer mon lien personnel").click()
    link = laptop.locator("#personal-link").input_value()
    phone = people.context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(link)
    phone.locator("main form [type=submit]").click()
    expect(phone.locator(".plan-grid")).to_be_visible()
    phone.goto("/r/bar")
    wait_online(phone)

    laptop.goto("/me")
    laptop.get_by_role("link", name="Déconnecter mes autres appareils").click()
    laptop.get_by_role("button", name="Déconnecter mes autres appareils").click()
    expect(
        laptop.get_by_role("status").filter(
            has_text="Ton autre appareil est déconnecté (1 connexion terminée)"
        )
    ).to_be_visible()

    # The phone's open tab is closed by the server (4401) and asks to sign in again.
    status = phone.locator("#connection")
    expect(status).to_have_class("connection connection--ended")
    expect(status).to_have_text(
        "Tu es déconnecté·e dans cet onglet. Recharge la page pour revenir."
    )
    screenshot(phone, "privacy-other-device-ended-phone", full_page=False)
    phone.reload()
    expect(phone.locator("body")).to_have_attribute("data-me", "")
    # This device stays signed in, its live connection too.
    laptop.goto("/r/bar")
    wait_online(laptop)
    laptop.goto("/me/data#devices")
    screenshot(laptop, "privacy-my-devices-desktop", full_page=False)


def test_privacy_page_from_the_footer_and_deleting_my_account(people: Visitors) -> None:
    nina = people.guest("Nina Partante")
    nina.goto("/agenda")
    nina.get_by_role("contentinfo").get_by_role(
        "link", name="Vie privée : ce que le lieu garde sur toi"
    ).click()
    expect(nina.get_by_role("heading", level=1)).to_have_text(
        "Vie privée : ce que le LAB garde sur toi"
    )
    expect(nina.get_by_text("personne partie").first).to_be_visible()
    screenshot(nina, "privacy-page-desktop")
    nina.set_viewport_size({"width": 390, "height": 844})
    _no_sideways_scroll(nina)
    screenshot(nina, "privacy-page-phone")
    nina.set_viewport_size({"width": 1280, "height": 800})

    nina.goto("/me/data")
    nina.get_by_role("link", name="Supprimer mon compte…").click()
    expect(nina.get_by_role("heading", name="Supprimer mon compte", level=1)).to_be_visible()
    confirm = nina.get_by_label("Tape « supprimer » pour confirmer")
    confirm.fill("oui")
    nina.get_by_role("button", name="Supprimer mon compte pour de bon").click()
    expect(nina.get_by_role("alert")).to_have_text(
        "Tape le mot « supprimer » pour confirmer : rien n'a été supprimé."
    )
    expect(confirm).to_have_attribute("aria-invalid", "true")
    screenshot(nina, "privacy-delete-confirm-desktop")
    nina.set_viewport_size({"width": 390, "height": 844})
    _no_sideways_scroll(nina)
    screenshot(nina, "privacy-delete-confirm-phone")
    nina.get_by_label("Tape « supprimer » pour confirmer").fill("supprimer")
    nina.get_by_role("button", name="Supprimer mon compte pour de bon").click()
    expect(nina.get_by_role("heading", name="Ton compte est supprimé")).to_be_visible()
    expect(nina.locator("body")).to_have_attribute("data-me", "")
    screenshot(nina, "privacy-deleted-phone")
