"""A sitting on one page: its room's voice and chat beside it, and the floor in the voice.

Anaïs (an animator) facilitates; Chloé (desktop) and Dédé (a 390 px phone) are members.
Chloé and Dédé talk in the assembly room's voice, then open the sitting from the room:
each page rejoins the same conversation by itself (Dédé stays muted, as he was), and the
other keeps hearing them (inbound audio bytes, Chromium's fake microphones). Anaïs opens
the sitting from elsewhere and is offered to join. A chat message written on the sitting
page reaches the room page live. Then Anaïs asks for silence: only the person who has the
floor is heard; the floor passes from Chloé to Dédé, who is asked to switch his
microphone on; and the silence is undone in one action. Pictures go to
``test-artifacts/sitting-voice-*.png``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .assembly_helpers import action_button
from .helpers import (
    PHONE,
    Venue,
    Visitors,
    evaluate_within,
    messages,
    say,
    screenshot,
    wait_online,
    wait_until,
)

pytestmark = pytest.mark.browser

PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}
TITLE = "AG d'automne"
STATUS = "[data-voice-status]"


def _stats(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = evaluate_within(page, "window.estaminetVoice.stats()")
    return result


def _me(page: Page) -> str:
    return str(page.evaluate("document.body.dataset.me"))


def _inbound(page: Page, peer: str) -> int:
    return int(_stats(page)["peers"].get(peer, {}).get("inbound", 0))


def _hears(page: Page, peer: str) -> None:
    """Audio from ``peer`` keeps arriving on ``page`` (inbound bytes grow)."""
    start = _inbound(page, peer)
    wait_until(
        page,
        f"window.estaminetVoice.stats().then(s => (s.peers[{peer!r}] || {{}}).inbound > {start + 2000})",
        timeout=20,
    )


def _silent(page: Page) -> None:
    """Nothing leaves ``page``'s microphone towards anyone."""
    wait_until(
        page,
        "window.estaminetVoice.stats().then(s => Object.values(s.peers).every(p => !p.sending))",
    )


def _sending(page: Page) -> None:
    wait_until(
        page,
        "window.estaminetVoice.stats().then(s => Object.keys(s.peers).length > 0"
        " && Object.values(s.peers).every(p => p.sending))",
    )


def _hears_nothing_from(page: Page, peer: str, other: str) -> None:
    """While audio from ``other`` keeps arriving, nothing more comes from ``peer``."""
    before = _inbound(page, peer)
    _hears(page, other)
    _hears(page, other)
    assert _inbound(page, peer) == before


def _prepare(anais: Page, names: list[str]) -> int:
    anais.goto("/r/ag")
    anais.locator("a[href='/r/ag/assemblies/new']").click()
    anais.locator("#prep-title").fill(TITLE)
    anais.locator("#prep-agenda").fill("Le budget (20 min)")
    anais.locator("input[name=voters_mode][value=list]").check()
    for name in names:
        anais.locator(".prepare-people").get_by_label(name, exact=True).check()
    anais.locator("#prep-facilitator").select_option(label="Anaïs")
    anais.locator("#prep-secretary").select_option(label="Anaïs")
    anais.locator(".sitting-prepare form button[type=submit]").click()
    expect(anais).to_have_url(re.compile(r"/a/\d+$"))
    return int(anais.url.rsplit("/", 1)[1])


def _tab(page: Page, name: str) -> None:
    """On the phone, open one of the sitting's tabs."""
    page.get_by_role("tab", name=re.compile(rf"^{name}")).click()


