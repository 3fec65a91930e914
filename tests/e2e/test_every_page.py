"""Every page for everyone: axe-core on every page, desktop and phone, finds nothing.

One server, an admin and a guest; the admin first makes what the other pages show
(an event, a game table, an assembly, an invite). axe's script ships with
``axe-playwright-python``: nothing is fetched. That each page loads only the
scripts it uses is ``test_page_scripts.py``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .helpers import Visitors, chat_input, evaluate_within, messages, screenshot, wait_settled

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
_AXE = Axe()


def _violations(page: Page) -> list[str]:
    result: dict[str, Any] = _AXE.run(page).response
    return [
        f"{page.url} [{v['impact']}] {v['id']}: "
        + "; ".join(str(node["target"]) for node in v["nodes"][:4])
        for v in result["violations"]
    ]


def _make_things(admin: Page) -> dict[str, str]:
    """An event, a werewolf table, an assembly and an invite, made through the pages."""
    start = datetime.now() + timedelta(days=3)
    admin.goto("/agenda/new")
    admin.get_by_label("Titre").fill("Soirée jeux")
    admin.locator("#ev-start").fill(start.strftime("%Y-%m-%dT19:00"))
    admin.locator("#ev-end").fill(start.strftime("%Y-%m-%dT22:00"))
    admin.get_by_label("Salle", exact=True).select_option("jeux")
    admin.get_by_label("Qui le voit").select_option("public")
    admin.get_by_role("button", name="Créer l'évènement").click()
    expect(admin.locator(".banner")).to_be_visible()
    event = admin.url.split("?")[0].removeprefix(admin.url.split("/agenda")[0])

    admin.goto("/r/jeux")
    form = admin.locator(".new-table")
    if not form.evaluate("details => details.open"):
        form.locator("summary").click()
    admin.locator("#new-table-game").select_option("werewolf")
    admin.locator("#new-table-title").fill("Partie du soir")
    form.locator("button[type=submit]").click()
    expect(admin).to_have_url(re.compile(r"/t/\d+$"))
    table = "/t/" + admin.url.rsplit("/", 1)[1]

    # A soirée of two games (its page: the running order, the scoreboards).
    admin.goto("/r/jeux")
    panel = admin.locator(".soirees-panel")
    panel.locator(".new-soiree summary").click()
    panel.get_by_label("Nom de la soirée").fill("Soirée du samedi")
    panel.get_by_label("Jeu 1", exact=True).select_option("petit_bac")
    panel.get_by_label("Jeu 2", exact=True).select_option("werewolf")
    panel.get_by_role("button", name="Ouvrir la soirée").click()
    expect(admin).to_have_url(re.compile(r"/s/\d+$"))
    soiree = "/s/" + admin.url.rsplit("/", 1)[1]

    admin.goto("/r/ag/assemblies/new")
    admin.locator("#prep-title").fill("AG de printemps")
    admin.locator("#prep-date").fill(start.strftime("%Y-%m-%dT20:00"))
    admin.locator("#prep-convocation").fill("Bienvenue au LAB.")
    admin.locator("#prep-agenda").fill("Accueil\nComptes")
    admin.locator(".sitting-prepare form button[type=submit]").click()
    expect(admin).to_have_url(re.compile(r"/a/\d+$"))
    sitting = "/a/" + admin.url.rsplit("/", 1)[1]
    # The breadcrumb names the room as the plan does, and ends on this page.
    crumbs = admin.locator("nav.breadcrumb").inner_text().strip()
    assert crumbs.endswith("AG de printemps") and "La salle des AG" in crumbs, crumbs
    admin.goto("/r/ag")
    when = admin.locator(".sittings-list__item .hint").first.inner_text()
    assert not re.search(r"\d{4}-\d{2}", when) and "20:00" in when, when

    # A new invite link: copy it with one button (and share it, where the browser can).
    admin.goto("/admin/invites")
    admin.get_by_role("button", name="Créer le lien").click()
    expect(admin).to_have_url(re.compile(r"/admin/invites/\w+"))
    detail = admin.url.removeprefix(admin.url.split("/admin")[0])
    admin.get_by_role("button", name="Copier le lien").click()
    expect(admin.locator(".share-row [role=status]")).to_have_text(
        "Le lien est copié : colle-le dans un message."
    )
    screenshot(admin, "invite-created-desktop", full_page=False)
    return {
        "event": event,
        "table": table,
        "sitting": sitting,
        "invite_detail": detail,
        "soiree": soiree,
    }


ADMIN_PAGES = [
    "/",
    *(f"/r/{slug}" for slug in ("hall", "bar", "jeux", "scene", "ag", "atelier", "bureau")),
    "/agenda",
    "/agenda/new",
    "/agenda/subscribe",
    "/quiz",
    "/quiz/new",
    "/me",
    "/me/notices",
    "/me/data",
    "/admin/people",
    "/admin/invites",
    "/admin/mail",
    "/voice/test",
    "/help",
    "/hats",
    "/hats/new",
    "/guide",
    "/guide/talking",
    "/guide/help",
    "/r/nowhere",
]


HELD_BACK = {"/r/scene": "**/r/scene/stage/recordings"}
"""What an animator's page fetches once online, by page, held back in the axe check: the
stage's recordings list, an empty box until it comes in, was checked empty or full
depending on the machine's speed (empty, its name without a role was a violation)."""


