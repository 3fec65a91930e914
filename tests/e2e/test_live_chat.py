"""Two people meet live: the floor plan, the bar, the chat, a lost connection, edits."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Locator, Page, WebSocketRoute, expect

from .helpers import (
    Visitors,
    chat_input,
    messages,
    say,
    screenshot,
    wait_online,
    wait_until,
)

pytestmark = pytest.mark.browser


def _occupants(page: Page, slug: str) -> Locator:
    return page.locator(f"a.plan-room--{slug} [data-occupants={slug}]")


def _people_here(page: Page, slug: str) -> Locator:
    return page.locator(f"[data-people={slug}] .person .person-name")


def test_bar_two_guests_see_each_other_and_chat_live(people: Visitors) -> None:
    alice = people.guest("Alice Dupont")
    bob = people.guest("Bob Martin")

    # Alice clicks the bar on the plan: Bob, on the plan, sees her arrive there.
    alice.locator("a.plan-room--bar").click()
    expect(alice).to_have_url(re.compile(r"/r/bar$"))
    expect(_people_here(alice, "bar")).to_have_text(["Alice Dupont"])
    expect(_occupants(bob, "bar")).to_contain_text("Alice Dupont")
    expect(_occupants(bob, "bar").locator(".avatar")).to_have_text(["AD"])

    # Alice keeps the plan open in a second tab: Bob entering the bar shows up there too.
    alice_plan = alice.context.new_page()
    alice_plan.goto("/")
    expect(_occupants(alice_plan, "bar")).not_to_contain_text("Bob Martin")
    wait_online(alice_plan)
    bob.locator("a.plan-room--bar").click()
    expect(bob).to_have_url(re.compile(r"/r/bar$"))
    expect(_occupants(alice_plan, "bar")).to_contain_text("Bob Martin")
    expect(_occupants(alice_plan, "bar").locator(".avatar")).to_have_count(2)
    expect(_people_here(alice, "bar")).to_have_text(["Alice Dupont", "Bob Martin"])
    expect(_people_here(bob, "bar")).to_have_text(["Alice Dupont", "Bob Martin"])

    # They talk, and each sees the other's words appear without reloading.
    say(alice, "Salut Bob, tu bois quoi ?")
    expect(chat_input(alice)).to_have_value("")
    expect(messages(bob, "bar").last.locator(".msg-body")).to_have_text("Salut Bob, tu bois quoi ?")
    expect(messages(bob, "bar").last.locator(".msg-author")).to_have_text("Alice Dupont")
    say(bob, "Une Chimay bleue, et toi ?")
    expect(messages(alice, "bar").locator(".msg-body")).to_have_text(
        ["Salut Bob, tu bois quoi ?", "Une Chimay bleue, et toi ?"]
    )
    expect(messages(bob, "bar").locator(".msg-body")).to_have_text(
        ["Salut Bob, tu bois quoi ?", "Une Chimay bleue, et toi ?"]
    )

    screenshot(alice, "bar-conversation-desktop", full_page=False)

    # Leaving the bar is live too.
    bob.context.close()
    expect(_people_here(alice, "bar")).to_have_text(["Alice Dupont"])
    expect(_occupants(alice_plan, "bar")).not_to_contain_text("Bob Martin")


def _go_offline(page: Page) -> None:
    """Cut a page's network, as when a phone loses its signal, and drop its socket.

    Chromium needs a moment before an already open socket goes silent (closing at
    once still completes the close handshake), so the person stays offline one second.
    """
    page.context.set_offline(True)
    page.wait_for_timeout(1_000)
    # The app notices the browser going offline by itself; close any socket left over.
    page.evaluate("window.estaminet.ws?.close()")


def test_chat_offline_person_gets_missed_messages_once_in_order(people: Visitors) -> None:
    claire = people.guest("Claire")
    david = people.guest("David")
    for page in (claire, david):
        page.goto("/r/jeux")
        wait_online(page)
    say(claire, "On joue au Loup-Garou ce soir ?")
    expect(messages(david, "jeux").locator(".msg-body")).to_have_text(
        ["On joue au Loup-Garou ce soir ?"]
    )

    _go_offline(claire)
    missed = ["Oui ! 20 h ?", "J'apporte les cartes.", "Et des chips 🍟"]
    for text in missed:
        say(david, text)
    expect(messages(david, "jeux").locator(".msg-body")).to_have_text(
        ["On joue au Loup-Garou ce soir ?", *missed]
    )
    expect(messages(claire, "jeux")).to_have_count(1)
    # What Claire writes meanwhile waits, and she is told so.
    say(claire, "Je reviens vite")
    expect(claire.locator("#chat-error")).to_be_visible()
    # She goes on to something else while it waits: when it is through, she keeps her place.
    elsewhere = claire.locator("[data-voice-join]")
    elsewhere.focus()

    claire.context.set_offline(False)
    expected = ["On joue au Loup-Garou ce soir ?", *missed, "Je reviens vite"]
    for page in (claire, david):
        expect(messages(page, "jeux").locator(".msg-body")).to_have_text(expected, timeout=20_000)
    expect(claire.locator("#chat-error")).to_be_hidden()
    expect(elsewhere).to_be_focused()
    # Once her client has applied the room's last change, nothing else is on its way:
    # the list is final, each message exactly once, in order.
    last_seq = messages(david, "jeux").last.get_attribute("data-seq")
    wait_until(claire, f"window.estaminet.last.get('room:jeux') >= {last_seq}")
    for page in (claire, david):
        expect(messages(page, "jeux").locator(".msg-body")).to_have_text(expected)
        ids = messages(page, "jeux").evaluate_all("(items) => items.map((li) => li.id)")
        assert len(ids) == len(set(ids)) == len(expected)


def test_connection_offline_shows_reconnecting_status(people: Visitors) -> None:
    emma = people.guest("Emma")
    emma.goto("/r/defouloir")
    wait_online(emma)
    _go_offline(emma)
    try:
        expect(emma.locator("#connection")).to_be_visible(timeout=5_000)
        expect(emma.locator("#connection")).not_to_have_class(re.compile("connection--ok"))
    finally:
        emma.context.set_offline(False)


_RECORD_STATUS = """() => {
  const el = document.getElementById("connection");
  window.__status = [];
  const note = () => window.__status.push({
    hidden: el.hidden, ok: el.classList.contains("connection--ok"), text: el.textContent.trim(),
  });
  new MutationObserver(note).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
}"""


def test_chat_edit_refused_by_the_server_says_so_and_opens_no_editor(people: Visitors) -> None:
    """The text to edit is asked for when editing starts: a refusal is told, nothing opens."""
    context = people.context()

    def through(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "act" and frame.get("name") == "chat.source":
                # As if a moderator had just deleted the message: the server's own refusal.
                refusal = {"type": "error", "id": frame["id"], "code": "chat/unknown_message"}
                ws.send(json.dumps({**refusal, "message": "Ce message n'existe plus."}))
                return
            server.send(message)

        ws.on_message(to_server)

    context.route_web_socket(re.compile(r"/ws$"), through)
    page = people.guest("Irène", context=context)
    page.goto("/r/defouloir")
    wait_online(page)
    say(page, "Un message à corriger")
    mine = messages(page, "defouloir").filter(has_text="Un message à corriger")
    mine.get_by_role("button", name="Modifier ce message").click()
    expect(page.locator("#toasts")).to_contain_text("Ce message n'existe plus.")
    expect(mine.locator(".msg-editor")).to_have_count(0)
    say(page, "La page reste utilisable")  # the connection is still up
    expect(messages(page, "defouloir").last.locator(".msg-body")).to_have_text(
        "La page reste utilisable"
    )


def test_connection_dropped_shows_reconnecting_then_recovers(people: Visitors) -> None:
    context = people.context()
    sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    def through(ws: WebSocketRoute) -> None:
        sockets.append((ws, ws.connect_to_server()))

    # The page's socket goes through Playwright, so the test can cut it like a dead proxy would.
    context.route_web_socket(re.compile(r"/ws$"), through)
    page = people.guest("Fanny", context=context)
    page.goto("/r/defouloir")
    wait_online(page)
    expect(page.locator("#connection")).to_be_hidden()
    page.evaluate(_RECORD_STATUS)

    to_page, to_server = sockets[-1]
    to_server.close()
    to_page.close(code=1001, reason="going away")

    expect(page.locator("#connection.connection--ok")).to_be_visible()
    expect(page.locator("#connection")).to_be_hidden()
    states = page.evaluate("window.__status")
    shown = [s for s in states if not s["hidden"]]
    assert shown, states
    assert not shown[0]["ok"]
    assert shown[0]["text"]
    assert shown[-1]["ok"]
    assert shown[-1]["text"] != shown[0]["text"]
    wait_online(page)
    say(page, "Toujours là !")
    expect(messages(page, "defouloir").last.locator(".msg-body")).to_have_text("Toujours là !")


def test_chat_edit_and_delete_own_message_live(people: Visitors) -> None:
    gaston = people.guest("Gaston")
    helene = people.guest("Hélène")
    for page in (gaston, helene):
        page.goto("/r/atelier")
        wait_online(page)
    say(gaston, "Atelier vélo samedi à 10 h")
    mine = messages(gaston, "atelier").filter(has_text="Atelier vélo")
    theirs = messages(helene, "atelier").filter(has_text="Atelier vélo")
    expect(theirs).to_have_count(1)
    # Only the author gets the tools (the message arrives without any: the page draws them),
    # and an admin may delete it but not change it.
    expect(theirs.locator(".msg-tools")).to_have_count(0)
    expect(mine.get_by_role("button", name="Modifier ce message")).to_be_visible()
    admin = people.admin()
    admin.goto("/r/atelier")
    wait_online(admin)
    as_admin = messages(admin, "atelier").filter(has_text="Atelier vélo")
    expect(as_admin.get_by_role("button", name="Supprimer ce message")).to_be_visible()
    expect(as_admin.locator("[data-action=edit]")).to_have_count(0)

    mine.get_by_role("button", name="Modifier ce message").focus()
    mine.page.keyboard.press("Enter")  # the keyboard opens the editor too
    editor = mine.locator(".msg-editor textarea")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("Atelier vélo samedi à 10 h")
    editor.fill("Atelier vélo **dimanche** à 10 h")
    mine.locator(".msg-editor [type=submit]").click()

    edited = "Atelier vélo dimanche à 10 h"
    for page in (gaston, helene):
        message = messages(page, "atelier").filter(has_text="Atelier vélo")
        expect(message.locator(".msg-body")).to_have_text(edited)
        expect(message.locator(".msg-body strong")).to_have_text("dimanche")
        expect(message.locator(".msg-edited")).to_be_visible()
    expect(mine.locator(".msg-editor")).to_have_count(0)

    gaston.once("dialog", lambda dialog: dialog.accept())
    mine.locator("[data-action=delete]").click()
    for page in (gaston, helene):
        expect(messages(page, "atelier")).to_have_count(1)
        deleted = messages(page, "atelier").first
        expect(deleted).to_have_class(re.compile(r"\bmsg--deleted\b"))
        expect(deleted.locator(".msg-body--deleted")).to_be_visible()
        expect(deleted).not_to_contain_text("Atelier vélo")
        expect(deleted.locator(".msg-tools")).to_have_count(0)
    screenshot(helene, "message-deleted", full_page=False)