def test_a_sitting_on_one_page_with_its_voice_and_chat(people: Visitors, venue: Venue) -> None:
    animator = venue.create_invite(role="animator", uses=1)
    member = venue.create_invite(role="member", uses=2)
    anais = people.guest("Anaïs", invite=animator)
    chloe = people.guest("Chloé", invite=member)
    dede = people.guest("Dédé", invite=member, **PHONE_390)
    sitting = _prepare(anais, ["Anaïs", "Chloé", "Dédé"])
    ids = {name: _me(page) for name, page in (("Anaïs", anais), ("Chloé", chloe), ("Dédé", dede))}

    # Opened from elsewhere on a phone, the sitting offers its room's conversation above the tabs.
    dede.goto(f"/a/{sitting}")
    wait_online(dede)
    offer = dede.locator("[data-sitting-join]")
    expect(offer).to_contain_text("Tu n'es pas dans la conversation vocale de la salle.")
    expect(offer.get_by_role("button", name="Rejoindre la conversation")).to_be_in_viewport()
    expect(dede.locator("#sitting-panel-voice")).to_be_hidden()

    # -- Chloé and Dédé talk in the assembly room's voice ---------------------------------
    for page in (chloe, dede):
        page.goto("/r/ag")
        wait_online(page)
        page.get_by_role("button", name="Rejoindre la conversation").click()
        expect(page.locator(STATUS)).to_have_text("Tu es dans la conversation.")
    _hears(chloe, ids["Dédé"])
    _hears(dede, ids["Chloé"])
    dede.get_by_role("button", name="Couper mon micro").click()
    expect(dede.locator(STATUS)).to_have_text("Ton micro est coupé.")

    # Chloé opens the sitting from the room: the same conversation, at once, no click.
    chloe.locator(f"a.sittings-list__link[href='/a/{sitting}']").click()
    expect(chloe).to_have_url(re.compile(rf"/a/{sitting}$"))
    expect(chloe.locator(STATUS)).to_have_text("Tu es dans la conversation.")
    expect(chloe.get_by_role("button", name="Couper mon micro")).to_be_visible()
    _hears(dede, ids["Chloé"])  # Dédé, still on the room page, hears her again
    # Dédé (muted) follows on his phone: still in the conversation, still muted.
    dede.locator(f"a.sittings-list__link[href='/a/{sitting}']").click()
    expect(dede).to_have_url(re.compile(rf"/a/{sitting}$"))
    expect(dede.locator(STATUS)).to_have_text("Ton micro est coupé.")
    _hears(dede, ids["Chloé"])
    _silent(dede)
    _tab(dede, "Voix")
    dede.get_by_role("button", name="Rallumer mon micro").click()
    _hears(chloe, ids["Dédé"])

    # Anaïs comes from elsewhere: she is offered to join, and joins.
    anais.goto(f"/a/{sitting}")
    wait_online(anais)
    join = anais.get_by_role("button", name="Rejoindre la conversation")
    expect(join).to_be_visible()
    expect(anais.locator(STATUS)).to_have_text("")
    join.click()
    expect(anais.locator(STATUS)).to_have_text("Tu es dans la conversation.")
    _hears(chloe, ids["Anaïs"])
    anais.get_by_role("button", name="Couper mon micro").click()  # she listens for now
    _silent(anais)

    # -- The room's chat, from the sitting page, reaches the room's other readers live ------
    room = anais.context.new_page()
    room.goto("/r/ag")
    wait_online(room)
    _tab(dede, "Discussion")
    say(chloe, "Bonjour depuis la séance !")
    for page in (room, dede, anais):
        expect(messages(page, "ag").last).to_contain_text("Bonjour depuis la séance !")
    say(dede, "Je vous entends bien.")
    expect(messages(chloe, "ag").last).to_contain_text("Je vous entends bien.")
    expect(messages(room, "ag").last).to_contain_text("Je vous entends bien.")
    room.close()
    screenshot(dede, "sitting-voice-phone-chat", full_page=False)
    # The tabs work with the keyboard: from "Discussion", the left arrow goes to "Voix".
    dede.get_by_role("tab", name=re.compile("^Discussion")).focus()
    dede.keyboard.press("ArrowLeft")
    expect(dede.get_by_role("tab", name=re.compile("^Voix"))).to_have_attribute(
        "aria-selected", "true"
    )
    expect(dede.locator("#sitting-panel-voice")).to_be_visible()
    expect(dede.locator("#sitting-panel-chat")).to_be_hidden()
    screenshot(dede, "sitting-voice-phone-voice", full_page=False)
    _tab(dede, "Séance")

    # -- The sitting opens; Chloé asks to speak ------------------------------------------
    for page in (anais, chloe, dede):
        action_button(page, "attendance.check_in").click()
    action_button(anais, "sitting.open").click()
    action_button(anais, "agenda.next_item").click()
    action_button(chloe, "speaker.raise_hand").click()
    expect(anais.locator(".queue .queue__name")).to_have_text(["Chloé"])

    # Silence: only the person who has the floor (nobody yet: only the facilitator).
    hush = anais.get_by_role("button", name="Silence : seule la personne qui a la parole")
    expect(hush).to_have_attribute("aria-pressed", "false")
    hush.click()
    expect(hush).to_have_attribute("aria-pressed", "true")
    for page in (chloe, dede):
        expect(page.locator(STATUS)).to_have_text(
            "Silence : seule la personne qui a la parole est entendue."
        )
        expect(page.locator(".sitting-silence")).to_be_visible()
        _silent(page)

    # The floor to Chloé: everyone hears her, and only her.
    action_button(anais.locator(".sitting-chair"), "speaker.give_floor").click()
    expect(chloe.locator(".voice-floor")).to_contain_text(
        "Tu as la parole : tout le monde t'entend."
    )
    expect(chloe.locator(STATUS)).to_have_text("Tu es dans la conversation.")
    _sending(chloe)
    _hears(dede, ids["Chloé"])
    _hears(anais, ids["Chloé"])
    _hears_nothing_from(anais, ids["Dédé"], ids["Chloé"])
    screenshot(chloe, "sitting-voice-desktop", full_page=False)

    # Dédé asks to speak and mutes himself meanwhile; given the floor, he is asked to turn his
    # microphone on (never switched on for him), and Chloé is silent again.
    action_button(dede, "speaker.raise_hand").click()
    dede.locator("main h1").click()
    dede.keyboard.press("m")
    action_button(anais.locator(".sitting-chair"), "speaker.give_floor").click()
    floor = dede.locator(".voice-floor")
    expect(floor).to_contain_text("Tu as la parole, mais ton micro est coupé.")
    expect(floor).to_be_in_viewport()
    screenshot(dede, "sitting-voice-phone-floor", full_page=False)
    _silent(dede)
    floor.get_by_role("button", name="Ouvrir mon micro").click()
    expect(floor).to_be_hidden()
    _hears(chloe, ids["Dédé"])
    _hears(anais, ids["Dédé"])
    _silent(chloe)
    expect(chloe.locator(STATUS)).to_have_text(
        "Silence : seule la personne qui a la parole est entendue."
    )
    _hears_nothing_from(anais, ids["Chloé"], ids["Dédé"])

    # And back: one press gives everyone the microphone back.
    hush.click()
    expect(hush).to_have_attribute("aria-pressed", "false")
    for page in (chloe, dede):
        expect(page.locator(".sitting-silence")).to_have_count(0)
    _sending(chloe)
    _hears(dede, ids["Chloé"])
    _hears(anais, ids["Chloé"])
    screenshot(anais, "sitting-voice-facilitator-desktop", full_page=False)
    _tab(dede, "Séance")
    screenshot(dede, "sitting-voice-phone", full_page=False)
