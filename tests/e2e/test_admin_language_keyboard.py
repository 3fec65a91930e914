"""The admin's invite links and QR codes, the language switch, and using the venue by keyboard."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, expect

from estaminet import cli
from estaminet.people import actions
from estaminet.people.model import Role
from estaminet.settings import Settings
from estaminet.store import Database, utcnow

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

    # Post/Redirect/Get: the answer is the invite's own page, showing the link once more.
    expect(admin).to_have_url(re.compile(r"/admin/invites/[0-9a-f]{32}$"))
    link = admin.locator("#created-link")
    expect(link).to_have_value(re.compile(rf"^{re.escape(people.venue.base_url)}/i/[\w-]{{20,}}$"))
    qr = admin.locator("img.qr")
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("alt", re.compile(r"\S"))
    assert qr.evaluate("(img) => img.complete && img.naturalWidth > 0"), "the QR code did not load"
    expect(admin.locator("[data-uses]")).to_contain_text("0 / 2")
    screenshot(admin, "admin-invite-created")
    admin.set_viewport_size({"width": 390, "height": 844})
    screenshot(admin, "admin-invite-created-phone")
    admin.set_viewport_size({"width": 1280, "height": 800})

    # Reloading shows the same link and creates nothing.
    invite = link.input_value()
    admin.reload()
    expect(admin.locator("#created-link")).to_have_value(invite)
    admin.locator("main a[href='/admin/invites']").first.click()
    rows = admin.locator("main table tbody tr", has_text="Soirée jeux de vendredi")
    expect(rows).to_have_count(1)
    screenshot(admin, "admin-invites-list")

    # The link works: someone opens it and comes in; the admin sees one use counted.
    people.guest("Paul", invite=invite)
    admin.reload()
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


def _on_venue_database(people: Visitors, work: object) -> object:
    """Runs ``work(db)`` on the venue's database, in a thread (Playwright holds this one's loop)."""

    async def run() -> object:
        settings = Settings(data_dir=people.venue.data_dir, database_url=people.venue.database_url)
        db = Database(settings.resolved_database_url)
        try:
            return await work(db)  # type: ignore[operator]
        finally:
            await db.dispose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def _admin_again(people: Visitors) -> Page:
    """The admin on a new device, through a fresh one-time sign-in link."""

    async def link(db: Database) -> str:
        admin = await cli._first_admin(db)
        assert admin is not None
        return await actions.create_login_link(db, admin, utcnow(), purpose="signin")

    page = people.context().new_page()
    page.goto(f"/l/{_on_venue_database(people, link)}")
    page.locator("main form [type=submit]").click()
    expect(page.locator("body")).to_have_attribute("data-role", "admin")
    return page


def test_admin_pages_through_people_by_keyboard(people: Visitors) -> None:
    async def crowd(db: Database) -> None:
        for number in range(65):
            await actions.create_user(db, f"Scout {number:02d}", Role.GUEST, utcnow())

    _on_venue_database(people, crowd)
    admin = _admin_again(people)
    admin.goto("/admin/people")
    pages = admin.get_by_role("navigation", name="Pages des personnes")
    expect(pages).to_be_visible()
    first_names = admin.locator("main tbody tr td:first-child").all_inner_texts()
    assert len(first_names) == 50

    # By keyboard: Tab to "Page suivante", Enter; then back with "Page précédente".
    following = pages.get_by_role("link", name="Page suivante")
    following.focus()
    expect(following).to_be_focused()
    admin.keyboard.press("Enter")
    expect(admin).to_have_url(re.compile(r"/admin/people\?after="))
    second_names = admin.locator("main tbody tr td:first-child").all_inner_texts()
    assert second_names and not set(second_names) & set(first_names)
    screenshot(admin, "admin-people-page-2")
    admin.set_viewport_size({"width": 360, "height": 740})
    width = admin.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways on a phone ({width} px)"
    admin.set_viewport_size({"width": 390, "height": 844})
    screenshot(admin, "admin-people-page-2-phone")
    previous = admin.get_by_role("link", name="Page précédente")
    previous.focus()
    admin.keyboard.press("Enter")
    expect(admin).to_have_url(re.compile(r"/admin/people\?before="))
    assert admin.locator("main tbody tr td:first-child").all_inner_texts() == first_names

    # Searching by name keeps to the matches.
    search = admin.get_by_label("Trouver quelqu'un par son nom")
    search.fill("scout 6")
    search.press("Enter")
    expect(admin.locator("main tbody tr")).to_have_count(5)
    expect(admin.get_by_role("navigation", name="Pages des personnes")).to_have_count(0)
    admin.set_viewport_size({"width": 1280, "height": 800})


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
