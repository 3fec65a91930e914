"""Request bodies are bounded before they are read: 413 with a translated page, memory flat."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest
from websockets.exceptions import ConnectionClosed

from estaminet.people.model import Role
from estaminet.settings import Settings
from estaminet.web.limits import body_limit
from tests.support.live_server import Person
from tests.support.served import served

_CHUNK = b"a" * 65_536


async def _oversized_post(base: str, path: str, *, total: int, chunked: bool) -> tuple[int, str]:
    """POST ``total`` bytes of form (declared, or chunked without a length); the answer."""
    url = urlsplit(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nAccept-Language: fr\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\n{length}\r\n\r\n".encode()
    )

    async def send_body() -> None:
        sent = 0
        with contextlib.suppress(ConnectionError):
            while sent < total:
                writer.write(b"%x\r\n%s\r\n" % (len(_CHUNK), _CHUNK) if chunked else _CHUNK)
                await writer.drain()
                sent += len(_CHUNK)

    sending = asyncio.create_task(send_body())
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
        status = int(head.split(b" ", 2)[1])
        found = re.search(rb"content-length: (\d+)", head, re.I)
        body = await reader.readexactly(int(found.group(1))) if found else b""
    finally:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sending
        writer.close()
    return status, body.decode(errors="replace")


async def test_oversized_bodies_get_413_and_the_server_memory_stays_flat(tmp_path: Path) -> None:
    with served(tmp_path, host="127.0.0.1") as server:
        process = psutil.Process(server.process.pid)
        baseline = process.memory_info().rss
        peak = baseline
        done = asyncio.Event()

        async def watch() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, process.memory_info().rss)
                await asyncio.sleep(0.01)

        watcher = asyncio.create_task(watch())
        answers = await asyncio.gather(
            *(
                _oversized_post(server.base, "/login", total=40_000_000, chunked=chunked)
                for chunked in (False, False, False, True, True, True)
            )
        )
        done.set()
        await watcher
    for status, page in answers:
        assert status == 413
        assert "trop volumineux" in page and "16" in page
    assert peak - baseline < 30_000_000, (baseline, peak)


def test_body_limit_by_route_and_visitor() -> None:
    settings = Settings(
        body_max_bytes=100,
        body_max_public_bytes=10,
        body_max_upload_bytes=1000,
        agenda_picture_max_bytes=500,
    )
    assert body_limit(settings, "/login", signed_in=False) == 10
    assert body_limit(settings, "/agenda/new", signed_in=False) == 10
    assert body_limit(settings, "/me/name", signed_in=True) == 100
    assert body_limit(settings, "/agenda/new", signed_in=True) == 1000
    assert body_limit(settings, "/agenda/12/edit", signed_in=True) == 1000
    assert body_limit(settings, "/quiz/new", signed_in=True) == 1000
    assert body_limit(settings, "/quiz/7/edit", signed_in=True) == 1000
    assert body_limit(settings, "/quiz/import", signed_in=True) == 100
    # A picture the agenda accepts always fits, whatever the upload limit says.
    bigger = settings.model_copy(update={"agenda_picture_max_bytes": 5000})
    assert body_limit(bigger, "/agenda/new", signed_in=True) == 5100


async def test_a_signed_in_form_over_its_limit_gets_the_english_page(people: Any) -> None:
    person: Person = await people("Léa", locale="en")
    token = await person.csrf("/me")
    refused = await person.http.post("/me/name", data={"csrf": token, "name": "x" * 300_000})
    assert refused.status_code == 413
    assert "What you sent is too large (at most 262 KB here)." in refused.text
    fine = await person.http.post("/me/name", data={"csrf": token, "name": "Léa B."})
    assert fine.status_code == 303


async def test_a_websocket_message_over_the_limit_closes_with_1009(people: Any) -> None:
    person: Person = await people("Max")
    async with person.socket() as sock:
        await sock.send("x" * 70_000)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(sock.ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_agenda_forms_take_a_picture_but_not_more(people: Any) -> None:
    person: Person = await people("Ana", Role.ANIMATOR)
    token = await person.csrf("/agenda/new")
    picture = ("photo.png", b"\x89PNG" + b"0" * 400_000, "image/png")
    small = await person.http.post(
        "/agenda/new", data={"csrf": token, "title": ""}, files={"picture": picture}
    )
    assert small.status_code != 413
    # Over the phone photo the agenda accepts (10 MB) plus the form: refused before it is read.
    huge = ("photo.png", b"\x89PNG" + b"0" * 12_000_000, "image/png")
    refused = await person.http.post(
        "/agenda/new", data={"csrf": token, "title": ""}, files={"picture": huge}
    )
    assert refused.status_code == 413
    assert "trop volumineux" in refused.text
