"""No secret in the server's log, and no client address unless the admin turns it on."""

from __future__ import annotations

import html
import logging
import re
import secrets
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from estaminet.store import Database
from estaminet.web.logs import Redactor, redact
from tests.support.served import Served, served

_TOKEN = r"([A-Za-z0-9_-]{30,})"


def _csrf(response: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', response.text)
    assert found, response.text[:300]
    return found.group(1)


async def _post(client: httpx.AsyncClient, path: str, **data: str) -> httpx.Response:
    return await client.post(path, data={"csrf": _csrf(await client.get(path)), **data})


async def _post_from(
    client: httpx.AsyncClient, page: str, path: str, **data: str
) -> httpx.Response:
    return await client.post(path, data={"csrf": _csrf(await client.get(page)), **data})


async def _every_flow(server: Served) -> set[str]:
    """Sign in, invite, join, personal link, feed, password, sockets; every secret issued."""
    secrets_seen: set[str] = {server.admin_link.rsplit("/", 1)[1]}
    base = server.base
    admin = httpx.AsyncClient(base_url=base)
    guest = httpx.AsyncClient(base_url=base)
    phone = httpx.AsyncClient(base_url=base)
    stranger = httpx.AsyncClient(base_url=base)
    try:
        assert (await _post(admin, server.admin_link)).status_code == 303
        made = await _post_from(
            admin, "/admin/invites", "/admin/invites", role="guest", expires="1d", note="x"
        )
        assert made.status_code == 303
        detail = await admin.get(made.headers["location"])
        invite = re.search(r"/i/" + _TOKEN, html.unescape(detail.text))
        assert invite, detail.text[:500]
        secrets_seen.add(invite.group(1))

        assert (await _post(guest, f"/i/{invite.group(1)}", name="Zoé")).status_code == 303
        personal = await _post_from(guest, "/me", "/me/link")
        link = re.search(r"/l/" + _TOKEN, personal.text)
        assert link, personal.text[:500]
        secrets_seen.add(link.group(1))
        assert (await _post(phone, f"/l/{link.group(1)}")).status_code == 303

        feed_page = await _post_from(guest, "/agenda/subscribe", "/agenda/subscribe/new")
        feed = re.search(r"/agenda/feed/" + _TOKEN + r"\.ics", feed_page.text)
        assert feed, feed_page.text[:500]
        secrets_seen.add(feed.group(1))
        assert (await guest.get(f"/agenda/feed/{feed.group(1)}.ics")).status_code == 200

        password = secrets.token_urlsafe(18)
        secrets_seen.add(password)
        account = await _post_from(
            guest, "/me", "/me/account", email="zoe@example.org", password=password
        )
        assert account.status_code == 303
        zoe_id = (await guest.get("/me")).text.split('data-me="')[1].split('"')[0]
        confirmed = await _post_from(
            admin, "/admin/people", f"/admin/people/{zoe_id}/confirm-email"
        )
        assert confirmed.status_code == 303  # no mail here: the admin vouches for the address
        assert (
            await _post(stranger, "/login", email="zoe@example.org", password="nope")
        ).status_code
        signed = await _post(stranger, "/login", email="zoe@example.org", password=password)
        assert signed.status_code == 303

        unknown = secrets.token_urlsafe(32)
        secrets_seen.add(unknown)
        assert (await stranger.get(f"/i/{unknown}")).status_code == 404
        assert (await stranger.get(f"/l/{unknown}?next={unknown}")).status_code == 200
        assert (await stranger.get("/admin/people?q=Zo%C3%A9")).status_code in (401, 403)

        for client in (admin, guest, phone, stranger):
            secrets_seen.update(v for v in client.cookies.values() if len(v) >= 16)
        cookie = "; ".join(f"{k}={v}" for k, v in guest.cookies.items())
        ws_url = base.replace("http", "ws") + "/ws"
        async with connect(ws_url, origin=base, additional_headers={"cookie": cookie}) as ws:  # type: ignore[arg-type]
            await ws.recv()
        try:
            async with connect(ws_url, origin=base) as ws:  # type: ignore[arg-type]
                await ws.recv()
        except ConnectionClosed:
            pass
    finally:
        for client in (admin, guest, phone, stranger):
            await client.aclose()
    return secrets_seen


async def test_server_log_holds_no_token_and_no_client_address(tmp_path: Path) -> None:
    with served(tmp_path) as server:
        issued = await _every_flow(server)
    log = server.log()
    # The log is there and speaks of these requests...
    assert '"POST /login HTTP/1.1" 303' in log
    assert '"GET /i/… HTTP/1.1" 404' in log
    assert '"WebSocket /ws" [accepted]' in log
    # ...once: uvicorn's own "connection open" and "connection closed" add nothing to it.
    assert "connection open" not in log and "connection closed" not in log
    # ...without a secret or an address.
    leaked = sorted(token for token in issued if token in log)
    assert not leaked, f"secrets in the log: {leaked}\n{log}"
    assert "127.0.0.1" not in log
    assert "::1" not in log


async def test_server_log_has_client_addresses_when_the_admin_asks(tmp_path: Path) -> None:
    with served(tmp_path, ESTAMINET_LOG_CLIENT_ADDRESSES="true") as server:
        async with httpx.AsyncClient() as client:
            await client.get(f"{server.base}/healthz")
    assert "127.0.0.1:" in server.log()


def test_redact_hides_secret_segments_and_query_values() -> None:
    token = secrets.token_urlsafe(32)
    assert redact(f"GET /i/{token}") == "GET /i/…"
    assert redact(f"/agenda/feed/{token}.ics") == "/agenda/feed/…"
    assert redact(f"/verify/{token}") == "/verify/…"
    assert redact("/admin/people?q=Zo%C3%A9&after=abc") == "/admin/people?q=…&after=…"
    assert redact("/r/bar") == "/r/bar"


def test_redactor_cleans_arguments_and_tracebacks() -> None:
    token = secrets.token_urlsafe(32)
    try:
        raise ValueError(f"bad link /l/{token}")
    except ValueError as error:
        record = logging.LogRecord(
            "estaminet.x",
            logging.ERROR,
            __file__,
            1,
            "%s - %s",
            ("10.1.2.3:5555", f"/l/{token}"),
            (type(error), error, error.__traceback__),
        )
    assert Redactor().filter(record)
    text = logging.Formatter().format(record)
    assert token not in text and "10.1.2.3" not in text
    assert "- - /l/…" in text


async def test_database_errors_do_not_quote_what_was_written(db: Database) -> None:
    secret = secrets.token_urlsafe(32)
    with pytest.raises(DBAPIError) as failed:
        async with db.begin() as conn:
            await conn.execute(text("SELECT * FROM nowhere WHERE x = :x"), {"x": secret})
    assert secret not in str(failed.value)
