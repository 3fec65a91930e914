"""Every page for everyone: axe-core on every page, desktop and phone, finds nothing.

One server, an admin and a guest; the admin first makes what the other pages show
(an event, a game table, an assembly, an invite). axe's script ships with
``axe-playwright-python``: nothing is fetched. Also: each page loads only the
scripts it uses.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .helpers import Visitors, screenshot

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

    admin.goto("/r/ag/assemblies/new")
    admin.locator("#prep-title").fill("AG de printemps")
    admin.locator("#prep-date").fill(start.strftime("%Y-%m-%dT20:00"))
    admin.locator("#prep-convocation").fill("Bienvenue au LAB.")
    admin.locator("#prep-agenda").fill("Accueil\nComptes")
    admin.locator(".sitting-prepare form button[type=submit]").click()
    expect(admin).to_have_url(re.compile(r"/a/\d+$"))
    sitting = "/a/" + admin.url.rsplit("/", 1)[1]

    admin.goto("/admin/invites")
    detail = admin.locator("a[href^='/admin/invites/']").first.get_attribute("href")
    assert detail is not None
    return {"event": event, "table": table, "sitting": sitting, "invite_detail": detail}


ADMIN_PAGES = [
    "/",
    *(f"/r/{slug}" for slug in ("hall", "bar", "jeux", "scene", "ag", "atelier", "bureau")),
    "/agenda",
    "/agenda/new",
    "/agenda/subscribe",
    "/me",
    "/me/notices",
    "/me/data",
    "/admin/people",
    "/admin/invites",
    "/admin/mail",
    "/voice/test",
    "/r/nowhere",
]


def test_every_page_has_no_axe_violation_on_desktop_and_phone(people: Visitors) -> None:
    admin = people.admin()
    made = _make_things(admin)
    guest = people.guest("Awa")
    stranger = people.context().new_page()
    visits = [
        *((admin, path) for path in ADMIN_PAGES),
        *((admin, made[key]) for key in ("event", "table", "sitting", "invite_detail")),
        *((guest, path) for path in ("/", "/r/bar", "/r/hall", "/agenda", made["table"], "/me")),
        (stranger, "/login"),
        (stranger, people.venue.invite_link),
        (stranger, "/i/no-such-invite"),
        (stranger, "/r/bar"),
    ]
    found: list[str] = []
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        for page in (admin, guest, stranger):
            page.set_viewport_size(size)
        for page, path in visits:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            found += [f"{label} {v}" for v in _violations(page)]
    assert not found, "axe found:\n" + "\n".join(found)


def test_every_page_loads_only_the_scripts_it_uses(people: Visitors) -> None:
    guest = people.guest("Léo")
    loaded: list[str] = []
    guest.on("request", lambda request: loaded.append(request.url))

    def scripts(path: str) -> set[str]:
        loaded.clear()
        guest.goto(path)
        guest.wait_for_load_state("networkidle")
        return {m.group(1) for url in loaded if (m := re.search(r"/js/([\w-]+)\.js", url))}

    agenda = scripts("/agenda")
    assert agenda <= {"main", "live", "ops", "inbox"}, agenda
    plan = scripts("/")
    assert not plan & {"voice", "table", "sitting", "chat", "mic", "ballot-keys"}, plan
    bar = scripts("/r/bar")
    assert {"chat", "voice", "mic"} <= bar and not bar & {"table", "sitting"}, bar
    screenshot(guest, "every-page-bar-desktop", full_page=False)
