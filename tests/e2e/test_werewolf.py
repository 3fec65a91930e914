"""Loup-Garou in real browsers: a whole game on phones, and a first night with a human narrator.

Each person is a separate browser context on a phone-sized screen. Every
WebSocket frame each browser receives is kept (a started game reloads the
page, which opens a new socket: all of them are recorded), together with a
snapshot of the game screen each time the test looks at it. Afterwards, every
screen of the game is checked against the rules of who may know what:

- a player knows their own role; the Werewolves know each other; the Seer
  knows the roles she chose to look at (the test remembers what she clicked);
  Cupid and the lovers learn no role; a dead player's role is public (the
  default option "reveal roles on death");
- the lovers are known to themselves and to Cupid until one of them dies;
- only the Witch is shown the Werewolves' victim, only Werewolves see the
  pack's votes, only the narrator gets the narrator's script;
- the spectator (option "spectators see roles" off) sees no living player's
  role, and never the Werewolves' chat; the living never read the graveyard;
- once the outcome is shown, everything may be revealed.

The true roles come from the end screen (the game reveals all of them) or,
with a human narrator, from the narrator's screen. Pictures go to
``test-artifacts/`` for people to look at.

The whole game is played once per module (``whole_game``) and looked at by
several tests: the game itself, the secrets in the frames, and two known app
bugs (the live vote tally, screens going back in time), now fixed.
"""

from __future__ import annotations

import contextlib
import html
import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from .helpers import PHONE, Venue, Visitors, screenshot, wait_online, with_patches_applied

pytestmark = pytest.mark.browser

SEED = 20240607
GAME_SECONDS = 200.0
"""The whole game must end in this time: it usually takes 10-60 s (a call for a dead role
lasts as a real call would, by design, so that nobody can tell from the timing)."""

PLAYERS = ["Alice", "Bruno", "Chloé", "Didier", "Emma", "Farid", "Gaëlle", "Hugo"]
SPECTATOR = "Sacha"
DECK = {"werewolf": 2, "seer": 1, "witch": 1, "hunter": 1, "cupid": 1, "villager": 2}
"""Eight cards: the suggested deck for eight with Cupid instead of a villager (his form is played)."""

QUICK_TIMERS = {
    "election_seconds": 30,
    "night_step_seconds": 15,
    "wolves_seconds": 20,
    "debate_seconds": 60,
    "vote_seconds": 20,
    "reaction_seconds": 15,
}
"""A quick table (the host's timer options): players here act at once, and a screen left
behind by the app's publishing race (see test_screens_never_go_back_in_time) waits for
the step's timer; with the defaults that can cost 75-90 s."""

NARRATOR = "Nadia"
SMALL_TABLE = ["Jo", "Kim", "Léa", "Max", "Noé", "Oli"]
SMALL_DECK = {"werewolf": 2, "seer": 1, "witch": 1, "cupid": 1, "villager": 1}

WOLF_SECRET = "wolfchat-7f3a"
GRAVE_SECRET = "gravechat-91c2"

FRENCH_ROLES = {
    "Loup-Garou": "werewolf",
    "Simple Villageois": "villager",
    "Voyante": "seer",
    "Sorcière": "witch",
    "Chasseur": "hunter",
    "Cupidon": "cupid",
}
"""Role names as a French-speaking phone must show them (official French card names)."""
ROLE_KEYS = {
    **FRENCH_ROLES,
    "Werewolf": "werewolf",
    "Simple Villager": "villager",
    "Seer": "seer",
    "Witch": "witch",
    "Hunter": "hunter",
    "Cupid": "cupid",
}
"""Role names in both languages (the French check is a test of its own)."""

OUTCOME = 'class="ww-outcome'
CUPID = "cupid-form"
"""The pseudo-choice standing for Cupid's form in a page's list of possible moves."""

LOOK = """() => {
  const view = document.querySelector('#table-view');
  const moves = [...document.querySelectorAll('#table-view button[data-table-action]')]
    .filter((b) => !b.disabled && b.offsetParent !== null)
    .map((b) => b.dataset.tableAction);
  return {
    html: view ? view.outerHTML : '',
    moves,
    cupid: !!document.querySelector('#table-view form[data-table-form="cupid"]'),
    channels: [...document.querySelectorAll('#table-chat-channel option')].map((o) => o.value),
    chat: document.querySelector('#table-chat-logs')?.innerHTML || '',
    error: document.querySelector('.table-error')?.textContent.trim() || '',
    said: document.querySelector('#table-view .ww-line--last')?.textContent.trim() || '',
  };
}"""
"""What a person sees now: the game screen, the moves offered, the chat channels."""


# -- reading a game screen ---------------------------------------------------------

_SEAT = re.compile(r'<li class="ww-seat([^"]*)">(.*?)</li>', re.S)
_SEAT_NAME = re.compile(r'<span class="ww-seat-name">(.*?)</span>', re.S)
_ROLE_BADGE = re.compile(r'<span class="badge ww-known-role">(.*?)</span>', re.S)
_YOUR_ROLE = re.compile(r'<p class="ww-role">(.*?)</p>', re.S)
_CARD = re.compile(r'<section class="ww-card.*?</section>', re.S)
_PHASE = re.compile(r'class="game werewolf werewolf--(\w+)')


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


@dataclass(frozen=True)
class SeatShown:
    alive: bool
    role: str | None
    """The role key shown on this seat's badge, if any."""
    love: bool
    me: bool


@dataclass(frozen=True)
class Screen:
    """One game screen (``#table-view``) as a viewer received or saw it."""

    html: str
    phase: str
    over: bool
    seats: dict[str, SeatShown]
    order: list[str]
    """Seat names in seat order (actions name seats by number)."""
    my_role: str | None
    role_names: frozenset[str]
    """The role names as written on the screen."""

    @property
    def me(self) -> str | None:
        return next((name for name, seat in self.seats.items() if seat.me), None)

    @property
    def card(self) -> str:
        found = _CARD.search(self.html)
        return found.group(0) if found else ""


