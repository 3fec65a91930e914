"""A tab that missed more than a page of chat gets one page back, never the whole gap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.live_server import LiveServer, start_server_on

PAGE = 5


@pytest.fixture(scope="module")
def live(database_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from start_server_on(
        database_backend,
        tmp_path_factory.mktemp("live"),
        chat_page_size=PAGE,
        chat_rate_burst=100,
        chat_rate_per_second=100.0,
    )


async def test_a_long_absence_brings_back_one_page(people: Any) -> None:
    alice, bob = await people("Alice"), await people("Bob")
    async with alice.socket() as a:
        seq = (await a.sub("room:defouloir"))["seq"]
    async with bob.socket() as b:
        await b.sub("room:defouloir")
        for n in range(PAGE):  # a page's worth: each change comes back, in order
            reply = await b.act("chat.send", {"room": "defouloir", "body": f"m{n}"}, ref=f"r{n}")
            assert reply["type"] == "ack"
    async with alice.socket() as a:
        await a.send({"type": "sub", "topic": "room:defouloir", "after": seq})
        catch_up = await a.expect(type="event", kind="catch_up")
        assert [op["op"] for op in catch_up["ops"]] == ["upsert"] * PAGE
    async with bob.socket() as b:
        await b.sub("room:defouloir")
        for n in range(PAGE, 4 * PAGE):
            reply = await b.act("chat.send", {"room": "defouloir", "body": f"m{n}"}, ref=f"r{n}")
            assert reply["type"] == "ack"
    async with alice.socket() as a:
        await a.send({"type": "sub", "topic": "room:defouloir", "after": seq})
        catch_up = await a.expect(type="event", kind="catch_up")
        # more than a page missed: the last page replaces the log, with a way to read earlier
        (op,) = catch_up["ops"]
        assert op["op"] == "replace" and op["target"] == "#chat-log-defouloir"
        assert op["html"].count('id="msg-') == PAGE
        assert f">m{4 * PAGE - 1}<" in op["html"] and ">m0<" not in op["html"]
        assert "data-history" in op["html"] or "plus anciens" in op["html"].lower()
        assert len(json.dumps(catch_up)) < 8_000
