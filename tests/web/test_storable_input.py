"""Text and numbers no database keeps are refused at the edge with a clear message.

PostgreSQL refuses NUL characters and lone surrogates in text and numbers past
32 bits in INTEGER columns, where SQLite took them: each case below once gave an
internal error on PostgreSQL. Every test runs on both databases.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from estaminet.people.model import Role
from tests.agenda.test_agenda_http import create
from tests.sittings.test_sittings_live import prepare
from tests.support.live_server import LiveServer, Person

NUL = "Soirée\x00jeux"
HUGE = 2**40


async def _refused_clearly(response: Any) -> None:
    assert response.status_code == 400, response.text[:300]
    assert "caractère invisible" in response.text


async def test_storable_nul_in_a_name_is_refused(live: LiveServer, people: Any) -> None:
    newcomer: Person = await people()
    invite = await live.invite(uses=1)
    await _refused_clearly(await newcomer.join(invite, NUL))
    assert (await newcomer.join(invite, "Soirée jeux")).status_code == 303  # the use was kept


async def test_storable_nul_in_an_event_title_or_text_is_refused(people: Any) -> None:
    animator: Person = await people("Anima", Role.ANIMATOR)
    await _refused_clearly(await create(animator, title=NUL))
    await _refused_clearly(await create(animator, description="Venez\x00 nombreux"))
    page = (await animator.http.get("/agenda")).text
    assert "jeux" not in page.replace("Soirée jeux", "")  # nothing was created


async def test_storable_nul_in_a_table_title_is_refused(people: Any) -> None:
    host: Person = await people("Hôte", Role.MEMBER)
    token = await host.csrf("/r/jeux")
    response = await host.http.post(
        "/r/jeux/tables", data={"csrf": token, "game": "example", "title": NUL}
    )
    await _refused_clearly(response)


async def test_storable_nul_in_an_assembly_text_is_refused(people: Any) -> None:
    admin: Person = await people()
    await admin.sign_in_admin()
    await _refused_clearly(await prepare(admin, agenda="1. Accueil\x00"))
    await _refused_clearly(await prepare(admin, title=NUL))


async def test_storable_nul_in_a_search_is_refused(people: Any) -> None:
    admin: Person = await people()
    await admin.sign_in_admin()
    await _refused_clearly(await admin.http.get("/admin/people", params={"q": "a\x00b"}))


@pytest.mark.parametrize(
    "path",
    [
        f"/agenda/{HUGE}",
        f"/agenda/{HUGE}/20261120T2000",
        "/agenda/1/2026%0011T2000",
        f"/t/{HUGE}",
        f"/a/{HUGE}",
        "/r/b%00r",
    ],
)
async def test_storable_ids_past_32_bits_or_names_with_nul_are_not_found(
    people: Any, path: str
) -> None:
    member: Person = await people("Mia", Role.MEMBER)
    assert (await member.http.get(path)).status_code == 404


async def test_storable_history_cursor_past_32_bits_is_refused(people: Any) -> None:
    member: Person = await people("Mia", Role.MEMBER)
    response = await member.http.get("/r/bar/messages", params={"before": str(HUGE)})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "sub", "topic": "room:bar", "after": HUGE}, "gateway/malformed"),
        (
            {
                "type": "act",
                "id": "e",
                "name": "chat.edit",
                "data": {"room": "bar", "message": HUGE, "body": "x"},
            },
            "gateway/malformed",
        ),
        (
            {"type": "act", "id": "t", "name": "table.act", "data": {"table": HUGE, "action": {}}},
            "gateway/malformed",
        ),
        ({"type": "sub", "topic": "room:bar\x00"}, "text/unstorable"),
    ],
    ids=["sub-after", "chat-edit-id", "table-act-id", "nul-topic"],
)
async def test_storable_frames_past_32_bits_or_with_nul_get_an_error(
    people: Any, frame: dict[str, Any], code: str
) -> None:
    alice: Person = await people("Alice")
    async with alice.socket() as a:
        await a.send(json.dumps(frame))
        error = await a.expect(type="error")
        assert error["code"] == code and error["message"]
        await a.send({"type": "ping"})
        await a.expect(type="pong")