def role_key(shown: str) -> str:
    name = _text(shown)
    assert name in ROLE_KEYS, f"unknown role name on screen: {name!r}"
    return ROLE_KEYS[name]


_AWAKE = re.compile(r'<span class="ww-awake">(.*?)</span>', re.S)


def awake_role(markup: str) -> str | None:
    """The role the night has woken up, as the screen's banner says."""
    found = _AWAKE.search(markup)
    if not found:
        return None
    text = _text(found.group(1))
    return next((key for name, key in ROLE_KEYS.items() if text.endswith(name)), None)


def read_screen(markup: str) -> Screen:
    seats: dict[str, SeatShown] = {}
    order = []
    for classes, inner in _SEAT.findall(markup):
        found = _SEAT_NAME.search(inner)
        assert found, f"a seat without a name: {inner[:200]}"
        name = re.sub(r"\s*\([^)]*\)$", "", _text(found.group(1)))
        badge = _ROLE_BADGE.search(inner)
        seats[name] = SeatShown(
            alive="ww-seat--dead" not in classes,
            role=role_key(badge.group(1)) if badge else None,
            love="badge--love" in inner,
            me="ww-seat--me" in classes,
        )
        order.append(name)
    phase = _PHASE.search(markup)
    mine = _YOUR_ROLE.search(markup)
    return Screen(
        html=markup,
        phase=phase.group(1) if phase else "",
        over=OUTCOME in markup,
        seats=seats,
        order=order,
        my_role=role_key(mine.group(1)) if mine else None,
        role_names=frozenset(
            _text(name) for name in _ROLE_BADGE.findall(markup) + _YOUR_ROLE.findall(markup)
        ),
    )


def views_in(payload: str) -> list[str]:
    """The game screens a WebSocket frame carries (views and catch-ups)."""
    try:
        frame = json.loads(payload)
    except ValueError:
        return []
    if not isinstance(frame, dict) or frame.get("type") != "event":
        return []
    return [
        op["html"]
        for op in frame.get("ops") or []
        if op.get("target") == "#table-view" and isinstance(op.get("html"), str)
    ]


_SPEAK_ID = re.compile(r'data-speak-id="(\d+)"')


def views_in_order(person: Person) -> list[tuple[str, int, int]]:
    """``(topic, seq, lines said so far)`` for each game screen the person received, in order.

    The narration only grows as the game goes on (without a human narrator's
    undo), so a screen with fewer lines than the one before is an older state.
    """
    found = []
    for payload in person.frames():
        markups = views_in(payload)
        if not markups:
            continue
        frame = json.loads(payload)
        said = max((int(n) for n in _SPEAK_ID.findall(markups[0])), default=-1)
        found.append((str(frame.get("topic")), int(frame.get("seq") or 0), said))
    return found


def went_back_in_time(person: Person) -> list[str]:
    """Each time a newer frame on a view topic carried an older state than the frame before."""
    found = []
    last: dict[str, tuple[int, int]] = {}
    for topic, seq, said in views_in_order(person):
        if topic in last and said < last[topic][1]:
            before_seq, before_said = last[topic]
            found.append(
                f"{person.name}: {topic} seq {seq} shows {said + 1} narration lines, "
                f"seq {before_seq} had shown {before_said + 1}"
            )
        last[topic] = (seq, said)
    return found


# -- the people ---------------------------------------------------------------------


@dataclass
class Person:
    """Someone at the table: their page, and everything they received, in order.

    ``timeline`` holds ``("frame", text)`` for each WebSocket frame received,
    ``("dom", html)`` for each look at the game screen, and ``("see", name)``
    just before the Seer clicks to look at ``name``'s card.
    """

    name: str
    page: Page
    timeline: list[tuple[str, str]] = field(default_factory=list)
    sockets: list[int] = field(default_factory=lambda: [0])
    """How many sockets the page has opened (one more at each page load)."""

    def frames(self) -> list[str]:
        return [data for kind, data in self.timeline if kind == "frame"]

    def screens(self) -> Iterator[tuple[Screen, str, set[str]]]:
        """Every screen received or seen, with its origin and who the Seer had looked at."""
        looked: set[str] = set()
        for kind, data in self.timeline:
            if kind == "see":
                looked.add(data)
            elif kind == "dom" and data:
                yield read_screen(data), kind, set(looked)
            elif kind == "frame":
                for markup in views_in(data):
                    yield read_screen(markup), kind, set(looked)


def arrive(people: Visitors, name: str, **options: Any) -> Person:
    """A guest on a phone (unless ``options`` say otherwise) opens the invite; every frame
    their page receives is recorded."""
    context = people.context(**{**PHONE, **options})
    timeline: list[tuple[str, str]] = []
    sockets = [0]

    def on_socket(ws: Any) -> None:
        if not ws.url.endswith("/ws"):
            return
        sockets[0] += 1
        kept: dict[str, list[str]] = {}

        def received(payload: str | bytes) -> None:
            text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
            timeline.append(("frame", with_patches_applied(text, kept)))

        ws.on("framereceived", received)

    context.on("page", lambda page: page.on("websocket", on_socket))
    page = people.guest(name, context=context)
    return Person(name, page, timeline, sockets)


def look(person: Person) -> dict[str, Any] | None:
    """What the person's screen shows now (``None`` while the page reloads)."""
    try:
        seen: dict[str, Any] = person.page.evaluate(LOOK)
    except PlaywrightError:
        return None
    person.timeline.append(("dom", seen["html"]))
    return seen


# -- setting up a table through the interface ------------------------------------------


