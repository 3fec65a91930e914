"""Call setup messages relayed between browsers: voice's mesh and the stage without Janus.

The server never reads a call's media: it passes an offer, an answer, an ICE
candidate or a restart request from one tab to another, only along the pairs
the feature decided. This module reads such a message (refusing a malformed or
too large one) and pushes it to the other tab as a ``voice`` frame of kind
``signal`` (``docs/protocol.md``, "Voice frames").
"""

from __future__ import annotations

from typing import Any

from estaminet.kernel.errors import BadInput
from estaminet.kernel.i18n import N_
from estaminet.realtime.connection import Connection
from estaminet.realtime.frames import encode

__all__ = ["SIGNAL_TYPES", "push_signal", "read_signal"]

SIGNAL_TYPES = frozenset({"offer", "answer", "candidate", "restart"})
_MALFORMED = N_("This message could not be read.")


def read_signal(signal: object, *, max_bytes: int, too_large: str) -> dict[str, Any]:
    """The message's fields worth relaying (``type``, ``sdp``, ``candidate``); refuses a
    message that is not one (``gateway/malformed``) or is over ``max_bytes`` once encoded
    (``too_large``, the feature's own code)."""
    if not isinstance(signal, dict) or signal.get("type") not in SIGNAL_TYPES:
        raise BadInput("gateway/malformed", _MALFORMED)
    if len(encode(signal).encode("utf-8")) > max_bytes:
        raise BadInput(too_large, N_("This call setup message is too large."))
    sdp = signal.get("sdp")
    if sdp is not None and not isinstance(sdp, str):
        raise BadInput("gateway/malformed", _MALFORMED)
    return {k: signal[k] for k in ("type", "sdp", "candidate") if k in signal}


def push_signal(conn: Connection, space: str, sender: str, signal: dict[str, Any]) -> None:
    """Give ``conn``'s tab a message read by :func:`read_signal`, from ``sender``."""
    conn.push_json(
        {"type": "voice", "space": space, "kind": "signal", "from": sender, "signal": signal}
    )
