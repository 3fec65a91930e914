"""What the assembly browser test needs beyond ``helpers``: action buttons and PDF text.

The minutes' PDF is drawn by fpdf2 with DejaVu Sans when the system has it:
the text is then written as two-byte glyph ids, in compressed content
streams, with one ``ToUnicode`` map per font. :func:`pdf_text` reads them
back without a PDF library (none is installed): it follows each ``Tf``
font change and maps the glyph ids through that font's map. Without
DejaVu, fpdf2 falls back to Helvetica and writes plain Latin-1 strings,
which are read as they are.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

from playwright.sync_api import Locator, Page

__all__ = ["action_button", "pdf_text", "squash"]


def action_button(scope: Page | Locator, kind: str, **fields: Any) -> Locator:
    """The ``[data-table-action]`` button of action ``kind`` (and these fields) within ``scope``.

    The templates write actions with Jinja's ``tojson`` (keys sorted, ``", "`` and
    ``": "`` separators), so each field can be matched as a piece of the attribute.
    """
    parts = {"type": kind, **fields}
    selector = "button[data-table-action]" + "".join(
        f"[data-table-action*='{json.dumps(key)}: {json.dumps(value)}']"
        for key, value in parts.items()
    )
    return scope.locator(selector)


def squash(text: str) -> str:
    """Collapse runs of whitespace (French texts use no-break spaces before colons)."""
    return re.sub(r"\s+", " ", text)


# -- reading the minutes' PDF ---------------------------------------------------------

_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_FONT_REF = re.compile(rb"/(F\d+) (\d+) 0 R")
_TO_UNICODE = re.compile(rb"/ToUnicode (\d+) 0 R")
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")
_LITERAL = rb"\(((?:[^()\\]|\\.)*)\)"
_OPERATORS = re.compile(
    rb"/(F\d+)\s+[\d.]+\s+Tf"  # a font change
    rb"|" + _LITERAL + rb"\s*Tj"  # a literal string drawn
    rb"|<([0-9A-Fa-f]*)>\s*Tj"  # a hex string drawn
    rb"|\[((?:" + _LITERAL + rb"|<[0-9A-Fa-f]*>|[^\]()<])*)\]\s*TJ"  # strings and spacings
    rb"|\bET\b",  # the end of a text object: a new line of text
    re.S,
)
_PIECE = re.compile(_LITERAL + rb"|<([0-9A-Fa-f]*)>", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _stream(body: bytes) -> bytes:
    found = _STREAM.search(body)
    if not found:
        return b""
    data = found.group(1)
    try:
        return zlib.decompress(data)
    except zlib.error:
        return data


def _unescape(literal: bytes) -> bytes:
    """A PDF literal string's bytes (backslash escapes, octal codes)."""
    out = bytearray()
    i = 0
    while i < len(literal):
        char = literal[i : i + 1]
        if char != b"\\":
            out += char
            i += 1
            continue
        nxt = literal[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", literal[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(0), 8) & 0xFF)
            i += 1 + len(octal.group(0))
        else:
            out += _ESCAPES.get(nxt, nxt)
            i += 2
    return bytes(out)


def _cmap(text: bytes) -> dict[int, str]:
    """A ``ToUnicode`` map: glyph id -> the text it stands for."""
    mapping: dict[int, str] = {}
    for block in _BFCHAR.findall(text):
        codes = _HEX.findall(block)
        for src, dst in zip(codes[::2], codes[1::2], strict=False):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in _BFRANGE.findall(text):
        codes = _HEX.findall(block)
        for low, high, dst in zip(codes[::3], codes[1::3], codes[2::3], strict=False):
            start = int(dst, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def _decode(raw: bytes, cmap: dict[int, str] | None) -> str:
    """Glyph ids (two bytes each) through the font's map, or Latin-1 for a standard font."""
    if cmap is None:
        return raw.decode("latin-1")
    ids = (int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2))
    return "".join(cmap.get(glyph, "\ufffd") for glyph in ids)


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF made by fpdf2, one line per text object."""
    objects = {int(num): body for num, body in _OBJECT.findall(data)}
    fonts: dict[str, dict[int, str] | None] = {}
    for body in objects.values():
        for name, number in _FONT_REF.findall(body):
            font = objects.get(int(number), b"")
            to_unicode = _TO_UNICODE.search(font)
            fonts[name.decode()] = (
                _cmap(_stream(objects.get(int(to_unicode.group(1)), b""))) if to_unicode else None
            )
    lines: list[str] = []
    current: list[str] = []
    cmap: dict[int, str] | None = None
    for body in objects.values():
        content = _stream(body)
        if b"BT" not in content:  # no text object in this stream
            continue
        for found in _OPERATORS.finditer(content):
            font, literal, hexa, array = found.group(1, 2, 3, 4)
            if font is not None:
                cmap = fonts.get(font.decode())
            elif literal is not None:
                current.append(_decode(_unescape(literal), cmap))
            elif hexa is not None:
                current.append(_decode(bytes.fromhex(hexa.decode()), cmap))
            elif array is not None:
                for piece in _PIECE.finditer(array):
                    lit, hx = piece.groups()
                    raw = _unescape(lit) if lit is not None else bytes.fromhex(hx.decode())
                    current.append(_decode(raw, cmap))
            elif current:  # ET: the end of a line of text
                lines.append("".join(current))
                current = []
    if current:
        lines.append("".join(current))
    return "\n".join(lines)
