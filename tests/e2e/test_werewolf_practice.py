"""A would-be narrator rehearses alone: a practice table of bots, a first night and a day vote.

Nadia opens "S'entraîner à animer" in the games room, chooses seven players and the
cards as for a real table, starts, pauses (nothing moves, her own "next" is refused
with a clear message), resumes, then runs the first night and the first day's vote
through the apprentice script while the bots play their parts at a (shortened) human
pace. Her screen is the same as with people: the script, who has not acted yet, their
choices. Pictures go to ``test-artifacts/``; axe finds nothing on the pages.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from .helpers import Visitors, screenshot, wait_online
from .test_werewolf import DESKTOP, PHONE_390, choose_cards

pytestmark = pytest.mark.browser

BOT_SECONDS = 0.5
DECK = {"werewolf": 2, "seer": 1, "witch": 1, "hunter": 1, "villager": 2}
NEXT = """#table-view button[data-table-action*='"narrator_next"']"""
_AXE = Axe()


@pytest.fixture(scope="module")
def venue_env() -> dict[str, str]:
    """Bots that think half a second (three by default), so the test stays short."""
    return {"ESTAMINET_PRACTICE_BOT_SECONDS": str(BOT_SECONDS)}


def _violations(page: Page) -> list[str]:
    result: dict[str, Any] = _AXE.run(page).response
    return [
        f"{page.url} [{v['impact']}] {v['id']}: "
        + "; ".join(str(node["target"]) for node in v["nodes"][:4])
        for v in result["violations"]
    ]


def _step(page: Page) -> str | None:
    try:
        return page.locator("#table-view").get_attribute("data-step", timeout=2_000)
    except PlaywrightError:
        return None  # reloading


def _waiting_for(page: Page) -> int:
    """How many lines "who has not acted yet" shows on the narrator's screen."""
    try:
        return page.locator(".ww-narrator .ww-defaults li").count()
    except PlaywrightError:
        return -1


def _script(page: Page) -> str:
    try:
        return str(page.evaluate("document.querySelector('.ww-narrator')?.innerText || ''"))
    except PlaywrightError:
        return ""


def _wait_for_bots(page: Page, *, timeout: float = 30.0) -> None:
    """Until nobody is left to act in this step (the bots have played their part)."""
    deadline = time.monotonic() + timeout
    while _waiting_for(page) != 0:
        assert time.monotonic() < deadline, f"the bots did not act at {_step(page)}"
        page.wait_for_timeout(100)


def _next(page: Page) -> None:
    """The narrator presses "next" (nobody left to act: no question asked)."""
    before = _script(page)
    button = page.locator(NEXT)
    assert not button.get_attribute("data-confirm"), "someone has not acted yet"
    button.click()
    deadline = time.monotonic() + 10
    while (now := _script(page)) == before or not now:
        assert time.monotonic() < deadline, "the narrator's screen did not change"
        page.wait_for_timeout(50)


