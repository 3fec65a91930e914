"""The French rules page in docs/games/ is the package's own rules text, rendered from the catalog.

Regenerate it after changing the rules or their French words:
``PYTHONPATH=src:. python tests/games/petit_bac/test_rules_page.py``.
"""

from __future__ import annotations

from estaminet.games.petit_bac import rules_sections
from tests.games.rules_pages import RulesPage

PAGE = RulesPage("petit_bac", "Le Petit Bac", "petit-bac-regles.md", rules_sections)


def rules_page(locale: str = "fr") -> str:
    """The rules with the default options, as Markdown in ``locale``."""
    return PAGE.render(locale)


def test_rules_page_matches_the_package() -> None:
    PAGE.check()


def test_rules_page_is_french_with_the_rule_numbers() -> None:
    page = rules_page()
    assert "10 points pour une réponse valable" in page
    assert "Lettres jamais tirées : K, W, X, Y, Z." in page
    assert "Prénom, Pays ou ville, Animal, Métier, Fruit ou légume, Objet" in page
    english = rules_page("en")
    assert "10 points for a valid answer nobody else gave." in english


if __name__ == "__main__":
    PAGE.write()
