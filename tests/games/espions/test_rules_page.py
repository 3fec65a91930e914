"""The French rules page in docs/games/ is the package's own rules text, rendered from the catalog.

Regenerate it after changing the rules or their French words:
``PYTHONPATH=src:. python tests/games/espions/test_rules_page.py``.
"""

from __future__ import annotations

from estaminet.games.espions import rules_sections
from tests.games.rules_pages import RulesPage

PAGE = RulesPage("espions", "Espions", "espions-regles.md", rules_sections)


def rules_page(locale: str = "fr") -> str:
    """The rules with the default options, as Markdown in ``locale``."""
    return PAGE.render(locale)


def test_rules_page_matches_the_package() -> None:
    PAGE.check()


def test_rules_page_is_french_with_the_rule_numbers() -> None:
    page = rules_page()
    assert "a 9 cartes à trouver ; l’autre 8. 7 cartes sont des passants" in page
    assert "Sans indice après 120 secondes, le tour passe à l’autre équipe." in page
    assert "Two teams, the reds and the blues, face a grid of 25 words." in rules_page("en")


if __name__ == "__main__":
    PAGE.write()
