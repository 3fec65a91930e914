"""Espions in real browsers: four players (two per team) and a watcher play until a team wins,
and no WebSocket frame received by anyone but the two spymasters ever holds the key.

Every frame each page receives is recorded (as in ``test_werewolf.py``). The seats, hence the
teams and the spymasters, are drawn by lot at the start, so the test reads who is who from the
screens: a spymaster's screen shows the key. The starting team's spymaster first tries a word
of the grid (refused, in French), then gives a clue; a guesser shows a card to the team, turns
it over, then turns a passer-by (the turn ends). The other team finds one card and stops. The
starting team then finds all its remaining cards and wins. At the end everyone sees the key,
and the replay opens. Pictures go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from estaminet.games.espions import WORDS

from .helpers import PHONE_390, Visitors, screenshot, wait_online, with_patches_applied

pytestmark = pytest.mark.browser

COLOURS = ("red", "blue", "neutral", "assassin")
TEAM = {"red": "Rouges", "blue": "Bleus"}
_CARD = re.compile(r'class="(es-card[^"]*)" data-card="(\d+)"')
_AXE = Axe()
CARDS = """els => els.map((e) => ({card: Number(e.dataset.card), classes: e.className,
  word: e.querySelector('.es-word').textContent.trim()}))"""


@dataclass
class Person:
    """Someone at the table: their page and every WebSocket frame it received, in order."""

    name: str
    page: Page
    frames: list[str] = field(default_factory=list)
    device: str = "desktop"
    team: str = ""
    spymaster: bool = False

    @property
    def role(self) -> str:
        return "spymaster" if self.spymaster else "guesser" if self.team else "watcher"


def arrive(people: Visitors, name: str, *, plan: bool = True, **options: Any) -> Person:
    """Someone comes in; every frame their page receives is recorded. ``plan=False``: someone
    who goes straight to the table comes in over HTTP (``Visitors.sign_up``), without the
    invite form's page loads (the other browser tests go through the form)."""
    context = people.context(**options)
    device = "phone" if options.get("is_mobile") else "desktop"
    person = Person(name, page=None, device=device)  # type: ignore[arg-type]

    def on_socket(ws: Any) -> None:
        if ws.url.endswith("/ws"):
            kept: dict[str, list[str]] = {}
            ws.on(
                "framereceived",
                lambda payload: person.frames.append(
                    with_patches_applied(
                        payload if isinstance(payload, str) else payload.decode("utf-8", "replace"),
                        kept,
                    )
                ),
            )

    context.on("page", lambda page: page.on("websocket", on_socket))
    person.page = (
        people.guest(name, context=context) if plan else people.sign_up(name, context=context)
    )
    return person


def violations(page: Page) -> list[str]:
    """What axe-core finds on the page as it is now (any impact)."""
    result: dict[str, Any] = _AXE.run(page).response
    return [
        f"{page.url} [{v['impact']}] {v['id']}: "
        + "; ".join(str(node["target"]) for node in v["nodes"][:4])
        for v in result["violations"]
    ]


def look(people: list[Person], moment: str, found: list[str]) -> None:
    """A picture of each screen for people to look at, and axe-core's findings on it."""
    for person in people:
        screenshot(person.page, f"espions-{moment}-{person.role}-{person.device}")
        found += violations(person.page)


def sit(page: Page, table_id: int, role: str) -> None:
    page.goto(f"/t/{table_id}")
    page.locator(f'form[action$="/join"]:has(input[name=role][value={role}]) button').click()
    expect(page).to_have_url(re.compile(rf"/t/{table_id}$"))
    wait_online(page)


def strings(value: Any) -> Iterator[str]:
    """Every text inside a decoded frame (the screens travel as HTML inside JSON)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def hidden_colours(text: str) -> list[tuple[int, str]]:
    """Cards whose markup tells a colour while the card is still face down."""
    found = []
    for classes, card in _CARD.findall(text):
        names = classes.split()
        if "es-card--hidden" in names:
            found += [(int(card), c) for c in COLOURS if f"es-card--{c}" in names]
    return found


def key_in_frames(person: Person) -> list[str]:
    """Each frame (and where in it) that holds a face-down card's colour."""
    leaks = []
    for number, payload in enumerate(person.frames):
        try:
            frame = json.loads(payload)
        except ValueError:
            frame = payload
        for text in strings(frame):
            if "espions--over" in text:
                continue  # the game is over: everyone sees the whole key
            if hidden_colours(text) or "face cachée" in text or "espions--key" in text:
                leaks.append(f"{person.name}, frame {number}: {text[:200]}")
    return leaks


