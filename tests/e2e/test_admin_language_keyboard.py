"""The admin's invite links and QR codes, the language switch, and using the venue by keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import Visitors, chat_input, messages, screenshot, wait_online

pytestmark = pytest.mark.browser


def test_admin_creates_invite_link_with_qr_code(people: Visitors) -> None:
    admin = people.admin()
    admin.locator("nav a[href='/admin/invites']").click()
    expect(admin).to_have_url(re.compile(r"/admin/invites$"))
    form = admin.locator("main form[action='/admin/invites']")
    form.locator("#role").select_option("guest")
    form.locator("#expires").select_option("1d")
    form.locator("#max_uses").fill("2")
    form.locator("#note").fill("Soirée jeux de vendredi")
    form.locator("[type=submit]").click()

    link = admin.locator("#created-link")
    expect(link).to_have_value(re.compile(rf"^{re.escape(people.venue.base_url)}/i/[\w-]{{20,}}$"))
    qr = admin.locator("img.qr")
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("alt", re.compile(r"\S"))
    assert qr.evaluate("(img) => img.complete && img.naturalWidth > 0"), "the QR code did not load"
    expect(
        admin.locator("main table tbody tr", has_text="Soirée jeux de vendredi")
    ).to_contain_text("0 / 2")
    screenshot(admin, "admin-invite-created")

    # The link works: someone opens it and comes in; the admin sees one use counted.
    invite = link.input_value()
    people.guest("Paul", invite=invite)
    admin.goto("/admin/invites")  # not reload(): the creation page answered a POST
    expect(
        admin.locator("main table tbody tr", has_text="Soirée jeux de vendredi")
    ).to_contain_text("1 / 2")

    # Withdrawn, it shows the friendly "no longer valid" page.
    row = admin.locator("main table tbody tr", has_text="Soirée jeux de vendredi")
    row.locator("form[action$='/revoke'] [type=submit]").click()
    expect(row.locator("form[action$='/revoke']")).to_have_count(0)
    late = people.context().new_page()
    response = late.goto(invite)
    assert response is not None
    assert response.status == 410
    expect(late.locator("#name")).to_have_count(0)
    expect(late.locator("main a[href='/']")).to_be_visible()


def test_language_switch_to_english_persists_across_pages(people: Visitors) -> None:
    page = people.guest("Quentin")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("a.plan-room--bar .plan-room-name")).to_have_text("Au coin du bar")

    page.locator("form.lang-switch button[name=lang][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/(\?welcome=1)?$"))
    expect(page.locator("a.plan-room--bar .plan-room-name")).to_have_text("At the bar")
    expect(page.locator("form.lang-switch button[name=lang]")).to_have_attribute("value", "fr")

    for path, heading in [("/r/bar", "At the bar"), ("/me", None), ("/r/jeux", "The games room")]:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        if heading:
            expect(page.locator("main h1")).to_have_text(heading)

    # The choice belongs to the person, not only to this tab: a new tab agrees.
    other_tab = page.context.new_page()
    other_tab.goto("/")
    expect(other_tab.locator("html")).to_have_attribute("lang", "en")

    page.locator("form.lang-switch button[name=lang][value=fr]").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("main h1")).to_have_text("La salle de jeux")


def test_language_follows_the_browser(people: Visitors) -> None:
    english = people.context(locale="en-GB").new_page()
    english.goto(people.venue.invite_link)
    expect(english.locator("html")).to_have_attribute("lang", "en")
    french = people.context(locale="fr-BE").new_page()
    french.goto(people.venue.invite_link)
    expect(french.locator("html")).to_have_attribute("lang", "fr")


def test_keyboard_skip_link_first_then_chat_and_enter_sends(people: Visitors) -> None:
    page = people.guest("Rosa")
    page.goto("/r/defouloir")
    wait_online(page)

    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()

    box = chat_input(page)
    for _ in range(15):
        page.keyboard.press("Tab")
        if box.evaluate("(el) => el === document.activeElement"):
            break
    expect(box).to_be_focused()
    page.keyboard.type("Au clavier, sans souris")
    page.keyboard.press("Enter")
    expect(messages(page, "defouloir").last.locator(".msg-body")).to_have_text(
        "Au clavier, sans souris"
    )
    expect(box).to_have_value("")
    expect(box).to_be_focused()

    # Shift+Enter is a new line, not a send.
    page.keyboard.type("ligne 1")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("ligne 2")
    expect(box).to_have_value("ligne 1\nligne 2")
    page.keyboard.press("Enter")
    expect(messages(page, "defouloir").last.locator(".msg-body")).to_have_text(
        re.compile(r"ligne 1\s+ligne 2")
    )


def test_notices_with_a_link_stay_and_others_wait_while_held(people: Visitors) -> None:
    """A notice to act on (a link: "ça commence — rejoindre") stays until used or closed;
    a plain one leaves by itself, but not while the pointer or the keyboard is on it."""
    page = people.guest("Toast")
    wait_online(page)
    page.evaluate(
        """async () => {
            const { showToast } = await import("/static/js/ops.js");
            showToast('<div class="toast" id="t-link"><p><a href="/r/bar">Rejoindre</a></p></div>', 300);
            showToast('<div class="toast" id="t-plain"><p>Bonjour</p></div>', 300);
            showToast('<div class="toast" id="t-held"><p>Tiens bon</p></div>', 300);
        }"""
    )
    held = page.locator("#t-held")
    held.hover()
    expect(page.locator("#t-plain")).to_have_count(0)
    page.wait_for_timeout(600)  # well past the 300 ms a notice lives
    expect(held).to_be_visible()
    expect(page.locator("#t-link")).to_be_visible()
    close = page.locator("#t-link .toast-close")
    expect(close).to_have_attribute("aria-label", "Fermer cet avis")
    page.mouse.move(0, 0)
    expect(held).to_have_count(0)
    close.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#t-link")).to_have_count(0)