def test_every_page_has_no_axe_violation_on_desktop_and_phone(people: Visitors) -> None:
    admin = people.admin()
    made = _make_things(admin)
    guest = people.guest("Awa")
    # Awa asks for help: her request's corner is visited too (the admin may look in).
    guest.goto("/help?from=/r/bar")
    guest.get_by_label("Mon micro").check()
    guest.get_by_role("button", name="Demander de l'aide").click()
    expect(guest).to_have_url(re.compile(r"/help/\d+$"))
    corner = "/help/" + guest.url.rsplit("/", 1)[1]
    stranger = people.context().new_page()
    visits = [
        *((admin, path) for path in ADMIN_PAGES),
        *((admin, made[key]) for key in ("event", "table", "sitting", "invite_detail", "soiree")),
        *(
            (guest, path)
            for path in ("/", "/r/bar", "/r/hall", "/agenda", made["table"], made["soiree"], "/me")
        ),
        (guest, "/r/jeux?people=3&voice=optional"),
        (guest, "/games/petit_bac/rules?room=jeux"),
        (guest, "/games/werewolf/rules"),
        (guest, "/help"),
        (guest, corner),
        (admin, corner),
        (stranger, "/guide"),
        (stranger, "/login"),
        (stranger, people.venue.invite_link),
        (stranger, "/i/no-such-invite"),
        (stranger, "/r/bar"),
    ]
    found: list[str] = []
    for page, path in visits:
        page.set_viewport_size(DESKTOP)
        held = HELD_BACK.get(path) if page is admin else None
        if held is not None:
            # What the page's script fetches once online never comes: the page is checked as
            # it stands until then (or when that fetch fails), whatever the machine's speed.
            page.route(held, lambda route: route.abort())
        page.goto(path)
        wait_settled(page)
        _next_frames(page)
        found += [f"desktop {v}" for v in _violations(page)]
        # The same page on a phone, without loading it again: its layout is the style sheet's
        # (media queries), and the scripts that care follow the media queries' changes.
        page.set_viewport_size(PHONE)
        _next_frames(page)
        found += [f"phone {v}" for v in _violations(page)]
        if held is not None:
            page.unroute(held)
    assert not found, "axe found:\n" + "\n".join(found)


def _next_frames(page: Page) -> None:
    """Wait until the page has drawn twice: a resize's media-query changes have been
    reported to the scripts (they are, before the frame's animation callbacks run)."""
    evaluate_within(
        page,
        "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))",
        seconds=5,
    )


def _no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


def test_every_page_room_fits_phone_and_desktop(people: Visitors) -> None:
    """The message box is in view on a 1280×800 screen and on a 390 px phone, before and
    after joining the voice; the admin's top bar takes two rows; touch screens get no
    keyboard hints."""
    # A moderator's top bar has every link an admin's has (the admin link works once).
    admin = people.guest("Modo", invite=people.venue.create_invite(role="moderator"))
    admin.goto("/r/bar")
    box = admin.locator("form[data-chat-form] textarea")
    expect(box).to_be_in_viewport(ratio=1)
    expect(admin.locator(".hint-keys")).to_be_visible()
    screenshot(admin, "room-bar-desktop", full_page=False)

    phone = people.context(
        viewport=PHONE, is_mobile=True, has_touch=True, storage_state=admin.context.storage_state()
    ).new_page()
    phone.goto("/r/bar")
    bar = phone.locator(".topbar").bounding_box()
    row = phone.locator(".topnav a").first.bounding_box()
    assert bar is not None and row is not None
    assert bar["height"] < 2.5 * row["height"] + 16, f"the top bar wraps: {bar}"
    phone_box = phone.locator("form[data-chat-form] textarea")
    expect(phone_box).to_be_in_viewport(ratio=1)
    expect(phone.locator(".hint-keys")).to_be_hidden()
    expect(phone.locator("#chat-help")).to_be_visible()  # the Markdown help stays
    _no_sideways_scroll(phone)
    screenshot(phone, "room-bar-phone", full_page=False)

    phone.locator("[data-voice-join]").tap()
    expect(phone.locator("[data-voice-mute]")).to_be_visible()
    joined = phone_box.bounding_box()
    assert joined is not None
    assert joined["y"] + joined["height"] <= 1.25 * PHONE["height"], joined
    screenshot(phone, "room-bar-phone-in-voice", full_page=False)
    phone.locator("[data-voice-leave]").tap()