def set_up_table(host: Page, title: str, *, narrate: bool = False) -> int:
    """From the floor plan to the games room, then the "set up a table" form."""
    host.locator("a.plan-room--jeux").click()
    expect(host).to_have_url(re.compile(r"/r/jeux$"))
    form = host.locator(".new-table")
    if not form.evaluate("details => details.open"):
        form.locator("summary").click()
    host.locator("#new-table-game").select_option("werewolf")
    host.locator("#new-table-title").fill(title)
    if narrate:
        form.locator("input[name=narrator]").check()
    form.locator("button[type=submit]").click()
    expect(host).to_have_url(re.compile(r"/t/\d+$"))
    return int(host.url.rsplit("/", 1)[1])


def choose_cards(host: Page, deck: dict[str, int], timers: dict[str, int] | None = None) -> None:
    """The host picks the cards (every other card at zero) and the timers in the lobby."""
    options = host.locator(".table-options")
    options.locator("summary").click()
    for key, seconds in (timers or {}).items():
        options.locator(f"#opt-{key}").fill(str(seconds))
    options.locator("input[name=custom_composition]").check()
    for box in options.locator("input[name^=role_]").all():
        role = (box.get_attribute("name") or "").removeprefix("role_")
        box.fill(str(deck.get(role, 0)))
    options.locator("button[type=submit]").click()
    expect(host.locator(".lobby .deck li")).to_have_count(len(deck))


def sit_down(person: Person, table_id: int, role: str) -> None:
    page = person.page
    page.goto(f"/t/{table_id}")
    page.locator(f'form[action$="/join"]:has(input[name=role][value={role}]) button').click()
    expect(page).to_have_url(re.compile(rf"/t/{table_id}$"))
    names = page.locator(".lobby-players .person-name" if role == "player" else ".lobby .hint")
    expect(names.filter(has_text=person.name)).to_have_count(1)
    wait_online(page)


def start(host: Person, everyone: list[Person]) -> None:
    """The host starts; every open table page reloads itself (a new socket) and shows the game."""
    before = {person.name: person.sockets[0] for person in everyone}
    host.page.locator('form[action$="/start"] button').click()
    for person in everyone:
        expect(person.page.locator("#table-view .ww-village")).to_be_visible(timeout=20_000)
        wait_online(person.page)
        assert person.sockets[0] > before[person.name], f"{person.name}'s page did not reload"


def has_outcome(person: Person) -> bool:
    try:
        return person.page.locator("#table-view .ww-outcome").count() > 0
    except PlaywrightError:
        return False  # reloading


# -- playing -------------------------------------------------------------------------------


def play_one_move(person: Person, seen: dict[str, Any], rng: random.Random) -> str | None:
    """Click one of the moves the screen offers, at random (or fill Cupid's form).

    The kind of move is drawn first, then the button: the Witch poisons a third of
    the time rather than nine times out of eleven, so games last a few days.
    """
    kinds: dict[str, list[str]] = {}
    for move in seen["moves"]:
        kinds.setdefault(json.loads(move).get("type", ""), []).append(move)
    if seen["cupid"]:
        kinds["cupid"] = [CUPID]
    if not kinds:
        return None
    choice = rng.choice(kinds[rng.choice(sorted(kinds))])
    page = person.page
    try:
        if choice == CUPID:
            form = page.locator('#table-view form[data-table-form="cupid"]')
            seats = form.locator("select[name=a] option").evaluate_all(
                "options => options.map((o) => o.value)"
            )
            if len(seats) < 2:
                return None  # the form has just gone
            first, second = rng.sample(seats, 2)
            form.locator("select[name=a]").select_option(first, timeout=2_000)
            form.locator("select[name=b]").select_option(second, timeout=2_000)
            form.locator("button[type=submit]").click(timeout=2_000)
            return choice
        action = json.loads(choice)
        if action.get("type") == "see":
            order = read_screen(seen["html"]).order
            person.timeline.append(("see", order[action["target"]]))
        button = page.locator(f"#table-view button[data-table-action='{choice}']").first
        button.click(timeout=2_000)
    except PlaywrightError:
        return None  # the screen changed under the finger: the next round tries again
    return choice


REDRAW_CHOOSER = """async () => {
  const { applyOps } = await import('/static/js/ops.js');
  const write = document.querySelector('#table-chat-write');
  applyOps([{ op: 'replace', target: '#table-chat-write', html: write.outerHTML }]);
}"""


def redraw_chat_chooser(page: Page) -> None:
    """Replace the chat's channel chooser with its own markup, as the server's op does when
    the rights change (the markup says no choice: a fresh one picks the first channel)."""
    page.evaluate(REDRAW_CHOOSER)


def write_in_chat(person: Person, channel: str, text: str) -> bool:
    """Write in one of the table's chat channels, as a person would (Enter sends)."""
    page = person.page
    try:
        page.locator("#table-chat-channel").select_option(channel, timeout=2_000)
        box = page.locator("#table-chat-input")
        box.fill(text, timeout=2_000)
        box.press("Enter", timeout=2_000)
    except PlaywrightError:
        return False
    return True


# -- the rules of who may know what ---------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    """What was really dealt, read from a screen that shows everything."""

    roles: dict[str, str]
    lovers: frozenset[str]

    @classmethod
    def from_screen(cls, screen: Screen) -> Truth:
        roles = {name: seat.role for name, seat in screen.seats.items() if seat.role}
        assert len(roles) == len(screen.seats), f"not every role is revealed: {roles}"
        lovers = frozenset(name for name, seat in screen.seats.items() if seat.love)
        return cls(roles, lovers)

    def holder(self, role: str) -> set[str]:
        return {name for name, r in self.roles.items() if r == role}


