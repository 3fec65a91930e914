"""Un dessin, un mot in real browsers: two players (a desktop and a 390 px phone) and a watcher.

Seat 0 draws first; the watcher's canvas fills while the drawer's pointer is
still down (stream frames), and again after a reload (the drawing rebuilt from
the view). The other player guesses in the table's chat: a wrong guess is
posted for all, a close one tells the guesser alone « proche ! », the right
one is never shown to the others and scores. Every WebSocket frame the
guesser's and the watcher's browsers received before the turn ended is
recorded: none holds the word. A flood of strokes is refused with a French
reason and the connection stays up. Then the other one draws, the first finds
it from the table's own chat box, and the ranking follows the scores; the
replay draws the turn again. Pictures go to ``test-artifacts/``.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, WebSocket, expect

from .helpers import PHONE_390, Visitors, screenshot, wait_online, wait_until

pytestmark = pytest.mark.browser

INKED = (
    "(() => { const c = document.querySelector('canvas[data-drawing]'); if (!c) return 0;"
    " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
    " for (let i = 0; i < d.length; i += 16) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) n++;"
    " return n; })()"
)


_AXE = Axe()


def _violations(page: Page) -> list[str]:
    result: dict[str, Any] = _AXE.run(page).response
    return [
        f"{page.url} [{v['impact']}] {v['id']}: "
        + "; ".join(str(node["target"]) for node in v["nodes"][:4])
        for v in result["violations"]
    ]


def _inked(page: Page) -> int:
    return int(page.evaluate(INKED))


def _sit(page: Page, table_id: int, role: str) -> None:
    page.goto(f"/t/{table_id}")
    page.locator(f'form[action$="/join"]:has(input[name=role][value={role}]) button').click()
    expect(page).to_have_url(re.compile(rf"/t/{table_id}$"))
    wait_online(page)


def _record(page: Page) -> list[str]:
    """Every WebSocket frame this page's browser receives from now on (text)."""
    frames: list[str] = []

    def socket(ws: WebSocket) -> None:
        def received(payload: Any) -> None:
            frames.append(
                payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
            )

        ws.on("framereceived", received)

    page.on("websocket", socket)
    return frames


POINTER = """([type, x, y, touch]) => {
    const c = document.querySelector("canvas[data-drawing]");
    const box = c.getBoundingClientRect();
    c.dispatchEvent(new PointerEvent(type, {
      bubbles: true, cancelable: true, pointerId: touch ? 2 : 1, isPrimary: true, button: 0,
      buttons: type === "pointerup" ? 0 : 1,
      pointerType: touch ? "touch" : "mouse",
      clientX: box.left + x * box.width, clientY: box.top + y * box.height }));
}"""


def _draw(page: Page, points: list[tuple[float, float]], between: Any = None) -> None:
    """A stroke through ``points`` (fractions of the canvas), as pointer events: a finger on
    the phone, the mouse on a desktop, a few milliseconds apart like a hand."""
    touch = page.viewport_size is not None and page.viewport_size["width"] < 500
    page.evaluate(POINTER, ["pointerdown", *points[0], touch])
    for i, (x, y) in enumerate(points[1:]):
        page.evaluate(POINTER, ["pointermove", x, y, touch])
        page.wait_for_timeout(30)
        if between is not None and i == len(points) // 2:
            between()
    page.evaluate(POINTER, ["pointerup", *points[-1], touch])


def _guess(page: Page, text: str) -> None:
    page.locator("form[data-guess] input[name=guess]").fill(text)
    page.locator("form[data-guess] button[type=submit]").click()


def _forms(word: str) -> list[str]:
    """How the word could be written in a frame: as is, HTML-escaped, JSON-escaped."""
    forms = {word, html.escape(word), html.escape(word, quote=False), word.replace("'", "&#39;")}
    return [f.casefold() for f in forms]


