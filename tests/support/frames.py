"""Holding frames to their schemas (``estaminet.realtime.schemas``): a strict TypedDict check.

Strict: a missing key, an extra key or a value of another type is a fault (``True`` is
not an ``int`` here, ``"12"`` is not one either).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin

from estaminet.realtime.schemas import (
    ACTIONS,
    CLIENT_FRAMES,
    EVENT_KINDS,
    SERVER_FRAMES,
    TOPICS,
    VOICE_KINDS,
)

__all__ = ["check", "check_client_frame", "check_server_frame", "fields_of"]


def fields_of(schema: type) -> dict[str, Any]:
    """A TypedDict's keys and their types (``NotRequired`` unwrapped)."""
    return {
        key: _unwrap(hint)
        for key, hint in typing.get_type_hints(schema, include_extras=True).items()
    }


def _unwrap(hint: Any) -> Any:
    while get_origin(hint) in (NotRequired, Required):
        hint = get_args(hint)[0]
    return hint


def _is_typeddict(hint: Any) -> bool:
    return isinstance(hint, type) and typing.is_typeddict(hint)


def check(value: Any, hint: Any, where: str = "frame") -> None:
    """Raise ``AssertionError`` naming the path where ``value`` is not a ``hint``."""
    hint = _unwrap(hint)
    if hint is Any:
        return
    if _is_typeddict(hint):
        assert isinstance(value, dict), f"{where}: {value!r} is not an object"
        fields = fields_of(hint)
        required: frozenset[str] = hint.__required_keys__  # type: ignore[attr-defined]
        missing = required - value.keys()
        assert not missing, f"{where}: missing {sorted(missing)} ({hint.__name__})"
        extra = value.keys() - fields.keys()
        assert not extra, f"{where}: unexpected {sorted(extra)} ({hint.__name__})"
        for key, item in value.items():
            check(item, fields[key], f"{where}.{key}")
        return
    origin = get_origin(hint)
    if origin is Literal:
        assert value in get_args(hint), f"{where}: {value!r} not one of {get_args(hint)}"
        return
    if origin in (Union, types.UnionType):
        faults = []
        for option in get_args(hint):
            try:
                check(value, option, where)
                return
            except AssertionError as fault:
                faults.append(str(fault))
        raise AssertionError(" / ".join(faults))
    if origin is list:
        assert isinstance(value, list), f"{where}: {value!r} is not a list"
        (item,) = get_args(hint)
        for index, element in enumerate(value):
            check(element, item, f"{where}[{index}]")
        return
    if origin is dict:
        assert isinstance(value, dict), f"{where}: {value!r} is not an object"
        _, item = get_args(hint)
        for key, element in value.items():
            assert isinstance(key, str), f"{where}: key {key!r} is not a string"
            check(element, item, f"{where}.{key}")
        return
    if hint is type(None):
        assert value is None, f"{where}: {value!r} is not null"
        return
    if hint is int:
        assert type(value) is int, f"{where}: {value!r} is not an integer"
        return
    if hint is float:
        assert type(value) in (int, float), f"{where}: {value!r} is not a number"
        return
    assert isinstance(hint, type), f"{where}: cannot check against {hint!r}"
    assert type(value) is hint, f"{where}: {value!r} is not a {hint.__name__}"


def check_server_frame(frame: Mapping[str, Any], acts: Mapping[Any, str] | None = None) -> None:
    """``frame`` as the server sent it matches its schema (``acts``: each ``act`` id's name,
    to check an ack's data against its action's)."""
    kind = frame.get("type")
    assert kind in SERVER_FRAMES, f"unknown frame type {kind!r}"
    if kind == "event":
        assert frame.get("kind") in EVENT_KINDS, f"unknown event kind {frame.get('kind')!r}"
        check(frame, EVENT_KINDS[frame["kind"]], f"event {frame['kind']}")
        family = TOPICS.get(str(frame["topic"]).split(":", 1)[0])
        assert family is not None, f"unknown topic {frame['topic']!r}"
        assert frame["kind"] in family.kinds, f"{frame['kind']} on {frame['topic']}"
    elif kind == "voice":
        assert frame.get("kind") in VOICE_KINDS, f"unknown voice kind {frame.get('kind')!r}"
        check(frame, VOICE_KINDS[frame["kind"]], f"voice {frame['kind']}")
    else:
        check(frame, SERVER_FRAMES[kind], str(kind))
    if kind == "ack" and acts is not None and frame["id"] in acts:
        name = acts[frame["id"]]
        ack = ACTIONS[name].ack
        if ack is None:
            assert "data" not in frame, f"{name}: an ack without data was expected"
        else:
            check(frame.get("data"), ack, f"ack of {name}")
    elif kind == "subscribed" or kind == "left":
        assert str(frame["topic"]).split(":", 1)[0] in TOPICS, f"unknown topic {frame['topic']}"


def check_client_frame(frame: Mapping[str, Any]) -> None:
    """A well-formed client frame (its action's data included) matches its schema."""
    kind = frame.get("type")
    assert kind in CLIENT_FRAMES, f"unknown frame type {kind!r}"
    check(frame, CLIENT_FRAMES[kind], str(kind))
    if kind == "act":
        assert frame["name"] in ACTIONS, f"unknown action {frame['name']!r}"
        check(frame.get("data", {}), ACTIONS[frame["name"]].data, f"act {frame['name']}")
