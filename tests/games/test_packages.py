"""A game is one package: its rules, its views and its screen (docs/new-game.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

import estaminet.games
from estaminet.games.kit import all_games, template_dirs
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
