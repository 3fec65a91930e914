"""Helpers every game screen template gets: names for seats, translated roles and lines, buttons.

They are plain functions rather than Jinja macros because a table re-renders a
screen for each kind of viewer after every move, and macro calls are slow.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping
from types import ModuleType
from typing import Any

from markupsafe import Markup, escape

from estaminet.translations import translate

__all__ = ["Fragments", "circle_arrow", "screen_helpers"]

_FLAT = frozenset({str, int, bool, type(None)})


class Fragments:
    """Pieces of a screen rendered once per move and language, for every viewer who shares them.

    After a move a table renders one screen per kind of viewer (each seat, the
    spectators, the narrator), and most of each screen (the village, the
    narration, the log) is the same for all of them. A template asks
    ``shared.get(name, *inputs)``; on a miss it renders the piece and keeps it
    with ``shared.keep(html, name, *inputs)``. The inputs must be everything the
    piece reads besides the table's names and the language (both fixed for one
    set of screens): two viewers get the same piece only when their own views
    would render it the same, so nothing reaches a viewer that their view lacks.
    """

    __slots__ = ("_done", "_written")

    def __init__(self) -> None:
        self._done: dict[Hashable, Markup] = {}
        self._written: dict[int, tuple[Any, str]] = {}
        """Each input written out as JSON, by the identity of the object (kept alive with it):
        every viewer's view holds the same log, which is written out once per move."""

    def _key(self, name: str, inputs: tuple[Any, ...]) -> Hashable:
        # Flat inputs (a seat's facts: numbers, flags, names, or a tuple of them) are their
        # own key, with their types beside them so that 1 and True, equal in Python, stay two
        # keys; anything else (lists, dicts: the narration, the log) is written out as JSON.
        types: list[Any] = []
        for value in inputs:
            kind: Any = type(value)
            if kind is tuple:  # a template's ``(a, b, c)``: one level of them
                kind = tuple(map(type, value))
                if not _FLAT.issuperset(kind):
                    break
            elif kind not in _FLAT:
                break
            types.append(kind)
        else:
            return (name, tuple(types), inputs)
        # The JSON of the list of inputs, each input written out once per object.
        return f"{name}[{','.join(map(self._json, inputs))}]"

    def _json(self, value: Any) -> str:
        written = self._written.get(id(value))
        if written is not None and written[0] is value:
            return written[1]
        text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
        self._written[id(value)] = (value, text)
        return text

    def get(self, name: str, *inputs: Any) -> Markup | None:
        return self._done.get(self._key(name, inputs))

    def keep(self, html: Markup, name: str, *inputs: Any) -> Markup:
        self._done[self._key(name, inputs)] = html
        return html


# Where seat ``i`` of ``n`` sits on the circle, in a 100 × 100 box: the same ellipse as the
# CSS that places the seats (table.css: 50% ± 40% sin, 50% ∓ 38% cos).
_RX, _RY = 40.0, 38.0
# How far short of a seat's centre an arrow stops (the avatar covers the rest), in box units.
_GAP = 8.0
_HEAD = 3.5
_SIDE = 1.5


def _point(index: int, count: int) -> tuple[float, float]:
    angle = index / max(count, 1) * math.tau
    return 50 + _RX * math.sin(angle), 50 - _RY * math.cos(angle)


def circle_arrow(voter: int, target: int, count: int) -> dict[str, str] | None:
    """An arrow on the circle from seat ``voter`` to seat ``target`` (indexes among ``count``
    seats): the line's ends and its head's corners, in the 100 × 100 box of the circle's SVG.
    ``None`` for a vote for oneself (nothing to draw: the counter shows it)."""
    if voter == target:
        return None
    (x1, y1), (x2, y2) = _point(voter, count), _point(target, count)
    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    # A little to the right of the straight line, so that two people who vote for each other
    # get two arrows side by side rather than one on top of the other.
    side_x, side_y = -uy * _SIDE, ux * _SIDE
    start_x, start_y = x1 + ux * _GAP + side_x, y1 + uy * _GAP + side_y
    tip_x, tip_y = x2 - ux * _GAP + side_x, y2 - uy * _GAP + side_y
    base_x, base_y = tip_x - ux * _HEAD, tip_y - uy * _HEAD
    left = (base_x - uy * _HEAD / 2, base_y + ux * _HEAD / 2)
    right = (base_x + uy * _HEAD / 2, base_y - ux * _HEAD / 2)

    def f(v: float) -> str:
        return f"{v:.1f}"

    return {
        "x1": f(start_x),
        "y1": f(start_y),
        "x2": f(base_x),
        "y2": f(base_y),
        "head": " ".join(f"{f(x)},{f(y)}" for x, y in ((tip_x, tip_y), left, right)),
    }


def screen_helpers(
    game: ModuleType, names: Mapping[int, str], locale: str, shared: Fragments | None = None
) -> dict[str, Any]:
    """``who(seat)``, ``role_name(key)``, ``say(text)``, ``act(action, label, cls, confirm)``,
    ``circle_arrow(voter, target, count)`` and ``shared`` (:class:`Fragments`, for one set of screens in one language)."""
    role_names: Mapping[str, str] = getattr(game, "ROLE_NAMES", {})

    def who(seat: int | None) -> str:
        return names.get(seat, "?") if seat is not None else "?"

    def role_name(key: str) -> str:
        return translate(locale, role_names[key]) if key in role_names else str(key)

    def say(text: Mapping[str, Any]) -> str:
        params = dict(text.get("params") or {})
        if "seat" in params:
            params["seat"] = who(params["seat"])
        if "role" in params and params["role"] in role_names:
            params["role"] = role_name(params["role"])
        return translate(locale, str(text["msgid"]), params)

    def act(
        action: Mapping[str, Any], label: str, cls: str = "choice", confirm: str | None = None
    ) -> Markup:
        # Plain concatenation of escaped parts: much faster than Markup.format.
        extra = f' data-confirm="{escape(confirm)}"' if confirm else ""
        return Markup(
            f'<button type="button" class="{escape(cls)}" '
            f"data-table-action='{escape(json.dumps(action, sort_keys=True))}'{extra}>"
            f"{escape(label)}</button>"
        )

    return {
        "who": who,
        "role_name": role_name,
        "say": say,
        "act": act,
        "circle_arrow": circle_arrow,
        "shared": shared if shared is not None else Fragments(),
    }
