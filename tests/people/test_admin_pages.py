"""The admin's invites and people pages over HTTP: Post/Redirect/Get, the link shown again, pages."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from estaminet import cli
from estaminet.people import actions
from estaminet.people.model import Role
from estaminet.people.schema import invites, users
from estaminet.store import Database, utcnow
from tests.support.live_server import LiveServer, Person

_LINK = re.compile(r'id="created-link"[^>]*value="(http://127\.0\.0\.1:\d+/i/[\w-]+)"')


@asynccontextmanager
async def _database(live: LiveServer) -> AsyncIterator[Database]:
    db = Database(live.settings.resolved_database_url)
    try:
        yield db
    finally:
        await db.dispose()


async def _count_invites(live: LiveServer) -> int:
    async with _database(live) as db, db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(invites))).scalar_one())


async def _admin(people: Any) -> Person:
    admin: Person = await people()
    await admin.sign_in_admin()
    return admin


async def _create(admin: Person, **fields: str) -> Any:
    token = await admin.csrf("/admin/invites")
    data = {"csrf": token, "role": "member", "expires": "1d", "max_uses": "3", "note": "soirée"}
    return await admin.http.post("/admin/invites", data={**data, **fields})


@pytest.fixture
def server_clock(live: LiveServer) -> Iterator[Any]:
    """Moves the server's clock for one test, then puts it back."""
    original = live.app.state.clock
    shift = [timedelta()]
    live.app.state.clock = lambda: utcnow() + shift[0]
    yield shift
    live.app.state.clock = original


# -- creating an invite: Post/Redirect/Get -------------------------------------------


async def test_admin_invite_create_redirects_to_its_page(live: LiveServer, people: Any) -> None:
    admin = await _admin(people)
    before = await _count_invites(live)
    response = await _create(admin, note="soirée jeux")
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/admin/invites/[0-9a-f]{32}", location)
    cookie = response.headers["set-cookie"]
    assert "Path=/admin/invites" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and "Max-Age=600" in cookie
    assert await _count_invites(live) == before + 1

    shown = await admin.http.get(location)
    assert shown.status_code == 200
    link = _LINK.search(shown.text)
    assert link and 'src="data:image/svg+xml' in shown.text
    assert "soirée jeux" in shown.text and "0 / 3" in shown.text
    assert "Membre" in shown.text  # the role given, in French

    again = await admin.http.get(location)  # a reload: shows the same, creates nothing
    assert _LINK.search(again.text) and _LINK.search(again.text).group(1) == link.group(1)  # type: ignore[union-attr]
    assert await _count_invites(live) == before + 1

    newcomer: Person = await people()
    assert (
        await newcomer.join(link.group(1).removeprefix(live.base), "Nouvelle")
    ).status_code == 303
    assert "1 / 3" in (await admin.http.get(location)).text


async def test_admin_invite_link_is_not_shown_to_another_session(
    live: LiveServer, people: Any
) -> None:
    admin = await _admin(people)
    location = (await _create(admin)).headers["location"]
    sealed = admin.http.cookies.get("estaminet_invite_reveal")
    assert sealed
    other = await _admin(people)  # another admin, another session
    other.http.cookies.set("estaminet_invite_reveal", sealed, path="/admin/invites")
    seen = await other.http.get(location)
    assert seen.status_code == 200
    assert not _LINK.search(seen.text) and "data:image/svg+xml" not in seen.text
    assert "/i/" not in seen.text
    assert "crée un nouveau lien" in seen.text  # the way forward is told


async def test_admin_invite_link_tampered_cookie_shows_no_link(
    live: LiveServer, people: Any
) -> None:
    admin = await _admin(people)
    location = (await _create(admin)).headers["location"]
    sealed = admin.http.cookies.get("estaminet_invite_reveal")
    assert sealed
    admin.http.cookies.set("estaminet_invite_reveal", sealed[:-2] + "xx", path="/admin/invites")
    seen = await admin.http.get(location)
    assert seen.status_code == 200 and not _LINK.search(seen.text)


async def test_admin_invite_link_is_not_shown_for_another_invite(
    live: LiveServer, people: Any
) -> None:
    admin = await _admin(people)
    first = (await _create(admin, note="première")).headers["location"]
    second = (await _create(admin, note="deuxième")).headers["location"]
    assert _LINK.search((await admin.http.get(second)).text)
    assert not _LINK.search((await admin.http.get(first)).text)  # the cookie names one invite


async def test_admin_invite_link_shown_only_for_ten_minutes(
    live: LiveServer, people: Any, server_clock: Any
) -> None:
    admin = await _admin(people)
    location = (await _create(admin)).headers["location"]
    server_clock[0] = timedelta(minutes=9)
    assert _LINK.search((await admin.http.get(location)).text)
    server_clock[0] = timedelta(minutes=11)
    late = await admin.http.get(location)
    assert late.status_code == 200 and not _LINK.search(late.text)


async def test_admin_invite_link_hidden_once_withdrawn(live: LiveServer, people: Any) -> None:
    admin = await _admin(people)
    location = (await _create(admin)).headers["location"]
    token = await admin.csrf(location)
    withdrawn = await admin.http.post(f"{location}/revoke", data={"csrf": token})
    assert withdrawn.status_code == 303
    page = await admin.http.get(location)
    assert not _LINK.search(page.text) and "retiré" in page.text