def player_leaks(person: Person, truth: Truth) -> list[str]:
    """Everything a player's screens showed that the rules do not let them know."""
    mine = truth.roles[person.name]
    found = []
    for screen, origin, looked in person.screens():
        if screen.over:
            continue  # the end reveals everything
        where = f"{person.name} ({mine}), {origin} at {screen.phase}"
        if screen.me != person.name:
            found.append(f"{where}: the screen is for {screen.me!r}")
        if screen.my_role != mine:
            found.append(f"{where}: 'your card' says {screen.my_role}")
        if "ww-narrator" in screen.html or "narrator_next" in screen.html:
            found.append(f"{where}: the narrator's script")
        lovers_public = any(not screen.seats[name].alive for name in truth.lovers)
        for name, seat in screen.seats.items():
            if seat.role is not None:
                if seat.role != truth.roles[name]:
                    found.append(f"{where}: {name} shown as {seat.role}, is {truth.roles[name]}")
                allowed = (
                    name == person.name
                    or not seat.alive
                    or (mine == "werewolf" and seat.role == "werewolf")
                    or (mine == "seer" and name in looked)
                )
                if not allowed:
                    found.append(f"{where}: saw the role of living {name} = {seat.role}")
            if seat.love and not (person.name in truth.lovers or mine == "cupid" or lovers_public):
                found.append(f"{where}: saw that {name} is a lover")
        if "ww-secret" in screen.html and mine != "witch":
            found.append(f"{where}: shown the Werewolves' victim")
        if "→" in screen.card and mine != "werewolf":
            found.append(f"{where}: shown the pack's votes")
    return found


def spectator_leaks(person: Person, truth: Truth) -> list[str]:
    found = []
    for screen, origin, _ in person.screens():
        if screen.over:
            continue
        where = f"spectator, {origin} at {screen.phase}"
        lovers_public = any(not screen.seats[name].alive for name in truth.lovers)
        for name, seat in screen.seats.items():
            if seat.role is not None and seat.alive:
                found.append(f"{where}: saw the role of living {name} = {seat.role}")
            if seat.role is not None and seat.role != truth.roles[name]:
                found.append(f"{where}: {name} shown as {seat.role}, is {truth.roles[name]}")
            if seat.love and not lovers_public:
                found.append(f"{where}: saw that {name} is a lover")
        for secret in ("ww-card", "ww-secret", "ww-narrator", "data-table-action"):
            if secret in screen.html:
                found.append(f"{where}: {secret} on a spectator's screen")
    return found


def chat_leaks(person: Person, truth: Truth, *, spectator: bool = False) -> list[str]:
    """The Werewolves' chat reaches only Werewolves; the graveyard only the dead (and watchers)."""
    found = []
    wolf = not spectator and truth.roles[person.name] == "werewolf"
    for payload in person.frames():
        if WOLF_SECRET in payload and not wolf:
            found.append(f"{person.name} received the Werewolves' night chat")
        if GRAVE_SECRET in payload and not spectator:
            screens = [read_screen(markup) for markup in views_in(payload)]
            dead_or_over = any(
                s.over or (person.name in s.seats and not s.seats[person.name].alive)
                for s in screens
            )
            if not dead_or_over:
                found.append(f"{person.name}, alive, received the graveyard chat")
    return found


# -- a whole game with the automatic narrator ---------------------------------------------------


@dataclass
class WholeGame:
    players: list[Person]
    spectator: Person
    truth: Truth
    outcome: str
    story: list[str]
    """What happened, as the end screen tells it."""
    rounds: int
    seconds: float
    missed: int
    refused: list[str]
    """Moves the server refused ("not possible now"): the screen was behind the game."""
    problems: list[str]
    living_roles_seen_by_spectator: list[str]
    wolf_chat_delivered: bool


