"""The server's log: no secret and, unless an admin asks for them, no client address.

Invite links (``/i/…``), sign-in links (``/l/…``) and private calendar feeds
(``/agenda/feed/….ics``) carry their secret in the path, and query strings
carry search words and page keys: uvicorn's access log would write them all,
with every client's address. :class:`Redactor`, a filter on every handler of
the configuration :func:`log_config` builds, rewrites each record before it is
written: a secret path segment becomes ``…``, every query value becomes ``…``,
any path segment of 32 URL-safe characters or more (a token or an id a route
may add later) becomes ``…``, and the client's address becomes ``-`` unless
``log_client_addresses`` is on. See docs/security.md.
"""

from __future__ import annotations

import logging
import re
from copy import deepcopy
from typing import Any

__all__ = ["REDACTED", "Redactor", "SocketChatter", "log_config", "redact"]

REDACTED = "…"

_SECRET_PATHS = re.compile(r"(/(?:i|l|agenda/feed)/)[^/\s?#\"']+")
_LONG_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_\-]{32,}")
_QUERY_VALUE = re.compile(r"([?&][^=&\s#\"']*=)[^&\s#\"']*")
_CLIENT_ADDRESS = re.compile(r"^\[?[0-9A-Fa-f:.]+\]?:\d{1,5}$")


def redact(text: str) -> str:
    """``text`` with secret path segments and query values replaced by ``…``."""
    text = _SECRET_PATHS.sub(lambda m: m.group(1) + REDACTED, text)
    text = _LONG_SEGMENT.sub(REDACTED, text)
    return _QUERY_VALUE.sub(lambda m: m.group(1) + REDACTED, text)


class Redactor(logging.Filter):
    """Rewrites every record that passes through a handler (see the module's docstring)."""

    def __init__(self, client_addresses: bool = False) -> None:
        super().__init__()
        self.client_addresses = client_addresses

    def _arg(self, value: object) -> object:
        if not isinstance(value, str):
            return value
        if _CLIENT_ADDRESS.match(value):
            return value if self.client_addresses else "-"
        return redact(value)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self._arg(v) for k, v in record.args.items()}
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class SocketChatter(logging.Filter):
    """Drops uvicorn's "connection open" and "connection closed", written for every
    WebSocket and saying nothing more than the access line before them
    (``"WebSocket /ws" [accepted]``): a restart that brings back a thousand tabs wrote two
    thousand of them, and formatting them took a twentieth of the storm's CPU (issue 20)."""

    _SAID = frozenset({"connection open", "connection closed"})

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.msg in self._SAID and not record.args)


def log_config(*, client_addresses: bool = False, level: str = "INFO") -> dict[str, Any]:
    """uvicorn's logging configuration, every handler filtered, the app's loggers included."""
    from uvicorn.config import LOGGING_CONFIG

    config = deepcopy(LOGGING_CONFIG)
    config["filters"] = {
        "redact": {"()": Redactor, "client_addresses": client_addresses},
    }
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    config["filters"]["socket_chatter"] = {"()": SocketChatter}
    for logger in config["loggers"].values():
        logger["level"] = level
    config["loggers"]["uvicorn.error"]["filters"] = ["socket_chatter"]
    # The app's own loggers (``estaminet.*``) reach the same filtered handler.
    config["root"] = {"handlers": ["default"], "level": level}
    return config
