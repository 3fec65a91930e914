"""The gateway against hostile frames and ended sessions, over a real socket."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person, Socket


class _Errors(logging.Handler):
    """Every record at ERROR or above, from any logger (the server runs in this process)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_errors() -> Iterator[list[logging.LogRecord]]:
    handler = _Errors()
    logging.getLogger().addHandler(handler)
    try:
        yield handler.records
    finally:
        logging.getLogger().removeHandler(handler)


async def _close_code(sock: Socket) -> int | None:
    """Read until the server closes the socket; its close code."""
    try:
        async with asyncio.timeout(10):
            while True:
                await sock.ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def _still_usable(sock: Socket) -> None:
    await sock.send({"type": "ping"})
    await sock.expect(type="pong")
    # A topic no fuzzed frame names: a late refusal of a fuzzed ``sub`` cannot pass for
    # the answer to this one.
    assert (await sock.sub("presence:defouloir"))["type"] == "subscribed"


async def test_gateway_refuses_a_frame_nested_too_deep_and_stays_up(
    people: Any, server_errors: list[logging.LogRecord]
) -> None:
    alice: Person = await people("Alice")
    async with alice.socket() as sock:
        for raw in ("[" * 1100 + "]" * 1100, '{"a":' * 1100 + "1" + "}" * 1100):
            await sock.send(raw)
            error = await sock.expect(type="error")
            assert error["code"] == "gateway/malformed"
            assert error["message"] == "Ce message n'a pas pu être lu."
        # Brackets inside a string are only text.
        await sock.send({"type": "ping", "note": "[" * 1100})
        await sock.expect(type="pong")
        await _still_usable(sock)
    assert not server_errors


async def test_gateway_logout_ends_the_sockets_of_that_session_only(people: Any) -> None:
    laptop: Person = await people("Lou")
    token = await laptop.csrf("/me")
    made = await laptop.http.post("/me/link", data={"csrf": token})
    link = re.search(r"/l/[\w-]+", made.text)
    assert link
    phone: Person = await people()
    token = await phone.csrf(link.group(0))
    assert (await phone.http.post(link.group(0), data={"csrf": token})).status_code == 303
    async with laptop.socket() as on_laptop, phone.socket() as on_phone:
        token = await laptop.csrf("/me")
        assert (await laptop.http.post("/logout", data={"csrf": token})).status_code == 303
        assert await _close_code(on_laptop) == 4401
        await _still_usable(on_phone)


async def test_gateway_a_moderator_cannot_mute_or_kick_an_admin(
    live: LiveServer, people: Any
) -> None:
    moderator: Person = await people("Modeste", Role.MODERATOR)
    admin: Person = await people()
    await admin.sign_in_admin()
    async with admin.socket() as as_admin, moderator.socket() as as_moderator:
        await as_admin.sub("room:bar")
        admin_id = live.app.state.gateway.connections
        target = next(
            uid
            for uid, conns in admin_id.items()
            if any(c.principal.role == "admin" for c in conns)
        )
        for name in ("room.mute", "room.kick"):
            refused = await as_moderator.act(
                name, {"room": "bar", "user": target, "minutes": 5}, ref=name
            )
            assert refused["type"] == "error" and refused["code"] == "venue/cannot_moderate"


# -- fuzzing -------------------------------------------------------------------

_ACTIONS = [
    "chat.send", "chat.edit", "chat.delete", "chat.source", "room.mute", "room.kick",
    "voice.join", "voice.leave", "voice.signal", "voice.speaking", "voice.mute",
    "voice.moderate", "table.act", "nonsense",
]  # fmt: skip
_TOPICS = [
    "room:bar", "presence:bar", "room:nowhere", "user:someone", "voice:room:bar",
    "agenda:now:public", "agenda:now:team", "table:1:watch", "table:x", "room:",
]  # fmt: skip
_KEYS = [
    "room", "body", "message", "user", "minutes", "space", "client_id", "signal", "to",
    "speaking", "muted", "action", "reason", "table", "move",
]  # fmt: skip

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["bar", "defouloir", "room:bar", "@Admin", "\u202e", "\x00", "\ud800"])
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
_frames = st.fixed_dictionaries(
    {"type": st.sampled_from(["sub", "unsub", "act", "ping", "nope"]) | _values},
    optional={
        "topic": st.sampled_from(_TOPICS) | _values,
        "after": st.integers(min_value=-3, max_value=2**64) | _values,
        "id": st.text(max_size=70) | st.integers() | _values,
        "name": st.sampled_from(_ACTIONS) | _values,
        "data": st.dictionaries(st.sampled_from(_KEYS), _values, max_size=5) | _values,
    },
)
_raw = st.one_of(
    _frames.map(json.dumps),  # lone surrogates arrive escaped (valid JSON, odd text)
    # As bytes, unescaped: a lone surrogate makes invalid UTF-8.
    _frames.map(lambda f: json.dumps(f, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.text(max_size=200),
    st.binary(max_size=200),
    st.integers(min_value=0, max_value=3000).map(lambda n: "[" * n + "]" * n),
    st.integers(min_value=0, max_value=3000).map(lambda n: '{"type":' * n + "1" + "}" * n),
)


@pytest.fixture(scope="module")
def fuzzer_cookie(live: LiveServer) -> str:
    async def join() -> str:
        person = Person(live)
        try:
            assert (await person.join(await live.invite(), "Fuzz")).status_code == 303
            return "; ".join(f"{k}={v}" for k, v in person.http.cookies.items())
        finally:
            await person.close()

    return asyncio.run(join())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frames=st.lists(_raw, min_size=1, max_size=8))
def test_gateway_fuzzed_frames_raise_nothing_and_leave_the_socket_usable(
    live: LiveServer, fuzzer_cookie: str, server_errors: list[logging.LogRecord], frames: list[Any]
) -> None:
    async def scenario() -> None:
        url = live.base.replace("http", "ws") + "/ws"
        async with connect(
            url,
            origin=live.origin,
            additional_headers={"cookie": fuzzer_cookie},  # type: ignore[arg-type]
        ) as ws:
            sock = Socket(ws)
            await sock.expect(type="subscribed")
            for frame in frames:
                await sock.send(frame) if isinstance(frame, str) else await ws.send(frame)
            await _still_usable(sock)
            internal = [f for f in sock.seen + sock.pending if f.get("code") == "gateway/internal"]
            assert not internal, (frames, internal)

    asyncio.run(scenario())
    assert not server_errors, [r.getMessage() for r in server_errors]
