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
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

__all__ = [
    "Body",
    "Edit",
    "Screen",
    "apply_edits",
    "changes",
    "checksum",
    "diff",
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


def diff(
    old: Sequence[str],
    new: Sequence[str],
    old_unique: Mapping[str, int] | None = None,
    new_unique: Mapping[str, int] | None = None,
) -> list[Edit]:
    """Edits that turn the tokens ``old`` into ``new`` (empty when they are equal).

    The tokens that occur once in each text and in the same order in both anchor the
    two texts to each other (as in a patience diff); what differs between two anchors
    is one edit, or a finer one when the gap is small. ``old_unique`` and ``new_unique``:
    :func:`unique_positions` of each, when already known (a screen keeps its own)."""
    edits: list[Edit] = []
    (i0, j0), end_old, end_new = _trim(old, new, 0, len(old), 0, len(new))
    if i0 == end_old and j0 == end_new:
        return edits
    if old_unique is None:
        old_unique = unique_positions(old)
    if new_unique is None:
        new_unique = unique_positions(new)
    for i, j in [*_anchors(old_unique, new_unique, i0, end_old, j0, end_new), (end_old, end_new)]:
        # Most stretches between two anchors are alike (a ``</li>`` that is not unique):
        # compared whole, at C speed, before any token-by-token look.
        if i - i0 != j - j0 or old[i0:i] != new[j0:j]:
            (a0, b0), a1, b1 = _trim(old, new, i0, i, j0, j)
            _gap(old, new, a0, a1, b0, b1, edits)
        i0, j0 = i + 1, j + 1
    return edits


def unique_positions(tokens: Sequence[str]) -> dict[str, int]:
    """Where each token that occurs exactly once in ``tokens`` is."""
    counts = Counter(tokens)
    last = dict(zip(tokens, range(len(tokens)), strict=True))
    return {token: last[token] for token, count in counts.items() if count == 1}


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
    """Pairs (i, j), increasing in both, of tokens found exactly once in each text, within
    the ranges ``[i0, i1)`` and ``[j0, j1)``."""
    pairs = [
        (i, j)
        for token, i in old_unique.items()
        if i0 <= i < i1 and (j := new_unique.get(token, -1)) >= j0 and j < j1
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
    old: Sequence[str], new: Sequence[str], i0: int, i1: int, j0: int, j1: int, edits: list[Edit]
) -> None:
    if i0 == i1 and j0 == j1:
        return
    a, b = old[i0:i1], new[j0:j1]
    if not a or not b or len(a) * len(b) > _FINE_LIMIT:
        edits.append((i0, len(a), "".join(b)))
        return
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for tag, k1, k2, l1, l2 in matcher.get_opcodes():
        if tag != "equal":
            edits.append((i0 + k1, k2 - k1, "".join(b[l1:l2])))


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
    """One rendering per language, made on first use and kept with its tokens: what a topic
    last published, the base of its next patch. Compared by identity."""

    __slots__ = ("_html", "_render", "_tokens", "_unique")

    def __init__(self, render: Callable[[str], str]) -> None:
        self._render = render
        self._html: dict[str, str] = {}
        self._tokens: dict[str, list[str]] = {}
        self._unique: dict[str, dict[str, int]] = {}

    def html(self, locale: str) -> str:
        found = self._html.get(locale)
        if found is None:
            found = self._html[locale] = self._render(locale)
        return found

    def rendered(self, locale: str) -> bool:
        """Whether this screen was rendered in ``locale`` (someone read it in that language)."""
        return locale in self._html

    def tokens(self, locale: str) -> list[str]:
        found = self._tokens.get(locale)
        if found is None:
            found = self._tokens[locale] = tokens(self.html(locale))
        return found

    def unique(self, locale: str) -> dict[str, int]:
        """:func:`unique_positions` of :meth:`tokens` (a patch's anchors, before and after)."""
        found = self._unique.get(locale)
        if found is None:
            found = self._unique[locale] = unique_positions(self.tokens(locale))
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
        edits = diff(
            before.tokens(locale), after.tokens(locale), before.unique(locale), after.unique(locale)
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
