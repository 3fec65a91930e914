"""The Loup-Garou screen: what the buttons say, the narrator's warning, the replay."""

from __future__ import annotations

import html
import re
from pathlib import Path

from estaminet.games.werewolf.game import GAME
from estaminet.kernel.activity import Viewer, ViewerKind
from estaminet.live.engine import Live
from tests.games.werewolf.table import Table, V, W
from tests.tables.test_shared_fragments import _service, _table

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
