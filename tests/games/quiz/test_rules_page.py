"""The French rules page in docs/games/ is the package's own rules text, rendered from the catalog.

Regenerate it after changing the rules or their French words:
``PYTHONPATH=src:. python tests/games/quiz/test_rules_page.py``.
"""

from __future__ import annotations

from estaminet.games.quiz import rules_sections
from tests.games.rules_pages import RulesPage

PAGE = RulesPage("quiz", "Le Quiz", "quiz-regles.md", rules_sections)


def rules_page(locale: str = "fr") -> str:
    """The rules with the default options, as Markdown in ``locale``."""
    return PAGE.render(locale)


def test_rules_page_matches_the_package() -> None:
    PAGE.check()


def test_rules_page_is_french_with_the_rule_numbers() -> None:
    page = rules_page()
    assert "1000 points si elle est immédiate, jusqu'à 500 au dernier moment" in page
    assert "« Quiz de démonstration », a 5 questions" in page
    english = rules_page("en")
    assert "A wrong answer, or none, scores 0." in english


if __name__ == "__main__":
    PAGE.write()
