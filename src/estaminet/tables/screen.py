"""Helpers every game screen template gets: names for seats, translated roles and lines, buttons.

They are plain functions rather than Jinja macros because a table re-renders a
screen for each kind of viewer after every move, and macro calls are slow.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping, Sequence
from types import ModuleType
from typing import Any

from markupsafe import Markup, escape

from estaminet.kernel.user import initials_of
from estaminet.translations import translate

__all__ = ["Fragments", "circle_arrow", "circle_html", "screen_helpers"]

_FLAT = frozenset({str, int, bool, type(None)})


class Fragments:
    """Pieces of a screen rendered once for every viewer who shows them alike.

    After a move a table renders one screen per kind of viewer (each seat, the
    spectators, the narrator), and most of each screen (the village, the
    narration, the log) is the same for all of them; much of it is also the same
    as after the move before (a player's buttons during a vote). A template asks
    ``shared.get(name, *inputs)``; on a miss it renders the piece and keeps it
    with ``shared.keep(html, name, *inputs)``. The inputs must be everything the
    piece reads besides the table's names and the language (the table service
    keeps pieces per table and language, and starts afresh when a name changes):
    two viewers get the same piece only when their own views would render it the
    same, so nothing reaches a viewer that their view lacks.
    """

    __slots__ = ("_done", "_written")

    def __init__(self, done: dict[Hashable, Markup] | None = None) -> None:
        self._done: dict[Hashable, Markup] = done if done is not None else {}
        """The pieces, by key; ``done``: those kept from the table's earlier moves in the same
        language with the same names (``TableService._kept_pieces``)."""
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
            if kind not in _FLAT:
                # A template's ``(a, b, c)`` or a game's named tuple: one level of them.
                if not isinstance(value, tuple):
                    break
                kinds = tuple(map(type, value))
                if not _FLAT.issuperset(kinds):
                    break
                kind = (kind, kinds)
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

    def each(self, name: str, items: Sequence[Any]) -> list[tuple[Any, Markup | None]]:
        """Each item with its piece ``name`` (``get(name, item)``), or ``None`` to render and
        :meth:`keep` it: one call for a whole list (a village of 18 seats)."""
        done, key = self._done, self._key
        return [(item, done.get(key(name, (item,)))) for item in items]

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


def circle_html(
    circle: Sequence[Mapping[str, Any]],
    arrows: Sequence[Mapping[str, Any]] | None,
    users: Mapping[int, str],
) -> Markup:
    """The players around a circle (an oval on a phone), drawn by the shared table layout
    (``games/_table_layout.html``) for every game.

    ``circle``: one dict per seat, in seat order: ``seat``, ``name``, and optional ``dead``,
    ``me``, ``captain`` (booleans) and ``mark`` (a short badge: a vote count, a tick);
    ``arrows``: one dict per vote to draw, ``from`` (the voter's seat), ``to`` (the target's
    seat) and ``kind`` (``"vote"``, or ``"pack"`` for the werewolves' night vote); ``users``:
    each seated player's user id by seat (``data-user`` lets the voice panel light whoever
    is speaking). A game passes only what this viewer's view says. Decoration only
    (``aria-hidden``): the same facts are in the game's accessible list.

    Written here rather than as a template because every screen of every move draws it,
    for each viewer: as a template it was a quarter of a Loup-Garou move's rendering.
    """
    count = len(circle)
    out = ['<div class="table-round" aria-hidden="true">\n']
    if arrows:
        place = {s.get("seat"): index for index, s in enumerate(circle)}
        out.append(
            '  <svg class="table-circle-votes" viewBox="0 0 100 100" preserveAspectRatio="none"'
            ' focusable="false">\n'
        )
        for a in arrows:
            voter, target = a.get("from"), a.get("to")
            if voter in place and target in place:
                out.append(_arrow(a.get("kind") or "vote", voter, target, place, count))
        out.append("  </svg>\n")
    out.append(
        f'  <ol class="table-circle table-circle--n{count}" data-people="table-circle"'
        ' aria-hidden="true">\n'
    )
    for s in circle:
        seat: Any = s.get("seat")
        mark = s.get("mark")
        # Everything the seat's item shows (a mark as written: 1 and True are two marks).
        key = (
            seat, type(s.get("name")), s.get("name"), not s.get("dead"), not s.get("me"),
            not s.get("captain"), type(mark), mark or None, users.get(seat),
        )  # fmt: skip
        item = _SEATS.get(key)
        if item is None:
            if len(_SEATS) >= _SEATS_KEPT:
                _SEATS.clear()
            item = _SEATS[key] = _circle_seat(s, users)
        out.append(item)
    out.append("  </ol>\n</div>")
    return Markup("".join(out))


def _arrow(kind: Any, voter: Any, target: Any, place: Mapping[Any, int], count: int) -> str:
    key = (kind, type(voter), voter, type(target), target, place[voter], place[target], count)
    found = _ARROWS.get(key)
    if found is None:
        line = circle_arrow(place[voter], place[target], count)
        found = (
            ""
            if line is None
            else f'    <g class="table-arrow table-arrow--{escape(kind)}"'
            f' data-from="{escape(voter)}" data-to="{escape(target)}">'
            f'<line x1="{line["x1"]}" y1="{line["y1"]}" x2="{line["x2"]}"'
            f' y2="{line["y2"]}"/><polygon points="{line["head"]}"/></g>\n'
        )
        if len(_ARROWS) >= _SEATS_KEPT:
            _ARROWS.clear()
        _ARROWS[key] = found
    return found


_ARROWS: dict[tuple[Any, ...], str] = {}
"""Each arrow as last drawn, by its ends and the size of the circle (its geometry)."""
_SEATS: dict[tuple[Any, ...], str] = {}
"""Each seat's item of the circle as last drawn, by what it shows: most seats look the same
on every viewer's screen and from one move to the next."""
_SEATS_KEPT = 4096


def _circle_seat(s: Mapping[str, Any], users: Mapping[int, str]) -> str:
    seat: Any = s.get("seat")
    name: Any = s.get("name")
    mark = s.get("mark")
    dead = " table-circle-seat--dead" if s.get("dead") else ""
    me = " table-circle-seat--me" if s.get("me") else ""
    user = f' data-user="{escape(users[seat])}"' if seat in users else ""
    badge = '<span class="table-circle-badge">★</span>' if s.get("captain") else ""
    marked = f'<span class="table-circle-mark">{escape(mark)}</span>' if mark else ""
    return (
        f'    <li class="person table-circle-seat{dead}{me}"{user}>\n'
        f'      <span class="avatar">{escape(initials_of(name))}</span>\n'
        f'      <span class="table-circle-name">{escape(name)}</span>\n'
        f"{badge}{marked}    </li>\n"
    )


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
        "circle_html": circle_html,
        "shared": shared if shared is not None else Fragments(),
    }
