"""Keyset pagination: pages of a list in a stable order, with opaque cursors.

A page is read *after* (or *before*) the sort key of a row, never at an
offset, so rows created or removed meanwhile neither repeat nor vanish
between pages. The order must be total: its last key is unique (an id).
A cursor is the sort key of a row as URL-safe base64 JSON; it is not secret
and not signed: a forged cursor only moves the window within what the
viewer may already list.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.storable import is_storable_text

__all__ = ["BadCursor", "KeysetPage", "SortKey", "decode_cursor", "encode_cursor", "read_page"]

T = TypeVar("T")
_MAX_CURSOR = 512


class BadCursor(ValueError):
    """A cursor that was not made by :func:`encode_cursor` for this list."""


@dataclass(frozen=True)
class SortKey:
    """One column of the order: its expression (labelled with ``name``) and its type."""

    expression: ColumnElement[Any]
    name: str
    kind: type  # str or datetime


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """The rows of one page and the cursors of its neighbours (``None``: no such page)."""

    items: list[T]
    next_cursor: str | None
    previous_cursor: str | None


def encode_cursor(values: Sequence[object]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> tuple[object, ...]:
    """The sort key a cursor names, checked against the order's types; else :class:`BadCursor`."""
    if not cursor or len(cursor) > _MAX_CURSOR:
        raise BadCursor(cursor)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursor(cursor) from exc
    if not isinstance(values, list) or len(values) != len(keys):
        raise BadCursor(cursor)
    decoded: list[object] = []
    for key, value in zip(keys, values, strict=True):
        if not isinstance(value, str) or not is_storable_text(value):
            raise BadCursor(cursor)  # a NUL would reach PostgreSQL's comparison and fail there
        if key.kind is datetime:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError as exc:
                raise BadCursor(cursor) from exc
            if moment.tzinfo is None:
                raise BadCursor(cursor)
            decoded.append(moment)
        else:
            decoded.append(value)
    return tuple(decoded)


def _beyond(keys: Sequence[SortKey], values: Sequence[object], later: bool) -> ColumnElement[bool]:
    """Rows strictly after (``later``) or before ``values`` in the order, key by key."""
    clauses = []
    for index, key in enumerate(keys):
        equal = [keys[i].expression == values[i] for i in range(index)]
        step = key.expression > values[index] if later else key.expression < values[index]
        clauses.append(and_(*equal, step))
    return or_(*clauses)


async def read_page(
    conn: AsyncConnection,
    query: Select[Any],
    keys: Sequence[SortKey],
    build: Callable[[Any], T],
    *,
    descending: bool = False,
    after: str | None = None,
    before: str | None = None,
    size: int = 50,
) -> KeysetPage[T]:
    """One page of ``query`` in the order of ``keys`` (all ascending, or all ``descending``).

    With ``before``, the page that ends just before that cursor; with ``after``
    (or neither), the page that starts just after it (or the first page).
    Raises :class:`BadCursor` for a cursor that does not decode.
    """
    backwards = before is not None
    cursor = before if backwards else after
    query = query.add_columns(*(k.expression.label(k.name) for k in keys))
    if cursor is not None:
        values = decode_cursor(cursor, keys)
        later = descending == backwards  # moving towards greater keys
        query = query.where(_beyond(keys, values, later))
    ascending = descending == backwards
    order = [k.expression.asc() if ascending else k.expression.desc() for k in keys]
    rows = list(await conn.execute(query.order_by(*order).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return KeysetPage([], None, None)
    first = encode_cursor([rows[0]._mapping[k.name] for k in keys])
    last = encode_cursor([rows[-1]._mapping[k.name] for k in keys])
    has_next = more if not backwards else True
    has_previous = more if backwards else cursor is not None
    return KeysetPage(
        [build(row) for row in rows],
        last if has_next else None,
        first if has_previous else None,
    )
