"""The French rules pages in docs/games/: each game's own rules text, rendered from the catalog.

Each game's ``test_rules_page.py`` names its page here; run that module to regenerate the
page after changing the rules or their French words
(``PYTHONPATH=src python tests/games/<package>/test_rules_page.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from estaminet.translations import render

__all__ = ["RulesPage"]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "games"

Sections = Callable[[], Sequence[tuple[str, Sequence[str]]]]


@dataclass(frozen=True)
class RulesPage:
    package: str
    """The game's package under ``src/estaminet/games`` (``petit_bac``)."""
    title: str
    """The page's heading, before « — les règles »."""
    doc: str
    """The file in docs/games/ (``petit-bac-regles.md``)."""
    sections: Sections

    @property
    def path(self) -> Path:
        return DOCS / self.doc

    def render(self, locale: str = "fr") -> str:
        """The rules with the default options, as Markdown in ``locale``."""
        parts = [
            f"# {self.title} — les règles\n\n"
            f"<!-- Généré depuis src/estaminet/games/{self.package}/rules.py et le catalogue"
            " français ; ne pas modifier à la main (voir"
            f" tests/games/{self.package}/test_rules_page.py). -->\n"
        ]
        for title, lines in self.sections():
            parts.append(f"\n## {render(locale, title)}\n\n")
            parts.extend(f"- {render(locale, line)}\n" for line in lines)
        return "".join(parts)

    def check(self) -> None:
        assert self.path.read_text(encoding="utf-8") == self.render(), (
            f"docs/games/{self.doc} is stale: run tests/games/{self.package}/"
            "test_rules_page.py to regenerate it"
        )

    def write(self) -> None:
        self.path.write_text(self.render(), encoding="utf-8")
