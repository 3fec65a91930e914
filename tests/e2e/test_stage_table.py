"""A game night on the stage, through a real Janus (Debian ``janus``, VideoRoom) and
Estaminet's own pages: a Loup-Garou table with a human narrator is shown on the stage in one
click; a stage watcher gets that table's spectator view — every socket frame they receive is
recorded and compared with a spectator's at the table: nothing a spectator lacks, no secret
role — and hears the narrator; a seated player shares « ma caméra sur le plateau » and
another player, the spectator and the stage watcher receive it (decoded frames growing)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, expect

from tests.support.janus import RunningJanus, run_janus, venue_settings

from .helpers import PHONE_390, Visitors, evaluate_within, screenshot, wait_online, wait_until
from .test_werewolf import read_screen, views_in

pytestmark = pytest.mark.browser

STAGE = "scene"
_AXE = Axe()
SECRETS = ("ww-card", "ww-secret", "ww-narrator", "data-table-action", 'class="ww-role"')


def _violations(page: Page) -> list[str]:
    result: dict[str, Any] = _AXE.run(page).response
    return [
        f"{page.url} [{v['impact']}] {v['id']}: "
        + "; ".join(str(node["target"]) for node in v["nodes"][:4])
        for v in result["violations"]
    ]


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningJanus]:
    yield from run_janus(tmp_path_factory.mktemp("janus") / "conf")


@pytest.fixture(scope="module")
def venue_env(janus: RunningJanus) -> dict[str, str]:
    return venue_settings(janus)


def _recorded(people: Visitors, name: str, **options: Any) -> tuple[Page, list[str]]:
    """A guest whose every received WebSocket frame is kept, in order."""
    context: BrowserContext = people.context(**options)
    frames: list[str] = []

    def on_socket(ws: Any) -> None:
        if ws.url.endswith("/ws"):
            ws.on(
                "framereceived",
                lambda p: frames.append(p if isinstance(p, str) else p.decode("utf-8", "replace")),
            )

    context.on("page", lambda page: page.on("websocket", on_socket))
    return people.guest(name, context=context), frames


def _http_guest(people: Visitors, name: str) -> httpx.Client:
    """A player who needs no screen in this test: the invite and the table through HTTP."""
    base = people.venue.base_url
    client = httpx.Client(base_url=base, headers={"Origin": base}, timeout=15)
    page = client.get(people.venue.invite_link).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    action = re.search(r'<form method="post" action="(/i/[^"]+)"', page)
    assert csrf and action
    client.post(action.group(1), data={"csrf": csrf.group(1), "name": name})
    return client


@pytest.fixture
def http_guests(people: Visitors) -> Iterator[Callable[[str], httpx.Client]]:
    """Makes ``_http_guest``s, closed when the test ends, whether it passes or fails (an
    unclosed client's sockets would fail a later test with a ResourceWarning)."""
    made: list[httpx.Client] = []

    def make(name: str) -> httpx.Client:
        made.append(_http_guest(people, name))
        return made[-1]

    yield make
    for client in made:
        client.close()


def _join(client: httpx.Client, table_id: int) -> None:
    page = client.get(f"/t/{table_id}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    answer = client.post(f"/t/{table_id}/join", data={"csrf": csrf.group(1), "role": "player"})
    assert answer.status_code == 303, answer.text[:300]


def _click_join(page: Page, table_id: int, role: str) -> None:
    page.goto(f"/t/{table_id}")
    page.locator(f'form[action$="/join"]:has(input[name=role][value={role}]) button').click()
    expect(page).to_have_url(re.compile(rf"/t/{table_id}$"))


def _board(page: Page, table_id: int) -> dict[str, Any]:
    found: dict[str, Any] = evaluate_within(
        page, f"(window.estaminetBoards[{table_id}] || {{stats: async () => null}}).stats()"
    )
    return found


def _wait_board_video(page: Page, table_id: int) -> None:
    """Wait until a board camera's video keeps arriving and decoding on this page."""
    script = (
        f"(window.estaminetBoards[{table_id}] ? window.estaminetBoards[{table_id}].stats()"
        " : Promise.resolve({feeds: {}})).then(s => Object.values(s.feeds)"
        ".some(f => f.videoBytes > 20000 && f.framesDecoded > 10))"
    )
    wait_until(page, script, timeout=40)
    before = max(f["framesDecoded"] for f in _board(page, table_id)["feeds"].values())
    page.wait_for_timeout(1500)
    after = max(f["framesDecoded"] for f in _board(page, table_id)["feeds"].values())
    assert after > before, (before, after)


def _table_frames(frames: list[str]) -> list[dict[str, Any]]:
    found = []
    for text in frames:
        frame = json.loads(text)
        if str(frame.get("topic", "")).startswith("table:"):
            found.append(frame)
    return found


def test_a_werewolf_table_on_the_stage_and_a_board_camera(
    people: Visitors, janus: RunningJanus, http_guests: Callable[[str], httpx.Client]
) -> None:
    narrator = people.guest("Conteuse")
    narrator.goto("/r/jeux")
    form = narrator.locator(".new-table")
    if not form.evaluate("details => details.open"):
        form.locator("summary").click()
    narrator.locator("#new-table-game").select_option("werewolf")
    narrator.locator("#new-table-title").fill("Les loups sur scène")
    form.locator("input[name=narrator]").check()
    form.locator("button[type=submit]").click()
    expect(narrator).to_have_url(re.compile(r"/t/\d+$"))
    table_id = int(narrator.url.rsplit("/", 1)[1])

    player_a = people.guest("Alix")
    player_b = people.guest("Brune")
    spectator, at_table = _recorded(people, "Spectatrice")
    for page in (player_a, player_b):
        _click_join(page, table_id, "player")
    clients = [http_guests(name) for name in ("Cyril", "Dina", "Émile", "Fanny")]
    for client in clients:
        _join(client, table_id)
    _click_join(spectator, table_id, "spectator")
    narrator.goto(f"/t/{table_id}")
    narrator.locator('form[action$="/start"] button').click()
    for page in (narrator, player_a, player_b, spectator):
        expect(page.locator("#table-view .ww-village")).to_be_visible(timeout=20_000)
        wait_online(page)

    # The animator shows the table on the stage from the stage's own picker.
    animator = people.admin()
    watcher, on_stage = _recorded(people, "Public de la scène")
    phone, _ = _recorded(people, "Public au téléphone", **PHONE_390)
    for page in (animator, watcher, phone):
        page.goto(f"/r/{STAGE}")
        wait_online(page)
    animator.locator("[data-stage-table-choice]").select_option(str(table_id))
    animator.get_by_role("button", name="Montrer sur la scène").click()
    for page in (watcher, phone):
        expect(page.locator("[data-stage-table-view] .ww-village")).to_be_visible(timeout=20_000)

    # The spectator writes in the graveyard: the stage's watchers get it live, as she does.
    spectator.locator("#table-chat-channel").select_option("graveyard")
    spectator.locator("#table-chat-input").fill("On regarde depuis la salle")
    spectator.locator("#table-chat-input").press("Enter")

    # A seated player shares the board; the narrator sends their voice to the stage.
    player_a.get_by_role("button", name="Ma caméra sur le plateau").click()
    expect(player_a.locator("[data-board-status]")).to_have_text(
        "Ta caméra est sur le plateau.", timeout=45_000
    )
    narrator.get_by_role("button", name="Ma voix sur la scène").click()
    try:
        expect(narrator.locator("[data-board-status]")).to_have_text(
            "Ta voix part sur la scène.", timeout=45_000
        )
    except AssertionError:
        stopped = narrator.locator("section[data-board]").get_attribute("data-board-stopped")
        raise AssertionError(f"the narrator's voice stopped: {stopped}") from None
    for page in (player_b, spectator, watcher):
        _wait_board_video(page, table_id)
    # The stage hears the narrator (audio bytes growing); the table's pages do not play it
    # (the table has its own voice).
    try:
        wait_until(
            watcher,
            f"window.estaminetBoards[{table_id}].stats().then(s => Object.values(s.feeds)"
            ".some(f => f.audioBytes > 4000))",
            timeout=60,
        )
    except AssertionError as missing:
        raise AssertionError(f"{missing}: {_board(watcher, table_id)}") from None
    feeds = _board(watcher, table_id)["feeds"]
    audio = sum(f["audioBytes"] for f in feeds.values())
    watcher.wait_for_timeout(1500)
    feeds = _board(watcher, table_id)["feeds"]
    assert sum(f["audioBytes"] for f in feeds.values()) > audio
    assert len(_board(player_b, table_id)["feeds"]) == 1  # the camera only

    screenshot(watcher, "stage-table-watcher-desktop")
    screenshot(phone, "stage-table-watcher-phone")
    screenshot(player_b, "board-camera-player-desktop")
    screenshot(animator, "stage-table-animator-desktop")
    player_b.set_viewport_size({"width": 390, "height": 844})
    screenshot(player_b, "board-camera-player-phone")
    player_b.set_viewport_size({"width": 1280, "height": 800})
    found = [v for page in (watcher, phone, player_a, animator) for v in _violations(page)]
    assert not found, "axe found:\n" + "\n".join(found)

    # Every frame about the table that reached the stage's watcher: the spectators' topic
    # only, each one a frame the spectator at the table received too, or (a catch-up) a
    # spectator's screen without any secret.
    for _ in range(100):  # the graveyard line, on the spectators' topic (the page shows the game)
        if any("On regarde depuis" in text for text in on_stage):
            break
        watcher.wait_for_timeout(100)
    spectator_frames = set(at_table)
    watch = f"table:{table_id}:watch"
    got = _table_frames(on_stage)
    assert got, "the stage's watcher received nothing of the table"
    kinds = set()
    for frame, text in ((f, json.dumps(f)) for f in got):
        assert frame["topic"] == watch, frame["topic"]
        if frame.get("type") != "event":
            continue  # subscribed, left
        kinds.add(frame["kind"])
        if frame["kind"] == "catch_up":
            for markup in views_in(text):
                for secret in SECRETS:
                    assert secret not in markup, f"{secret} in the stage's catch-up"
                screen = read_screen(markup)
                for name, seat in screen.seats.items():
                    assert not (seat.role and seat.alive), f"living {name}'s role shown"
        else:
            assert any(
                json.loads(s).get("seq") == frame["seq"] and json.loads(s) == frame
                for s in spectator_frames
                if s.startswith("{") and watch in s
            ), f"a {frame['kind']} frame the spectator never received"
    assert "chat" in kinds
    assert not [t for t in on_stage if re.search(r'"topic": ?"table:\d+:(seat|narrator)', t)]

    # Taken off the stage: the view and the board go, the stage stays, no "access lost".
    animator.get_by_role("button", name="Retirer de la scène").first.click()
    expect(watcher.locator("[data-stage-table-box]")).to_be_hidden(timeout=15_000)
    expect(watcher.locator("#table-view")).to_have_count(0)
    expect(watcher.locator("[data-access-lost]")).to_have_count(0)
    wait_until(watcher, f"!window.estaminetBoards[{table_id}]")

    # From the table's own page, an animator shows it again in one click.
    animator.goto(f"/t/{table_id}")
    wait_online(animator)
    animator.get_by_role("button", name=re.compile(r"^Montrer sur la scène")).click()
    expect(watcher.locator("[data-stage-table-view] .ww-village")).to_be_visible(timeout=20_000)
    expect(animator.get_by_role("button", name=re.compile(r"^Retirer de la scène"))).to_be_visible()