def _play_whole_game(people: Visitors) -> WholeGame:
    rng = random.Random(SEED)
    players = [arrive(people, name) for name in PLAYERS]
    spectator = arrive(people, SPECTATOR)
    host = players[0]
    table_id = set_up_table(host.page, "Les loups du vendredi")
    choose_cards(host.page, DECK, QUICK_TIMERS)
    wait_online(host.page)
    for person in players[1:]:
        sit_down(person, table_id, "player")
    sit_down(spectator, table_id, "spectator")
    expect(host.page.locator(".lobby-players .person")).to_have_count(len(PLAYERS))
    start(host, [*players, spectator])

    # The chat's chooser is drawn again whenever the rights change (nightfall, a death): the
    # channel picked stays picked. Drawn here at once as the server's op would, which draws
    # it with the first channel chosen; before, a message typed meanwhile went there.
    chooser = spectator.page.locator("#table-chat-channel")
    chooser.select_option("graveyard")
    redraw_chat_chooser(spectator.page)
    expect(chooser).to_have_value("graveyard")
    assert spectator.page.locator("#table-chat-channel option").first.get_attribute("value") != (
        "graveyard"
    ), "the redrawn chooser would pick the graveyard anyway"
    # Before anyone votes, the spectator writes in the graveyard (the living never read it).
    assert write_in_chat(spectator, "graveyard", f"{GRAVE_SECRET} on regarde !")
    expect(spectator.page.locator("#table-chat-log-graveyard")).to_contain_text(GRAVE_SECRET)

    everyone = [*players, spectator]
    wolf_chat_delivered = False
    wolf_chat_tried = 0.0
    living_roles: list[str] = []
    pictures: set[str] = set()
    missed = 0
    errors: list[tuple[str, str]] = []  # moves refused by the server, as the screen said
    rounds = 0
    began = time.monotonic()
    while not all(has_outcome(person) for person in everyone):
        rounds += 1
        if time.monotonic() - began > GAME_SECONDS:
            seen = look(spectator)
            raise AssertionError(
                f"no outcome after {GAME_SECONDS:.0f} s and {rounds} rounds; the spectator sees: "
                + (_text(seen["html"])[:800] if seen else "(a page reloading)")
            )
        order = list(players)
        rng.shuffle(order)
        for person in order:
            seen = look(person)
            if seen is None:
                continue
            screen = read_screen(seen["html"])
            if screen.phase == "night" and seen["moves"] and "night-move" not in pictures:
                pictures.add("night-move")
                person.page.evaluate("window.scrollTo(0, 0)")
                screenshot(person.page, "werewolf-phone-night-move", full_page=False)
                screenshot(person.page, "werewolf-phone-night-move-full")
            if (
                screen.phase == "night"
                and screen.my_role == "villager"
                and "night-asleep" not in pictures
            ):
                pictures.add("night-asleep")
                person.page.evaluate("window.scrollTo(0, 0)")
                screenshot(person.page, "werewolf-phone-night-asleep", full_page=False)
            # A Werewolf writes once in the pack's night chat (again if it did not go through).
            if WOLF_SECRET in seen["chat"]:
                wolf_chat_delivered = True
            elif (
                not wolf_chat_delivered
                and "wolves" in seen["channels"]
                and time.monotonic() - wolf_chat_tried > 3
            ):
                wolf_chat_tried = time.monotonic()
                write_in_chat(person, "wolves", f"{WOLF_SECRET} miam")
            if seen["error"] and (not errors or errors[-1][0] != person.name):
                errors.append((person.name, f"at {seen['said']!r}: {seen['error']}"))
            if play_one_move(person, seen, rng) is None and (seen["moves"] or seen["cupid"]):
                missed += 1
        watching = look(spectator)
        if watching is not None and OUTCOME not in watching["html"]:
            living = spectator.page.locator(
                "#table-view:not(:has(.ww-outcome)) .ww-seat:not(.ww-seat--dead) .ww-known-role"
            )
            with contextlib.suppress(PlaywrightError):  # reloading: looked at next round
                living_roles += living.all_inner_texts()
            if "werewolf--day" in watching["html"] and "spectator-day" not in pictures:
                pictures.add("spectator-day")
                screenshot(spectator.page, "werewolf-spectator-day")
        host.page.wait_for_timeout(150)
    seconds = time.monotonic() - began

    for person in everyone:
        expect(person.page.locator(".ww-outcome")).to_be_visible()
        look(person)
    end = read_screen(spectator.page.locator("#table-view").evaluate("e => e.outerHTML"))
    truth = Truth.from_screen(end)
    outcome = _text(spectator.page.locator(".ww-outcome h2").inner_text())
    story = spectator.page.locator(".ww-log li").all_inner_texts()
    screenshot(players[1].page, "werewolf-phone-end")
    screenshot(spectator.page, "werewolf-spectator-end")
    # Anyone who was there can step through the game afterwards.
    players[1].page.locator('a[href$="/replay"]').click()
    expect(players[1].page.locator("#table-view .ww-village")).to_be_visible()
    return WholeGame(
        players=players,
        spectator=spectator,
        truth=truth,
        outcome=outcome,
        story=story,
        rounds=rounds,
        seconds=seconds,
        missed=missed,
        refused=[f"{name} {what}" for name, what in errors],
        problems=list(people.problems),
        living_roles_seen_by_spectator=living_roles,
        wolf_chat_delivered=wolf_chat_delivered,
    )


@pytest.fixture(scope="module")
def whole_game(browser: Browser, venue: Venue) -> WholeGame:
    """Eight players and a spectator play one game to its end (shared by the tests below)."""
    people = Visitors(browser, venue)
    try:
        game = _play_whole_game(people)
    except BaseException:
        people.screenshot_all("werewolf_whole_game")
        raise
    finally:
        people.close()
    return game


def test_eight_players_and_a_spectator_play_a_whole_game(whole_game: WholeGame) -> None:
    game = whole_game
    print(
        f"\nwhole game: {game.outcome!r} in {game.seconds:.0f} s, {game.rounds} rounds, "
        f"{game.missed} clicks on a screen that had just changed; roles {game.truth.roles}, "
        f"lovers {sorted(game.truth.lovers)}\n  " + "\n  ".join(game.story)
    )
    print(f"moves refused by the server: {len(game.refused)}\n  " + "\n  ".join(game.refused[:5]))
    assert not game.problems, "the pages reported problems:\n" + "\n".join(game.problems)
    dealt: dict[str, int] = {}
    for role in game.truth.roles.values():
        dealt[role] = dealt.get(role, 0) + 1
    assert dealt == DECK, "the cards dealt are not the ones the host chose"
    assert set(game.truth.roles) == set(PLAYERS)
    # The spectator never saw a living player's role during the game.
    assert game.living_roles_seen_by_spectator == []
    # The phones asked for French (fr-BE): the cards are named as in the French game.
    shown = {
        name for p in game.players for screen, _, _ in p.screens() for name in screen.role_names
    }
    assert shown and shown <= set(FRENCH_ROLES), f"role names not in French: {shown}"


def test_no_browser_ever_received_a_secret_it_may_not_know(whole_game: WholeGame) -> None:
    game = whole_game
    wolves = game.truth.holder("werewolf")
    assert game.wolf_chat_delivered
    assert any(WOLF_SECRET in f for p in game.players if p.name in wolves for f in p.frames()), (
        "the Werewolves' message never reached them: the chat check below would prove nothing"
    )
    assert any(GRAVE_SECRET in f for f in game.spectator.frames())
    leaks: list[str] = []
    for person in game.players:
        assert person.frames(), f"no frame recorded for {person.name}"
        leaks += player_leaks(person, game.truth)
        leaks += chat_leaks(person, game.truth)
    leaks += spectator_leaks(game.spectator, game.truth)
    leaks += chat_leaks(game.spectator, game.truth, spectator=True)
    assert not leaks, f"{len(leaks)} leaks, the first ones:\n" + "\n".join(leaks[:20])


