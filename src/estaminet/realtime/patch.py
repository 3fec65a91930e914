"""Text patches: what changed between two renderings of one view, for the page to apply.

A game's view is a few kilobytes of HTML, and a move usually changes a few
lines of it. Instead of the whole fragment, a topic's frame can carry a
``patch`` op: edits against the previous rendering *published on that same
topic* (so a viewer is only ever sent pieces of their own views), and the
CRC-32 of the result, which the page checks before it shows anything; a page
whose copy differs (it joined between two frames, a frame was lost) asks for
the topic again and gets the whole view.

Both sides cut the HTML into the same tokens: a piece of text starting at each
``<`` (and the text before the first one). An edit is ``[at, remove, html]``:
at token ``at`` of the previous rendering, remove ``remove`` tokens and put in
the tokens of ``html``. Edits are in increasing ``at`` and never overlap; the
page applies them from the last to the first (``static/js/ops.js``, ``patchTokens``).
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from difflib import SequenceMatcher
from itertools import repeat
from typing import Any

__all__ = [
    "Body",
    "Edit",
    "Screen",
    "apply_edits",
    "changes",
    "checksum",
    "diff",
    "diff_pieces",
    "pieces",
    "tokens",
    "unique_positions",
    "whole",
    "whole_op",
]

Edit = tuple[int, int, str]

Body = Callable[[str], dict[str, Any]]
"""A frame's body per language (what :func:`~estaminet.realtime.frames.frame_for_locales`
takes)."""

_TOKEN = re.compile(r"<[^<]*|[^<]+")

# Between two anchors, beyond this many token comparisons, one edit replaces the gap (a
# phase change redraws most of a screen: a fine diff would cost more than it saves).
_FINE_LIMIT = 400


def tokens(html: str) -> list[str]:
    """``html`` cut before each ``<`` (the page cuts it the same way)."""
    return _TOKEN.findall(html)


def checksum(html: str) -> int:
    """CRC-32 of the UTF-8 text (what the page computes on its result)."""
    return zlib.crc32(html.encode("utf-8", "replace"))


def diff(old: str, new: str) -> list[Edit]:
    """Edits that turn the text ``old`` into ``new`` (empty when they are equal)."""
    old_pieces, new_pieces = pieces(old), pieces(new)
    return diff_pieces(
        old_pieces, new_pieces, unique_positions(old_pieces), unique_positions(new_pieces)
    )


def pieces(html: str) -> list[str]:
    """``html`` cut at each ``<``, without it: piece ``k`` ≥ 1 is token ``"<" + piece``,
    and piece 0, the text before the first ``<`` (a token unless empty), is kept with a
    ``<`` in front so that it never equals another piece. One ``str.split``, in C: several
    times faster than cutting the tokens themselves, and two pieces are equal exactly when
    their tokens are."""
    cut = html.split("<")
    cut[0] = "<" + cut[0]
    return cut


def diff_pieces(
    old: Sequence[str],
    new: Sequence[str],
    old_unique: Mapping[str, int],
    new_unique: Mapping[str, int],
) -> list[Edit]:
    """Edits that turn ``old`` into ``new``, each a list of :func:`pieces` with its
    :func:`unique_positions` (a screen keeps its own), in the page's tokens.

    The pieces that occur once in each text and in the same order in both anchor the
    two texts to each other (as in a patience diff); what differs between two anchors
    is one edit, or a finer one when the gap is small."""
    changed: list[tuple[int, int, int, int]] = []
    (i0, j0), end_old, end_new = _trim(old, new, 0, len(old), 0, len(new))
    if i0 == end_old and j0 == end_new:
        return []
    for i, j in [*_anchors(old_unique, new_unique, i0, end_old, j0, end_new), (end_old, end_new)]:
        # Most stretches between two anchors are alike (a ``</li>`` that is not unique):
        # compared whole, at C speed, before any piece-by-piece look.
        if i - i0 != j - j0 or old[i0:i] != new[j0:j]:
            (a0, b0), a1, b1 = _trim(old, new, i0, i, j0, j)
            _gap(old, new, a0, a1, b0, b1, changed)
        i0, j0 = i + 1, j + 1
    # From pieces to the page's tokens: piece 0 is a token only when it is not empty.
    empty_first = 1 if old[0] == "<" else 0  # 1: old's piece 0 is empty, not a token
    edits: list[Edit] = []
    for i, i1, j, j1 in changed:
        text = "<".join(new[j:j1])
        if j == 0:
            text = text[1:]  # piece 0's own "<" was not in the text
        elif j1 > j:
            text = "<" + text
        if i == 0:
            edits.append((0, max(i1 - empty_first, 0), text))
        else:
            edits.append((i - empty_first, i1 - i, text))
    return edits


def unique_positions(items: Sequence[str]) -> dict[str, int]:
    """Where each piece (or token) that occurs exactly once in ``items`` is, in the order
    of the items."""
    first: dict[str, int] = {}
    again: set[str] = set()
    for at, piece in enumerate(items):
        if piece in first:
            again.add(piece)
        else:
            first[piece] = at
    for piece in again:
        del first[piece]
    return first


def _trim(
    old: Sequence[str], new: Sequence[str], i0: int, i1: int, j0: int, j1: int
) -> tuple[tuple[int, int], int, int]:
    """The gap without what it starts and ends with alike: ((i0, j0), i1, j1)."""
    while i0 < i1 and j0 < j1 and old[i0] == new[j0]:
        i0 += 1
        j0 += 1
    while i1 > i0 and j1 > j0 and old[i1 - 1] == new[j1 - 1]:
        i1 -= 1
        j1 -= 1
    return (i0, j0), i1, j1


def _anchors(
    old_unique: Mapping[str, int], new_unique: Mapping[str, int], i0: int, i1: int, j0: int, j1: int
) -> list[tuple[int, int]]:
    """Pairs (i, j), increasing in both, of pieces found exactly once in each text, within
    the ranges ``[i0, i1)`` and ``[j0, j1)``."""
    # Each piece's place in the new text looked up in C (``map``), filtered here.
    pairs = [
        (i, j)
        for i, j in zip(
            old_unique.values(), map(new_unique.get, old_unique, repeat(-1)), strict=True
        )
        if i0 <= i < i1 and j0 <= j < j1
    ]
    pairs.sort()
    ends_in_order = [j for _, j in pairs]
    if ends_in_order == sorted(ends_in_order):
        return pairs  # the usual case after a move: nothing moved past anything else
    # The longest run of pairs increasing in ``j`` too (patience sorting).
    tails: list[int] = []  # per run length, the index in ``pairs`` of its smallest end
    ends: list[int] = []  # and that end's ``j``
    back: list[int] = []
    for n, (_, j) in enumerate(pairs):
        at = bisect_left(ends, j)
        back.append(tails[at - 1] if at else -1)
        if at == len(tails):
            tails.append(n)
            ends.append(j)
        else:
            tails[at], ends[at] = n, j
    chain: list[tuple[int, int]] = []
    n = tails[-1] if tails else -1
    while n >= 0:
        chain.append(pairs[n])
        n = back[n]
    chain.reverse()
    return chain


def _gap(
    old: Sequence[str],
    new: Sequence[str],
    i0: int,
    i1: int,
    j0: int,
    j1: int,
    changed: list[tuple[int, int, int, int]],
) -> None:
    """Records what replaces ``old[i0:i1]`` with ``new[j0:j1]``: ``(i0, i1, j0, j1)``, or finer."""
    if i0 == i1 and j0 == j1:
        return
    if i0 == i1 or j0 == j1 or (i1 - i0) * (j1 - j0) > _FINE_LIMIT:
        changed.append((i0, i1, j0, j1))
        return
    matcher = SequenceMatcher(None, old[i0:i1], new[j0:j1], autojunk=False)
    for tag, k1, k2, l1, l2 in matcher.get_opcodes():
        if tag != "equal":
            changed.append((i0 + k1, i0 + k2, j0 + l1, j0 + l2))


def apply_edits(old: Sequence[str], edits: Sequence[Sequence[object]]) -> list[str]:
    """The tokens after ``edits`` (the page's algorithm, for tests and the bench); a
    :class:`ValueError` for an edit that does not fit."""
    result = list(old)
    for at, remove, html in reversed(edits):
        if not (isinstance(at, int) and isinstance(remove, int) and isinstance(html, str)):
            raise ValueError("an edit is [at, remove, html]")
        if at < 0 or remove < 0 or at + remove > len(result):
            raise ValueError("an edit outside the text")
        result[at : at + remove] = tokens(html)
    return result


class Screen:
    """One rendering per language, made on first use and kept with its pieces: what a topic
    last published, the base of its next patch. Compared by identity."""

    __slots__ = ("_html", "_pieces", "_render", "_unique")

    def __init__(self, render: Callable[[str], str]) -> None:
        self._render = render
        self._html: dict[str, str] = {}
        self._pieces: dict[str, list[str]] = {}
        self._unique: dict[str, dict[str, int]] = {}

    def html(self, locale: str) -> str:
        found = self._html.get(locale)
        if found is None:
            found = self._html[locale] = self._render(locale)
        return found

    def rendered(self, locale: str) -> bool:
        """Whether this screen was rendered in ``locale`` (someone read it in that language)."""
        return locale in self._html

    def pieces(self, locale: str) -> list[str]:
        """:func:`pieces` of the rendering in ``locale``."""
        found = self._pieces.get(locale)
        if found is None:
            found = self._pieces[locale] = pieces(self.html(locale))
        return found

    def unique(self, locale: str) -> dict[str, int]:
        """:func:`unique_positions` of :meth:`pieces` (a patch's anchors, before and after)."""
        found = self._unique.get(locale)
        if found is None:
            found = self._unique[locale] = unique_positions(self.pieces(locale))
        return found


def whole_op(target: str, html: str) -> dict[str, Any]:
    """The whole text, which the page keeps as the base of the next patches."""
    return {"op": "replace", "target": target, "html": html, "keep": True}


def whole(target: str, screen: Screen) -> Body:
    """A body with the whole of ``screen`` (the first frame on a topic)."""

    def body(locale: str) -> dict[str, Any]:
        return {"ops": [whole_op(target, screen.html(locale))]}

    return body


def changes(target: str, before: Screen, after: Screen) -> Body:
    """A body that turns ``before`` into ``after``: a ``patch`` op (without edits when the
    text is the same), or the whole text when a patch would not be smaller or when
    ``before`` was never rendered in that language (so nobody reading it holds it: no
    second rendering just to diff against). Built once per language."""
    cache: dict[str, dict[str, Any]] = {}

    def body(locale: str) -> dict[str, Any]:
        found = cache.get(locale)
        if found is not None:
            return found
        if not before.rendered(locale):
            found = cache[locale] = {"ops": [whole_op(target, after.html(locale))]}
            return found
        edits = diff_pieces(
            before.pieces(locale), after.pieces(locale), before.unique(locale), after.unique(locale)
        )
        html = after.html(locale)
        if sum(len(text) + 12 for _, _, text in edits) >= len(html):
            op = whole_op(target, html)
        else:
            op = {
                "op": "patch",
                "target": target,
                "edits": [list(edit) for edit in edits],
                "crc": checksum(html),
            }
        found = cache[locale] = {"ops": [op]}
        return found

    return body
