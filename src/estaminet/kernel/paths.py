"""Addresses of this site given by a visitor (a form's ``next``, the page someone was on).

Only a plain path of this site is taken: ``/r/bar``, ``/agenda?month=2026-12``. Anything a
browser could read as another site is refused: ``//evil.example``, ``/\\evil.example``
(browsers treat a backslash as a slash), a scheme, control characters.
"""

from __future__ import annotations

import re

__all__ = ["local_path"]

_LOCAL = re.compile(r"/(?![/\\])[A-Za-z0-9_\-./~%?=&+,;:@!$'()*#]*")


def local_path(value: object, *, keep_query: bool = True) -> str | None:
    """``value`` if it is a path of this site (``keep_query``: with its query), else ``None``."""
    if not isinstance(value, str) or len(value) > 2000 or not _LOCAL.fullmatch(value):
        return None
    path = value if keep_query else value.partition("?")[0]
    return path.partition("#")[0] or None
