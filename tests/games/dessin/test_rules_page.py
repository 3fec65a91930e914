"""The French rules page in docs/games/ is the package's own rules text, rendered from the catalog.

Regenerate it after changing the rules or their French words:
``PYTHONPATH=src:. python tests/games/dessin/test_rules_page.py``.
"""

from __future__ import annotations

from estaminet.games.dessin import rules_sections
from tests.games.rules_pages import RulesPage

PAGE = RulesPage("dessin", "Un dessin, un mot", "dessin-regles.md", rules_sections)


def rules_page(locale: str = "fr") -> str:
    """The rules with the default options, as Markdown in ``locale``."""
    return PAGE.render(locale)


def test_rules_page_matches_the_package() -> None:
    PAGE.check()


def test_rules_page_is_french_with_the_rule_numbers() -> None:
    page = rules_page()
    assert "80 secondes pour le dessiner" in page
    assert "un mot parmi trois (un facile, un moyen et un difficile) en 15 secondes" in page
    assert "de 100 points au début jusqu’à 20 à la dernière seconde" in page
    english = rules_page("en")
    assert "Then 80 seconds to draw it" in english


if __name__ == "__main__":
    PAGE.write()
