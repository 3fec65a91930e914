"""Translatable text that can travel through pure code.

Pure rules never translate: they mark message ids with :func:`N_` (or
:func:`Nn_` for a message with a count) so Babel extracts them, and return
:class:`Text` values; the edge (templates, the gateway) translates them for
the person who reads them. A parameter may itself be a :class:`Text` (the
name of a field, the reason a request is refused): the edge translates it
first, so no English fragment ends up inside a translated sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LANGUAGES", "N_", "Msgid", "Nn_", "Plural", "Text", "is_text_dict"]

LANGUAGES: tuple[str, ...] = ("fr", "en")
"""The interface's languages, the first being the default (the one list in the code)."""


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it."""
    return msgid


@dataclass(frozen=True)
class Plural:
    """A message id with a plural form; ``params[count]`` chooses the form."""

    singular: str
    plural: str
    count: str = "count"


Msgid = str | Plural
"""What the edge can translate: a plain message id or one with a plural form."""


def Nn_(singular: str, plural: str, count: str = "count") -> Plural:
    """Mark a message with a plural form for extraction (``-k Nn_:1,2``)."""
    return Plural(singular, plural, count)


@dataclass(frozen=True)
class Text:
    """A message id with its named parameters, translated at the edge.

    ``msgid`` uses ``%(name)s`` placeholders filled from ``params``; a
    parameter that is a :class:`Text` is translated before it is filled in.
    """

    msgid: Msgid
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, used in event logs and views (nested texts included)."""
        params = {
            key: value.as_dict() if isinstance(value, Text) else value
            for key, value in self.params.items()
        }
        if isinstance(self.msgid, Plural):
            return {
                "msgid": self.msgid.singular,
                "plural": self.msgid.plural,
                "count": self.msgid.count,
                "params": params,
            }
        return {"msgid": self.msgid, "params": params}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Text:
        """The text :meth:`as_dict` wrote (nested texts included)."""
        params = {
            key: cls.from_dict(value) if is_text_dict(value) else value
            for key, value in (data.get("params") or {}).items()
        }
        msgid = str(data["msgid"])
        if data.get("plural") is not None:
            return cls(Plural(msgid, str(data["plural"]), str(data.get("count", "count"))), params)
        return cls(msgid, params)


def is_text_dict(value: object) -> bool:
    """Whether ``value`` is the dict form of a :class:`Text` (:meth:`Text.as_dict`)."""
    return isinstance(value, Mapping) and "msgid" in value and "params" in value
