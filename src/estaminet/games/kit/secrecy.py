"""Who may know what: facts, audiences and the leak checker used by the conformance suite.

A game with hidden information declares, for a given state, the *facts* a view
could disclose (``{"seat": 3, "role": "werewolf"}``) and the *audience*
allowed to know each one. It also names its *guarded keys* (``"role"``): the
keys that carry secrets.

The checker walks the JSON of a view. Every object holding a guarded key is
a *claim*, and a claim is justified only if some fact that the viewer may know
is contained in it (same guarded keys, every item of the fact present with the
same value). So a view cannot show a role except as a declared ``seat``/``role``
pair the viewer is entitled to, whatever else the object carries (a wolf's vote
``{"seat": 2, "role": "werewolf", "target": 5}`` is checked as the fact
``{"seat": 2, "role": "werewolf"}``). The contract for game authors: never put
a secret in a view in any other shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from estaminet.kernel.activity import Viewer, ViewerKind

__all__ = ["Audience", "Fact", "Leak", "Secretive", "find_leaks"]

S_contra = TypeVar("S_contra", contravariant=True)


@dataclass(frozen=True)
class Audience:
    """The viewers allowed to know a fact: some player seats and whole kinds of viewer."""

    seats: frozenset[int] = frozenset()
    kinds: frozenset[ViewerKind] = frozenset()

    @classmethod
    def everyone(cls) -> Audience:
        """Every viewer, players and others alike (a public fact)."""
        return cls(kinds=frozenset(ViewerKind))

    @classmethod
    def of(cls, *seats: int, kinds: Sequence[ViewerKind] = ()) -> Audience:
        """Those player seats, plus every viewer of the given kinds."""
        return cls(frozenset(seats), frozenset(kinds))

    def __or__(self, other: Audience) -> Audience:
        return Audience(self.seats | other.seats, self.kinds | other.kinds)

    def allows(self, viewer: Viewer) -> bool:
        """Whether ``viewer`` may know the fact."""
        if viewer.kind in self.kinds:
            return True
        return viewer.kind is ViewerKind.PLAYER and viewer.seat in self.seats


@dataclass(frozen=True)
class Fact:
    """A piece of knowledge (flat mapping of hashable JSON values) and who may know it."""

    items: Mapping[str, Any]
    audience: Audience = field(default_factory=Audience)


@runtime_checkable
class Secretive(Protocol[S_contra]):
    """What a game with hidden information adds to the Activity protocol."""

    guarded_keys: frozenset[str]

    def knowledge(self, state: S_contra) -> Sequence[Fact]:
        """Every fact a view of ``state`` may disclose, with its audience."""
        ...


@dataclass(frozen=True)
class Leak:
    """A claim found in a view that no fact known to the viewer justifies."""

    viewer: Viewer
    path: str
    claim: Mapping[str, Any]

    def __str__(self) -> str:
        return f"{self.viewer} sees {self.path} = {json.dumps(self.claim, sort_keys=True)}"


_Path = tuple[Any, ...]


def _render(path: _Path) -> str:
    parts: list[str] = []
    while path:
        path, key = path
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    return "view" + "".join(reversed(parts))


def _claims(root: Any, guarded: frozenset[str]) -> Iterator[tuple[_Path, dict[str, Any]]]:
    """Every object holding a guarded key, with its path (iterative: views can be deep)."""
    stack: list[tuple[_Path, Any]] = [((), root)]
    pop, push = stack.pop, stack.append
    while stack:
        path, node = pop()
        if isinstance(node, dict):
            if not guarded.isdisjoint(node):
                yield path, node
            for key, value in node.items():
                if isinstance(value, dict | list):
                    push(((path, key), value))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, dict | list):
                    push(((path, index), value))


def _index(
    facts: Sequence[Fact], viewer: Viewer, guarded: frozenset[str]
) -> dict[frozenset[str], dict[frozenset[str], set[frozenset[tuple[str, Any]]]]]:
    """Known facts grouped by their guarded keys, then by their full key set."""
    index: dict[frozenset[str], dict[frozenset[str], set[frozenset[tuple[str, Any]]]]] = {}
    for fact in facts:
        if not fact.audience.allows(viewer):
            continue
        keys = frozenset(fact.items)
        by_keys = index.setdefault(keys & guarded, {})
        by_keys.setdefault(keys, set()).add(frozenset(fact.items.items()))
    return index


def _justified(
    claim: dict[str, Any],
    guarded: frozenset[str],
    index: dict[frozenset[str], dict[frozenset[str], set[frozenset[tuple[str, Any]]]]],
) -> bool:
    for keys, known in index.get(guarded.intersection(claim), {}).items():
        if not keys <= claim.keys():
            continue
        try:
            projected = frozenset((key, claim[key]) for key in keys)
        except TypeError:  # an unhashable value (a list) cannot equal a fact's value
            continue
        if projected in known:
            return True
    return False


def find_leaks(
    view: Mapping[str, Any],
    viewer: Viewer,
    facts: Sequence[Fact],
    guarded_keys: frozenset[str],
    *,
    wired: bool = False,
) -> list[Leak]:
    """Every claim in ``view`` that ``viewer`` may not know (an empty list: no leak).

    The view is first put through JSON, exactly as it would travel, so tuples,
    enums and other Python-only shapes cannot hide a secret from the walk
    (``wired=True``: the caller already did).
    """
    wire = view if wired else json.loads(json.dumps(view))
    index = _index(facts, viewer, guarded_keys)
    return [
        Leak(viewer, _render(path), claim)
        for path, claim in _claims(wire, guarded_keys)
        if not _justified(claim, guarded_keys, index)
    ]
