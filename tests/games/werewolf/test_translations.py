"""Every English msgid of the game has a French translation ready for the catalog."""

from __future__ import annotations

import ast
from pathlib import Path

import estaminet.games.werewolf as werewolf

PACKAGE = Path(werewolf.__file__).parent


def _msgids() -> set[str]:
    found = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_":
                argument = node.args[0]
                assert isinstance(argument, ast.Constant), f"N_ needs a literal in {path.name}"
                found.add(argument.value)
    return found


def test_translations_fr_table_covers_every_msgid() -> None:
    table = (PACKAGE / "TRANSLATIONS_FR.md").read_text(encoding="utf-8")
    rows = {
        cells[1].strip().replace("\\|", "|")
        for line in table.splitlines()
        if line.startswith("| ") and (cells := line.split(" | ")) and len(cells) == 3
    }
    missing = _msgids() - rows
    assert not missing, missing
