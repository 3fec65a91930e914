"""Every module states its public surface in ``__all__``, and every name there exists."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import pytest

import estaminet

SKIP = ("estaminet.store.migrations",)


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(estaminet.__path__, "estaminet."):
        if info.name.startswith(SKIP) or info.ispkg or info.name.split(".")[-1].startswith("_"):
            continue
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_public_api_is_declared(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    missing = [item for item in exported if not hasattr(module, item)]
    assert not missing, f"{name}.__all__ names what does not exist: {missing}"


def _imports_across_modules() -> list[tuple[str, str, str]]:
    """Every ``from estaminet.x import name`` in the source: (importer, module, name)."""
    import ast
    from pathlib import Path

    root = Path(estaminet.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        importer = ".".join(("estaminet", *path.relative_to(root).with_suffix("").parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if not node.module.startswith("estaminet") or node.module.startswith(SKIP):
                continue
            found.extend((importer, node.module, alias.name) for alias in node.names)
    return found


def test_public_api_imports_use_only_public_names() -> None:
    """A module is used by others through its ``__all__`` only (submodules aside)."""
    outside = []
    for importer, module_name, name in _imports_across_modules():
        module = importlib.import_module(module_name)
        if name in getattr(module, "__all__", ()):
            continue
        if (
            importlib.util.find_spec(f"{module_name}.{name}")
            if hasattr(module, "__path__")
            else None
        ):
            continue  # ``from package import submodule``
        outside.append(f"{importer}: from {module_name} import {name}")
    assert not outside, "\n".join(outside)
