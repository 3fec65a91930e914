"""An attacker's tools against secret ballots: every version a copy of the database keeps.

SQLite: the main file plus its write-ahead log hold every committed page
version since the last checkpoint; :func:`sqlite_versions` replays the log
commit by commit (the log cut after each commit frame is itself a valid
log) and reads every row at each commit. PostgreSQL: an UPDATE leaves the
old tuple in place until VACUUM; :func:`pg_box_versions` reads every tuple
version of the ballot boxes and of the event log with ``pageinspect``,
TOAST chunks included, and links them by transaction (``xmin``), as a
reader of the data files would.

:func:`links` is the attacker's question: for each voter, the version of
the box written in the transaction of their ``vote.ballot_cast``. A box is
unlinkable when those versions, with their ciphertexts hidden, depend on
nothing but how many ballots came before.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "PLAINTEXT_NEEDLES",
    "BoxVersion",
    "links",
    "masked",
    "pg_box_versions",
    "sqlite_versions",
]

PLAINTEXT_NEEDLES = (b'"yes"', b'"no"', b'"abstain"', b'"ballot"', b'"sealed"', b'"totals"')
"""Bytes a plaintext ballot (or a running total) would leave in a file."""

_ALLOWED = {"scheme", "n", "slot_bits", "size", "ballots", "sums", "holders", "commitments", "kept"}


def masked(contents: dict[str, Any]) -> dict[str, Any]:
    """A box version with its key, ciphertexts and commitments hidden (checked to be hex)."""
    assert set(contents) == _ALLOWED, sorted(contents)
    for value in (contents["n"], *contents["sums"], *contents["commitments"]):
        assert isinstance(value, str) and value and all(c in "0123456789abcdef" for c in value)
    assert len(contents["n"]) >= 500  # a 2048-bit modulus
    return {
        **contents,
        "n": "<key>",
        "sums": ["<ciphertext>"] * len(contents["sums"]),
        "commitments": ["<commitment>"] * len(contents["commitments"]),
    }


@dataclass(frozen=True)
class BoxVersion:
    """One stored version of a box, with the events written in the same transaction."""

    activity_id: int
    contents: dict[str, Any]
    events: tuple[dict[str, Any], ...]


# -- SQLite ------------------------------------------------------------------------


def _wal_commits(wal: bytes) -> list[int]:
    """Byte lengths of the log cut right after each valid commit frame."""
    if len(wal) < 32:
        return []
    page_size = struct.unpack(">I", wal[8:12])[0]
    salts = wal[16:24]
    frame = 24 + page_size
    cuts = []
    offset = 32
    while offset + frame <= len(wal):
        header = wal[offset : offset + 24]
        if header[8:16] != salts:
            break
        if struct.unpack(">I", header[4:8])[0]:  # "database size after commit": a commit frame
            cuts.append(offset + frame)
        offset += frame
    return cuts


def _read_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        found: dict[str, list[dict[str, Any]]] = {}
        for table in ("activity_events", "ballot_boxes"):
            found[table] = [dict(r) for r in conn.execute(f"SELECT * FROM {table}")]
        return found
    finally:
        conn.close()


def sqlite_versions(main: Path) -> list[dict[str, list[dict[str, Any]]]]:
    """Every committed state a copy of ``main`` and its ``-wal`` still holds, oldest first."""
    wal_path = Path(f"{main}-wal")
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    versions = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, cut in enumerate([0, *_wal_commits(wal)]):
            here = Path(tmp) / str(index)
            here.mkdir()
            shutil.copyfile(main, here / "copy.db")
            if cut:
                (here / "copy.db-wal").write_bytes(wal[:cut])
            versions.append(_read_rows(here / "copy.db"))
    return versions


def sqlite_box_versions(main: Path) -> list[BoxVersion]:
    """Each new box version in the log, with the events first seen in the same commit."""
    found: list[BoxVersion] = []
    seen_events: set[tuple[int, int]] = set()
    seen_boxes: set[str] = set()
    for version in sqlite_versions(main):
        fresh_events = [
            e for e in version["activity_events"] if (e["activity_id"], e["seq"]) not in seen_events
        ]
        seen_events |= {(e["activity_id"], e["seq"]) for e in version["activity_events"]}
        for row in version["ballot_boxes"]:
            if row["contents"] in seen_boxes:
                continue
            seen_boxes.add(row["contents"])
            events = tuple(
                json.loads(e["data"])
                for e in fresh_events
                if e["activity_id"] == row["activity_id"]
            )
            found.append(BoxVersion(row["activity_id"], json.loads(row["contents"]), events))
    return found


# -- PostgreSQL ----------------------------------------------------------------------


def _varlena(raw: bytes) -> bytes | int:
    """An attribute's bytes, or the TOAST value id it points to."""
    first = raw[0]
    if first == 0x01:  # an external TOAST pointer
        return int(struct.unpack("<I", raw[10:14])[0])
    if first & 0x01:  # a short header
        return raw[1 : first >> 1]
    assert first & 0x03 == 0, "a compressed value (the test reads uncompressed data)"
    return raw[4 : struct.unpack("<I", raw[:4])[0] >> 2]


