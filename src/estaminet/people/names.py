"""Display names: what a person types when they arrive, checked the same way everywhere."""

from __future__ import annotations

import unicodedata

from estaminet.kernel.errors import BadInput
from estaminet.kernel.i18n import N_

__all__ = ["MAX_NAME", "clean_display_name"]

MAX_NAME = 40


def clean_display_name(raw: str) -> str:
    """Normalise and validate a display name, or raise :class:`BadInput`.

    HTML is not refused (it is always shown as text) but control and
    invisible formatting characters are.
    """
    name = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if not name:
        raise BadInput("people/name_empty", N_("Please type a name."))
    if len(name) > MAX_NAME:
        raise BadInput(
            "people/name_too_long", N_("A name has at most %(max)s characters."), max=MAX_NAME
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in name):
        raise BadInput("people/name_invalid", N_("This name contains characters we cannot show."))
    return name
