"""Frames: what travels from the server to browsers, serialised once per topic and language.

A published frame is JSON text built once for each interface language (fragments
contain translated words) and then handed, as the same ``str`` object, to every
connection subscribed to its topic.

Connections that can take them are also given the frame as ready-made WebSocket
bytes, built once per language and :class:`Encoding`: frames from a server are
not masked, and with permessage-deflate negotiated *without server context
takeover* (RFC 7692, 7.1.1.1) a message's compressed bytes depend only on the
message and the window size, not on what the connection sent before, so one
compression serves every connection (what uWebSockets calls a shared
compressor).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode

from estaminet.kernel.i18n import LANGUAGES

__all__ = ["LOCALES", "PLAIN", "Encoding", "Frame", "encode", "frame_for_locales", "text_frame"]

LOCALES: tuple[str, ...] = LANGUAGES


def encode(payload: Mapping[str, Any]) -> str:
    """Compact JSON, as sent on the wire."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Encoding:
    """How a server serialises a text frame on connections that can share its bytes.

    ``deflate_bits`` is ``None`` for no extension, else the window size of
    permessage-deflate without server context takeover (each message compressed
    on its own), with zlib's ``mem_level``.
    """

    deflate_bits: int | None = None
    mem_level: int = 8
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        # Hashed once: a broadcast looks its frame up by (language, encoding) per connection.
        object.__setattr__(self, "_hash", hash((self.deflate_bits, self.mem_level)))

    def __hash__(self) -> int:
        return self._hash

    def frame(self, text: str) -> bytes:
        """``text`` as one unmasked, unfragmented WebSocket text frame."""
        wire = WireFrame(Opcode.TEXT, text.encode())
        if self.deflate_bits is None:
            return wire.serialize(mask=False)
        deflate = PerMessageDeflate(
            remote_no_context_takeover=True,  # never decodes: no decoder is made
            local_no_context_takeover=True,
            remote_max_window_bits=self.deflate_bits,
            local_max_window_bits=self.deflate_bits,
            compress_settings={"memLevel": self.mem_level},
        )
        return wire.serialize(mask=False, extensions=[deflate])


PLAIN = Encoding()
"""No extension: the frame is the UTF-8 text behind a header."""


def text_frame(text: str) -> bytes:
    """``text`` as one unmasked WebSocket text frame (what a server sends, no extension)."""
    return PLAIN.frame(text)


@dataclass(frozen=True, slots=True)
class Frame:
    """One message on a topic, ready to send: its sequence number and its text per language."""

    topic: str
    seq: int
    texts: Mapping[str, str]
    control: Mapping[str, Any] | None = None
    """Instructions for the server-side connection (leave a topic, close), never sent as is."""
    build: Callable[[str], str] | None = None
    """Renders the text of a language on first use (nobody reading English: never rendered)."""
    framed_texts: dict[tuple[str, Encoding], bytes] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Each language's text as a WebSocket frame per encoding, serialised once for every connection."""

    def framed(self, locale: str, encoding: Encoding = PLAIN) -> bytes:
        """The text of ``locale`` as a ready-to-write WebSocket text frame (built once)."""
        key = (locale, encoding)
        found = self.framed_texts.get(key)
        if found is None:
            found = self.framed_texts[key] = encoding.frame(self.text(locale))
        return found

    def text(self, locale: str) -> str:
        found = self.texts.get(locale)
        if found is not None:
            return found
        if self.build is not None and locale in LOCALES:
            text = self.build(locale)
            self.texts[locale] = text  # type: ignore[index]  # the cache is a dict
            return text
        return next(iter(self.texts.values()))

    def to_wire(self) -> dict[str, Any]:
        """A form that crosses process boundaries (Redis): every language rendered."""
        return {
            "topic": self.topic,
            "seq": self.seq,
            "texts": {locale: self.text(locale) for locale in LOCALES}
            if self.build is not None
            else dict(self.texts),
            "control": dict(self.control) if self.control else None,
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Frame:
        control = data.get("control")
        return cls(str(data["topic"]), int(data["seq"]), dict(data["texts"]), control)


def frame_for_locales(
    topic: str,
    seq: int,
    kind: str,
    build: Callable[[str], Mapping[str, Any]] | None = None,
    *,
    neutral: Mapping[str, Any] | None = None,
) -> Frame:
    """Build an ``event`` frame: ``build(locale)`` gives the body per language.

    Pass ``neutral`` instead when the body holds no translated text: it is
    then serialised exactly once.
    """
    head = {"type": "event", "topic": topic, "seq": seq, "kind": kind}
    if neutral is not None:
        text = encode({**head, **neutral})
        return Frame(topic, seq, {locale: text for locale in LOCALES})
    assert build is not None
    return Frame(topic, seq, {}, build=lambda locale: encode({**head, **build(locale)}))
