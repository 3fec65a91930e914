"""The Espions screen as it travels: rendered for every viewer at every step of random games,
a face-down card's colour appears only in the two spymasters' screens (until the end)."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

from estaminet.games.espions import GAME, State
from estaminet.games.kit.conformance import START, check_game
from estaminet.kernel.activity import Viewer
from estaminet.live.engine import Live
from tests.tables.test_shared_fragments import _service, _table

SERVICE = _service()
_CARD = re.compile(r'class="es-card([^"]*)" data-card="(\d+)"')
_COLOURS = ("red", "blue", "neutral", "assassin")


def screen(state: State, viewer: Viewer, seats: int, locale: str = "fr") -> str:
    table = dataclasses.replace(_table(seats), key="espions", options=dict(state.options))
    live = Live(1, "espions", GAME, state, 0, "running" if state.phase != "over" else "ended")
    return SERVICE.render_view(table, live, GAME.view(state, viewer), viewer, locale)


def coloured_cards(page: str) -> dict[int, str]:
    """Each card of the grid whose markup carries a colour, with that colour."""
    found = {}
    for classes, card in _CARD.findall(page):
        named = [c for c in _COLOURS if f"es-card--{c}" in classes.split()]
        if named:
            found[int(card)] = named[0]
    return found


def test_screen_only_spymasters_get_the_key_in_every_step_of_random_games() -> None:
    seats = 5
    for playout in check_game(GAME, seats=seats, seeds=range(3)):
        state = GAME.setup(seats, playout.options, playout.seed, START)
        for event in [None, *playout.events]:
            if event is not None:
                state = GAME.evolve(state, event)
            shown = {c for c, r in enumerate(state.revealed) if r}
            over = state.phase == "over"
            for seat in range(seats):
                page = screen(state, Viewer.player(seat), seats)
                colours = coloured_cards(page)
                if seat in (0, 1) or over:
                    assert len(colours) == 25
                else:
                    assert set(colours) == shown, (seat, sorted(colours), sorted(shown))
                assert all(state.key[c] == colour for c, colour in colours.items())
            watched = coloured_cards(screen(state, Viewer.spectator(), seats))
            assert set(watched) == (set(range(25)) if over else shown)


def test_screen_spymaster_gets_the_clue_form_and_guessers_the_cards() -> None:
    state = GAME.setup(4, {}, seed=2, now=START)
    master = 0 if state.starting == "red" else 1
    page = screen(state, Viewer.player(master), 4)
    assert 'data-table-form="clue"' in page and "Votre indice (un seul mot)" in page
    assert 'data-table-form="clue"' not in screen(state, Viewer.player(1 - master), 4)
    events = GAME.apply(state, master, {"type": "clue", "word": "Voyage", "count": 2}, START)
    assert isinstance(events, list)
    state = GAME.evolve(state, events[0])
    guesser = master + 2
    page = screen(state, Viewer.player(guesser), 4)
    assert page.count('data-table-action="{&#34;card&#34;') == 25  # every card can be shown
    assert "Voyage" in page
    assert "data-table-action" not in screen(state, Viewer.player(3 - guesser), 4)


def test_screen_says_who_plays_and_how_each_turn_ended_in_both_languages() -> None:
    state = GAME.setup(4, {}, seed=2, now=START)
    master = 0 if state.starting == "red" else 1
    team = "Rouges" if master == 0 else "Bleus"
    timeout = GAME.apply(state, -1, {"type": "timeout"}, START + timedelta(seconds=120))
    assert isinstance(timeout, list)
    later = GAME.evolve(state, timeout[0])
    page = screen(later, Viewer.spectator(), 4)
    assert f"{team} : pas d’indice à temps" in page and "temps écoulé" in page
    english = screen(state, Viewer.player(master + 2), 4, "en")
    assert f"Turn of the {'Reds' if master == 0 else 'Blues'}" in english
    assert "You play for the" in english