def test_a_narrator_alone_runs_a_practice_night_and_vote(people: Visitors) -> None:
    page = people.guest("Nadia", context=people.context(**DESKTOP))
    page.locator("a.plan-room--jeux").click()
    expect(page).to_have_url(re.compile(r"/r/jeux$"))
    practice = page.locator(".practice-table")
    practice.locator("summary").click()
    expect(practice.locator("#practice-bots")).to_be_visible()
    screenshot(page, "werewolf-practice-form")
    assert not _violations(page)
    practice.locator("#practice-bots").fill("7")
    practice.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/t/\d+$"))
    table_url = page.url

    # The lobby: seven bots by name, the cards chosen as for a real table.
    lobby = page.locator(".lobby")
    expect(lobby).to_contain_text("Anna")
    expect(lobby).to_contain_text("Gilles")
    choose_cards(page, DECK)
    screenshot(page, "werewolf-practice-lobby")
    assert not _violations(page)

    page.locator('form[action$="/start"] button').click()
    expect(page.locator("#table-view .ww-narrator .ww-read")).to_be_visible(timeout=20_000)
    wait_online(page)

    # Pause at once: nothing moves while paused, and "next" is refused with a reason.
    page.locator('form[action$="/pause"] button').click()
    expect(page.locator(".practice-paused")).to_be_visible()
    wait_online(page)
    waiting = _waiting_for(page)
    step = _step(page)
    page.wait_for_timeout(int(BOT_SECONDS * 5_000))
    assert (_waiting_for(page), _step(page)) == (waiting, step)
    if page.locator(NEXT).get_attribute("data-confirm"):
        page.once("dialog", lambda dialog: dialog.accept())
    page.locator(NEXT).click()
    expect(page.locator(".table-error")).to_contain_text(re.compile("pause", re.I))
    assert _step(page) == step
    screenshot(page, "werewolf-practice-paused", full_page=False)
    page.locator('form[action$="/resume"] button').click()
    expect(page.locator(".practice-paused")).to_have_count(0)
    wait_online(page)

    # The first night, called step by step through the apprentice script.
    steps: list[str] = []
    pictured = False
    for _ in range(40):
        step = _step(page)
        if step is None:
            page.wait_for_timeout(100)
            continue
        if step in ("dawn", "reveal", "debate", "vote"):
            break
        steps.append(step)
        _wait_for_bots(page)
        if step == "wolves":
            # The bots' choice shows on the narrator's screen, as a person's would.
            expect(page.locator(".ww-night")).to_be_visible()
            screenshot(page, "werewolf-practice-night", full_page=False)
            pictured = True
        _next(page)
    else:
        raise AssertionError(f"the night never ended: {steps}")
    assert pictured and {"seer", "wolves", "witch"} <= set(steps), steps
    night = page.locator(".ww-night").inner_text() if page.locator(".ww-night").count() else ""
    assert not _violations(page)

    # Dawn: the narrator reveals the victims, runs the debate, then the vote.
    for _ in range(20):
        step = _step(page)
        if step == "vote":
            break
        if step in ("dawn", "reveal", "hunter", "successor", "debate"):
            # A Hunter killed in the night shoots first, a Mayor killed names a successor (the
            # bots' pick); then the day goes on.
            _wait_for_bots(page)
            _next(page)
        else:
            page.wait_for_timeout(100)
    assert _step(page) == "vote", (_step(page), night)
    # The bots vote; arrows and the tally appear on the narrator's circle.
    expect(page.locator("#table-view .table-arrow--vote").first).to_be_visible(timeout=20_000)
    screenshot(page, "werewolf-practice-vote", full_page=False)
    _wait_for_bots(page)
    log_before = page.locator(".ww-log li").count()
    for _ in range(20):
        step = _step(page)
        if step == "nightfall" or page.locator("#table-view .ww-outcome").count():
            break
        if step is not None:
            _wait_for_bots(page)
            _next(page)
    ended = bool(page.locator("#table-view .ww-outcome").count())  # a Hunter's shot can end it
    assert _step(page) == "nightfall" or ended
    assert page.locator(".ww-log li").count() > log_before  # the vote's result was announced
    assert not _violations(page)

    # On a phone: the table, and the games room where it is listed for her alone.
    page.set_viewport_size(PHONE_390["viewport"])
    page.goto(table_url)
    expect(page.locator("#table-view .ww-narrator")).to_be_visible()
    screenshot(page, "werewolf-practice-phone", full_page=False)
    page.goto("/r/jeux")
    mine = page.locator(
        f'#tables-mine-jeux a[href="{table_url.split(page.url.split("/r/")[0])[1]}"]'
    )
    if ended:  # an ended table leaves the list of open tables
        expect(mine).to_have_count(0)
    else:
        expect(page.locator(".tables-mine-title")).to_be_visible()
        expect(mine).to_be_visible()
    expect(page.locator("#tables-list-jeux .table-item")).to_have_count(0)  # not listed to others
    page.locator(".practice-table summary").click()
    screenshot(page, "werewolf-practice-form-phone")
    assert not _violations(page)
