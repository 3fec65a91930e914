"""Helpers every game screen template gets: names for seats, translated roles and lines, buttons.

They are plain functions rather than Jinja macros because a table re-renders a
screen for each kind of viewer after every move, and macro calls are slow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from markupsafe import Markup, escape

from estaminet.translations import translate

__all__ = ["Fragments", "screen_helpers"]


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

    __slots__ = ("_done",)

    def __init__(self) -> None:
        self._done: dict[str, Markup] = {}

    @staticmethod
    def _key(name: str, inputs: tuple[Any, ...]) -> str:
        return name + json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))

    def get(self, name: str, *inputs: Any) -> Markup | None:
        return self._done.get(self._key(name, inputs))

    def keep(self, html: Markup, name: str, *inputs: Any) -> Markup:
        self._done[self._key(name, inputs)] = html
        return html


def screen_helpers(
    game: ModuleType, names: Mapping[int, str], locale: str, shared: Fragments | None = None
) -> dict[str, Any]:
    """``who(seat)``, ``role_name(key)``, ``say(text)``, ``act(action, label, cls, confirm)``
    and ``shared`` (:class:`Fragments`, for one set of screens in one language)."""
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
        "shared": shared if shared is not None else Fragments(),
    }
