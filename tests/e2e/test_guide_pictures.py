"""The pictures of the « comment ça marche » pages (/guide) are taken here, from the real
pages of a running venue on a 390 px phone, every time the suite runs: they show the venue as
it is, never as it was (src/estaminet/web/static/img/guide/)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .helpers import messages, say, wait_online

pytestmark = pytest.mark.browser

PICTURES = (
    Path(__file__).resolve().parents[2] / "src" / "estaminet" / "web" / "static" / "img" / "guide"
)
PHONE_390: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}
JOINED = "Tu es dans la conversation."


def _take(page: Page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(150)  # a settled layout (fonts, the live presence list)
    PICTURES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(PICTURES / f"{name}.jpg"), type="jpeg", quality=70, full_page=False)


def _plan_a_workshop(people: Any) -> None:
    """An animator plans a workshop next week in l'atelier (the agenda is not empty)."""
    animator = people.guest("Anim Guide", invite=people.venue.create_invite(role="animator"))
    animator.goto("/agenda/new?kind=workshop&room=atelier")
    day = (date.today() + timedelta(days=7)).isoformat()
    animator.get_by_label("Titre").fill("Atelier : prendre en main son micro")
    animator.get_by_label("Description").fill("On essaie ensemble, chacun avec son téléphone.")
    animator.locator("#ev-start").fill(f"{day}T19:00")
    animator.locator("#ev-end").fill(f"{day}T20:30")
    animator.get_by_label("Qui le voit").select_option("public")
    animator.get_by_role("button", name="Créer l'évènement").click()
    expect(animator.locator(".banner")).to_contain_text("L'évènement est dans l'agenda.")


def test_guide_pictures_from_the_real_pages(people: Any) -> None:
    _plan_a_workshop(people)
    anne = people.guest("Anne Guide", **PHONE_390)
    anne.get_by_role("button", name="Passer le tour").click()
    expect(anne.locator("[data-tour]")).to_have_count(0)
    _take(anne, "plan")

    # The bar, with two people in its voice and a message.
    bruno = people.guest("Bruno Guide")
    for page in (bruno, anne):
        page.goto("/r/bar")
        wait_online(page)
        page.get_by_role("button", name="Rejoindre la conversation").click()
        expect(page.locator("[data-voice-status]")).to_have_text(JOINED)
    say(bruno, "Bonsoir tout le monde !")
    expect(messages(anne, "bar").last).to_contain_text("Bonsoir tout le monde !")
    expect(anne.locator("[data-voice-members] [data-user]")).to_have_count(2)
    _take(anne, "room")

    # Looking around while in the conversation: the strip at the top.
    anne.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Agenda").click()
    expect(anne).to_have_url(re.compile(r"/agenda$"))
    expect(anne.locator("[data-voice-dock]")).to_be_visible()
    _take(anne, "dock")
    anne.locator("[data-voice-dock]").get_by_role("button", name="Quitter la conversation").click()
    expect(anne.locator("[data-voice-dock]")).to_be_hidden()
    _take(anne, "agenda")

    anne.goto("/r/jeux")
    wait_online(anne)
    _take(anne, "games")

    anne.goto("/help?from=/r/bar")
    anne.get_by_label("Mon micro").check()
    anne.get_by_label("En quelques mots (si tu veux)").fill("On ne m'entend pas au bar")
    _take(anne, "help")

    marie = people.guest(
        "Marie Guide", invite=people.venue.create_invite(role="member"), **PHONE_390
    )
    marie.goto("/r/ag")
    wait_online(marie)
    _take(marie, "assembly")

    for name in ("plan", "room", "dock", "agenda", "games", "help", "assembly"):
        assert (PICTURES / f"{name}.jpg").stat().st_size > 5_000, name
