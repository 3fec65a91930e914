"""Each page loads only the scripts it uses (issue 13, "Weight"), and no tap is lost while
they load (docs/performance.md, "Only the scripts a page uses").

A page's templates name the screen modules its controls need; ``#page`` lists them
(``data-modules``), the head preloads them with the shell's own, and under the shell
``main.js`` imports them before the page is shown. Here the browser's own requests are
counted, with its cache off, so a module asked for twice would show.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import CDPSession, Page, Request, Route, expect

from estaminet.web.assets import module_preloads

from .assembly_helpers import action_button
from .helpers import PHONE_390, Visitors, chat_input, messages, wait_online, wait_until
from .test_assembly import check_in, no_error, prepare_vote, small_sitting

pytestmark = pytest.mark.browser

SHELL = {"main.js", "live.js", "ops.js", "shell.js", "inbox.js"}
"""The shell's own modules: on every page inside the venue."""

MARKERS = {
    "chat": ".chat[data-topic]",
    "moderation": "[data-moderation-form]",
    "table": "[data-table]",
    "drawing": ".table-page",
    "sitting": "[data-sitting]",
    "sitting-tabs": "[data-sitting-tabs]",
    "voice": "section[data-voice]",
    "mic": "[data-mic-test]",
    "agenda-form": "[data-visibility-select]",
    "share": "[data-share-link]",
    "tour": "[data-tour]",
    "help": "[data-help-ask], [data-help-say]",
    "game-picker": "[data-game-picker]",
    "soiree": ".soiree-follow",
    "stage": "section[data-stage][data-topic]",
    "stage-keep": "[data-stage-keep]",
    "stage-table": "[data-stage-table]",
    "board-camera": "section.card[data-board]",
}
"""What each screen module wires in a page (``main.js``'s SCREENS): a page showing one of
these needs that module, and a page showing none of them does not."""

SLOW_4G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
"""bench/phone.py's phone network (Lighthouse's "slow 4G")."""


def _file(url: str) -> str:
    return url.split("?")[0].rsplit("/", 1)[1]


class _Scripts:
    """The JavaScript files a page asks the network for, the browser's cache off."""

    def __init__(self, page: Page) -> None:
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        self.asked: list[str] = []
        page.on("request", self._request)

    def _request(self, request: Request) -> None:
        if request.url.split("?")[0].endswith(".js"):
            self.asked.append(_file(request.url))

    @contextmanager
    def during(self) -> Iterator[list[str]]:
        """What is asked for inside the ``with`` block."""
        start = len(self.asked)
        found: list[str] = []
        yield found
        found += self.asked[start:]

    def throttle(self) -> None:
        self.cdp.send("Network.emulateNetworkConditions", SLOW_4G)


def _once(asked: list[str]) -> bool:
    return all(count == 1 for count in Counter(asked).values())


def _declared(page: Page) -> set[str]:
    return set(str(page.locator("#page").get_attribute("data-modules") or "").split())


def _shown(page: Page) -> set[str]:
    """The screens whose controls are on the page, whatever it declares."""
    return {name for name, selector in MARKERS.items() if page.locator(selector).count()}


def _own(page: Page) -> set[str]:
    """The files of the page's own screens and what they import, by the page's head."""
    declared = _declared(page)
    assert declared == _shown(page), f"{page.url}: declares {declared}, shows {_shown(page)}"
    return {_file(url) for url in module_preloads(declared)} - SHELL


