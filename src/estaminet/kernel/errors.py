"""One error base for every refusal that reaches a person.

An :class:`EstaminetError` carries a namespaced code, an HTTP status, a
WebSocket close code, an English message id translated at the edge, and data
for the message's placeholders.

The close code is read only where an error ends a socket: the gateway refuses a
socket that is not signed in (:class:`SignInRequired`, 4401) or comes from
another origin, and closes the sockets of someone banned (:class:`Forbidden`,
4403). Every other refusal is an ``error`` frame and the connection stays open
(docs/protocol.md), so a rate limit or bad input has no code of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from estaminet.kernel.i18n import N_, Msgid, Text

__all__ = [
    "BadInput",
    "Conflict",
    "EstaminetError",
    "Forbidden",
    "Gone",
    "NotFound",
    "RateLimited",
    "SignInRequired",
]


class EstaminetError(Exception):
    """Base of every error shown to a person."""

    status: ClassVar[int] = 400
    close_code: ClassVar[int] = 4400
    default_message: ClassVar[str] = N_("Something went wrong.")

    def __init__(self, code: str, message: Msgid | None = None, /, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.message: Msgid = message or self.default_message
        self.params: Mapping[str, Any] = params

    @property
    def text(self) -> Text:
        return Text(self.message, self.params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r})"


class BadInput(EstaminetError):
    status = 400
    default_message = N_("This request is not valid.")


class SignInRequired(EstaminetError):
    status = 401
    close_code = 4401
    default_message = N_("Please sign in first.")


class Forbidden(EstaminetError):
    status = 403
    close_code = 4403
    default_message = N_("You are not allowed to do that.")


class NotFound(EstaminetError):
    status = 404
    default_message = N_("This does not exist (or no longer exists).")


class Conflict(EstaminetError):
    status = 409
    default_message = N_("This was changed in the meantime.")


class Gone(EstaminetError):
    status = 410
    default_message = N_("This is no longer available.")


class RateLimited(EstaminetError):
    status = 429
    default_message = N_("Slow down! Wait a moment before sending again.")
