"""The agenda as the animator types it: one item per line, ``- `` for sub-items.

::

    Accueil (5 min)
    Comptes 2024 (20 min) https://example.org/comptes.pdf
    - Budget 2025 (10 min)
    Divers

A trailing ``(10 min)`` is the planned duration; web addresses become the
item's links. Each leading ``-`` (or two spaces of indentation) goes one
level deeper, at most one level below the line above.
"""

from __future__ import annotations

import re
from typing import Any

from estaminet.kernel.errors import BadInput
from estaminet.kernel.i18n import N_

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "parse_order_of_business"]

MAX_DEPTH = 3
"""Sub-items nest at most this many levels below a top-level item."""

MAX_ITEMS = 100

_DURATION = re.compile(r"\(\s*(\d{1,4})\s*(?:min|mn|minutes?)\.?\s*\)", re.IGNORECASE)
_LINK = re.compile(r"https?://[^\s<>\"']+")


def _depth(line: str) -> tuple[int, str]:
    stripped = line.lstrip(" \t")
    indent = len(line) - len(stripped)
    dashes = 0
    while stripped.startswith("-"):
        dashes += 1
        stripped = stripped[1:].lstrip()
    depth = indent // 2 + dashes
    return depth, stripped.strip()


def _item(text: str) -> dict[str, Any]:
    minutes = 0
    found = _DURATION.search(text)
    if found:
        minutes = int(found.group(1))
        text = (text[: found.start()] + text[found.end() :]).strip()
    links = _LINK.findall(text)
    title = " ".join(_LINK.sub("", text).split()).strip(" :–-")
    if not title:
        title = links[0] if links else ""
    if len(title) > 300:
        raise BadInput(
            "sittings/agenda_title_long", N_("An agenda item has at most 300 characters.")
        )
    return {"title": title, "minutes": min(minutes, 24 * 60), "links": links, "children": []}


def parse_order_of_business(text: str) -> list[dict[str, Any]]:
    """The nested agenda items of ``text``, in the shape the assembly rules expect."""
    top: list[dict[str, Any]] = []
    stack: list[dict[str, Any]] = []  # the last item seen at each depth
    count = 0
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        depth, body = _depth(line.rstrip())
        if not body:
            continue
        count += 1
        if count > MAX_ITEMS:
            raise BadInput(
                "sittings/agenda_long",
                N_("An agenda has at most %(max)s items."),
                max=MAX_ITEMS,
            )
        depth = min(depth, len(stack), MAX_DEPTH)  # never deeper than one below the line above
        item = _item(body)
        if depth == 0:
            top.append(item)
        else:
            stack[depth - 1]["children"].append(item)
        del stack[depth:]
        stack.append(item)
    return top
