"""The help desk's pure rules: what a request says, where it stands, when it goes to the admins.

No I/O, no clock (``now`` is given), no randomness.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from estaminet.kernel.errors import BadInput
from estaminet.kernel.i18n import N_, Msgid
from estaminet.kernel.paths import local_path
from estaminet.kernel.storable import is_storable_text
from estaminet.venue.markdown import strip_bidi_controls

__all__ = [
    "MAX_MESSAGE",
    "MAX_WORDS",
    "TOPIC_LABELS",
    "MicState",
    "Status",
    "Topic",
    "check_message",
    "check_topic",
    "check_words",
    "clean_page",
    "escalation_due",
    "position_in_queue",
]

MAX_WORDS = 300
"""What is wrong, in a few words: at most this many characters."""
MAX_MESSAGE = 1000
"""A message in the help corner's chat: at most this many characters."""


class Topic(StrEnum):
    MIC = "mic"
    SOUND = "sound"
    GAME = "game"
    VOTE = "vote"
    OTHER = "other"


TOPIC_LABELS: dict[Topic, Msgid] = {
    Topic.MIC: N_("My microphone"),
    Topic.SOUND: N_("I hear nothing, or badly"),
    Topic.GAME: N_("A game"),
    Topic.VOTE: N_("A vote"),
    Topic.OTHER: N_("Something else"),
}


class Status(StrEnum):
    WAITING = "waiting"
    TAKEN = "taken"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def open(self) -> bool:
        return self in (Status.WAITING, Status.TAKEN)


class MicState(StrEnum):
    """The browser's microphone permission when the person asked (``unknown``: not said)."""

    GRANTED = "granted"
    DENIED = "denied"
    PROMPT = "prompt"
    UNKNOWN = "unknown"

    @classmethod
    def read(cls, raw: object) -> MicState:
        try:
            return cls(str(raw))
        except ValueError:
            return cls.UNKNOWN


def _clean(text: str) -> str:
    return strip_bidi_controls(text).strip()


def check_words(raw: object) -> str:
    """What is wrong, as typed (may be empty: the topic may say enough)."""
    text = _clean(raw if isinstance(raw, str) else "")
    if not is_storable_text(text):
        raise BadInput("help/unreadable", N_("This text contains characters that cannot be kept."))
    if len(text) > MAX_WORDS:
        raise BadInput(
            "help/too_long",
            N_("Say it in at most %(max)s characters (this has %(length)s)."),
            max=MAX_WORDS,
            length=len(text),
        )
    return text


def check_message(raw: object) -> str:
    text = _clean(raw if isinstance(raw, str) else "")
    if not text:
        raise BadInput("chat/empty", N_("The message is empty."))
    if not is_storable_text(text):
        raise BadInput("help/unreadable", N_("This text contains characters that cannot be kept."))
    if len(text) > MAX_MESSAGE:
        raise BadInput(
            "chat/too_long",
            N_("A message has at most %(max)s characters (this one has %(length)s)."),
            max=MAX_MESSAGE,
            length=len(text),
        )
    return text


def check_topic(raw: object) -> Topic:
    try:
        return Topic(str(raw))
    except ValueError:
        raise BadInput("help/topic", N_("Choose what the problem is about.")) from None


def clean_page(raw: object) -> str:
    """The venue page the person was on: a path of this site (no query), else the floor plan."""
    path = local_path(raw, keep_query=False)
    return path[:200] if path else "/"


def position_in_queue(waiting: list[int], request_id: int) -> int | None:
    """1 for the first in line (``waiting`` in the order of asking), ``None`` when not waiting."""
    try:
        return waiting.index(request_id) + 1
    except ValueError:
        return None


def escalation_due(created_at: datetime, now: datetime, minutes: int) -> bool:
    """A request nobody took within ``minutes`` goes to the admins."""
    return now - created_at >= timedelta(minutes=minutes)