def grid(page: Page) -> list[dict[str, Any]]:
    cards: list[dict[str, Any]] = page.locator("#table-view .es-card").evaluate_all(CARDS)
    return cards


def colour_of(card: dict[str, Any]) -> str | None:
    return next((c for c in COLOURS if f"es-card--{c}" in card["classes"].split()), None)


def give_clue(master: Person, word: str, count: int) -> None:
    form = master.page.locator("form[data-table-form=clue]")
    form.locator("input[name=word]").fill(word)
    form.locator("select[name=count]").select_option(str(count))
    form.locator("button[type=submit]").click()


def turn_over(guesser: Person, card: dict[str, Any]) -> None:
    """Show the card to the team, then turn it over."""
    page = guesser.page
    page.locator(f'#table-view button.es-card[data-card="{card["card"]}"]').click()
    reveal = page.locator(".es-reveal", has_text=f"Retourner « {card['word']} »")
    reveal.click()
    expect(page.locator(f'#table-view .es-card[data-card="{card["card"]}"]')).to_have_class(
        re.compile(r"es-card--revealed")
    )


def test_espions_round_no_frame_to_a_non_spymaster_holds_the_key(people: Visitors) -> None:
    alice = arrive(people, "Alice", **PHONE_390)
    host = alice.page
    host.locator("a.plan-room--jeux").click()
    form = host.locator(".new-table")
    if not form.evaluate("details => details.open"):
        form.locator("summary").click()
    host.locator("#new-table-game").select_option("espions")
    host.locator("#new-table-title").fill("Espions du vendredi")
    form.locator("button[type=submit]").click()
    expect(host).to_have_url(re.compile(r"/t/\d+$"))
    table_id = int(host.url.rsplit("/", 1)[1])
    options = host.locator(".table-options")
    options.locator("summary").click()
    options.locator("#es-clue-seconds").fill("90")
    options.locator("button[type=submit]").click()
    expect(host.locator(".lobby")).to_contain_text("Indice : 90 s · recherche : 120 s")
    wait_online(host)
    lobby = violations(host)

    players = [alice]
    for name, options in (("Bruno", PHONE_390), ("Chloé", {}), ("Denis", {})):
        players.append(arrive(people, name, plan=False, **options))
        sit(players[-1].page, table_id, "player")
    watcher = arrive(people, "Sacha", plan=False)  # a desktop screen
    sit(watcher.page, table_id, "spectator")
    everyone = [*players, watcher]

    host.locator('form[action$="/start"] button').click()
    for person in everyone:
        expect(person.page.locator("#table-view.espions .es-grid")).to_be_visible(timeout=20_000)
        wait_online(person.page)

    # Who is who: a spymaster's screen shows the key; the role line names the team.
    for person in players:
        view = person.page.locator("#table-view")
        person.spymaster = "espions--key" in (view.get_attribute("class") or "")
        role = view.locator(".es-role").inner_text()
        person.team = "red" if "Rouges" in role else "blue"
    masters = {p.team: p for p in players if p.spymaster}
    guessers = {p.team: p for p in players if not p.spymaster}
    assert set(masters) == set(guessers) == {"red", "blue"}
    assert not watcher.page.locator("#table-view.espions--key").count()
    turn_class = host.locator(".es-turn").get_attribute("class") or ""
    first = "red" if "es-turn--red" in turn_class else "blue"
    second = "blue" if first == "red" else "red"

    key = {card["card"]: colour_of(card) for card in grid(masters[first].page)}
    words = {card["card"]: card["word"] for card in grid(masters[first].page)}
    counts = {c: sum(1 for v in key.values() if v == c) for c in COLOURS}
    assert counts == {first: 9, second: 8, "neutral": 7, "assassin": 1}
    for person in [*guessers.values(), watcher]:
        assert all(colour_of(card) is None for card in grid(person.page)), person.name
    axe = list(lobby)
    look(everyone, "start", axe)
    expect(host.locator(".es-rules")).to_contain_text("Sans indice après 90 secondes")

    def cards(colour: str) -> list[dict[str, Any]]:
        shown = {c["card"] for c in grid(watcher.page) if "es-card--revealed" in c["classes"]}
        return [
            {"card": i, "word": words[i]} for i, c in key.items() if c == colour and i not in shown
        ]

    # Turn 1: a word of the grid is refused, in French; then a real clue.
    master, guesser = masters[first], guessers[first]
    give_clue(master, words[cards(first)[0]["card"]].upper(), 2)
    expect(master.page.locator(".table-error")).to_contain_text(
        "est un mot encore sur la grille (ou presque) : choisissez un autre indice."
    )
    assert all(clue not in WORDS for clue in ("voyage", "vacances", "lumière"))
    give_clue(master, "voyage", 2)
    for person in everyone:
        expect(person.page.locator(".es-clue-word")).to_have_text("voyage")
    target = cards(first)[0]
    guesser.page.locator(f'#table-view button.es-card[data-card="{target["card"]}"]').click()
    expect(watcher.page.locator(".es-card--pointed")).to_have_count(1)
    look([guesser, watcher], "pointed", axe)
    guesser.page.locator(".es-reveal").click()
    expect(watcher.page.locator(f'.es-card[data-card="{target["card"]}"]')).to_have_class(
        re.compile(rf"es-card--{first}\b.*es-card--revealed")
    )
    turn_over(guesser, cards("neutral")[0])
    for person in everyone:
        expect(person.page.locator(".es-turn")).to_have_class(re.compile(rf"es-turn--{second}"))

    # No replay before the end: it would be a way round the views.
    for person in (guesser, watcher):
        early = person.page.request.get(f"/t/{table_id}/replay?step=1")
        assert early.status == 404, early.status
        assert "es-card" not in early.text()

    # Turn 2: the other team finds one card and stops.
    give_clue(masters[second], "lumière", 1)
    turn_over(guessers[second], cards(second)[0])
    guessers[second].page.locator(".es-stop").click()
    for person in everyone:
        expect(person.page.locator(".es-turn")).to_have_class(re.compile(rf"es-turn--{first}"))
    look([masters[first]], "history", axe)

    # Turn 3: the starting team finds its eight other cards and wins.
    left = cards(first)
    assert len(left) == 8
    give_clue(master, "vacances", 8)
    for card in left[:-1]:
        turn_over(guesser, card)
    guesser.page.locator(f'#table-view button.es-card[data-card="{left[-1]["card"]}"]').click()
    guesser.page.locator(".es-reveal").click()

    for person in everyone:
        # The game's end reloads each screen once (table.js): read it after that.
        expect(person.page.locator('[data-table-status="ended"]')).to_be_attached()
        person.page.wait_for_load_state()
        expect(person.page.locator(".es-head h2")).to_have_text(f"Les {TEAM[first]} gagnent !")
        shown = {c["card"]: colour_of(c) for c in grid(person.page)}
        assert shown == key, f"{person.name} does not see the whole key at the end"
    look(everyone, "end", axe)
    assert not axe, "axe found:\n" + "\n".join(axe)

    # The frames: nothing but the spymasters' ever held a face-down card's colour.
    for person in [*guessers.values(), watcher]:
        assert person.frames, f"no frame recorded for {person.name}"
        assert any("es-grid" in f for f in person.frames), f"no screen in {person.name}'s frames"
        leaks = key_in_frames(person)
        assert not leaks, "the key reached a non-spymaster:\n" + "\n".join(leaks[:5])
    # (the check does find the key where it is: in the spymasters' own frames)
    for person in masters.values():
        assert key_in_frames(person), f"{person.name}'s frames hold no key: the check is blind"

    # After the game, the replay opens for those who were there; its first step has the key.
    host.goto(f"/t/{table_id}/replay?step=1")
    expect(host.locator("#table-view.espions .es-grid")).to_be_visible()
    assert len([c for c in grid(host) if colour_of(c)]) == 25
