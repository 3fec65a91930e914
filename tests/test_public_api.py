"""Every module states its public surface in ``__all__``, and every name there exists."""

from __future__ import annotations

import importlib
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
