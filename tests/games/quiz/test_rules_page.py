"""The French rules page in docs/games/ is the package's own rules text, rendered from the catalog.

Regenerate it after changing the rules or their French words:
``PYTHONPATH=src:. python tests/games/quiz/test_rules_page.py``.
"""

from __future__ import annotations

from pathlib import Path

from estaminet.games.quiz import rules_sections
from estaminet.translations import render

PAGE = Path(__file__).resolve().parents[3] / "docs" / "games" / "quiz-regles.md"
HEAD = (
    "# Le Quiz — les règles\n\n"
    "<!-- Généré depuis src/estaminet/games/quiz/rules.py et le catalogue français ;"
    " ne pas modifier à la main (voir tests/games/quiz/test_rules_page.py). -->\n"
)


def rules_page(locale: str = "fr") -> str:
    """The rules with the default options, as Markdown in ``locale``."""
    parts = [HEAD]
    for title, lines in rules_sections():
        parts.append(f"\n## {render(locale, title)}\n\n")
        parts.extend(f"- {render(locale, line)}\n" for line in lines)
    return "".join(parts)


def test_rules_page_matches_the_package() -> None:
    assert PAGE.read_text(encoding="utf-8") == rules_page(), (
        "docs/games/quiz-regles.md is stale: run this module to regenerate it"
    )


def test_rules_page_is_french_with_the_rule_numbers() -> None:
    page = rules_page()
    assert "1000 points si elle est immédiate, jusqu'à 500 au dernier moment" in page
    assert "« Quiz de démonstration », a 5 questions" in page
    english = rules_page("en")
    assert "A wrong answer, or none, scores 0." in english


if __name__ == "__main__":
    PAGE.write_text(rules_page(), encoding="utf-8")
