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
            marker = getattr(node.func, "id", None) if isinstance(node, ast.Call) else None
            if marker in ("N_", "Nn_"):
                assert isinstance(node, ast.Call)
                for argument in node.args[: 1 if marker == "N_" else 2]:
                    assert isinstance(argument, ast.Constant), f"{marker} needs literals"
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