def test_every_page_keyboard_plan_room_chat_voice(people: Visitors) -> None:
    """Keyboard only: from the plan to the bar, a message typed and sent, the voice joined;
    the new message is in a live log, and focus lands on Mute after joining."""
    guest = people.guest("Nour")

    def tab_to(selector: str, *, back: bool = False) -> None:
        for _ in range(60):
            guest.keyboard.press("Shift+Tab" if back else "Tab")
            if guest.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("a.plan-room--bar")
    guest.keyboard.press("Enter")
    expect(guest).to_have_url(re.compile(r"/r/bar$"))
    expect(guest.locator(".chat-scroll[role=log]")).to_have_attribute("aria-live", "polite")
    tab_to("form[data-chat-form] textarea")
    guest.keyboard.type("Bonjour au clavier")
    guest.keyboard.press("Enter")
    expect(guest.locator("#chat-log-bar li.msg .msg-body").last).to_have_text("Bonjour au clavier")
    expect(guest.locator(".chat-scroll[role=log] li.msg")).not_to_have_count(0)
    tab_to("[data-voice-join]", back=True)
    guest.keyboard.press("Enter")
    expect(guest.locator("[data-voice-mute]")).to_be_focused()
    guest.keyboard.press("Tab")
    expect(guest.locator("[data-voice-leave]")).to_be_focused()
    guest.keyboard.press("Enter")
    expect(guest.locator("[data-voice-join]")).to_be_focused()


def test_a_slow_join_leaves_the_focus_with_someone_who_moved_on(people: Visitors) -> None:
    """Joining the conversation can take seconds on a slow phone. Someone who pressed
    « Rejoindre » and went on typing in the chat keeps their place when the call comes
    through: their "Enter" sends the message and does not press « Couper le micro »."""
    guest = people.guest("Lina")
    guest.goto("/r/bar")
    # The microphone answers after a second and a half, as a slow phone's may.
    guest.evaluate(
        """() => { const devices = navigator.mediaDevices;
        const open = devices.getUserMedia.bind(devices);
        devices.getUserMedia = (asked) =>
          new Promise((done) => setTimeout(done, 1500)).then(() => open(asked)); }"""
    )
    status = guest.locator("[data-voice-status]")
    guest.locator("[data-voice-join]").focus()
    guest.keyboard.press("Enter")
    box = chat_input(guest)
    box.click()
    guest.keyboard.type("Ça arrive")
    expect(status).to_have_text("Tu es dans la conversation.")
    expect(box).to_be_focused()
    guest.keyboard.press("Enter")
    expect(messages(guest, "bar").last.locator(".msg-body")).to_have_text("Ça arrive")
    expect(guest.locator("[data-voice-mute]")).to_have_attribute("aria-pressed", "false")
    expect(status).to_have_text("Tu es dans la conversation.")
    guest.locator("[data-voice-leave]").click()


def test_every_page_room_text_at_200_percent_does_not_scroll_sideways(people: Visitors) -> None:
    guest = people.guest("Yara")
    for size in (DESKTOP, PHONE):
        guest.set_viewport_size(size)
        for path in ("/r/bar", "/"):
            guest.goto(path)
            guest.evaluate("document.documentElement.style.fontSize = '200%'")
            _no_sideways_scroll(guest)
    screenshot(guest, "plan-text-200-phone", full_page=False)


def test_every_page_empty_chat_says_so(people: Visitors) -> None:
    guest = people.guest("Ilo")
    guest.goto("/r/defouloir")
    wait_settled(guest)  # the chat's script wired: Enter sends (before, it is a new line)
    empty = guest.locator(".chat-empty")
    expect(empty).to_be_visible()
    chat = guest.locator("form[data-chat-form] textarea")
    chat.fill("Premier !")
    chat.press("Enter")
    expect(guest.locator("#chat-log-defouloir li.msg")).to_have_count(1)
    expect(empty).to_be_hidden()
