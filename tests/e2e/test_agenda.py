"""The agenda in a real browser: a weekly game night with one place, a waiting list that moves up."""

from __future__ import annotations

import io
import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from .helpers import ARTIFACTS, PHONE, Visitors

pytestmark = pytest.mark.browser

BRUSSELS = ZoneInfo("Europe/Brussels")


def _first_friday_next_month(today: date) -> date:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first + timedelta(days=(4 - first.weekday()) % 7)


def _keep(page: Page, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # a copy to look at (git-ignored)
    shutil.copy(path, ARTIFACTS / path.name)


def _answer(page: Page, label: str, mine: str) -> None:
    """Answer, and wait until the page after the redirect shows the answer.

    The wait matters: closing a tab (or its context) while the answer's navigation
    commits can leave Chromium's page open forever, and ``page.close()`` has no timeout
    (crbug.com/536385539): one run hung in ``other_tab.close()`` until pytest's 300 s limit.
    """
    page.get_by_role("button", name=label, exact=True).click()
    expect(page).to_have_url(re.compile(r"\?(saved|waiting)=1$"))
    expect(page.locator("[data-mine]")).to_have_attribute("data-mine", mine)


def _online(page: Page) -> None:
    """Wait, bounded, until the page's live connection is open (``live.js`` marks the body).

    Not ``helpers.wait_online``: the ``page.evaluate`` in its loop has no timeout of its
    own (its deadline is only checked between calls).
    """
    expect(page.locator("body")).to_have_attribute("data-live", "online")


def _toast(page: Page, *texts: str) -> None:
    """Wait for one agenda toast holding every text, in one bounded wait.

    A toast removes itself after 8 s: asserting its texts one after the other can miss
    it on a slow machine, after the first text was found.
    """
    toast = page.locator("#toasts .toast--agenda")
    for text in texts:
        toast = toast.filter(has_text=text)
    expect(toast).to_be_visible()


def test_agenda_weekly_game_night_with_a_waiting_list(people: Visitors, tmp_path: Path) -> None:
    venue = people.venue
    friday = _first_friday_next_month(date.today())
    animator = people.guest("Anim", invite=venue.create_invite(role="animator"))
    animator.get_by_role("link", name="Agenda").first.click()
    animator.get_by_role("link", name="Prévoir un évènement").click()
    animator.get_by_label("Titre").fill("Soirée jeux du vendredi")
    animator.get_by_label("Type").select_option("game_night")
    animator.get_by_label("Description").fill("On joue au **Loup-Garou**, venez nombreux·ses !")
    animator.locator("#ev-start").fill(f"{friday.isoformat()}T20:00")
    animator.locator("#ev-end").fill(f"{friday.isoformat()}T23:00")
    animator.get_by_label("À quelle fréquence").select_option("weekly")
    animator.get_by_label("Ou un nombre de fois").fill("4")
    animator.get_by_label("Salle", exact=True).select_option("jeux")
    animator.get_by_label("Qui le voit").select_option("members")
    animator.get_by_label("Places (laisse vide : pas de limite)").fill("1")
    _keep(animator, tmp_path, "agenda-new-desktop")
    animator.get_by_role("button", name="Créer l'évènement").click()
    expect(animator.locator(".banner")).to_contain_text("L'évènement est dans l'agenda.")
    event_url = animator.url.split("?")[0]
    assert re.search(r"/agenda/\d+/\d{8}T2000$", event_url), event_url

    alice = people.guest("Alice", invite=venue.create_invite(role="member"))
    bruno = people.guest("Bruno", invite=venue.create_invite(role="member"))
    alice.goto(event_url)
    _answer(alice, "Je viens", "yes")
    expect(alice.locator("[data-names='yes']")).to_have_text("Alice")

    bruno.goto(event_url)
    _answer(bruno, "Je viens (liste d'attente)", "waiting")
    expect(bruno.locator(".banner")).to_contain_text("liste d'attente")
    expect(bruno.locator("[data-names='waiting']")).to_have_text("Bruno")
    _online(bruno)

    _answer(alice, "Je ne viens pas", "no")
    _toast(bruno, "liste d'attente", "Soirée jeux du vendredi")
    bruno.reload()
    expect(bruno.locator("[data-mine]")).to_have_attribute("data-mine", "yes")
    expect(bruno.locator("[data-names='yes']")).to_have_text("Bruno")

    # The month shows the four Fridays, like a paper calendar.
    bruno.goto(f"/agenda?month={friday.strftime('%Y-%m')}")
    items = bruno.locator(".agenda-item", has_text="Soirée jeux du vendredi")
    expect(items).to_have_count(4)
    for week in range(4):
        day = friday + timedelta(days=7 * week)
        expect(
            bruno.locator(".agenda-day", has=bruno.locator(f"time[datetime^='{day.isoformat()}']"))
        ).to_have_count(1)
    _keep(bruno, tmp_path, "agenda-month-desktop")
    bruno.goto(event_url)
    _keep(bruno, tmp_path, "agenda-event-desktop")

    phone = people.context(**PHONE)
    phone_page = phone.new_page()
    phone_page.goto(venue.create_invite(role="member"))
    phone_page.locator("#name").fill("Chloé")
    phone_page.locator("main form [type=submit]").click()
    expect(phone_page.locator(".agenda-next")).to_contain_text("Soirée jeux du vendredi")
    _keep(phone_page, tmp_path, "agenda-plan-phone")
    phone_page.goto(f"/agenda?month={friday.strftime('%Y-%m')}")
    expect(phone_page.locator(".agenda-item")).to_have_count(4)
    width = phone_page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the agenda scrolls sideways on a phone: {width}"
    _keep(phone_page, tmp_path, "agenda-month-phone")
    phone_page.goto(event_url)
    _keep(phone_page, tmp_path, "agenda-event-phone")

    # An event in progress lights its room up; a late "yes" gets the way in.
    now = datetime.now(BRUSSELS).replace(second=0, microsecond=0)
    animator.goto("/agenda/new")
    animator.get_by_label("Titre").fill("Tournoi de Loup-Garou")
    animator.locator("#ev-start").fill(now.strftime("%Y-%m-%dT%H:%M"))
    animator.locator("#ev-end").fill((now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    animator.get_by_label("Salle", exact=True).select_option("jeux")
    animator.get_by_label("Qui le voit").select_option("public")
    animator.get_by_role("button", name="Créer l'évènement").click()
    expect(animator.locator(".banner")).to_contain_text("L'évènement est dans l'agenda.")
    live_url = animator.url.split("?")[0]
    phone_page.goto("/")
    lit = phone_page.locator("[data-agenda-lit='jeux']")
    expect(lit).to_be_visible()
    expect(lit).to_contain_text("Tournoi de Loup-Garou")
    _keep(phone_page, tmp_path, "agenda-plan-lit-phone")
    # Chloé says yes from another tab; the plan's tab gets the way in.
    _online(phone_page)
    other_tab = phone.new_page()
    other_tab.goto(live_url)
    expect(other_tab.get_by_role("link", name="Ça commence — rejoindre")).to_be_visible()
    _answer(other_tab, "Je viens", "yes")
    other_tab.close()
    # One action that waits for the link (bounded) and clicks it: the toast leaves after 8 s.
    phone_page.locator("#toasts .toast--agenda a", has_text="Ça commence — rejoindre").click()
    expect(phone_page).to_have_url(re.compile(r"/r/jeux$"))


def _poster() -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (600, 300), (140, 47, 35))
    ImageDraw.Draw(image).ellipse((220, 70, 380, 230), fill=(240, 200, 120))
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_agenda_edit_more_places_move_the_waiting_person_up_live(
    people: Visitors, tmp_path: Path
) -> None:
    venue = people.venue
    day = date.today() + timedelta(days=5)
    animator = people.guest("Anim", invite=venue.create_invite(role="animator"))
    animator.goto("/agenda/new")
    animator.get_by_label("Titre").fill("Atelier crêpes")
    animator.get_by_label("Type").select_option("workshop")
    animator.locator("#ev-start").fill(f"{day.isoformat()}T15:00")
    animator.locator("#ev-end").fill(f"{day.isoformat()}T17:00")
    animator.get_by_label("Places (laisse vide : pas de limite)").fill("1")
    animator.locator("#ev-picture").set_input_files(
        {"name": "crepes.png", "mimeType": "image/png", "buffer": _poster()}
    )
    animator.get_by_role("button", name="Créer l'évènement").click()
    expect(animator.locator(".banner")).to_contain_text("L'évènement est dans l'agenda.")
    event_url = animator.url.split("?")[0]

    alice = people.guest("Alice", invite=venue.create_invite(role="member"))
    bruno = people.guest("Bruno", invite=venue.create_invite(role="member"))
    alice.goto(event_url)
    _answer(alice, "Je viens", "yes")
    bruno.goto(event_url)
    _answer(bruno, "Je viens (liste d'attente)", "waiting")
    _online(bruno)

    animator.goto(event_url)
    animator.locator(".agenda-manage summary").click()
    animator.get_by_role("link", name="Modifier l'évènement").click()
    expect(animator.get_by_role("heading", name="Modifier l'évènement")).to_be_visible()
    capacity = animator.get_by_label("Places (laisse vide : pas de limite)")
    expect(capacity).to_have_value("1")
    expect(animator.locator("#ev-capacity-help")).to_contain_text("tout le monde qui vient déjà")
    expect(animator.locator(".agenda-picture-current img")).to_be_visible()
    _keep(animator, tmp_path, "agenda-edit-desktop")
    capacity.fill("2")
    animator.get_by_role("button", name="Enregistrer les changements").click()
    expect(animator.locator(".banner")).to_contain_text("Les changements sont enregistrés.")
    expect(animator.locator("[data-names='yes']")).to_have_text("Alice, Bruno")

    # Bruno, still on the page, is told at once that he moves up.
    _toast(bruno, "liste d'attente", "Atelier crêpes")
    bruno.reload()
    expect(bruno.locator("[data-mine]")).to_have_attribute("data-mine", "yes")

    # The form on a phone: one column, no sideways scrolling, every field labelled.
    phone = people.context(**{**PHONE, "viewport": {"width": 390, "height": 844}})
    # (guest() waits for the sign-in to land before the next navigation.)
    phone_page = people.guest("Anim2", invite=venue.create_invite(role="animator"), context=phone)
    phone_page.goto(event_url.rsplit("/", 1)[0] + "/edit")
    expect(phone_page.get_by_label("Titre")).to_have_value("Atelier crêpes")
    width = phone_page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the edit form scrolls sideways on a phone: {width}"
    _keep(phone_page, tmp_path, "agenda-edit-phone")

    # Meanwhile the first animator saves another change: the phone's form is stale.
    animator.goto(event_url.rsplit("/", 1)[0] + "/edit")
    animator.get_by_label("Titre").fill("Atelier crêpes et gaufres")
    animator.get_by_role("button", name="Enregistrer les changements").click()
    expect(animator.locator(".banner")).to_contain_text("Les changements sont enregistrés.")
    phone_page.get_by_label("Places (laisse vide : pas de limite)").fill("3")
    phone_page.get_by_role("button", name="Enregistrer les changements").click()
    error = phone_page.get_by_role("alert")
    expect(error).to_contain_text("Rien n'a été enregistré")
    expect(phone_page.get_by_label("Places (laisse vide : pas de limite)")).to_have_value("3")
    _keep(phone_page, tmp_path, "agenda-edit-stale-phone")
