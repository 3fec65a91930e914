"""Helpers every game screen template gets: names for seats, translated roles and lines, buttons.

They are plain functions rather than Jinja macros because a table re-renders a
screen for each kind of viewer after every move, and macro calls are slow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from markupsafe import Markup, escape

from estaminet.translations import translate

__all__ = ["screen_helpers"]


def screen_helpers(
    game: ModuleType, names: Mapping[int, str], locale: str
) -> dict[str, Callable[..., Any]]:
    """``who(seat)``, ``role_name(key)``, ``say(text)`` and ``act(action, label, cls, confirm)``."""
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

    return {"who": who, "role_name": role_name, "say": say, "act": act}
