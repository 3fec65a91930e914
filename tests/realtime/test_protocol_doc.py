"""docs/protocol.md against the frame schemas (``estaminet.realtime.schemas``).

Every topic family, frame type, event kind, voice kind, op and action is documented with
its fields, and nothing is documented that does not exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from estaminet.kernel.errors import Forbidden, SignInRequired
from estaminet.realtime.connection import CLOSE_TOO_SLOW
from estaminet.realtime.schemas import (
    ACTIONS,
    CLIENT_FRAMES,
    EVENT_KINDS,
    OPS,
    SERVER_FRAMES,
    TOPICS,
    VOICE_KINDS,
    EventFrame,
    VoiceFrame,
)
from tests.support.frames import fields_of

DOC = Path(__file__).parents[2] / "docs" / "protocol.md"

Table = list[dict[str, str]]


def tables(text: str) -> dict[tuple[str, str], Table]:
    """Each Markdown table by (the heading above it, its first column's title)."""
    found: dict[tuple[str, str], Table] = {}
    heading = ""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if line.startswith("|") and index + 1 < len(lines) and set(lines[index + 1]) <= set("|-: "):
            header = _cells(line)
            rows: Table = []
            index += 2
            while index < len(lines) and lines[index].startswith("|"):
                rows.append(dict(zip(header, _cells(lines[index]), strict=True)))
                index += 1
            key = (heading, header[0])
            assert key not in found, f"two tables {key} in {DOC.name}"
            found[key] = rows
            continue
        index += 1
    return found


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def top_level_names(cell: str) -> set[str]:
    """The backticked identifiers of ``cell`` outside parentheses (those are explanations)."""
    depth, kept = 0, []
    in_code = False
    for char in cell:
        if char == "`":
            in_code = not in_code
        elif not in_code and char == "(":
            depth += 1
            continue
        elif not in_code and char == ")":
            depth -= 1
            continue
        if depth == 0:
            kept.append(char)
    return {name for name in re.findall(r"`([^`]+)`", "".join(kept)) if name.isidentifier()}


def json_keys(cell: str) -> set[str]:
    return set(re.findall(r'"(\w+)":', cell))


def json_type(cell: str) -> str:
    found = re.search(r'"type":"(\w+)"', cell)
    assert found, cell
    return found.group(1)


@pytest.fixture(scope="module")
def doc() -> dict[tuple[str, str], Table]:
    return tables(DOC.read_text(encoding="utf-8"))


def test_protocol_doc_lists_every_topic_family_and_no_other(
    doc: dict[tuple[str, str], Table],
) -> None:
    documented: set[str] = set()
    for row in doc["Topics", "topic"]:
        for pattern in re.findall(r"`([a-z]+):", row["topic"]):
            documented.add(pattern)
    assert documented == set(TOPICS)


def test_protocol_doc_client_frames_match_their_schemas(
    doc: dict[tuple[str, str], Table],
) -> None:
    rows = doc["Client → server", "frame"]
    assert {json_type(row["frame"]) for row in rows} == set(CLIENT_FRAMES)
    for row in rows:
        kind = json_type(row["frame"])
        keys = json_keys(row["frame"])
        fields = set(fields_of(CLIENT_FRAMES[kind]))
        assert keys <= fields, kind
        assert fields <= keys | top_level_names(row["meaning"]), kind


def test_protocol_doc_actions_match_their_schemas(doc: dict[tuple[str, str], Table]) -> None:
    rows = {row["name"].strip("`"): row for row in doc["Client → server", "name"]}
    assert set(rows) == set(ACTIONS)
    for name, schema in ACTIONS.items():
        assert top_level_names(rows[name]["data"]) == set(fields_of(schema.data)), name
        ack = top_level_names(rows[name]["ack data"])
        assert ack == (set(fields_of(schema.ack)) if schema.ack else set()), name
        if schema.ack is None:
            assert rows[name]["ack data"] == "—", name


def test_protocol_doc_server_frames_match_their_schemas(
    doc: dict[tuple[str, str], Table],
) -> None:
    rows = doc["Server → client", "frame"]
    assert {json_type(row["frame"]) for row in rows} == set(SERVER_FRAMES)
    for row in rows:
        kind = json_type(row["frame"])
        keys = json_keys(row["frame"])
        fields = set(fields_of(SERVER_FRAMES[kind]))
        assert keys <= fields, kind
        # Optional fields may be told in the meaning instead of the example.
        assert fields <= keys | top_level_names(row["meaning"]), kind


def test_protocol_doc_event_kinds_match_their_schemas_and_topics(
    doc: dict[tuple[str, str], Table],
) -> None:
    rows = {row["kind"].strip("`"): row for row in doc["Event kinds", "kind"]}
    assert set(rows) == set(EVENT_KINDS)
    base = set(fields_of(EventFrame))
    for kind, schema in EVENT_KINDS.items():
        extra = set(fields_of(schema)) - base
        assert top_level_names(rows[kind]["fields besides ops"]) == extra, kind
        topics = set(re.findall(r"`([a-z]+):", rows[kind]["topics"]))
        assert topics == {p for p, family in TOPICS.items() if kind in family.kinds}, kind


def test_protocol_doc_voice_frames_match_their_schemas(doc: dict[tuple[str, str], Table]) -> None:
    rows = {row["kind"].strip("`"): row for row in doc["Voice frames", "kind"]}
    assert set(rows) == set(VOICE_KINDS)
    base = set(fields_of(VoiceFrame))
    for kind, schema in VOICE_KINDS.items():
        fields = set(fields_of(schema)) - base
        assert top_level_names(rows[kind]["fields"]) == fields, kind
        if not fields:
            assert rows[kind]["fields"] == "—", kind


def test_protocol_doc_ops_match_their_schemas(doc: dict[tuple[str, str], Table]) -> None:
    rows = {row["op"].strip("`"): row for row in doc["Ops", "op"]}
    assert set(rows) == set(OPS)
    for op, schema in OPS.items():
        assert top_level_names(rows[op]["fields"]) == set(fields_of(schema)) - {"op"}, op


def test_protocol_doc_close_codes_are_those_the_server_uses(
    doc: dict[tuple[str, str], Table],
) -> None:
    documented = {int(row["code"]) for row in doc["Close codes", "code"]}
    # 1009 is the WebSocket layer's own (ws_max_message_bytes), not the gateway's.
    assert documented == {SignInRequired.close_code, Forbidden.close_code, CLOSE_TOO_SLOW, 1009}


def test_protocol_doc_reader_sees_an_undocumented_field() -> None:
    """The check above is not blind: a row that forgets a field, or adds one, is caught."""
    assert top_level_names("`room`, `body` (Markdown, ≤ `chat_max_length`)") == {"room", "body"}
    assert top_level_names("`space`, `to` (a person), `signal`: `{type: x}`") == {
        "space",
        "to",
        "signal",
    }
    text = "## Ops\n\n| op | fields | effect |\n|---|---|---|\n| `toast` | `html`, `id` | x |\n"
    rows = tables(text)["Ops", "op"]
    assert top_level_names(rows[0]["fields"]) != set(fields_of(OPS["toast"])) - {"op"}
