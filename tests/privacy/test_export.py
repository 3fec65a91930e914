"""My data: everything the venue holds about me, readable and as JSON, on each database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person, start_server_on
from tests.tables.test_tables_live import create_table
from tests.web.test_access_changes import admin_of, user_id


@pytest.fixture(scope="module")
def live(database_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The venue served for real, on each database."""
    yield from start_server_on(database_backend, tmp_path_factory.mktemp("live"))


async def test_export_holds_my_data_and_nobody_elses(people: Any) -> None:
    lea: Person = await people("Léa Export", role=Role.MEMBER)
    other: Person = await people("Omer Autre")
    async with lea.socket() as sock, other.socket() as them:
        await sock.sub("room:bar")
        sent = await sock.act("chat.send", {"room": "bar", "body": "Mon **message**"})
        assert sent["type"] == "ack"
        gone = await sock.act("chat.send", {"room": "bar", "body": "à effacer"}, ref="2")
        await sock.act("chat.delete", {"room": "bar", "message": gone["data"]["message"]}, ref="3")
        await them.sub("room:bar")
        await them.act("chat.send", {"room": "bar", "body": "pas à Léa"}, ref="o")
    await create_table(lea, title="Ma tablée")

    exported = await lea.http.get("/me/data.json")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/json")
    assert "attachment" in exported.headers["content-disposition"]
    data = exported.json()
    assert data["profile"]["name"] == "Léa Export" and data["profile"]["role"] == "member"
    assert [m["body"] for m in data["messages"]] == ["Mon **message**", None]
    assert data["messages"][1]["deleted"] is True  # a deleted message's words are not kept
    assert [t["title"] for t in data["tables"]] == ["Ma tablée"]
    assert data["sessions"] and data["sessions"][0]["revoked_at"] is None
    assert "pas à Léa" not in exported.text and "Omer" not in exported.text

    readable = await lea.http.get("/me/data")
    assert readable.status_code == 200
    for words in ("Mes données", "Tes messages", "Mon **message**", "Ma tablée", "Léa Export"):
        assert words in readable.text, words
    assert "pas à Léa" not in readable.text


async def test_export_of_someone_else_is_for_admins_only(people: Any) -> None:
    lea: Person = await people("Léa Secrète", role=Role.MODERATOR)
    other: Person = await people("Omer Voisin")
    other_id = await user_id(other)
    assert (await lea.http.get(f"/admin/people/{other_id}/data")).status_code == 403
    assert (await lea.http.get(f"/admin/people/{other_id}/data.json")).status_code == 403
    admin = await admin_of(people)
    page = await admin.http.get(f"/admin/people/{other_id}/data")
    assert page.status_code == 200 and "Omer Voisin" in page.text
    data = (await admin.http.get(f"/admin/people/{other_id}/data.json")).json()
    assert data["profile"]["name"] == "Omer Voisin"
    assert (await admin.http.get("/admin/people/nobody/data")).status_code == 404
    stranger: Person = await people()  # not signed in
    assert (await stranger.http.get("/me/data")).status_code in (303, 401, 403)
