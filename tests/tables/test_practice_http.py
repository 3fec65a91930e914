"""Practice tables through HTTP: set up, refusals (each with its clear message), privacy, pause."""

from __future__ import annotations

import html
from typing import Any

from estaminet.people.model import Role
from tests.support.live_server import LiveServer
from tests.tables.test_tables_live import post


async def test_practice_tables_over_http(live: LiveServer, people: Any) -> None:
    nadia, curious = await people("Nadia", role=Role.MEMBER), await people("Curieux")
    token = await nadia.csrf("/r/jeux")
    room = await nadia.http.get("/r/jeux")
    assert "S'entraîner à animer" in html.unescape(room.text)
    # Bad input: a clear, translated refusal, and no table.
    for fields, status, words in (
        ({"game": "werewolf", "bots": "beaucoup"}, 400, "nombre entier"),
        ({"game": "werewolf", "bots": "3"}, 400, "de 6 à 18"),
        ({"game": "chess", "bots": "8"}, 400, "existe pas"),
        ({"game": "lowest_unique", "bots": "8"}, 400, "pas de table d"),
    ):
        refused = await nadia.http.post("/r/jeux/practice", data={"csrf": token, **fields})
        assert refused.status_code == status, fields
        assert words in html.unescape(refused.text), (fields, refused.text[:600])
    wrong_room = await nadia.http.post(
        "/r/bar/practice", data={"csrf": token, "game": "werewolf", "bots": "8"}
    )
    assert wrong_room.status_code == 400
    assert "/t/" not in (await nadia.http.get("/r/jeux")).text  # nothing was set up

    made = await nadia.http.post(
        "/r/jeux/practice", data={"csrf": token, "game": "werewolf", "bots": "7"}
    )
    assert made.status_code == 303
    table_id = int(made.headers["location"].rsplit("/", 1)[1])
    lobby = html.unescape((await nadia.http.get(f"/t/{table_id}")).text)
    assert "7 robots" in lobby and "Anna" in lobby and "Commencer l'entraînement" in lobby
    # Hers alone: not listed to others, not open to them, nobody sits there.
    assert f"/t/{table_id}" in (await nadia.http.get("/r/jeux")).text
    assert f"/t/{table_id}" not in (await curious.http.get("/r/jeux")).text
    assert (await curious.http.get(f"/t/{table_id}")).status_code == 403
    assert await post(curious, table_id, "join", role="player") == 403
    # Pausing before the start changes nothing; someone else cannot.
    assert await post(nadia, table_id, "pause") == 303
    assert await post(curious, table_id, "pause") == 403
    assert await post(nadia, table_id, "start") == 303
    page = html.unescape((await nadia.http.get(f"/t/{table_id}")).text)
    assert "Mettre l'entraînement en pause" in page and "ww-narrator" in page
    assert await post(nadia, table_id, "pause") == 303
    page = html.unescape((await nadia.http.get(f"/t/{table_id}")).text)
    assert "practice-bar--paused" in page and "Reprendre l'entraînement" in page
    async with nadia.socket() as sock:
        refused = await sock.act(
            "table.act", {"table": table_id, "action": {"type": "narrator_next", "confirm": True}}
        )
        assert refused["code"] == "tables/practice_paused" and "pause" in refused["message"]
    assert await post(nadia, table_id, "resume") == 303
    assert "practice-bar--paused" not in (await nadia.http.get(f"/t/{table_id}")).text
    # Pausing a table that is not a practice is refused.
    regular = await nadia.http.post(
        "/r/jeux/tables", data={"csrf": token, "game": "werewolf", "title": "Vraie"}
    )
    regular_id = int(regular.headers["location"].rsplit("/", 1)[1])
    assert await post(nadia, regular_id, "pause") == 400
