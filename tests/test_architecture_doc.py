"""docs/architecture.md names every package and top-level module of ``estaminet``."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
SRC = ROOT / "src" / "estaminet"


def test_architecture_doc_lists_every_package_and_module() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    named = {name for row in rows for name in re.findall(r"`([\w.]+/?)`", row.split("|")[1])}
    packages = {f"{p.parent.name}/" for p in SRC.glob("*/__init__.py")}
    modules = {p.name for p in SRC.glob("*.py") if p.name != "__init__.py"}
    assert packages | modules <= named
    assert named <= packages | modules  # nothing listed that does not exist
