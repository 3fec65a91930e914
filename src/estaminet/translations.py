"""Translation catalogs (Babel ``.po`` files), loaded once, compiled in memory.

French is the source of truth for people, English the second language; the
message ids in code are English. Catalogs live in ``estaminet/locale``.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = [
    "LANGUAGES",
    "negotiate",
    "translate",
    "translations",
]

LANGUAGES: tuple[str, ...] = ("fr", "en")
_LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The gettext translations for ``locale`` (``NullTranslations`` if there is no catalog)."""
    po = _LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translate(locale: str, msgid: str, params: Mapping[str, Any] | None = None) -> str:
    """``msgid`` in ``locale``, with ``%(name)s`` placeholders filled from ``params``."""
    text = translations(locale).gettext(msgid)
    if params:
        try:
            return text % dict(params)
        except (KeyError, ValueError, TypeError):
            return msgid % dict(params) if text != msgid else text
    return text


def negotiate(accept_language: str | None, default: str = "fr") -> str:
    """The best of our languages for an ``Accept-Language`` header."""
    if not accept_language:
        return default
    preferred = []
    for part in accept_language.split(","):
        piece = part.strip().split(";")[0].strip()
        if piece and piece != "*":
            preferred.append(piece.replace("-", "_"))
    found = Locale.negotiate(preferred, list(LANGUAGES), sep="_")
    return str(found.language) if found else default