async def _tuples(conn: Any, relation: str) -> list[tuple[int, list[bytes | None]]]:
    pages = await conn.fetchval(f"SELECT pg_relation_size('{relation}') / 8192")
    found = []
    for page in range(int(pages)):
        rows = await conn.fetch(
            "SELECT t_xmin, t_attrs FROM heap_page_item_attrs("
            f"get_raw_page('{relation}', {page}), '{relation}'::regclass) WHERE t_attrs IS NOT NULL"
        )
        found += [(int(r["t_xmin"]), list(r["t_attrs"])) for r in rows]
    return found


async def pg_box_versions(conn: Any) -> list[BoxVersion]:
    """Every tuple version of ``ballot_boxes`` (dead ones included), with the events of the
    same transaction; ``conn`` is an asyncpg connection to the database, as a superuser."""
    await conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    toast = await conn.fetchval(
        "SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = 'ballot_boxes'"
    )
    chunks: dict[int, list[tuple[int, bytes]]] = {}
    for _xmin, (value_id, seq, data) in await _tuples(conn, toast):
        assert value_id is not None and seq is not None and data is not None
        ident = struct.unpack("<I", value_id)[0]
        body = _varlena(data)
        assert isinstance(body, bytes)
        chunks.setdefault(ident, []).append((struct.unpack("<i", seq)[0], body))
    events: dict[int, list[dict[str, Any]]] = {}
    for xmin, attrs in await _tuples(conn, "activity_events"):
        data = _varlena(attrs[3] or b"")
        assert isinstance(data, bytes)
        events.setdefault(xmin, []).append(json.loads(data))
    found = []
    for xmin, attrs in await _tuples(conn, "ballot_boxes"):
        activity_id = struct.unpack("<i", attrs[0] or b"")[0]
        value = _varlena(attrs[2] or b"")
        if isinstance(value, int):
            value = b"".join(body for _, body in sorted(chunks[value]))
        found.append(BoxVersion(activity_id, json.loads(value), tuple(events.get(xmin, ()))))
    return found


# -- the attacker's question -----------------------------------------------------------


def links(versions: list[BoxVersion], activity_id: int) -> dict[int, dict[str, Any]]:
    """For each voter of the activity: the box version written with their ``vote.ballot_cast``
    (ciphertexts hidden). Unlinkable boxes give versions that only count ballots."""
    found: dict[int, dict[str, Any]] = {}
    for version in versions:
        if version.activity_id != activity_id:
            continue
        for event in version.events:
            if event.get("type") == "vote.ballot_cast":
                found[int(event["voter"])] = masked(version.contents)
    return found
