"""The French rules page in docs/games/ is the package's own rules text, rendered from the catalog.

Regenerate it after changing the rules or their French words:
``PYTHONPATH=src python tests/games/dessin/test_rules_page.py``.
"""

from __future__ import annotations

from pathlib import Path

from estaminet.games.dessin import rules_sections
from estaminet.translations import render

PAGE = Path(__file__).resolve().parents[3] / "docs" / "games" / "dessin-regles.md"
HEAD = (
    "# Un dessin, un mot — les règles\n\n"
    "<!-- Généré depuis src/estaminet/games/dessin/rules.py et le catalogue français ;"
    " ne pas modifier à la main (voir tests/games/dessin/test_rules_page.py). -->\n"
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
        "docs/games/dessin-regles.md is stale: run this module to regenerate it"
    )


def test_rules_page_is_french_with_the_rule_numbers() -> None:
    page = rules_page()
    assert "80 secondes pour le dessiner" in page
    assert "un mot parmi trois (un facile, un moyen et un difficile) en 15 secondes" in page
    assert "de 100 points au début jusqu’à 20 à la dernière seconde" in page
    english = rules_page("en")
    assert "Then 80 seconds to draw it" in english


if __name__ == "__main__":
    PAGE.write_text(rules_page(), encoding="utf-8")
