"""Translatable text that can travel through pure code.

Pure rules never translate: they mark message ids with :func:`N_` (so Babel
extracts them) and return :class:`Text` values; the edge (templates, the
gateway) translates them for the person who reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["N_", "Text"]


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it."""
    return msgid


@dataclass(frozen=True)
class Text:
    """A message id with its named parameters, translated at the edge.

    ``msgid`` uses ``%(name)s`` placeholders filled from ``params``.
    """

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, used in event logs and views."""
        return {"msgid": self.msgid, "params": dict(self.params)}
