"""The floor plan and a room on a phone and on a desktop screen (screenshots in test-artifacts/)."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    PHONE,
    PHONE_390,
    Visitors,
    chat_input,
    messages,
    say,
    screenshot,
    wait_online,
    wait_until,
)

pytestmark = pytest.mark.browser

# What a guest sees on the demo venue's plan (the team's office and the members' room are hidden).
GUEST_ROOMS = ["hall", "bar", "jeux", "scene", "defouloir", "atelier"]


def _no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
    assert widths[2] <= widths[1], f"the page scrolls sideways: {widths}"


def _room_boxes(page: Page) -> dict[str, dict[str, float]]:
    """Every room's box in the page's coordinates, read in one go: read one by one, a layout
    shift or a scroll between two reads (a banner arriving above the plan) mixes two
    layouts. The plan's own stylesheet (/venue/plan.css) may still be on its way on a busy
    machine: the boxes are read once it applies."""
    wait_until(page, "document.querySelector('link[href=\"/venue/plan.css\"]')?.sheet != null")
    for slug in GUEST_ROOMS:
        expect(page.locator(f"a.plan-room--{slug}")).to_be_visible()
    boxes: dict[str, dict[str, float]] = page.evaluate(
        """(slugs) => Object.fromEntries(slugs.map((slug) => {
            const b = document.querySelector(`a.plan-room--${slug}`).getBoundingClientRect();
            return [slug, {x: b.left + scrollX, y: b.top + scrollY, width: b.width, height: b.height}];
        }))""",
        GUEST_ROOMS,
    )
    return boxes


def test_invite_phone_form_fits_and_lets_in(people: Visitors) -> None:
    page = people.context(**PHONE).new_page()
    page.goto(people.venue.invite_link)
    name = page.locator("#name")
    expect(name).to_be_focused()  # autofocus: type at once
    expect(name).to_be_in_viewport()
    expect(page.locator("main form [type=submit]")).to_be_in_viewport()
    _no_horizontal_scroll(page)
    screenshot(page, "invite-phone")
    name.fill("Hugo")
    page.locator("main form [type=submit]").tap()
    expect(page.locator(".plan-grid")).to_be_visible()


def test_floor_plan_phone_shows_rooms_in_one_tappable_column(people: Visitors) -> None:
    page = people.guest("Ines", **PHONE)
    expect(page.locator("a.plan-room")).to_have_count(len(GUEST_ROOMS))
    _no_horizontal_scroll(page)
    boxes = _room_boxes(page)
    width = page.evaluate("window.innerWidth")
    tops = [boxes[slug]["y"] for slug in GUEST_ROOMS]
    assert tops == sorted(tops), "the rooms are not stacked in the venue's order"
    for slug, box in boxes.items():
        # One column: every room starts at the same place and takes the whole width.
        assert box["x"] == pytest.approx(boxes["hall"]["x"], abs=1), slug
        assert box["width"] == pytest.approx(boxes["hall"]["width"], abs=1), slug
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width, slug
        assert box["width"] >= width * 0.8, slug
        assert box["height"] >= 44, f"{slug} is too small to tap"
    for upper, lower in itertools.pairwise(GUEST_ROOMS):
        assert boxes[upper]["y"] + boxes[upper]["height"] <= boxes[lower]["y"] + 1, (upper, lower)
    screenshot(page, "floor-plan-phone")

    page.locator("a.plan-room--bar").tap()
    expect(page).to_have_url(re.compile(r"/r/bar$"))
    wait_online(page)
    say(page, "Coucou depuis mon téléphone")
    expect(messages(page, "bar").last.locator(".msg-body")).to_have_text(
        "Coucou depuis mon téléphone"
    )
    expect(chat_input(page)).to_be_in_viewport()
    _no_horizontal_scroll(page)
    screenshot(page, "room-phone", full_page=False)


def test_floor_plan_desktop_places_rooms_as_in_the_venue_file(people: Visitors) -> None:
    page = people.guest("Jules")
    # The plan's stylesheet (/venue/plan.css) may still be on its way on a busy machine.
    wait_until(
        page,
        "getComputedStyle(document.querySelector('.plan-grid')).gridTemplateRows.split(' ').length > 1",
    )
    boxes = _room_boxes(page)
    _no_horizontal_scroll(page)
    hall, bar, games, stage = boxes["hall"], boxes["bar"], boxes["jeux"], boxes["scene"]
    # demo.toml: the hall spans the top row; the bar, the games room and the stage sit below it,
    # left to right; the let-off-steam room and the workshop are under them.
    assert hall["y"] + hall["height"] <= bar["y"] + 1
    assert bar["y"] == pytest.approx(games["y"], abs=1) == stage["y"]
    assert bar["x"] < games["x"] < stage["x"]
    assert hall["width"] > bar["width"] > stage["width"]
    assert boxes["defouloir"]["y"] >= bar["y"] + bar["height"] - 1
    assert boxes["atelier"]["x"] > boxes["defouloir"]["x"]
    screenshot(page, "floor-plan-desktop")


def test_first_visit_tour_step_by_step_on_a_phone(people: Visitors) -> None:
    """A new guest's plan opens with the short tour: one step at a time (keyboard too), the
    help room at the end, then gone for good; another guest skips it at once."""
    page = people.guest("Théo Tour", **PHONE_390)
    tour = page.locator("[data-tour]")
    count = tour.locator("[data-tour-count]")
    steps = tour.locator("[data-tour-step]")
    expect(count).to_have_text("Étape 1 sur 4")
    expect(steps.nth(0)).to_be_visible()
    expect(steps.nth(1)).to_be_hidden()
    expect(tour.get_by_role("button", name="Précédent")).to_be_hidden()
    expect(tour.get_by_role("button", name="C'est parti !")).to_be_hidden()
    _no_horizontal_scroll(page)
    # A compact card on a phone: the plan it talks about stays in sight, at every step.
    in_sight = [page.locator(f"a.plan-room--{slug}") for slug in ("hall", "bar")]
    for room in in_sight:
        expect(room).to_be_in_viewport(ratio=1)
    screenshot(page, "tour-phone", full_page=False)
    # By keyboard: "Suivant" moves to the next step and the focus goes to its title.
    for number in (2, 3, 4):
        tour.get_by_role("button", name="Suivant").focus()
        page.keyboard.press("Enter")
        expect(count).to_have_text(f"Étape {number} sur 4")
        expect(steps.nth(number - 1).locator("h3")).to_be_focused()
        for room in in_sight:
            expect(room).to_be_in_viewport(ratio=1)
    expect(tour.get_by_role("button", name="Suivant")).to_be_hidden()
    tour.get_by_role("button", name="Précédent").click()
    expect(count).to_have_text("Étape 3 sur 4")
    tour.get_by_role("button", name="Suivant").click()
    expect(steps.nth(3).get_by_role("link", name="Aller à L'atelier")).to_be_visible()
    tour.get_by_role("button", name="C'est parti !").click()
    expect(page.locator("[data-tour]")).to_have_count(0)
    expect(page.locator(".plan-grid")).to_be_visible()
    page.reload()
    expect(page.locator(".plan-grid")).to_be_visible()
    expect(page.locator("[data-tour]")).to_have_count(0)

    other = people.guest("Zoé Pressée")
    expect(other.locator("[data-tour-count]")).to_have_text("Étape 1 sur 4")
    screenshot(other, "tour-desktop", full_page=False)
    other.get_by_role("button", name="Passer le tour").click()
    expect(other.locator("[data-tour]")).to_have_count(0)
    other.locator("a.plan-room--atelier").click()
    expect(other).to_have_url(re.compile(r"/r/atelier$"))
    expect(other.get_by_role("heading", name="Ateliers")).to_be_visible()
    screenshot(other, "atelier-desktop")