async def test_admin_invite_pages_refuse_non_moderators(live: LiveServer, people: Any) -> None:
    admin = await _admin(people)
    location = (await _create(admin)).headers["location"]
    member: Person = await people("Membre curieux", role=Role.MEMBER)
    assert (await member.http.get(location)).status_code == 403
    before = await _count_invites(live)
    token = await member.csrf("/me")
    refused = await member.http.post("/admin/invites", data={"csrf": token, "role": "guest"})
    assert refused.status_code == 403
    assert await _count_invites(live) == before
    stranger: Person = await people()
    assert (await stranger.http.get(location)).status_code == 401


async def test_admin_invite_unknown_is_not_found(live: LiveServer, people: Any) -> None:
    admin = await _admin(people)
    missing = await admin.http.get("/admin/invites/" + "0" * 32)
    assert (
        missing.status_code == 404 and 'data-error-code="people/invite_not_found"' in missing.text
    )


async def test_admin_invite_bad_input_creates_nothing(live: LiveServer, people: Any) -> None:
    admin = await _admin(people)
    before = await _count_invites(live)
    response = await _create(admin, max_uses="0")
    assert response.status_code == 400 and 'role="alert"' in response.text
    assert await _count_invites(live) == before


# -- pages of invites and people ----------------------------------------------------------


def _href(text: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', text)
    return html.unescape(found.group(1)) if found else None


async def _walk(person: Person, start: str, row: re.Pattern[str]) -> list[list[str]]:
    """Every page from ``start`` by the next links, then back by the previous links."""
    forward: list[list[str]] = []
    url: str | None = start
    last = start
    while url:
        page = await person.http.get(url)
        assert page.status_code == 200
        forward.append(row.findall(page.text))
        last, url = url, _href(page.text, "next")
    backward: list[list[str]] = []
    url = last
    while url:
        page = await person.http.get(url)
        backward.append(row.findall(page.text))
        url = _href(page.text, "prev")
    assert backward == list(reversed(forward)), "the way back shows other pages"
    return forward


async def test_admin_invites_pages_have_no_gaps_nor_duplicates(
    live: LiveServer, people: Any
) -> None:
    admin = await _admin(people)
    async with _database(live) as db:
        me = await cli._first_admin(db)
        assert me is not None
        now = utcnow()
        for number in range(120):  # many at the same instant: the id breaks the tie
            await actions.create_invite(db, me, now, note=f"lot {number}")
        async with db.read() as conn:
            rows = await conn.execute(
                select(invites.c.id).order_by(invites.c.created_at.desc(), invites.c.id.desc())
            )
            expected = [r.id for r in rows]
    pages = await _walk(admin, "/admin/invites", re.compile(r'<tr data-invite="([0-9a-f]{32})"'))
    assert len(pages) >= 3 and all(len(p) == 50 for p in pages[:-1])
    assert [i for p in pages for i in p] == expected


async def test_admin_people_pages_and_search(live: LiveServer, people: Any) -> None:
    admin = await _admin(people)
    async with _database(live) as db:
        for number in range(110):
            await actions.create_user(db, f"Pagina {number:03d}", Role.GUEST, utcnow())
        async with db.read() as conn:
            rows = await conn.execute(
                select(users.c.id).order_by(func.lower(users.c.display_name), users.c.id)
            )
            expected = [r.id for r in rows]
    row = re.compile(r'<tr data-person="([0-9a-f]{32})"')
    pages = await _walk(admin, "/admin/people", row)
    assert len(pages) >= 3 and [i for p in pages for i in p] == expected

    found = await _walk(admin, "/admin/people?q=pagina+0", row)
    assert [len(p) for p in found] == [50, 50]  # Pagina 000 … 099, case aside
    first = await admin.http.get("/admin/people?q=pagina+0")
    assert "q=pagina+0" in (_href(first.text, "next") or "")
    none = await admin.http.get("/admin/people?q=%25_nobody")
    assert none.status_code == 200 and 'role="status"' in none.text
    assert not row.findall(none.text)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        "after=not-a-cursor!",
        "before=%25%25%25",
        "after=" + _b64(b"{}"),
        "after=" + _b64(b'["yesterday","abc"]'),
        "before=" + _b64(b'["2026-01-01T00:00:00","abc"]'),  # no time zone
        "after=" + _b64(b"[1, 2]"),
        "after=" + "A" * 600,
    ],
)
async def test_admin_invites_bad_cursor_gives_the_first_page(
    live: LiveServer, people: Any, query: str
) -> None:
    admin = await _admin(people)
    page = await admin.http.get(f"/admin/invites?{query}")
    assert page.status_code == 400
    assert 'role="alert"' in page.text and "première page" in page.text
    assert 'action="/admin/invites"' in page.text  # the page itself, usable


@pytest.mark.parametrize("query", ["after=%00%01", "before=" + _b64(b'["a"]'), "q=x&after=zz"])
async def test_admin_people_bad_cursor_gives_the_first_page(
    live: LiveServer, people: Any, query: str
) -> None:
    admin = await _admin(people)
    page = await admin.http.get(f"/admin/people?{query}")
    assert page.status_code == 400
    assert 'role="alert"' in page.text and 'id="people-search"' in page.text
