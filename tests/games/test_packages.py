"""A game is one package: its rules, its views and its screen (docs/new-game.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import estaminet.games
from estaminet.games.kit import (
    all_games,
    get,
    placings_by_score,
    placings_by_winners,
    template_dirs,
)
from estaminet.games.kit.conformance import placings_problem
from estaminet.kernel.activity import VOICE_LEVELS
from estaminet.web.templating import Templates

GAMES = Path(estaminet.games.__file__).parent
SHARED = Path(estaminet.games.__file__).parent.parent / "web" / "templates" / "games"


@pytest.mark.parametrize("key", [game.key for game in all_games()])
def test_packages_every_game_screen_comes_from_its_own_package(key: str) -> None:
    template = Templates().env("fr").get_template(f"games/{key}.html")
    assert template.filename is not None
    found = Path(template.filename).resolve()
    package = next(d for d in template_dirs() if found.is_relative_to(d.resolve()))
    assert package.parent.parent == GAMES  # games/<name>/templates


def test_packages_the_web_layer_keeps_only_shared_game_pieces() -> None:
    assert {p.name for p in SHARED.iterdir() if not p.name.startswith("_")} == set()


@pytest.mark.parametrize("key", [game.key for game in all_games()])
def test_packages_every_game_states_its_length_and_voice(key: str) -> None:
    game = get(key)
    shortest, longest = game.duration_minutes
    assert isinstance(shortest, int) and isinstance(longest, int)
    assert 1 <= shortest <= longest <= 240
    assert game.voice in VOICE_LEVELS


# Fields a player types into: the screen is redrawn after every other viewer's move, so each
# carries a data-draft key and table.js puts back what was typed (docs/new-game.md, 7).
_FIELD = re.compile(r"<(input|textarea)\b[^>]*>", re.S)
_NOT_TYPED = re.compile(r'\btype="(hidden|checkbox|radio|submit|button|range|color|file)"')


@pytest.mark.parametrize("key", [game.key for game in all_games()])
def test_packages_every_typed_field_of_a_screen_keeps_its_draft(key: str) -> None:
    template = Templates().env("fr").get_template(f"games/{key}.html")
    assert template.filename is not None
    source = Path(template.filename).read_text(encoding="utf-8")
    fields = [m.group(0) for m in _FIELD.finditer(source) if not _NOT_TYPED.search(m.group(0))]
    assert [f for f in fields if "data-draft=" not in f] == []


def test_packages_placings_share_places_on_ties() -> None:
    assert placings_by_score([30, 45, 30, 10]) == {0: 2, 1: 1, 2: 2, 3: 4}
    assert placings_by_score([0, 0]) == {0: 1, 1: 1}
    assert placings_by_winners(4, {1, 3}) == {0: 2, 1: 1, 2: 2, 3: 1}
    assert placings_by_winners(3, set()) == {0: 2, 1: 2, 2: 2}


def test_packages_conformance_names_missing_or_bad_placings() -> None:
    assert placings_problem({}, 2) is not None
    assert placings_problem({"placings": {0: 1}}, 2) is not None
    assert placings_problem({"placings": {0: 1, 1: 0}}, 2) is not None
    assert placings_problem({"placings": {0: 1, 1: True}}, 2) is not None
    assert placings_problem({"placings": {0: 1, 1: 1}}, 2) is None