def test_the_vote_tally_is_shown_live(whole_game: WholeGame) -> None:
    # Players vote one after the other, so the spectator's screens pass through partial counts.
    screens = [screen for screen, _, _ in whole_game.spectator.screens()]
    assert any(screen.phase == "election" for screen in screens)
    assert any("badge--live" in screen.html for screen in screens), "no vote count was shown"


def test_screens_never_go_back_in_time(whole_game: WholeGame) -> None:
    game = whole_game
    back = [line for p in [*game.players, game.spectator] for line in went_back_in_time(p)]
    assert not back, "a newer frame carried an older game:\n" + "\n".join(back[:10])


# -- the first night with an apprentice narrator --------------------------------------------------


def _narrator_text(page: Page) -> str | None:
    """The narrator's script as shown (``None`` while the page reloads)."""
    try:
        return str(page.evaluate("document.querySelector('.ww-narrator')?.innerText || ''"))
    except PlaywrightError:
        return None


def _press(narrator: Person, kind: str) -> str:
    """The narrator presses "next" or "undo"; returns their script once it has changed."""
    page = narrator.page
    before = _narrator_text(page)
    button = page.locator(f"""#table-view button[data-table-action*='"{kind}"']""")

    # Someone has not acted: the browser asks first (see the test of the warning). Whether
    # it asks is read at the click, not before: a player's move may land in between.
    def accept(dialog: Any) -> None:
        dialog.accept()

    page.on("dialog", accept)
    try:
        button.click()
        deadline = time.monotonic() + 10
        while (now := _narrator_text(page)) is None or now == before:
            assert time.monotonic() < deadline, f"the narrator's screen did not change after {kind}"
            page.wait_for_timeout(50)
    finally:
        page.remove_listener("dialog", accept)
    return now


DESKTOP: dict[str, Any] = {
    "viewport": {"width": 1280, "height": 800},
    "is_mobile": False,
    "has_touch": False,
    "device_scale_factor": 1,
}
PHONE_390: dict[str, Any] = {**PHONE, "viewport": {"width": 390, "height": 844}}


OUTCOME_SELECTOR = "#table-view .ww-outcome"
NEXT_BUTTON = """#table-view button[data-table-action*='"narrator_next"']"""


def _picture(page: Page, name: str) -> None:
    """A picture of the table for docs/images/: the top of a wide screen; on a phone, down to
    the circle's bottom edge."""
    page.evaluate(
        """() => { const round = document.querySelector('#table-view .table-round');
        const bottom = round.getBoundingClientRect().bottom + window.scrollY + 12;
        window.scrollTo(0, window.innerWidth > 700 ? 0 : Math.max(0, bottom - window.innerHeight)); }"""
    )
    page.wait_for_timeout(100)
    screenshot(page, name, full_page=False)


def _fade(person: Person) -> dict[str, str]:
    """The wash over the table: its classes and its animation as the browser computes them."""
    result: dict[str, str] = person.page.evaluate(
        """() => { const el = document.querySelector('[data-table-fade]');
        const style = getComputedStyle(el);
        return {classes: el.className, name: style.animationName, duration: style.animationDuration}; }"""
    )
    return result


