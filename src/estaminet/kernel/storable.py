"""What the store can keep, the same on SQLite and PostgreSQL, checked at the edge.

PostgreSQL refuses text holding a NUL character or a lone surrogate (half of a
UTF-16 pair, which JSON's ``\\ud800`` escapes can produce), and its INTEGER is
32 bits; SQLite takes all of these. Every text and number a person sends is
checked here before it reaches a feature, so both databases behave alike and the
person gets a clear message instead of an internal error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeGuard

from estaminet.kernel.errors import BadInput
from estaminet.kernel.i18n import N_

__all__ = [
    "MAX_INT",
    "check_storable",
    "is_storable_int",
    "is_storable_text",
    "unstorable_text",
]

# The largest id, sequence number or count an INTEGER column holds on every backend.
MAX_INT = 2**31 - 1

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable_text(text: str) -> bool:
    """True unless ``text`` holds a NUL character or a lone surrogate."""
    return _UNSTORABLE.search(text) is None


def is_storable_int(value: object) -> TypeGuard[int]:
    """True for an ``int`` (not a bool) that an INTEGER column holds on every backend."""
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_INT <= value <= MAX_INT


def unstorable_text() -> BadInput:
    """The refusal for text with a character no database keeps."""
    return BadInput(
        "text/unstorable",
        N_(
            "This text contains an invisible character that cannot be saved "
            "(a null character or a broken one). Remove it and try again."
        ),
    )


def check_storable(values: Iterable[Any]) -> None:
    """Refuse (``text/unstorable``) when any string in ``values``, or nested in them, is not
    storable. Walks lists and dicts (keys too) without recursion, so depth costs nothing."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if not is_storable_text(value):
                raise unstorable_text()
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
