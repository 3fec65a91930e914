"""Voice in a real browser (Debian Chromium, fake microphones): three people hear each other,
mute stops one's voice, a dropped connection comes back, the fifth person gets a message, a
refused microphone gets help, and the microphone test page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .helpers import PHONE, Visitors, evaluate_within, screenshot, wait_online, wait_until

pytestmark = pytest.mark.browser

ROOM = "defouloir"


def _enter(people: Visitors, name: str, room: str = ROOM, **options: Any) -> Page:
    page = people.guest(name, **options)
    page.goto(f"/r/{room}")
    wait_online(page)
    return page


def _join(page: Page) -> None:
    page.get_by_role("button", name="Rejoindre la conversation").click()
    expect(page.locator("[data-voice-status]")).to_have_text("Tu es dans la conversation.")


def _stats(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = evaluate_within(page, "window.estaminetVoice.stats()")
    return result


def _me(page: Page) -> str:
    return str(page.evaluate("document.body.dataset.me"))


def _inbound_from(page: Page, peer: str) -> int:
    return int(_stats(page)["peers"].get(peer, {}).get("inbound", 0))


def _wait_growing(page: Page, peer: str, *, timeout: float = 20.0) -> None:
    """Wait until audio from ``peer`` keeps arriving (inbound bytes grow twice)."""
    start = _inbound_from(page, peer)
    js = f"window.estaminetVoice.stats().then(s => (s.peers[{peer!r}] || {{}}).inbound > {start + 2000})"
    wait_until(page, js, timeout=timeout)


def test_voice_three_people_hear_each_other_mute_and_reconnect(people: Visitors) -> None:
    pages = [_enter(people, n) for n in ("Anne Voix", "Bruno Voix", "Chloé Voix")]
    ids = [_me(p) for p in pages]
    for page in pages:
        _join(page)
    # Each one receives audio from the two others.
    for i, page in enumerate(pages):
        for j, other in enumerate(ids):
            if i != j:
                _wait_growing(page, other)
    anne, bruno, chloe = pages
    expect(bruno.locator(f"[data-voice-members] [data-user='{ids[0]}']")).to_be_visible()
    expect(bruno.locator(f"[data-people='{ROOM}'] li[data-user='{ids[0]}']")).to_have_class(
        re.compile(r"\bperson--voice\b")
    )
    # The fake microphone beeps: someone's ring lights up.
    expect(bruno.locator("[data-voice-members] .voice-member--speaking").first).to_be_visible(
        timeout=15_000
    )
    screenshot(bruno, "voice-room-desktop")
    # The floor plan shows who is in the conversation, live.
    plan = bruno.context.new_page()
    plan.goto("/")
    summary = plan.locator(f"a.plan-room--{ROOM} [data-voice-summary]")
    expect(summary).to_contain_text("3 dans la conversation")
    expect(summary.locator(".avatar")).to_have_count(3)
    screenshot(plan, "voice-floor-plan", full_page=False)
    plan.close()

    # Push-to-talk: Bruno is silent until he holds Space.
    bruno.get_by_text("Réglages du son").click()
    bruno.get_by_label("Appuyer pour parler").check()
    expect(bruno.get_by_role("button", name="Maintenir pour parler")).to_be_visible()
    silent = (
        "window.estaminetVoice.stats().then(s => Object.values(s.peers).every(p => !p.sending))"
    )
    talking = (
        "window.estaminetVoice.stats().then(s => Object.values(s.peers).every(p => p.sending))"
    )
    wait_until(bruno, silent)
    bruno.locator("main h1").click()
    bruno.keyboard.down("Space")
    wait_until(bruno, talking)
    bruno.keyboard.up("Space")
    wait_until(bruno, silent)
    bruno.get_by_label("Appuyer pour parler").uncheck()
    wait_until(bruno, talking)

    # Anne mutes (the M key): nothing leaves her browser any more, the others see it.
    anne.locator("main h1").click()
    anne.keyboard.press("m")
    expect(anne.get_by_role("button", name="Rallumer mon micro")).to_be_visible()
    expect(anne.locator("[data-voice-status]")).to_have_text("Ton micro est coupé.")
    wait_until(
        anne,
        "window.estaminetVoice.stats().then(s => Object.values(s.peers).every(p => !p.sending))",
    )
    expect(bruno.locator(f"[data-voice-members] [data-user='{ids[0]}']")).to_have_class(
        re.compile(r"\bvoice-member--muted\b")
    )
    expect(bruno.locator(f"[data-voice-members] [data-user='{ids[0]}']")).not_to_have_class(
        re.compile(r"voice-member--speaking")
    )
    sent = {peer: p["outbound"] for peer, p in _stats(anne)["peers"].items()}
    heard = _inbound_from(bruno, ids[0])
    # Chloé's voice still flows meanwhile (the calls are alive), Anne's does not.
    _wait_growing(bruno, ids[2])
    _wait_growing(bruno, ids[2])
    assert {peer: p["outbound"] for peer, p in _stats(anne)["peers"].items()} == sent
    assert _inbound_from(bruno, ids[0]) == heard

    # Anne unmutes with the button: her voice comes back.
    anne.get_by_role("button", name="Rallumer mon micro").click()
    _wait_growing(bruno, ids[0])

    # Anne's connection drops: she sees "Reconnexion…", then everyone hears her again.
    anne.evaluate("window.estaminet.markDown()")
    expect(anne.locator("[data-voice-status]")).to_have_text("Reconnexion…")
    expect(anne.locator("[data-voice-status]")).to_have_text("Tu es dans la conversation.")
    _wait_growing(bruno, ids[0])
    _wait_growing(chloe, ids[0])
    _wait_growing(anne, ids[1])

    # Chloé leaves the voice but stays in the room's chat.
    chloe.get_by_role("button", name="Quitter la conversation").click()
    expect(anne.locator(f"[data-voice-members] [data-user='{ids[2]}']")).to_have_count(0)
    expect(chloe.get_by_role("button", name="Rejoindre la conversation")).to_be_visible()
    expect(chloe.locator("form[data-chat-form] textarea")).to_be_enabled()
    wait_until(anne, f"window.estaminetVoice.stats().then(s => !({ids[2]!r} in s.peers))")


def test_voice_fifth_person_in_a_mesh_gets_a_message(people: Visitors) -> None:
    pages = [_enter(people, f"Personne {n}", "atelier") for n in ("Un", "Deux", "Trois", "Quatre")]
    for page in pages:
        _join(page)
    fifth = _enter(people, "Personne Cinq", "atelier", **PHONE)
    fifth.get_by_role("button", name="Rejoindre la conversation").click()
    expect(fifth.locator("[data-voice-status]")).to_contain_text(
        "La conversation vocale est complète (4 personnes au maximum ici)"
    )
    expect(fifth.get_by_role("button", name="Rejoindre la conversation")).to_be_visible()
    expect(fifth.locator("[data-voice-members] .voice-member")).to_have_count(4)
    screenshot(fifth, "voice-full-phone")


def test_voice_refused_microphone_shows_help(people: Visitors) -> None:
    context = people.context(**PHONE)
    context.add_init_script(
        "if (navigator.mediaDevices) navigator.mediaDevices.getUserMedia = () =>"
        " Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));"
    )
    page = people.guest("Refus Micro", context=context)
    page.goto(f"/r/{ROOM}")
    wait_online(page)
    page.get_by_role("button", name="Rejoindre la conversation").click()
    help_box = page.locator("section[data-voice] [data-mic-help]")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("Ton navigateur ne nous a pas laissé utiliser le micro.")
    expect(help_box.get_by_text("Safari sur un iPhone ou un iPad")).to_be_visible()
    expect(page.get_by_role("button", name="Rejoindre la conversation")).to_be_visible()
    screenshot(page, "voice-mic-refused-phone")


def test_voice_microphone_test_page(people: Visitors) -> None:
    page = people.guest("Test Micro")
    page.goto("/voice/test")
    expect(page.locator("h1")).to_have_text("Tester mon micro")
    page.get_by_role("button", name="Commencer le test").click()
    wait_until(page, "window.estaminetMicTest.loudest() > 0.01")
    page.get_by_role("button", name="Enregistrer cinq secondes et les réécouter").click()
    expect(page.locator("[data-mic-playback]")).to_be_visible(timeout=15_000)
    expect(page.locator("[data-mic-status]")).to_have_text(
        "Écoute-toi ci-dessous. Entends-tu bien ta voix ?"
    )
    assert page.evaluate("document.querySelector('[data-mic-playback]').src").startswith("blob:")
    screenshot(page, "voice-mic-test-desktop")


def test_voice_moderator_mutes_someone_for_everyone(people: Visitors) -> None:
    guest = _enter(people, "Gaspard Bavard", "jeux")
    admin = people.admin()
    admin.goto("/r/jeux")
    wait_online(admin)
    _join(guest)
    _join(admin)
    guest_id = _me(guest)
    _wait_growing(admin, guest_id)
    # Each person has a volume slider.
    slider = admin.get_by_label("Volume de Gaspard Bavard")
    admin.get_by_text("Réglages du son").click()
    slider.fill("0.3")
    assert (
        admin.evaluate(f"document.querySelector('audio[data-peer=\"{guest_id}\"]').volume") == 0.3
    )
    # The admin turns Gaspard's microphone off for everyone.
    admin.get_by_text("Modérer la conversation").click()
    admin.locator("[data-voice-people]").select_option(guest_id)
    admin.get_by_role("button", name="Couper son micro pour tout le monde").click()
    expect(guest.locator("[data-voice-status]")).to_have_text(
        "Un·e modérateur·rice a coupé ton micro."
    )
    wait_until(
        guest,
        "window.estaminetVoice.stats().then(s => Object.values(s.peers).every(p => !p.sending))",
    )
    expect(admin.locator(f"[data-voice-members] [data-user='{guest_id}']")).to_have_class(
        re.compile(r"\bvoice-member--muted\b")
    )
    # Then removes him from the conversation: he stays in the room, out of the voice.
    admin.get_by_role("button", name="Retirer de la conversation").click()
    expect(guest.locator("[data-voice-status]")).to_have_text(
        "Un·e modérateur·rice t'a retiré·e de la conversation vocale."
    )
    expect(guest.get_by_role("button", name="Rejoindre la conversation")).to_be_visible()
    expect(admin.locator(f"[data-voice-members] [data-user='{guest_id}']")).to_have_count(0)
