"""A guest gives an address; with no e-mail set up, it waits for an admin, then counts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import Visitors, screenshot

pytestmark = pytest.mark.browser


def test_guest_address_waits_for_the_admin_then_opens_the_members_room(
    people: Visitors,
) -> None:
    rosa = people.guest("Rosa Adresse")
    rosa.goto("/me")
    rosa.get_by_label("Adresse e-mail").fill("rosa@lab.example")
    rosa.get_by_label("Mot de passe (au moins 10 caractères)").fill("un mot de passe long")
    rosa.get_by_label("Mot de passe (au moins 10 caractères)").press("Enter")
    expect(rosa.get_by_role("status").filter(has_text="attend maintenant")).to_be_visible()
    expect(rosa.get_by_text("En attente de confirmation : rosa@lab.example")).to_be_visible()
    screenshot(rosa, "address-waiting-desktop")
    rosa.set_viewport_size({"width": 390, "height": 844})
    screenshot(rosa, "address-waiting-phone")
    assert rosa.request.get("/r/ag").status == 403

    admin = people.admin()
    admin.goto("/admin/people?q=Rosa")
    expect(
        admin.get_by_text("Adresse en attente de confirmation : rosa@lab.example")
    ).to_be_visible()
    screenshot(admin, "address-admin-confirm")
    confirm = admin.get_by_role("button", name="Confirmer l'adresse de Rosa Adresse")
    confirm.focus()
    admin.keyboard.press("Enter")
    expect(admin.get_by_text("rosa@lab.example")).to_be_visible()
    expect(admin.get_by_text("Adresse en attente de confirmation")).to_have_count(0)

    assert rosa.request.get("/r/ag").status == 200
    rosa.goto("/me")
    expect(rosa.get_by_text("Rôle : Membre")).to_be_visible()
