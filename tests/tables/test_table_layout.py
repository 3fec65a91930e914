"""The shared table layout (games/_table_layout.html): every game's screen on it, the votes
drawn on the circle from the viewer's own view only (and written in the accessible list), the
attributes the sound cues and the fade read (public facts and the viewer's own turn only)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from estaminet.games.example import LowestUnique
from estaminet.games.werewolf.game import GAME
from estaminet.kernel.activity import Viewer
from estaminet.live.engine import Live
from estaminet.tables.screen import circle_arrow
from tests.games.werewolf.table import Table, V, W
from tests.tables.test_shared_fragments import NOW, _service, _table

SERVICE = _service()  # one set of compiled templates for the whole module

GAMES = Path("src/estaminet/web/templates/games")
_ARROW = re.compile(r'<g class="table-arrow table-arrow--(\w+)" data-from="(\d+)" data-to="(\d+)">')
_CUES = re.compile(r'<div id="table-view"[^>]*>')


def render(table: Table, viewer: Viewer) -> str:
    live = Live(1, "werewolf", GAME, table.state, 0, "running")
    view = GAME.view(table.state, viewer)
    return SERVICE.render_view(_table(table.state.seats), live, view, viewer, "fr")


def arrows(page: str) -> set[tuple[str, int, int]]:
    return {(kind, int(a), int(b)) for kind, a, b in _ARROW.findall(page)}


def cue_attributes(page: str) -> dict[str, str]:
    tag = _CUES.search(page)
    assert tag is not None
    return dict(re.findall(r'data-(phase|step|turn)="([^"]*)"', tag.group(0)))


def test_table_layout_every_game_screen_extends_it() -> None:
    for template in GAMES.glob("*.html"):
        if template.name.startswith("_") or "_" in template.stem.replace("lowest_unique", ""):
            continue  # includes, lobbies and options
        assert '{% extends "games/_table_layout.html" %}' in template.read_text(), template.name


def test_table_layout_example_game_gets_the_circle_beside_its_move() -> None:
    game = LowestUnique()
    state = game.setup(3, game.default_options(), 1, NOW)
    live = Live(1, "lowest_unique", game, state, 0, "running")
    table = dataclasses.replace(_table(3), key="lowest_unique")
    page = SERVICE.render_view(
        table, live, game.view(state, Viewer.player(1)), Viewer.player(1), "fr"
    )
    assert page.lstrip().startswith(
        '<div id="table-view" class="game game--lowest-unique game-table"'
    )
    stage = page.index('class="game-table-stage"')
    assert stage < page.index('class="game-table-beside"') < page.index('class="table-round"')
    assert 'class="table-circle table-circle--n3"' in page and "table-circle-seat--me" in page
    assert cue_attributes(page) == {"turn": "round-1"}
    # A spectator has no turn.
    spectator = SERVICE.render_view(
        table, live, game.view(state, Viewer.spectator()), Viewer.spectator(), "fr"
    )
    assert cue_attributes(spectator) == {}


def test_table_layout_day_votes_drawn_and_listed() -> None:
    table = Table([W, W, "seer", V, V, V, V, V], captain=False)
    table.until("vote")
    a, b, c = [seat for seat in table.alive() if seat > 2][:3]
    table.act(a, "vote", target=0)
    table.act(b, "vote", target=0)
    table.act(0, "vote", target=b)
    table.act(c, "vote", target=None)  # abstains: no arrow
    for viewer in (Viewer.player(a), Viewer.player(1), Viewer.spectator()):
        page = render(table, viewer)
        assert arrows(page) == {("vote", a, 0), ("vote", b, 0), ("vote", 0, b)}, viewer
        # The accessible list says who points at whom, on the voter's line.
        seats = re.findall(r'<li class="ww-seat[^"]*">(.*?)</li>', page, re.S)
        assert "désigne Joueur &lt;0&gt;" in seats[a] and f"désigne Joueur &lt;{b}&gt;" in seats[0]
        assert "désigne" not in seats[c] and "désigne" not in seats[1]
        assert 'class="table-circle-mark">2<' in page


def test_table_layout_pack_votes_only_for_the_pack_and_the_narrator() -> None:
    table = Table([W, W, "seer", V, V, V, V, V], captain=False, narrator="human")
    table.next()
    while table.step != "wolves":
        table.next()
    table.act(0, "wolf_vote", target=5)
    wolf, narrator = render(table, Viewer.player(1)), render(table, Viewer.narrator())
    assert arrows(wolf) == {("pack", 0, 5)} == arrows(narrator)
    assert "désigne Joueur &lt;5&gt;" in wolf
    for seat in (2, 3, 5):
        page = render(table, Viewer.player(seat))
        assert not arrows(page) and "table-circle-votes" not in page and "ww-points" not in page
    assert not arrows(render(table, Viewer.spectator()))


def test_table_layout_cue_attributes_carry_nothing_but_public_facts_and_own_turn() -> None:
    """The sound cues and the fade read data-phase, data-step and data-turn. Through a night
    with a ghost call (the Seer's card is a spare: her call looks and sounds like a real one),
    every viewer without a move has the spectator's attributes: nothing more."""
    table = Table(["thief", W, W, V, V, V, V, V], ("seer", "villager"), captain=False)
    seen_steps: set[str] = set()
    for _ in range(30):
        if table.state.outcome is not None or table.step == "debate":
            break
        public = cue_attributes(render(table, Viewer.spectator()))
        assert "turn" not in public
        seen_steps.add(public["step"])
        for seat in range(8):
            mine = cue_attributes(render(table, Viewer.player(seat)))
            turn = mine.pop("turn", None)
            assert mine == public, (table.step, seat)
            if turn is not None:
                assert turn == f"{table.step}-{table.state.night}"
        table.timeout()
    assert {"thief", "seer", "wolves"} <= seen_steps, seen_steps


def test_table_layout_arrows_stop_short_of_the_seats() -> None:
    assert circle_arrow(2, 2, 8) is None
    line = circle_arrow(0, 4, 8)  # top to bottom
    assert line is not None
    assert 12 < float(line["y1"]) <= 20
    assert 75 < float(line["y2"]) < float(line["head"].split()[0].split(",")[1]) < 88
    # Two people who vote for each other: two arrows side by side, not one over the other.
    back = circle_arrow(4, 0, 8)
    assert back is not None and abs(float(line["x1"]) - float(back["x1"])) >= 2


def test_table_layout_styles_load_on_every_page_showing_a_game_screen() -> None:
    pages = Path("src/estaminet/tables/templates/tables")
    for name in ("table.html", "replay.html"):
        assert '<link rel="stylesheet" href="/static/css/table.css">' in (pages / name).read_text()