def test_dessin_round_watched_live_and_guessed(people: Visitors) -> None:
    alice = people.guest("Alice")
    alice.locator("a.plan-room--jeux").click()
    form = alice.locator(".new-table")
    if not form.evaluate("details => details.open"):
        form.locator("summary").click()
    alice.locator("#new-table-game").select_option("dessin")
    alice.locator("#new-table-title").fill("Dessins du vendredi")
    form.locator("button[type=submit]").click()
    expect(alice).to_have_url(re.compile(r"/t/\d+$"))
    table_id = int(alice.url.rsplit("/", 1)[1])

    options = alice.locator(".table-options")
    options.locator("summary").click()
    options.locator("#ds-draw_seconds").fill("30")
    options.locator("#ds-choose_seconds").fill("20")
    options.locator("#ds-reveal_seconds").fill("3")
    options.locator("#ds-hints").fill("0")
    options.locator("button[type=submit]").click()
    expect(alice.locator(".lobby")).to_contain_text("30 s pour dessiner")
    wait_online(alice)

    alice_frames = _record(alice)
    # Straight to the table: in over HTTP, without the invite form's page loads.
    bruno = people.sign_up("Bruno", **PHONE_390)
    bruno_frames = _record(bruno)
    _sit(bruno, table_id, "player")
    watcher = people.sign_up("Sacha")
    watcher_frames = _record(watcher)
    _sit(watcher, table_id, "spectator")

    alice.locator('form[action$="/start"] button').click()
    for page in (alice, bruno, watcher):
        expect(page.locator("#table-view.dessin")).to_be_visible(timeout=20_000)
        wait_online(page)

    # Seat 0 draws first: whoever it is, they choose the longest of the three words (it
    # cannot hide in any page's HTML). Alice is on a desktop, Bruno on a 390 px phone.
    wait_until(alice, "document.querySelectorAll('.ds-choose button, .ds-word .hint').length > 0")
    alice_first = alice.locator(".ds-choose button").count() > 0
    drawer, guesser = (alice, bruno) if alice_first else (bruno, alice)
    guesser_name = "Bruno" if alice_first else "Alice"
    guesser_frames = bruno_frames if alice_first else alice_frames
    kind = {id(alice): "desktop", id(bruno): "phone"}
    choices = drawer.locator(".ds-choose button")
    expect(choices).to_have_count(3)
    labels = choices.all_inner_texts()
    word = max((label.rsplit(" (", 1)[0] for label in labels), key=len)
    screenshot(drawer, f"dessin-choose-{kind[id(drawer)]}")
    choices.nth([label.rsplit(" (", 1)[0] for label in labels].index(word)).click()
    expect(drawer.locator(".ds-secret")).to_have_text(word)
    expect(drawer.locator(".ds-tools")).to_be_visible()
    expect(guesser.locator("form[data-guess]")).to_be_visible()
    expect(watcher.locator(".ds-pattern")).to_be_visible()
    assert guesser.locator(".ds-secret").count() == 0
    assert watcher.locator(".ds-secret").count() == 0

    # She draws; the watcher's canvas fills while her pointer is still down.
    assert _inked(watcher) == 0
    seen_midway: list[int] = []

    def midway() -> None:
        wait_until(watcher, f"{INKED} > 0")
        seen_midway.append(_inked(watcher))

    zigzag = [(0.1 + 0.04 * i, 0.3 + (0.2 if i % 2 else 0.0)) for i in range(20)]
    _draw(drawer, zigzag, between=midway)
    assert seen_midway and seen_midway[0] > 0
    wait_until(watcher, f"{INKED} > {seen_midway[0]}")
    drawer.locator('[data-colour="1"]').click()
    drawer.locator('[data-width="3"]').click()
    _draw(drawer, [(0.6, 0.6), (0.7, 0.7), (0.8, 0.6)])
    wait_until(guesser, f"{INKED} > 0")

    # A reload mid-turn rebuilds the drawing from the view.
    before_reload = _inked(watcher)
    watcher.reload()
    wait_online(watcher)
    wait_until(watcher, f"{INKED} >= {before_reload * 0.9}")

    # A flood: too many points in one batch, then too many batches at once; refused in
    # French, the connection stays up and the next stroke goes through.
    flood = drawer.evaluate(
        """async (table) => {
            const act = (ops, seq) => window.estaminet
              .act("table.act", { table, action: { type: "ink", turn: 0, seq, ops } })
              .then(() => "ok", (err) => err.message);
            const big = ["b", 0, 0, 10, 10, ...Array(600).fill(1)];
            const one = await act([big], 5000);
            const many = await Promise.all(
              Array.from({ length: 40 }, (_, i) => act([["b", 0, 0, 20, 20 + i, 1, 1]], 6000 + i)));
            return { one, many };
        }""",
        table_id,
    )
    assert flood["one"] == "Trop de points d’un coup : 200 au maximum à la fois."
    # Batches a second are bounded by the server's clock (tests/games/dessin/test_rules.py):
    # how many of these pass depends on how fast this machine takes them in.
    too_fast = "Vous dessinez trop vite pour la table : attendez un instant."
    assert set(flood["many"]) <= {"ok", too_fast}
    assert "ok" in flood["many"]
    wait_online(drawer)
    wait_until(drawer, "window.estaminet.online === true")
    drawer.wait_for_timeout(1200)  # the drawer's budget refills
    _draw(drawer, [(0.2, 0.8), (0.4, 0.85)])

    # Bruno guesses: a wrong word is posted for all; a close one tells him alone.
    _guess(guesser, "zanzibar")
    expect(watcher.locator("#table-chat-log-table")).to_contain_text("zanzibar")
    close = word[:-1] if len(word) > 3 else word + word[-1]
    _guess(guesser, close)
    expect(guesser.locator(".ds-near")).to_contain_text("proche !")
    screenshot(guesser, f"dessin-guess-{kind[id(guesser)]}")
    screenshot(watcher, "dessin-watch-desktop")
    screenshot(drawer, f"dessin-draw-{kind[id(drawer)]}")
    expect(watcher.locator(".ds-near")).to_have_count(0)
    # The drawer's tools, the guesser's box and the watcher's screen: axe finds nothing.
    found = [v for page in (drawer, guesser, watcher) for v in _violations(page)]
    assert not found, "axe found:\n" + "\n".join(found)
    assert close.casefold() not in watcher.locator("#table-chat-logs").inner_text().casefold()

    # Until the turn ends, no frame to a non-drawer held the word.
    for who, frames in ((guesser_name, guesser_frames), ("the watcher", watcher_frames)):
        assert frames, f"no frame recorded for {who}"
        text = "\n".join(frames).casefold()
        assert not [f for f in _forms(word) if f in text], f"a frame to {who} holds the word"
        assert '"kind":"stream"' in "\n".join(frames)

    # The right guess: hidden from the others, it scores; everyone found, so the word shows.
    _guess(guesser, word.upper())
    expect(watcher.locator(".ds-secret")).to_have_text(word, timeout=10_000)
    expect(guesser.locator(".ds-secret")).to_have_text(word)
    expect(watcher.locator(".ds-found")).to_contain_text(guesser_name)
    chat = watcher.locator("#table-chat-logs").inner_text().casefold()
    assert word.casefold() not in chat

    found = guesser.locator(".ds-found li").first.inner_text()
    assert found.startswith(guesser_name) and "points" in found
    row = watcher.locator(".scores tbody tr", has_text=guesser_name)
    expect(row.locator("td").nth(1)).not_to_have_text("0")

    # Bruno's turn, on his phone: he chooses and draws; Alice finds it in her chat box.
    choose = guesser.locator(".ds-choose button")
    expect(choose).to_have_count(3, timeout=15_000)
    screenshot(guesser, f"dessin-choose-{kind[id(guesser)]}")
    choose.first.click()
    expect(guesser.locator(".ds-tools")).to_be_visible()
    second = guesser.locator(".ds-secret").inner_text()
    _draw(guesser, [(0.3, 0.3), (0.5, 0.5), (0.7, 0.3)])
    wait_until(drawer, f"{INKED} > 0")
    screenshot(guesser, f"dessin-draw-{kind[id(guesser)]}")
    chat = drawer.locator("[data-table-chat] textarea")
    chat.fill(f"je crois que c'est {second}")
    chat.press("Enter")

    for page in (alice, bruno, watcher):
        # The game's end reloads each screen once (table.js): read it after that.
        expect(page.locator('[data-table-status="ended"]')).to_be_attached(timeout=20_000)
        page.wait_for_load_state()
        expect(page.locator("#ds-ranking-title")).to_be_visible()
    ranking = watcher.locator(".pb-podium li").all_inner_texts()
    points = [int(re.findall(r"(\d+) points", line)[0]) for line in ranking]
    assert points == sorted(points, reverse=True) and all(points)
    assert {line.split(" — ")[0] for line in ranking} == {"Alice", "Bruno"}
    assert second.casefold() not in watcher.locator("#table-chat-logs").inner_text().casefold()
    screenshot(watcher, "dessin-ranking-desktop")

    # The replay draws a turn again, from the log.
    drawer.goto(f"/t/{table_id}/replay?step=6")
    expect(drawer.locator("#table-view.dessin")).to_be_visible()
    wait_until(drawer, f"{INKED} > 0")
