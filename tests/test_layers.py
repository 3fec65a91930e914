"""The layers and the ownership of tables hold, and their checks catch a wrong import.

Each feature owns its database tables (``estaminet/<feature>/schema.py``): no module
outside the feature imports them; other features call the owner's functions. Tests may
import any feature's tables to build fixtures or read what was written.
The layers are the import-linter contract ``layers`` in ``pyproject.toml``.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import estaminet
from estaminet.store.schema import schema_modules

SOURCE = Path(estaminet.__file__).parent
REPOSITORY = SOURCE.parent.parent


def _imported_modules(tree: ast.AST) -> set[str]:
    """Every ``estaminet`` module a file imports (``from a import b`` counts as ``a`` and ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("estaminet.")}


def foreign_schema_imports(root: Path) -> list[str]:
    """Imports of a feature's ``schema`` module from outside that feature, under ``root``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        importer = ".".join(("estaminet", *parts)).removesuffix(".py")
        feature = parts[0]
        for module in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            pieces = module.split(".")
            if len(pieces) == 3 and pieces[2] == "schema" and pieces[1] != feature:
                found.append(f"{importer} imports {module}")
    return found


def test_layers_each_feature_alone_imports_its_tables() -> None:
    assert foreign_schema_imports(SOURCE) == []


def test_layers_every_feature_schema_reaches_the_migrations() -> None:
    declared = {f"estaminet.{path.parent.name}.schema" for path in SOURCE.glob("*/schema.py")}
    assert set(schema_modules()) == declared - {"estaminet.store.schema"}
    assert {"estaminet.people.schema", "estaminet.tables.schema"} <= set(schema_modules())


def _scratch_copy(tmp_path: Path) -> Path:
    shutil.copytree(
        SOURCE,
        tmp_path / "src" / "estaminet",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "locale"),
    )
    shutil.copy(REPOSITORY / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path / "src" / "estaminet"


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_layers_a_foreign_table_import_is_reported(tmp_path: Path) -> None:
    scratch = _scratch_copy(tmp_path)
    _append(scratch / "venue" / "rooms.py", "from estaminet.people.schema import users  # wrong")
    assert foreign_schema_imports(scratch) == [
        "estaminet.venue.rooms imports estaminet.people.schema"
    ]


def test_layers_contract_reports_an_import_against_the_layers(tmp_path: Path) -> None:
    scratch = _scratch_copy(tmp_path)
    # The web shell helpers sit below the features: reaching up into one is refused.
    _append(scratch / "web" / "pages.py", "import estaminet.people.routes  # wrong")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            "--contract",
            "layers",
            "--no-cache",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "src")},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    assert "estaminet.web.pages -> estaminet.people.routes" in result.stdout
