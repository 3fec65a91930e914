"""The French rules page in docs/games/ is the package's own rules text, rendered from the catalog.

Regenerate it after changing the rules or their French words:
``PYTHONPATH=src:. python tests/games/intrus/test_rules_page.py``.
"""

from __future__ import annotations

from estaminet.games.intrus import rules_sections
from tests.games.rules_pages import RulesPage

PAGE = RulesPage("intrus", "L'Intrus", "intrus-regles.md", rules_sections)


def rules_page(locale: str = "fr") -> str:
    """The rules with the default options, as Markdown in ``locale``."""
    return PAGE.render(locale)


def test_rules_page_matches_the_package() -> None:
    PAGE.check()


def test_rules_page_is_french_with_the_rule_numbers() -> None:
    page = rules_page()
    assert "À cette table : 1 intrus. Pas de Monsieur Blanc." in page
    assert "en 40 secondes" in page
    assert "un second vote entre les seuls ex aequo" in page
    english = rules_page("en")
    assert "The civils win when every intrus and Mr White are out." in english


if __name__ == "__main__":
    PAGE.write()
