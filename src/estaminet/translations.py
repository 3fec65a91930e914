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

from estaminet.kernel.i18n import LANGUAGES, Msgid, Plural, Text, is_text_dict

__all__ = [
    "LANGUAGES",
    "negotiate",
    "render",
    "translate",
    "translations",
]

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


def translate(locale: str, msgid: Msgid, params: Mapping[str, Any] | None = None) -> str:
    """``msgid`` in ``locale``, with ``%(name)s`` placeholders filled from ``params``.

    A :class:`~estaminet.kernel.i18n.Plural` picks its form by the count in
    ``params``; a parameter that is a :class:`~estaminet.kernel.i18n.Text` (or
    its dict form) is translated first.
    """
    catalog = translations(locale)
    values = {key: _value(locale, value) for key, value in (params or {}).items()}
    if isinstance(msgid, Plural):
        count = values.get(msgid.count)
        number = count if isinstance(count, int) and not isinstance(count, bool) else 2
        text = catalog.ngettext(msgid.singular, msgid.plural, number)
        source = msgid.singular if number == 1 else msgid.plural
    else:
        text, source = catalog.gettext(msgid), msgid
    if not values:
        return text
    try:
        return text % values
    except (KeyError, ValueError, TypeError):
        return source % values if text != source else text


def render(locale: str, text: Text | Mapping[str, Any] | str) -> str:
    """A :class:`~estaminet.kernel.i18n.Text`, its dict form or a plain msgid, in ``locale``."""
    if isinstance(text, Mapping):
        text = Text.from_dict(text)
    if isinstance(text, Text):
        return translate(locale, text.msgid, text.params)
    return translate(locale, text)


def _value(locale: str, value: Any) -> Any:
    """A parameter as filled in: a nested text is translated first."""
    if isinstance(value, Text) or is_text_dict(value):
        return render(locale, value)
    return value


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
