"""Package contracts: purity, the action triad (name, spec, test), translations, __all__."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import estaminet.assembly as package
from estaminet.assembly import ACTIONS, ASSEMBLY, REJECTION_MESSAGES
from estaminet.kernel.activity import Activity

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "estaminet" / "assembly"
FORBIDDEN = ("time", "random", "asyncio", "socket", "sqlalchemy", "starlette", "os", "pathlib")


def _modules() -> list[str]:
    return [f"estaminet.assembly.{m.name}" for m in pkgutil.iter_modules(package.__path__)]


def test_contract_assembly_modules_are_pure() -> None:
    for path in SOURCE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in FORBIDDEN, f"{path.name} imports {name}"
                if name.startswith("estaminet."):
                    assert name.startswith(("estaminet.assembly", "estaminet.kernel")), name


def test_contract_every_module_declares_all() -> None:
    for name in _modules():
        module = importlib.import_module(name)
        exported = module.__all__
        assert sorted(exported) == sorted(set(exported)), name
        for symbol in exported:
            assert hasattr(module, symbol), f"{name}.{symbol}"


def test_contract_activity_protocol_is_satisfied() -> None:
    # mypy checks the signatures (sitting._PROTOCOL_CHECK); this checks the names.
    for name in ("key", "names", "min_players", "max_players"):
        assert hasattr(ASSEMBLY, name)
    for name in Activity.__dict__:
        if not name.startswith("_"):
            assert callable(getattr(ASSEMBLY, name)) or hasattr(ASSEMBLY, name), name


def test_contract_every_action_has_a_spec_and_a_test() -> None:
    spec = (ROOT / "docs" / "assembly" / "actions.md").read_text(encoding="utf-8")
    tests = "\n".join(
        p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py")
    )
    for action in ACTIONS:
        assert f"### `{action}`" in spec, f"no spec for {action}"
        assert f"def test_{action.replace('.', '_')}" in tests, f"no test for {action}"


def test_contract_every_rejection_code_is_documented_and_used() -> None:
    spec = (ROOT / "docs" / "assembly" / "actions.md").read_text(encoding="utf-8")
    source = "\n".join(p.read_text(encoding="utf-8") for p in SOURCE.glob("*.py"))
    for code in REJECTION_MESSAGES:
        assert code.startswith("assembly/")
        assert source.count(f'"{code}"') >= 2, f"{code} is never raised"
        assert f"`{code}`" in spec, f"{code} is not in the spec"