def test_first_night_with_an_apprentice_narrator(people: Visitors) -> None:
    rng = random.Random(SEED + 1)
    narrator = arrive(people, NARRATOR, **DESKTOP)
    # Jo plays on a 1280 px screen, Kim on a phone that asks for reduced motion, the others on
    # 390 px phones: the pictures of the table in docs/ come from this game.
    players = [
        arrive(
            people,
            name,
            **(DESKTOP if i == 0 else PHONE_390),
            reduced_motion="reduce" if i == 1 else "no-preference",
        )
        for i, name in enumerate(SMALL_TABLE)
    ]
    table_id = set_up_table(narrator.page, "Ma première partie", narrate=True)
    choose_cards(narrator.page, SMALL_DECK)
    for person in players:
        sit_down(person, table_id, "player")
    start(narrator, [narrator, *players])

    page = narrator.page
    expect(page.locator(".ww-narrator .ww-read")).to_be_visible()
    # The narrator sees every card from the start (and no lovers yet: Cupid has not chosen).
    dealt = Truth.from_screen(read_screen(page.locator("#table-view").evaluate("e => e.outerHTML")))
    assert sorted(dealt.roles) == sorted(SMALL_TABLE) and not dealt.lovers

    undone = False
    saw_night = False
    pictured = False
    began = time.monotonic()
    for _ in range(60):
        assert time.monotonic() - began < 120, "the first night did not end in two minutes"
        # The players act when their role is called (a few rounds, until nobody has a move).
        for _ in range(6):
            offered = False
            for person in players:
                seen = look(person)
                if seen is None:
                    offered = True
                    continue
                assert "ww-narrator" not in seen["html"], f"{person.name} sees the script"
                if seen["moves"] or seen["cupid"]:
                    offered = True
                    play_one_move(person, seen, rng)
            if not offered:
                break
            page.wait_for_timeout(200)
        screen = look(narrator)
        assert screen is not None
        if "werewolf--night" in screen["html"]:
            saw_night = True
            expect(page.locator(".ww-narrator .ww-read")).to_be_visible()
            if (
                not pictured
                and awake_role(screen["html"]) == "werewolf"
                and page.locator(".table-arrow--pack").count()
            ):
                pictured = True  # the Werewolves' call, once one has voted: arrows on the circle
                screenshot(page, "werewolf-narrator-night")
                screenshot(page, "table-circle-night-desktop", full_page=False)
                wolves = [
                    p
                    for p in players[1:]
                    if p.page.locator("#table-view .table-arrow--pack").count()
                ]
                screenshot(
                    (wolves or players[1:])[0].page, "table-circle-night-phone", full_page=False
                )
        # The first dawn: the day begins (or the game is already over).
        if saw_night and ("werewolf--day" in screen["html"] or OUTCOME in screen["html"]):
            break
        before = _narrator_text(page)
        _press(narrator, "narrator_next")
        undo = page.locator("""#table-view button[data-table-action*='"narrator_undo"']""")
        if not undone and undo.count():
            # A step that revealed nothing yet can be taken back: the script is as before.
            back = _press(narrator, "narrator_undo")
            assert back == before, f"undo did not go back one step:\n{before}\n---\n{back}"
            expect(undo).to_have_count(0)
            undone = True
    else:
        raise AssertionError("the narrator pressed 'next' 60 times without reaching the day")

    assert saw_night, "the narrator never saw the night"
    assert undone, "the narrator was never offered to undo a step"
    if not pictured:
        screenshot(page, "werewolf-narrator-night")

    # Dawn: the village wakes up. Only the narrator's screen shows the night's victims (or that
    # nobody died), to read aloud; the players learn them when the narrator reveals them.
    expect(page.locator("#table-view.werewolf--day")).to_be_visible()
    victims = page.locator(".ww-narrator .ww-victims .ww-read-line")
    expect(victims.first).to_be_visible()
    announced = [line.strip().strip("«»").strip() for line in victims.all_inner_texts()]
    reveal = page.locator("""#table-view button[data-table-action*='"narrator_next"']""")
    expect(reveal).to_contain_text(re.compile("Reveal the victims|Révéler les victimes"))
    screenshot(page, "werewolf-narrator-dawn")
    for person in players:
        shown = person.page.locator("#table-view")
        expect(shown.locator(".ww-dawn")).to_be_visible()
    # Day rises: a calm wash over the table (2.4 s), none for Kim, who asked for reduced motion.
    for person in players:
        fade = _fade(person)
        assert "table-fade--dawn" in fade["classes"], (person.name, fade)
        if person is players[1]:
            assert fade["name"] == "none", fade
        else:
            assert fade["name"] == "table-daybreak" and float(fade["duration"].rstrip("s")) >= 2, (
                fade
            )
    for person in players:
        shown = person.page.locator("#table-view")
        expect(shown.locator(".ww-seat--dead")).to_have_count(0)
        said = shown.inner_text()
        assert not [line for line in announced if line in said], f"{person.name} saw a victim"
        # Nor did any frame received so far carry a death, even one the screen did not show.
        for frame in person.frames():
            for markup in views_in(frame):
                assert all(seat.alive for seat in read_screen(markup).seats.values())
                text = _text(markup)
                assert not [line for line in announced if line in text], person.name
    screenshot(players[0].page, "werewolf-player-dawn-before-reveal")

    _press(narrator, "narrator_next")  # "Reveal the victims"
    expect(page.locator(".ww-narrator .ww-victims")).to_have_count(0)
    dawn = "#table-view.werewolf--day, #table-view:has(.ww-outcome)"
    for person in players:
        shown = person.page.locator("#table-view")
        expect(shown.locator(".ww-dawn")).to_have_count(0)
        for line in announced:
            expect(shown.locator(".ww-log")).to_contain_text(line)
    screenshot(players[0].page, "werewolf-player-dawn-after-reveal")
    expect(page.locator(dawn)).to_be_visible()
    for person in players:
        expect(person.page.locator(dawn)).to_be_visible()
        expect(person.page.locator(".ww-narrator")).to_have_count(0)
        look(person)
    # The narrator's screen shows every role and, by now, the lovers Cupid chose.
    truth = Truth.from_screen(read_screen(page.locator("#table-view").evaluate("e => e.outerHTML")))
    assert truth.roles == dealt.roles and len(truth.lovers) == 2
    leaks: list[str] = []
    for person in players:
        leaks += player_leaks(person, truth)
        if any("ww-narrator" in frame or "narrator_next" in frame for frame in person.frames()):
            leaks.append(f"{person.name} received the narrator's script")
    assert not leaks, "\n".join(leaks[:20])
    assert any("ww-read" in frame for frame in narrator.frames())

    # The first vote of the day (the Captain's election, or the village's vote): each ballot is
    # an arrow on every circle, from the voter to the one they chose, and a line in the list.
    votes = "#table-view .table-arrow--vote"
    voters: set[str] = set()
    cast = 0  # two ballots only: never a majority, so the vote stays open for the pictures
    for _ in range(60):
        if page.locator(votes).count() >= 2 or page.locator(OUTCOME_SELECTOR).count():
            break
        voting = False
        for person in players:
            seen = look(person)
            if not seen:
                continue
            kinds = [(json.loads(m), m) for m in seen["moves"]]
            me = person.page.evaluate(
                "[...document.querySelectorAll('#table-view .table-circle-seat')]"
                ".findIndex((li) => li.classList.contains('table-circle-seat--me'))"
            )
            ballots = [
                m
                for a, m in kinds
                if a["type"] == "vote"
                and a.get("target") not in (None, me)
                and person.name not in voters
            ]
            others = [m for a, m in kinds if a["type"] != "vote"]
            voting = voting or bool(ballots)
            if ballots and cast < 2:
                if play_one_move(person, {**seen, "moves": ballots}, rng) is not None:
                    cast += 1
                    voters.add(person.name)
            elif others or seen["cupid"]:
                play_one_move(person, {**seen, "moves": others}, rng)
        if not voting and page.locator(NEXT_BUTTON).count():
            _press(narrator, "narrator_next")
        page.wait_for_timeout(200)
    if not page.locator(OUTCOME_SELECTOR).count():
        assert page.locator(votes).count() >= 2, "no vote was drawn on the narrator's circle"
        living = [p for p in players if not p.page.locator("#table-view .ww-card--dead").count()]
        # Ballots still travelling settle: then every circle draws the same arrows as the
        # narrator's, and every list says the same.
        deadline = time.monotonic() + 10
        while True:
            drawn = page.locator(votes).count()
            counts = [p.page.locator(votes).count() for p in living]
            written = [p.page.locator("#table-view .ww-points").count() for p in living]
            if counts == written == [drawn] * len(living) and drawn >= 2:
                break
            assert time.monotonic() < deadline, (drawn, counts, written)
            page.wait_for_timeout(100)
        _picture(page, "table-circle-day-desktop")
        _picture(next(p for p in living if p is not players[0]).page, "table-circle-day-phone")


