"""A pledge is never lost across a server restart: it is stored before the person is answered,
and the server that comes back shows the same QR code and communication."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx

from tests.support.databases import fresh_database
from tests.support.live_server import start_server

_CODE = re.compile(r"\+\+\+\d{3}/\d{4}/\d{5}\+\+\+")


def _csrf(client: httpx.Client, url: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(url).text)
    assert found
    return found.group(1)


def test_hat_pledge_survives_a_restart(database_backend: str, tmp_path: Path) -> None:
    with fresh_database(database_backend, tmp_path, migrate=False) as url:
        first = start_server(tmp_path, database_url=url)
        server = next(first)
        with httpx.Client(base_url=server.base) as admin:
            link = asyncio.run(server.fresh_admin_link())
            assert admin.post(link, data={"csrf": _csrf(admin, link)}).status_code == 303
            made = admin.post(
                "/hats/new",
                data={
                    "csrf": _csrf(admin, "/hats/new"),
                    "name": "Casa",
                    "beneficiary": "Casa ASBL",
                    "iban": "BE68539007547034",
                    "goal": "100",
                    "room": "scene",
                },
            )
            hat_path = made.headers["location"]
            answered = admin.post(
                f"{hat_path}/pledge", data={"csrf": _csrf(admin, hat_path), "amount": "42"}
            )
            assert answered.status_code == 303
            pledge_path = answered.headers["location"]
            before = _CODE.findall(admin.get(pledge_path).text)
            cookies = dict(admin.cookies)
        first.close()  # the server stops
        second = start_server(tmp_path, database_url=url)
        again = next(second)
        try:
            with httpx.Client(base_url=again.base, cookies=cookies) as admin:
                after = admin.get(pledge_path)
                assert after.status_code == 200
                assert _CODE.findall(after.text) == before != []
                accounts = admin.get(f"{hat_path}/accounts").text
                assert re.search(r"data-hat-pledged>42,00\s€", accounts)
        finally:
            second.close()
