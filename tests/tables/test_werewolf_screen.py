"""The Loup-Garou screen: what the buttons say, the narrator's warning, the replay."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

from estaminet.games.werewolf.game import GAME
from estaminet.kernel.activity import Viewer, ViewerKind
from estaminet.live.engine import Live
from tests.games.werewolf.table import Table, V, W
from tests.tables.test_shared_fragments import NOW, _service, _table

REPLAY = Path("src/estaminet/tables/templates/tables/replay.html")


def render(table: Table, viewer: Viewer, locale: str = "fr") -> str:
    live = Live(1, "werewolf", GAME, table.state, 0, "running")
    view = GAME.view(table.state, viewer)
    return _service().render_view(_table(table.state.seats), live, view, viewer, locale)


def test_screen_captain_election_buttons_vote_for_a_player() -> None:
    table = Table([W, W, "seer", V, V, V, V, V])
    assert table.step == "election"
    page = render(table, Viewer.player(3))
    assert "Voter pour Joueur &lt;1&gt;" in page
    assert "Voter contre" not in page
    table.vote_all(3)
    table.until("vote")
    assert "Voter contre Joueur &lt;1&gt;" in render(table, Viewer.player(3))


def test_screen_next_button_names_who_would_be_skipped() -> None:
    table = Table([W, W, "seer", V, V, V, V, V], captain=False, narrator="human")
    table.next()
    page = render(table, Viewer.narrator())
    confirm = re.search(
        r'data-table-action=\'([^\']*narrator_next[^\']*)\' data-confirm="([^"]*)"', page
    )
    assert confirm is not None, page
    assert '"confirm": true' in html.unescape(confirm.group(1))
    text = html.unescape(confirm.group(2))
    assert "Joueur <2> (la Voyante) n'a pas choisi" in text, text
    assert "ww-defaults" in page


def test_screen_replay_shows_no_empty_timer_and_no_symbol_glyphs() -> None:
    table = Table([W, W, "seer", V, V, V, V, V], captain=False)
    page = render(table, Viewer(ViewerKind.REPLAY))
    assert "Temps restant" not in page
    source = REPLAY.read_text()
    assert "⏮" not in source and "⏭" not in source
    assert "icon--first" in source and "icon--last" in source


def test_screen_players_sit_around_a_circle_also_listed_for_screen_readers() -> None:
    table = Table([W, W, "seer", V, V, V, V, V], captain=False)
    table.act(2, "see", target=0)
    table.act(0, "wolf_vote", target=5)
    table.act(1, "wolf_vote", target=5)
    page = render(table, Viewer.player(3))
    circle = re.search(r'<ol class="table-circle table-circle--n8"[^>]*>(.*?)</ol>', page, re.S)
    assert circle is not None
    assert 'aria-hidden="true"' in circle.group(0) and 'data-people="table-circle"' in page
    seats = re.findall(r'<li class="person table-circle-seat([^"]*)" data-user="u(\d)">', page)
    assert [int(user) for _, user in seats] == list(range(8))
    assert "table-circle-seat--dead" in seats[5][0] and "table-circle-seat--me" in seats[3][0]
    # The accessible list says the same: every seat, the dead one marked.
    assert len(re.findall(r'<li class="ww-seat', page)) == 8
    assert 'data-phase="day"' in page


def test_screen_every_game_uses_the_circle() -> None:
    from estaminet.games.example import LowestUnique

    game = LowestUnique()
    state = game.setup(3, game.default_options(), 1, NOW)
    live = Live(1, "lowest_unique", game, state, 0, "running")
    view = game.view(state, Viewer.player(1))
    table = dataclasses.replace(_table(3), key="lowest_unique")
    page = _service().render_view(table, live, view, Viewer.player(1), "fr")
    assert 'class="table-circle table-circle--n3"' in page
    assert "table-circle-seat--me" in page


def test_screen_every_role_has_its_own_card_drawing() -> None:
    from estaminet.games.werewolf import Role

    drawings = Path("src/estaminet/web/static/img/roles")
    for role in Role:
        svg = (drawings / f"{role.value}.svg").read_text()
        assert svg.startswith("<svg") and "<script" not in svg, role
    table = Table([W, W, "seer", V, V, V, V, V], captain=False)
    page = render(table, Viewer.player(2))
    assert '<img class="ww-role-card" src="/static/img/roles/seer.svg" alt=""' in page
