"""Le Quiz in real browsers: a set imported from CSV, played by two players and a watcher.

An animator imports a bad CSV (the row is named, nothing is imported), then a good
one; she opens a quiz table, chooses her set in the lobby and plays with Bruno on
a 390 px phone while Sacha watches on a desktop and plays along on the watchers'
board. Before a question closes no frame to any screen carries the right answer;
then the scoreboard shows the answers, the points (faster is more) and both
rankings. Pictures of the screens go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, WebSocket, expect

from .helpers import ARTIFACTS, PHONE, Visitors, screenshot, wait_online

pytestmark = pytest.mark.browser

PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}

GOOD_CSV = (
    "question;type;choix1;choix2;choix3;bonnes;acceptees;secondes\n"
    "Quelle ville belge est surnommée la Cité ardente ?;choix;Namur;Liège;Mons;2;;30\n"
    "Dans quelle ville se déroule la ducasse du Doudou ?;libre;;;;;Mons|Bergen;30\n"
)
BAD_CSV = (
    "question;type;choix1;choix2;choix3;bonnes;acceptees;secondes\n"
    "Première question ?;choix;Oui;Non;;1;;20\n"
    "Deuxième question ?;choix;Oui;Non;;1;;20\n"
    "Troisième question ?;peut-être;Oui;Non;;1;;20\n"
)
# Markers that only a closed question's screen carries (the right answer shown).
SECRET_MARKERS = ("quiz-shown--right", "quiz-right", "correct")


def _axe(page: Page) -> list[str]:
    result: dict[str, Any] = Axe().run(page).response
    return [f"{page.url} {v['id']}" for v in result["violations"]]


def _record_frames(page: Page) -> list[str]:
    frames: list[str] = []

    def on_socket(ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: frames.append(str(payload)))

    page.on("websocket", on_socket)
    return frames


def _import(page: Page, tmp: Path, name: str, text: str, title: str) -> None:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    page.goto("/quiz")
    page.locator("#quiz-import-title-field").fill(title)
    page.locator("#quiz-import-file").set_input_files(str(path))
    page.get_by_role("button", name="Importer", exact=True).click()


def _sit(page: Page, table_id: int, role: str) -> None:
    page.goto(f"/t/{table_id}")
    page.locator(f'form[action$="/join"]:has(input[name=role][value={role}]) button').click()
    expect(page).to_have_url(re.compile(rf"/t/{table_id}$"))
    wait_online(page)


def test_quiz_from_a_csv_with_players_on_phones_and_a_watcher(
    people: Visitors, tmp_path: Path
) -> None:
    anim = people.guest("Alice", invite=people.venue.create_invite(role="member"))

    # A bad file: the row is named with its reason, and nothing is imported.
    _import(anim, tmp_path, "mauvais.csv", BAD_CSV, "Mauvais quiz")
    expect(anim.locator("#quiz-error")).to_contain_text("Ligne 4")
    expect(anim.locator("#quiz-error")).to_contain_text("« peut-être »")
    expect(anim.locator("#quiz-error")).to_contain_text("Rien n'a été importé.")
    expect(anim.locator(".quiz-set[data-set]")).to_have_count(0)
    # The example can be downloaded.
    with anim.expect_download() as download:
        anim.get_by_role("link", name=re.compile("Télécharger l'exemple")).click()
    assert download.value.suggested_filename == "quiz-exemple.csv"

    _import(anim, tmp_path, "bon.csv", GOOD_CSV, "Quiz du jeudi")
    expect(anim.locator("#quiz-imported")).to_have_text("2 questions importées.")
    expect(anim.locator("#q0_text")).to_have_value(
        "Quelle ville belge est surnommée la Cité ardente ?"
    )
    screenshot(anim, "quiz-editor-desktop")
    problems = _axe(anim)
    anim.set_viewport_size(PHONE_390["viewport"])
    screenshot(anim, "quiz-editor-phone")
    problems += _axe(anim)
    anim.goto("/quiz")
    expect(anim.locator(".quiz-set[data-set]")).to_have_count(1)
    screenshot(anim, "quiz-sets-phone")
    anim.set_viewport_size({"width": 1280, "height": 800})
    screenshot(anim, "quiz-sets-desktop")
    problems += _axe(anim)

    # A quiz table; the animator chooses her set in the lobby, and a short scoreboard.
    anim.goto("/r/jeux")
    form = anim.locator(".new-table")
    if not form.evaluate("details => details.open"):
        form.locator("summary").click()
    anim.locator("#new-table-game").select_option("quiz")
    anim.locator("#new-table-title").fill("Quiz du jeudi")
    form.locator("button[type=submit]").click()
    expect(anim).to_have_url(re.compile(r"/t/\d+$"))
    table_id = int(anim.url.rsplit("/", 1)[1])
    anim.get_by_role("link", name="Choisir une série de questions").click()
    anim.get_by_role("button", name="Jouer « Quiz du jeudi » à la table").click()
    expect(anim).to_have_url(re.compile(rf"/t/{table_id}$"))
    expect(anim.locator(".lobby")).to_contain_text("Quiz du jeudi · 2 questions")
    anim.locator("#quiz-pause").fill("4")
    anim.locator('.table-options form button[type="submit"]').click()
    wait_online(anim)

    # Straight to the table: in over HTTP, without the invite form's page loads.
    bruno = people.sign_up("Bruno", **PHONE_390)
    _sit(bruno, table_id, "player")
    sacha = people.sign_up("Sacha")  # a desktop screen
    _sit(sacha, table_id, "spectator")
    frames = {"bruno": _record_frames(bruno), "sacha": _record_frames(sacha)}
    anim.locator('form[action$="/start"] button').click()
    for page in (anim, bruno, sacha):
        expect(page.locator("#table-view .quiz-text")).to_contain_text(
            "Cité ardente", timeout=20_000
        )
        wait_online(page)
    for name in frames:
        frames[name].clear()

    # Question 1: the watcher answers first (on the watchers' board only), then the players.
    sacha.get_by_role("button", name="Liège").click()
    expect(sacha.locator(".quiz-sent")).to_be_visible()
    expect(sacha.locator(".choice--mine")).to_have_text("Liège")
    screenshot(sacha, "quiz-question-watcher-desktop")
    expect(bruno.locator(".quiz-choice")).to_have_count(3)
    screenshot(bruno, "quiz-question-phone")
    bruno.get_by_role("button", name="Liège").click()
    expect(bruno.locator("#table-view")).to_contain_text("Ta réponse : Liège")
    expect(sacha.locator("#table-view")).to_contain_text("Ont répondu : 1 sur 2")
    for page in (bruno, sacha):
        html = page.locator("#table-view").inner_html()
        assert not [m for m in SECRET_MARKERS if m in html], "the answer shows before the close"
    before_close = {name: list(seen) for name, seen in frames.items()}
    anim.get_by_role("button", name="Namur").click()

    for page in (anim, bruno, sacha):
        expect(page.locator(".quiz-right")).to_contain_text("Liège")
    # Each answer's mark is read out by its name (a name on a bare span is not).
    results = sacha.locator(".quiz-results")
    expect(results.get_by_role("img", name="bonne", exact=True)).to_have_count(1)
    expect(results.get_by_role("img", name="fausse", exact=True)).to_have_count(1)
    for name, seen in before_close.items():
        assert seen, f"{name} received no frame while the question was open"
        leaked = [f for f in seen if any(m in f for m in SECRET_MARKERS)]
        assert not leaked, f"{name} got the answer before the close: {leaked[0][:200]}"
    board = sacha.locator(".quiz-scoreboard tbody tr")
    expect(board.first).to_contain_text("Bruno")
    expect(sacha.locator(".quiz-watch-board")).to_contain_text("Sacha")
    expect(sacha.locator(".quiz-scoreboard")).not_to_contain_text("Sacha")
    bruno_points = int(board.first.locator("td").nth(2).inner_text())
    assert 500 <= bruno_points <= 1000
    expect(board.nth(1)).to_contain_text("Alice")
    expect(board.nth(1).locator("td").nth(2)).to_have_text("0")
    screenshot(bruno, "quiz-scoreboard-phone")
    screenshot(sacha, "quiz-scoreboard-desktop")

    # Question 2 (after the pause): a typed answer, forgiving accents, case and spaces.
    for page in (anim, bruno, sacha):
        expect(page.locator("#table-view .quiz-text")).to_contain_text("Doudou", timeout=15_000)
    sacha.locator(".quiz-free input[name=text]").fill("mons")
    sacha.locator(".quiz-free button[type=submit]").click()
    expect(sacha.locator(".quiz-sent")).to_be_visible()
    bruno.locator(".quiz-free input[name=text]").fill("  MONS ")
    bruno.locator(".quiz-free button[type=submit]").click()
    anim.locator(".quiz-free input[name=text]").fill("Namur")
    anim.locator(".quiz-free button[type=submit]").click()

    # The last question closes the game: the final ranking, and the watchers' own.
    for page in (anim, bruno, sacha):
        expect(page.locator('[data-table-status="ended"]')).to_be_attached(timeout=15_000)
        page.wait_for_load_state()
        expect(page.locator(".quiz-podium")).to_be_visible()
    podium = sacha.locator(".quiz-podium-list li").all_inner_texts()
    assert [line.split(" — ")[0] for line in podium] == ["Bruno", "Alice"]
    assert re.search(r"1\d{3} points|[5-9]\d\d points", podium[0]) and "0 point" in podium[1]
    watchers = sacha.locator(".quiz-watch-board tbody tr")
    expect(watchers).to_have_count(1)
    assert int(watchers.first.locator("td").nth(2).inner_text()) >= 1000
    screenshot(bruno, "quiz-podium-phone")
    screenshot(sacha, "quiz-podium-desktop")
    problems += _axe(bruno) + _axe(sacha)
    assert not problems, problems

    # After the game, those who were there replay it, the solution shown at every step.
    bruno.goto(f"/t/{table_id}/replay?step=2")
    expect(bruno.locator("#table-view.quiz")).to_be_visible()
    expect(bruno.locator(".quiz-solution")).to_contain_text("Liège")
    assert (ARTIFACTS / "quiz-podium-phone.png").exists()