def _settled(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    expect(page.locator("#page[data-ready]")).to_have_count(1)


def _make_table_and_sitting(admin: Page) -> tuple[str, str]:
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
    admin.locator("#prep-title").fill("AG des scripts")
    when = datetime.now() + timedelta(days=3)
    admin.locator("#prep-date").fill(when.strftime("%Y-%m-%dT20:00"))
    admin.locator("#prep-agenda").fill("Accueil")
    admin.locator(".sitting-prepare form button[type=submit]").click()
    expect(admin).to_have_url(re.compile(r"/a/\d+$"))
    return table, "/a/" + admin.url.rsplit("/", 1)[1]


def test_each_page_fetches_only_its_own_modules_on_a_full_load_and_under_the_shell(
    people: Visitors,
) -> None:
    admin = people.admin()
    table, sitting = _make_table_and_sitting(admin)
    pages = {
        "the floor plan": "/?tour=1",
        "a room": "/r/bar",
        "the agenda": "/agenda",
        "a game table": table,
        "a sitting": sitting,
        "the help desk": "/help",
    }
    state = admin.context.storage_state()
    seen: dict[str, set[str]] = {}

    # A full load, from a cold cache: the shell's modules and the page's own, each once.
    for label, path in pages.items():
        page = people.context(storage_state=state).new_page()
        scripts = _Scripts(page)
        with scripts.during() as asked:
            page.goto(path)
            _settled(page)
        own = _own(page)
        seen[label] = own
        assert _once(asked), f"{label}: asked twice: {asked}"
        assert set(asked) == SHELL | own, f"{label}: {sorted(asked)}, expected {sorted(own)}"
        page.context.close()
    # What that means, page by page (voice brings its dock and the microphone's helpers).
    voice = {"voice.js", "voice-dock.js", "mic.js"}
    assert seen["the floor plan"] == {"tour.js"}
    assert seen["a room"] == {"chat.js", "moderation.js"} | voice  # the admin moderates
    assert seen["the agenda"] == set()
    game = {"table.js", "table-sound.js", "drawing.js"}  # a table's drawing (Un dessin, un mot)
    # The host sits at it: the voice, and the board camera (its Janus adapter only when used).
    assert seen["a game table"] == game | voice | {"board-camera.js"}
    sitting_own = {"table.js", "table-sound.js", "sitting.js", "ballot-keys.js"}
    conversation = {"sitting-tabs.js", "chat.js"} | voice  # the assembly room's, beside it
    assert seen["a sitting"] == sitting_own | conversation
    assert seen["the help desk"] == {"help.js"}

    # Under the shell: from the agenda (the shell alone), each page by a click. A page the
    # shell swaps in fetches its own modules and nothing else (the shell's are already
    # here: no module twice in one document); a game table or a sitting is a whole load.
    for label, path in pages.items():
        page = people.context(storage_state=state).new_page()
        scripts = _Scripts(page)
        page.goto("/agenda")
        _settled(page)
        page.evaluate("window.sameDocument = true")
        with scripts.during() as asked:
            page.evaluate(
                """(path) => { const a = document.createElement("a"); a.href = path;
                document.querySelector("#main").append(a); a.click(); }""",
                path,
            )
            expect(page).to_have_url(re.compile(re.escape(path.split("?")[0]) + r"(\?.*)?$"))
            _settled(page)
        swapped = page.evaluate("window.sameDocument === true")
        whole = label in ("a game table", "a sitting")
        assert swapped is not whole, f"{label}: swapped {swapped}"
        expected = (SHELL if whole else set()) | seen[label]
        assert _once(asked), f"{label} under the shell: asked twice: {asked}"
        assert set(asked) == expected, f"{label} under the shell: {sorted(asked)}"
        page.context.close()


def _immediately(page: Page, action: Callable[[], Any]) -> None:
    """Do ``action`` as soon as the page lets it (Playwright waits for the control to take
    the tap, nothing more), then check the page showed nothing wrong."""
    action()
    expect(page.locator(".form-error[role=alert]:visible")).to_have_count(0)


def test_no_tap_is_lost_while_a_page_s_modules_load_on_a_slow_phone(people: Visitors) -> None:
    """On a throttled phone, the bar is opened from the floor plan (the shell swaps it in,
    its chat and voice modules arriving meanwhile): "join" tapped and a message sent the
    moment it shows both work."""
    guest = people.guest("Rapide", **PHONE_390)
    wait_online(guest)
    loaded = guest.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
    assert not [url for url in loaded if re.search(r"/(chat|voice)\.js$", url)], loaded
    scripts = _Scripts(guest)
    scripts.throttle()
    guest.evaluate("window.sameDocument = true")
    with scripts.during() as asked:
        guest.locator("a.plan-room--bar").tap()
        guest.get_by_role("button", name="Rejoindre la conversation").tap()
        chat_input(guest).fill("Je suis arrivé·e")
        chat_input(guest).press("Enter")
    assert guest.evaluate("window.sameDocument === true")  # the shell swapped the page in
    assert {"chat.js", "voice.js"} <= set(asked), asked  # fetched on the way, not before
    expect(guest.locator("[data-voice-status]")).to_have_text("Tu es dans la conversation.")
    expect(messages(guest, "bar").last.locator(".msg-body")).to_have_text("Je suis arrivé·e")
    assert "body=" not in guest.url  # the form was never sent as a page
    guest.locator("[data-voice-leave]").tap()


def test_no_vote_is_lost_when_the_sitting_opens_on_a_slow_phone(people: Visitors) -> None:
    """A member goes from the assembly room to the sitting (a whole page load: a sitting
    is not swapped in) on a throttled phone and taps "yes" the moment the page shows: the
    button takes the tap only once the sitting's scripts are wired, and the ballot counts."""
    chair, member, sitting = small_sitting(people, people.venue, "Odile", "Pascal", **PHONE_390)
    assert member is not None
    check_in(member)
    member.locator(".breadcrumb a[href='/r/ag']").tap()
    expect(member).to_have_url(re.compile(r"/r/ag$"))
    prepare_vote(chair, "Garder le local ?", "majority", [], secret=False)
    action_button(chair, "vote.open", vote=1).click()
    no_error(chair)
    scripts = _Scripts(member)
    scripts.throttle()
    member.locator(f".sittings-list__link[href='/a/{sitting}']").tap()
    expect(member).to_have_url(re.compile(rf"/a/{sitting}$"))
    _immediately(member, lambda: member.locator(".ballot button.ballot--yes").first.tap())
    expect(member.locator(".ballot__done")).to_have_count(1)
    no_error(member)


def test_a_control_that_needs_a_script_takes_no_tap_before_it(people: Visitors) -> None:
    """When a page's scripts have not run (here they never come), the buttons that only
    work with them take no tap, while a plain form still works."""
    guest = people.guest("Sans script")
    guest.context.route(re.compile(r"/js/main\.js$"), lambda route: route.abort())
    guest.goto("/r/bar")
    join = guest.get_by_role("button", name="Rejoindre la conversation")
    expect(join).to_be_visible()
    held = "(el) => getComputedStyle(el).pointerEvents"
    assert join.evaluate(held) == "none"
    assert guest.locator("form[data-chat-form] button[type=submit]").evaluate(held) == "none"
    guest.goto("/help")
    ask = guest.locator("form[data-help-ask] button[type=submit]")
    expect(ask).to_be_visible()
    assert ask.evaluate(held) != "none"  # a plain form (it has an action): never held


def test_a_key_pressed_on_a_held_control_is_done_once_its_script_is_wired(
    people: Visitors,
) -> None:
    """A held control takes no tap, but a keyboard's "Enter" still clicks it: pressed on
    « Rejoindre » before the voice's script has come, it is kept and done once the page is
    wired (once, and the focus then goes to « Couper le micro » as after any join)."""
    guest = people.guest("Clavier Pressé")
    held: list[Route] = []
    guest.route(re.compile(r"/js/voice\.js$"), lambda route: held.append(route))
    guest.goto("/r/bar", wait_until="commit")
    join = guest.get_by_role("button", name="Rejoindre la conversation")
    expect(join).to_be_visible()
    wait_until(guest, "!!window.estaminet")  # main.js runs; voice.js is held
    join.focus()
    guest.keyboard.press("Enter")
    status = guest.locator("[data-voice-status]")
    expect(guest.locator("#page[data-ready]")).to_have_count(0)
    expect(status).to_have_text("")
    assert held, "voice.js was not asked for"
    for route in held:
        route.continue_()
    guest.unroute(re.compile(r"/js/voice\.js$"))
    expect(status).to_have_text("Tu es dans la conversation.")
    expect(guest.locator("[data-voice-mute]")).to_be_focused()
    people_in = guest.get_by_role("list", name="Dans la conversation").get_by_role("listitem")
    expect(people_in).to_have_count(1)
    expect(people_in).to_contain_text("Clavier Pressé")
    guest.locator("[data-voice-leave]").click()
    expect(join).to_be_visible()


def _same_document(page: Page) -> bool:
    return bool(page.evaluate("window.sameDocument === true"))


def test_a_module_that_cannot_come_makes_the_browser_load_the_page(people: Visitors) -> None:
    """Under the shell, a page whose module does not arrive is not shown half-working: the
    browser loads it whole, and its controls that need the missing script stay held."""
    guest = people.guest("Réseau Coupé")
    wait_online(guest)
    guest.context.route(re.compile(r"/js/chat\.js$"), lambda route: route.abort())
    guest.evaluate("window.sameDocument = true")
    guest.locator("a.plan-room--bar").click()
    expect(guest).to_have_url(re.compile(r"/r/bar$"))
    expect(guest.locator(".chat")).to_be_visible()
    wait_until(guest, "window.sameDocument !== true")  # a new document
    send = guest.locator("form[data-chat-form] button[type=submit]")
    expect(guest.locator("#page[data-ready]")).to_have_count(0)
    assert send.evaluate("(el) => getComputedStyle(el).pointerEvents") == "none"


def test_a_page_of_a_newer_version_of_the_venue_is_loaded_whole(people: Visitors) -> None:
    """After an upgrade, pages name scripts at a new version: the shell does not mix them
    with this document's, the browser loads the page."""
    guest = people.guest("Mise à Jour")
    wait_online(guest)

    def newer(route: Route) -> None:
        response = route.fetch()
        body = re.sub(
            r"/static/v/\w+/js/main\.js", "/static/v/0123456789ab/js/main.js", response.text()
        )
        headers = {
            key: value
            for key, value in response.headers.items()
            if key.lower() not in ("content-encoding", "content-length")
        }
        route.fulfill(status=response.status, headers=headers, body=body)

    agenda = re.compile(r"/agenda$")
    guest.route(agenda, newer)
    guest.evaluate("window.sameDocument = true")
    menu = guest.get_by_role("navigation", name="Menu principal")
    menu.get_by_role("link", name="Agenda", exact=True).click()
    expect(guest).to_have_title(re.compile("Agenda"))
    wait_until(guest, "window.sameDocument !== true")
    # Without the upgrade, the same click is a swap in the same document.
    guest.unroute(agenda)
    guest.goto("/")
    wait_online(guest)
    guest.evaluate("window.sameDocument = true")
    menu.get_by_role("link", name="Agenda", exact=True).click()
    expect(guest).to_have_title(re.compile("Agenda"))
    expect(guest.locator("#page[data-ready]")).to_have_count(1)
    assert _same_document(guest)


# The page's own ops module (the instance main.js uses: its versioned address), a probe
# with a button put in the page, and the clicks it gets, by the version of the probe.
_PROBE = """async () => {
  const link = [...document.querySelectorAll('link[rel=modulepreload]')]
    .find((l) => /\\/ops\\.[^/]*js$/.test(new URL(l.href).pathname));
  window.probeOps = await import(link.href);
  window.hits = [];
  document.addEventListener('click', (e) => {
    const probe = e.target.closest('#probe');
    if (probe) window.hits.push(probe.dataset.v);
  });
  document.querySelector('main').insertAdjacentHTML('afterbegin',
    '<div id="probe" data-v="1"><button type="button">Prêt</button></div>'
    + '<p id="elsewhere">ailleurs</p>');
}"""
# A redraw; returns the version the page shows right after it (in the same task).
_REDRAW = """(v) => { window.probeOps.applyOps([{ op: 'replace', target: '#probe',
  html: `<div id="probe" data-v="${v}"><button type="button">Prêt</button></div>` }]);
  return document.querySelector('#probe').dataset.v; }"""


def test_a_press_is_not_lost_when_the_screen_is_redrawn_under_it(people: Visitors) -> None:
    """A game's screen is replaced whole when another player acts. A press whose release
    would land on the new screen would reach no button: the redraw waits for the press to
    end (then comes at once), a redraw elsewhere does not wait, and a long press does not
    hold the screen more than a second."""
    page = people.guest("Appui")
    # A quiet page (the floor plan's welcome tour could open over the probe).
    page.goto("/agenda")
    wait_online(page)
    page.evaluate(_PROBE)
    expect(page.locator("#probe button")).to_be_in_viewport()
    box = page.locator("#probe button").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # Where the mouse is pressed, the probe's button is (nothing came over it).
    hit = "([x, y]) => document.elementFromPoint(x, y)?.closest('#probe') !== null"
    assert page.evaluate(hit, [x, y])

    # Pressed, redrawn twice, released: the click reaches the pressed button, the newest
    # screen comes right after.
    page.mouse.move(x, y)
    page.mouse.down()
    assert page.evaluate(_REDRAW, "2") == "1"
    assert page.evaluate(_REDRAW, "3") == "1"
    page.mouse.up()
    assert page.evaluate("window.hits") == ["1"]
    expect(page.locator("#probe")).to_have_attribute("data-v", "3")
    assert page.locator("#probe").count() == 1

    # Pressed elsewhere: the redraw does not wait.
    other = page.locator("#elsewhere").bounding_box()
    assert other is not None
    page.mouse.move(other["x"] + 5, other["y"] + 5)
    page.mouse.down()
    assert page.evaluate(_REDRAW, "4") == "4"
    page.mouse.up()

    # A press that lasts: the screen is redrawn after a second all the same.
    assert page.evaluate(hit, [x, y])
    page.mouse.move(x, y)
    page.mouse.down()
    assert page.evaluate(_REDRAW, "5") == "4"
    expect(page.locator("#probe")).to_have_attribute("data-v", "5", timeout=2_000)
    page.mouse.up()

    # No press: at once.
    assert page.evaluate(_REDRAW, "6") == "6"
