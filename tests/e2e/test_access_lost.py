"""A member's open tab in the members' room stops receiving it the moment they are demoted."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import Visitors, chat_input, messages, say, screenshot, wait_online

pytestmark = pytest.mark.browser


def test_demoted_member_tab_stops_receiving_the_members_room(people: Visitors) -> None:
    mina = people.guest("Mina Membre", invite=people.venue.create_invite(role="member"))
    mina.goto("/r/ag")
    wait_online(mina)
    admin = people.admin()
    admin.goto("/r/ag")
    wait_online(admin)
    say(admin, "Avant : l'ordre du jour")
    expect(messages(mina, "ag").locator(".msg-body")).to_contain_text(["Avant : l'ordre du jour"])

    # The admin makes Mina a guest again, in another tab.
    people_page = admin.context.new_page()
    people_page.goto("/admin/people?q=Mina")
    people_page.get_by_label("Rôle de Mina Membre").select_option("guest")
    people_page.get_by_label("Rôle de Mina Membre").locator("xpath=..").get_by_role(
        "button", name="Changer"
    ).click()

    # Mina's open tab says so at once, and can no longer write.
    notice = mina.get_by_role("alert").filter(has_text="Tu n'as plus accès à cette salle")
    expect(notice).to_be_visible()
    expect(chat_input(mina)).to_be_disabled()
    expect(notice.get_by_role("link", name="Retour au lieu")).to_have_attribute("href", "/")

    # What is said in the members' room after that never reaches her tab.
    say(admin, "Après : entre membres")
    expect(messages(admin, "ag").locator(".msg-body")).to_contain_text(["Après : entre membres"])
    say(admin, "Encore un mot")
    expect(messages(admin, "ag").last.locator(".msg-body")).to_have_text("Encore un mot")
    expect(messages(mina, "ag").locator(".msg-body")).to_have_text(["Avant : l'ordre du jour"])
    screenshot(mina, "access-lost-desktop", full_page=False)
    mina.set_viewport_size({"width": 390, "height": 844})
    screenshot(mina, "access-lost-phone", full_page=False)

    # A new visit is refused as before.
    response = mina.goto("/r/ag")
    assert response is not None and response.status == 403
