"""On https: HSTS and ``Secure`` on every cookie; the data folder and database are private."""

from __future__ import annotations

import asyncio
import re
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from estaminet import cli
from estaminet.app import create_app
from estaminet.settings import Settings
from estaminet.web.security import HSTS
from tests.support.databases import sqlite_database


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', text)
    assert found
    return found.group(1)


@asynccontextmanager
async def _client(
    tmp_path: Path, base_url: str, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path / "data", secret_key="k", base_url=base_url, database_url=database_url
    )
    await cli._prepare(settings, venue_file=None, admin_name="Admin")
    app = create_app(settings, migrate=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=base_url) as client,
    ):
        yield client


async def test_https_venue_sends_hsts_and_secure_cookies(tmp_path: Path, database_url: str) -> None:
    async with _client(tmp_path, "https://venue.example", database_url) as client:
        page = await client.get("/login")
        assert page.headers["strict-transport-security"] == HSTS
        assert "Secure" in page.headers["set-cookie"]  # the device cookie
        csrf = _csrf(page.text)
        language = await client.post(
            "/lang", data={"csrf": csrf, "lang": "en", "next": "/"}, follow_redirects=False
        )
        assert language.status_code == 303
        assert "estaminet_lang=en" in language.headers["set-cookie"]
        assert "Secure" in language.headers["set-cookie"]
        out = await client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
        assert out.status_code == 303
        assert "estaminet_session=" in out.headers["set-cookie"]
        assert "Secure" in out.headers["set-cookie"]


async def test_http_venue_sends_no_hsts(tmp_path: Path, database_url: str) -> None:
    async with _client(tmp_path, "http://venue.example", database_url) as client:
        page = await client.get("/login")
        assert "strict-transport-security" not in page.headers
        assert "Secure" not in page.headers["set-cookie"]


def test_data_folder_and_database_are_private(tmp_path: Path) -> None:
    # SQLite's own files (the default database in the data folder): this test is about them.
    sqlite_database(tmp_path / "venue" / "estaminet.db")
    settings = Settings(data_dir=tmp_path / "venue", secret_key="k")
    asyncio.run(cli._prepare(settings, venue_file=None, admin_name="Admin"))
    assert stat.S_IMODE((tmp_path / "venue").stat().st_mode) == 0o700
    for name in ("estaminet.db", "estaminet.db-wal", "estaminet.db-shm"):
        path = tmp_path / "venue" / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    assert (tmp_path / "venue" / "estaminet.db").exists()
