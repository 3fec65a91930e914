"""A soirée of two games in real browsers: people join once and are led from table to table.

The admin (an animator would do) opens a soirée of two short games from the games
room. Alice (a 390 px phone) and Bruno join to play, Sacha to watch. Each time the
animator opens the next game, their pages go to its table by themselves; Sacha
votes at each table (« Qui a le mieux joué ? »). After each game the evening
scoreboard counts the stated points; at the end everyone is led to the podium,
and Sacha tops the watchers' ranking. Pictures go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

import estaminet.games  # noqa: F401  (every game registered)
from estaminet.games import kit

from .helpers import PHONE_390, Visitors, mark_for_reload, screenshot, wait_online, wait_reloaded
from .test_every_page import _violations

pytestmark = pytest.mark.browser


def _join(page: Page, soiree: str, button: str) -> None:
    page.goto(soiree)
    page.get_by_role("button", name=button).click()
    expect(page).to_have_url(re.compile(re.escape(soiree) + "$"))
    expect(page.locator("[data-soiree-follow]")).to_have_count(1)
    wait_online(page)


def _play(pages: dict[str, Page], picks: dict[str, int], rounds: int = 3) -> None:
    """Every round, each player picks their number (the banner says which round it is).

    The game's end loads each table page afresh (``table.js``: the table's status changed);
    each page is marked in the last round and waited for until that load has replaced it,
    so that the test's next navigation does not race the page's own (``net::ERR_ABORTED``).
    """
    for number in range(1, rounds + 1):
        for name, page in pages.items():
            expect(page.locator(".game-banner h2")).to_contain_text(
                f"Manche {number} sur", timeout=20_000
            )
            if number == rounds:
                mark_for_reload(page)  # the end reloads it
            _pick(page, picks[name], number)
    for page in pages.values():
        wait_reloaded(page)
        expect(page.locator(".game-banner h2")).to_have_text("La partie est finie", timeout=20_000)
        wait_online(page)


def _pick(page: Page, number: int, round_: int) -> None:
    """Pick ``number``, again if a live redraw of the view swallowed the click (the grid
    goes once the pick is taken, or the round moves on)."""
    for _ in range(3):
        button = page.locator("#table-view .pick", has_text=re.compile(f"^{number}$"))
        if button.count():
            button.first.click()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            taken = page.locator("#table-view .pick-grid").count() == 0
            banner = page.locator(".game-banner h2").text_content() or ""
            if taken or f"Manche {round_} sur" not in banner:
                return
            time.sleep(0.1)
    raise AssertionError(f"the pick {number} was not taken in round {round_}")


def _vote(watcher: Page, name: str) -> None:
    box = watcher.locator(".watch-vote")
    expect(box.locator("legend")).to_have_text("Qui a le mieux joué ?")
    box.get_by_label(name, exact=True).check()
    box.get_by_role("button", name="Voter").click()
    expect(watcher.locator(".watch-vote")).to_contain_text(f"Tu as désigné {name}.")
    wait_online(watcher)


def test_soiree_of_two_games_with_scoreboard_podium_and_a_watcher(people: Visitors) -> None:
    animator = people.admin()
    animator.goto("/r/jeux")
    panel = animator.locator(".soirees-panel")
    panel.locator(".new-soiree summary").click()
    panel.get_by_label("Nom de la soirée").fill("Soirée du vendredi")
    panel.get_by_label("Jeu 1", exact=True).select_option("lowest_unique")
    panel.get_by_label("Jeu 2", exact=True).select_option("lowest_unique")
    panel.get_by_role("button", name="Ouvrir la soirée").click()
    expect(animator).to_have_url(re.compile(r"/s/\d+$"))
    soiree = "/s/" + animator.url.rsplit("/", 1)[1]
    expect(animator.locator(".soiree-rule").first).to_contain_text("1re 10, 2e 7, 3e 5, 4e 3")

    # Each goes straight to a room or the soirée: in over HTTP, without the invite form's loads.
    alice = people.sign_up("Alice", **PHONE_390)
    bruno = people.sign_up("Bruno")
    sacha = people.sign_up("Sacha")
    # The game picker: live filters on the phone (no voice needed, three people).
    alice.goto("/r/jeux")
    picker = alice.locator("[data-game-picker]")
    picker.get_by_label("Combien êtes-vous ?").fill("3")
    picker.get_by_label("Voix", exact=True).select_option("optional")
    fitting = [
        g for g in kit.all_games() if g.min_players <= 3 <= g.max_players and g.voice != "needed"
    ]
    assert "werewolf" not in {g.key for g in fitting} and len(fitting) > 1
    expect(picker.locator(".game-card:visible")).to_have_count(len(fitting))  # not Loup-Garou
    expect(picker.locator("[data-picker-count]")).to_have_text(f"{len(fitting)} jeux conviennent.")
    screenshot(alice, "game-picker-phone")
    bruno.goto("/r/jeux")
    screenshot(bruno, "game-picker-desktop", full_page=False)
    _join(alice, soiree, "Rejoindre la soirée pour jouer")
    _join(bruno, soiree, "Rejoindre la soirée pour jouer")
    _join(sacha, soiree, "Rejoindre la soirée pour regarder")
    expect(animator.locator(".soiree-board")).to_contain_text("Alice, Bruno")  # live
    screenshot(alice, "soiree-before-phone")

    # First game: the animator opens it; the others' pages follow to its table.
    animator.get_by_role("button", name=re.compile("Ouvrir le jeu suivant")).click()
    expect(animator).to_have_url(re.compile(r"/t/\d+$"))
    first = animator.url.rsplit("/", 1)[1]
    for page in (alice, bruno, sacha):
        expect(page).to_have_url(re.compile(rf"/t/{first}$"), timeout=15_000)
        wait_online(page)
    expect(sacha.locator(".soiree-banner")).to_contain_text("Jeu 1 sur 2")
    animator.locator('form[action$="/start"] button').click()
    # Starting is a form: the page loads again; wait for the game's first round on it.
    expect(animator.locator(".game-banner h2")).to_contain_text("Manche 1 sur", timeout=20_000)
    wait_online(animator)
    # The game has started on the watcher's page too (it may reload to show it) before axe.
    expect(sacha.locator(".game-banner h2")).to_contain_text("Manche 1 sur", timeout=20_000)
    wait_online(sacha)
    assert _violations(sacha) == []  # the watcher's vote form
    screenshot(sacha, "soiree-table-watcher-desktop")
    screenshot(alice, "soiree-table-phone", full_page=False)
    _vote(sacha, "Alice")
    players = {"Admin": animator, "Alice": alice, "Bruno": bruno}
    _play(players, {"Admin": 2, "Alice": 1, "Bruno": 2})
    expect(sacha.locator(".lobby")).to_contain_text("Alice · 1 voix")

    # The evening so far, on the soirée's page: Alice 10, the two others 7.
    animator.goto(soiree)
    board = animator.locator(".soiree-scores")
    expect(board.locator("tbody tr").first).to_contain_text("Alice")
    expect(board.locator("tbody tr").first.locator(".total")).to_have_text("10")
    screenshot(animator, "soiree-desktop")

    # Second game: the players are on the first table's page; they are led on.
    animator.get_by_role("button", name=re.compile("Ouvrir le jeu suivant")).click()
    expect(animator).to_have_url(re.compile(r"/t/\d+$"))
    second = animator.url.rsplit("/", 1)[1]
    assert second != first
    for page in (alice, bruno, sacha):
        expect(page).to_have_url(re.compile(rf"/t/{second}$"), timeout=15_000)
        wait_online(page)
    animator.locator('form[action$="/start"] button').click()
    # Starting is a form: the page loads again; wait for the game's first round on it.
    expect(animator.locator(".game-banner h2")).to_contain_text("Manche 1 sur", timeout=20_000)
    wait_online(animator)
    _vote(sacha, "Bruno")
    _play(players, {"Admin": 3, "Alice": 3, "Bruno": 1})

    # The end: everyone is led to the podium.
    animator.goto(soiree)
    animator.get_by_role("button", name="Terminer la soirée et montrer le podium").click()
    for page in (alice, bruno, sacha):
        expect(page).to_have_url(re.compile(re.escape(soiree) + "$"), timeout=15_000)
    for page in (animator, alice, sacha):
        podium = page.locator(".soiree-podium .podium").first
        expect(podium.locator("li")).to_have_count(3)
        expect(podium).to_contain_text("Alice")
        expect(podium).to_contain_text("Bruno")
        expect(podium.locator("li").nth(2)).to_contain_text("Admin")
        expect(podium.locator("li").nth(2)).to_contain_text("14 points")
    totals = animator.locator(".soiree-scores tbody tr .total").all_inner_texts()
    assert totals == ["17", "17", "14"]
    watchers = animator.locator(".podium--watchers")
    expect(watchers).to_contain_text("Sacha")
    expect(watchers).to_contain_text("6 points")
    assert _violations(animator) == [] and _violations(alice) == []
    screenshot(animator, "soiree-podium-desktop")
    screenshot(alice, "soiree-podium-phone")
    screenshot(alice, "soiree-phone-top", full_page=False)
