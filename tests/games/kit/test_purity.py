"""Games are pure: no I/O, no clock, no global random (an import contract on the source)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import estaminet.games as games

FORBIDDEN_MODULES = ("asyncio", "time", "socket", "sqlalchemy", "starlette", "os", "threading")
FORBIDDEN_PACKAGES = ("estaminet.web", "estaminet.store", "estaminet.live", "estaminet.realtime")
ROOT = Path(games.__file__).parent
# The conformance suite is test tooling (it owns a fake clock): not game code.
SOURCES = sorted(p for p in ROOT.rglob("*.py") if p.name != "conformance.py")


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_purity_no_io_clock_or_global_random(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for name in _imports(tree):
        assert name.split(".")[0] not in FORBIDDEN_MODULES, name
        assert not name.startswith(FORBIDDEN_PACKAGES), name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "random":
                assert node.attr == "Random", f"random.{node.attr} in {path.name}"
            if node.value.id == "datetime":
                assert node.attr not in ("now", "utcnow", "today"), f"{path.name} reads the clock"
        if isinstance(node, ast.ImportFrom) and node.module == "random":
            assert [alias.name for alias in node.names] == ["Random"], path.name