# -- the apprentice narrator's safety net -----------------------------------------------------


def _screen_text(person: Person) -> str:
    """The game screen's text without the running countdown."""
    return str(
        person.page.evaluate(
            """() => { const v = document.querySelector('#table-view').cloneNode(true);
                v.querySelectorAll('.timer-value').forEach((e) => e.remove());
                return v.textContent.replace(/\\s+/g, ' '); }"""
        )
    )


def _views_received(person: Person) -> int:
    return sum(len(views_in(frame)) for frame in person.frames())


def _next_with_dialog(narrator: Person, *, accept: bool) -> str:
    """Press "next" on a step where someone has not acted; returns the browser's question."""
    page = narrator.page
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", answer)
    before = _narrator_text(page)
    page.locator("""#table-view button[data-table-action*='"narrator_next"']""").click()
    deadline = time.monotonic() + 10
    while not asked:
        assert time.monotonic() < deadline, "no question before acting by default"
        page.wait_for_timeout(50)
    if accept:
        while (now := _narrator_text(page)) is None or now == before:
            assert time.monotonic() < deadline, "the narrator's screen did not change"
            page.wait_for_timeout(50)
    return asked[0]


def test_apprentice_narrator_is_warned_and_undoes_unseen(people: Visitors) -> None:
    """ "Next" names who would be skipped and what happens to them; several steps can be
    undone; the players' screens (every frame they receive) show none of the backtracking."""
    narrator = arrive(people, "Nina")
    players = [arrive(people, name) for name in ["Pia", "Quentin", "Rosa", "Sam", "Tom", "Uma"]]
    table_id = set_up_table(narrator.page, "Sans filet", narrate=True)
    choose_cards(narrator.page, SMALL_DECK)
    for person in players:
        sit_down(person, table_id, "player")
    start(narrator, [narrator, *players])
    page = narrator.page
    truth = Truth.from_screen(read_screen(page.locator("#table-view").evaluate("e => e.outerHTML")))
    seer = next(p for p in players if truth.roles[p.name] == "seer")

    # Everybody votes for the Captain, then the narrator goes on to the Seer's call.
    for _ in range(40):
        screen = look(narrator)
        assert screen is not None
        if awake_role(screen["html"]) == "seer":
            break
        for person in players:
            seen = look(person)
            if seen and seen["moves"] and "werewolf--election" in screen["html"]:
                play_one_move(person, seen, random.Random(3))
        page.wait_for_timeout(150)
        _press(narrator, "narrator_next")
    else:
        raise AssertionError("the Seer was never called")
    assert awake_role(look(narrator)["html"]) == "seer"  # type: ignore[index]
    expect(page.locator(".ww-narrator .ww-defaults")).to_contain_text(seer.name)

    # "Next" before the Seer has chosen: the browser names her and what happens; "no" stays.
    question = _next_with_dialog(narrator, accept=False)
    assert seer.name in question and ("Voyante" in question or "Seer" in question), question
    page.wait_for_timeout(300)
    assert awake_role(look(narrator)["html"]) == "seer"
    screenshot(page, "werewolf-narrator-warning")
    _next_with_dialog(narrator, accept=True)  # the Werewolves
    wolves = awake_role(look(narrator)["html"])  # type: ignore[index]
    assert wolves == "werewolf", wolves
    _next_with_dialog(narrator, accept=True)  # the Witch (the victim drawn by lot)
    assert awake_role(look(narrator)["html"]) == "witch"  # type: ignore[index]
    page.wait_for_timeout(500)

    # Two steps back (the Werewolves' call, then the Seer's). Nobody but the players those
    # steps call again receives a new screen; the Werewolves end up on the screen they had.
    everyone = [p for p in players if p is not seer]
    wolves_seats = [p for p in everyone if truth.roles[p.name] == "werewolf"]
    others = [p for p in everyone if p not in wolves_seats]
    received = {p.name: _views_received(p) for p in others}
    shown = {p.name: _screen_text(p) for p in everyone}
    _press(narrator, "narrator_undo")
    _press(narrator, "narrator_undo")
    assert awake_role(look(narrator)["html"]) == "seer"  # type: ignore[index]
    expect(
        seer.page.locator("#table-view button[data-table-action*='\"see\"']").first
    ).to_be_visible()
    page.wait_for_timeout(800)
    for person in others:
        assert _views_received(person) == received[person.name], f"{person.name} saw the undo"
    for person in everyone:
        assert _screen_text(person) == shown[person.name], f"{person.name}'s screen moved"
    screenshot(page, "werewolf-narrator-after-undo")

    # The Seer looks; the narrator goes on again: the table is where it was, nothing flipped.
    seer.page.locator("#table-view button[data-table-action*='\"see\"']").first.click()
    expect(page.locator(".ww-narrator .ww-defaults")).to_have_count(0)
    _press(narrator, "narrator_next")
    for person in others:
        assert _views_received(person) == received[person.name], person.name
