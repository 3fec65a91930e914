"""The drawing as compact ops: what the drawer's screen sends and what every screen folds.

The canvas is a fixed grid of ``WIDTH`` × ``HEIGHT`` integer points, whatever
the size of the screen. The drawer's browser sends a batch of ops every ~100 ms
(one action, one logged event), never one message per mouse move:

* ``["b", colour, width, x, y, dx, dy, dx, dy, …]``: a pen stroke begins at
  ``(x, y)``, each next point given as its difference from the previous one;
* ``["e", width, x, y, dx, dy, …]``: the same with the eraser;
* ``["m", dx, dy, …]``: more points for the stroke being drawn (the next batch);
* ``["u"]``: undo the last stroke or clear; ``["c"]``: clear the canvas.

The drawing of a turn is the list of its strokes and clears (``"m"`` ops are
folded into their stroke), so a screen rebuilds it by replaying that list, the
same fold in Python (here) and in the browser (``static/js/drawing.js``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "COLOURS",
    "HEIGHT",
    "MAX_OPS_PER_BATCH",
    "MAX_POINTS_PER_BATCH",
    "MAX_POINTS_PER_TURN",
    "WIDTH",
    "WIDTHS",
    "check_batch",
    "count_points",
    "fold_batch",
    "pen_after",
]

WIDTH = 800
HEIGHT = 600
COLOURS: tuple[str, ...] = (
    "#1d1d1b",  # black
    "#d62828",  # red
    "#f77f00",  # orange
    "#fcbf49",  # yellow
    "#2a9d3f",  # green
    "#1e6fd9",  # blue
    "#7b2cbf",  # purple
    "#8d5524",  # brown
)
"""The pen colours, by index (the background is white; the eraser paints it)."""
WIDTHS: tuple[int, ...] = (3, 8, 18, 36)
"""Line widths in grid points, by index (fine, medium, thick, very thick)."""
MAX_OPS_PER_BATCH = 32
MAX_POINTS_PER_BATCH = 200
"""About two seconds of fast drawing: a batch leaves every ~100 ms."""
MAX_POINTS_PER_TURN = 20_000
"""Bounds a turn's drawing (what a late viewer downloads): undo or clear to go on."""

Pen = tuple[int, int] | None
"""The last point of the stroke being drawn, or ``None`` when no stroke can go on."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _walk(x: int, y: int, deltas: Sequence[Any]) -> tuple[int, int] | None:
    """The last point after ``deltas`` from ``(x, y)``, or ``None`` if one leaves the grid."""
    if len(deltas) % 2:
        return None
    for i in range(0, len(deltas), 2):
        dx, dy = deltas[i], deltas[i + 1]
        if not _is_int(dx) or not _is_int(dy):
            return None
        x, y = x + dx, y + dy
        if not (0 <= x <= WIDTH and 0 <= y <= HEIGHT):
            return None
    return x, y


def count_points(ops: Sequence[Sequence[Any]]) -> int:
    """Points in a list of ops (a batch or a whole drawing)."""
    total = 0
    for op in ops:
        if op and op[0] == "b":
            total += (len(op) - 3) // 2
        elif op and op[0] == "e":
            total += (len(op) - 2) // 2
        elif op and op[0] == "m":
            total += (len(op) - 1) // 2
    return total


def check_batch(ops: Any, pen: Pen, drawing: Sequence[Sequence[Any]]) -> str | None:
    """``None`` if ``ops`` is a well-formed batch that can follow ``drawing``, else a reason code."""
    if not isinstance(ops, list) or not ops or len(ops) > MAX_OPS_PER_BATCH:
        return "bad_ink"
    if any(not isinstance(op, list) or not op for op in ops):
        return "bad_ink"
    if count_points(ops) > MAX_POINTS_PER_BATCH:
        return "batch_too_big"
    depth = len(drawing)
    for op in ops:
        kind, args = op[0], op[1:]
        if kind == "b":
            if len(args) < 4 or not all(_is_int(a) for a in args[:4]):
                return "bad_ink"
            colour, width, x, y = args[:4]
            if not (0 <= colour < len(COLOURS) and 0 <= width < len(WIDTHS)):
                return "bad_ink"
            if not (0 <= x <= WIDTH and 0 <= y <= HEIGHT):
                return "bad_ink"
            pen = _walk(x, y, args[4:])
            if pen is None:
                return "bad_ink"
            depth += 1
        elif kind == "e":
            if len(args) < 3 or not all(_is_int(a) for a in args[:3]):
                return "bad_ink"
            width, x, y = args[:3]
            if not (0 <= width < len(WIDTHS) and 0 <= x <= WIDTH and 0 <= y <= HEIGHT):
                return "bad_ink"
            pen = _walk(x, y, args[3:])
            if pen is None:
                return "bad_ink"
            depth += 1
        elif kind == "m":
            if pen is None or len(args) < 2:
                return "bad_ink"
            pen = _walk(pen[0], pen[1], args)
            if pen is None:
                return "bad_ink"
        elif kind in ("u", "c") and not args:
            if kind == "u" and depth == 0:
                return "nothing_to_undo"
            depth = depth - 1 if kind == "u" else depth + 1
            pen = None
        else:
            return "bad_ink"
    return None


def pen_after(drawing: Sequence[Sequence[Any]]) -> Pen:
    """Where the last stroke of ``drawing`` ends (``None`` after a clear or an empty one)."""
    if not drawing or drawing[-1][0] not in ("b", "e"):
        return None
    last = drawing[-1]
    start = 3 if last[0] == "b" else 2
    x, y = last[start], last[start + 1]
    deltas = last[start + 2 :]
    return (x + sum(deltas[0::2]), y + sum(deltas[1::2]))


def fold_batch(drawing: list[list[Any]], ops: Sequence[Sequence[Any]]) -> None:
    """Fold a checked batch into ``drawing`` in place (the same fold as the browser's)."""
    for op in ops:
        kind = op[0]
        if kind in ("b", "e", "c"):
            drawing.append(list(op))
        elif kind == "m":
            if drawing and drawing[-1][0] in ("b", "e"):
                drawing[-1].extend(op[1:])
        elif kind == "u" and drawing:
            drawing.pop()
