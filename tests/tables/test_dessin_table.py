"""Un dessin, un mot through HTTP and the gateway: guesses in the table's chat, stream frames."""

from __future__ import annotations

import json
import re
from typing import Any

from estaminet.people.model import Role
from tests.support.live_server import LiveServer
from tests.tables.test_tables_live import create_table, post, seat_topic

CHOOSE = re.compile(r"data-table-action='([^']*choose[^']*)'")


async def test_dessin_guesses_in_the_chat_and_strokes_as_stream_frames(
    live: LiveServer, people: Any
) -> None:
    host, guest = await people("Hôte", role=Role.MEMBER), await people("Invitée")
    watcher = await people("Spectatrice")
    table_id = await create_table(host, game="dessin", option_hints="0")
    assert await post(guest, table_id, "join", role="player") == 303
    assert await post(watcher, table_id, "join", role="spectator") == 303
    assert await post(host, table_id, "start") == 303
    pages = {p: (await p.http.get(f"/t/{table_id}")).text for p in (host, guest)}
    drawer = next(p for p, page in pages.items() if seat_topic(page).endswith(":seat:0"))
    other = guest if drawer is host else host
    choose = json.loads(CHOOSE.search(pages[drawer]).group(1).replace("&#34;", '"'))  # type: ignore[union-attr]
    async with drawer.socket() as d, other.socket() as o, watcher.socket() as w:
        await d.sub(seat_topic(pages[drawer]))
        await o.sub(seat_topic(pages[other]))
        await w.sub(f"table:{table_id}:watch")
        await w.quiet()
        assert (await d.act("table.act", {"table": table_id, "action": choose}))["type"] == "ack"
        page = (await drawer.http.get(f"/t/{table_id}")).text
        word = re.search(r'class="ds-secret">([^<]*)<', page).group(1)  # type: ignore[union-attr]
        guessing = (await other.http.get(f"/t/{table_id}")).text
        # Not shown to a guesser: no secret box, and the word is no element's text (a word
        # such as "table" is also in every table page's own words, so not a substring test).
        assert 'class="ds-secret"' not in guessing
        assert not re.search(rf">\s*{re.escape(word)}\s*<", guessing, re.IGNORECASE), word
        # A spectator sees the same view as a guesser, but never a guesser's form (the
        # screen is rendered for each kind of viewer, not shared because the views match).
        watched = [f for f in await w.quiet() if f.get("kind") == "view"]
        assert watched and "data-guess" not in watched[-1]["ops"][0]["html"]
        guessed = [f for f in await o.quiet() if f.get("kind") == "view"]
        assert guessed and "data-guess" in guessed[-1]["ops"][0]["html"]

        # A stroke: one small stream frame on the watchers' topic, no new view.
        ink = {"type": "ink", "turn": 0, "seq": 1, "ops": [["b", 0, 1, 10, 10, 4, 4]]}
        assert (await d.act("table.act", {"table": table_id, "action": ink}))["type"] == "ack"
        frames = await w.quiet()
        assert [f["kind"] for f in frames if f["type"] == "event"] == ["stream"]
        assert frames[0]["ops"] == [
            {
                "op": "stream",
                "target": "[data-stream]",
                "data": {"turn": 0, "seq": 1, "ops": ink["ops"]},
            }
        ]
        # A refused stroke keeps the connection.
        bad = {**ink, "seq": 2, "ops": [["b", 0, 1, 10, 10, *([1, 1] * 300)]]}
        refused = await d.act("table.act", {"table": table_id, "action": bad}, ref="d2")
        assert refused["code"] == "dessin/batch_too_big"
        assert refused["message"] == "Trop de points d’un coup : 200 au maximum à la fois."

        # A wrong guess is posted for everyone; the right one is a move, posted nowhere.
        said = {"table": table_id, "channel": "table", "body": "zanzibar quarante ?"}
        assert (await o.act("table.chat", said, ref="o1"))["data"]["message"] is not None
        right = {"table": table_id, "channel": "table", "body": f"C'est {word.upper()} !"}
        # The drawer cannot write it.
        refused = await d.act("table.chat", {**right, "body": word}, ref="d3")
        assert refused["code"] == "dessin/drawer_says_word"
        ack = await o.act("table.chat", right, ref="o2")
        assert ack["type"] == "ack" and ack["data"]["message"] is None
        seen = json.dumps(w.seen + await w.quiet(0.5), ensure_ascii=False)
        assert "zanzibar quarante" in seen
        assert f"C'est {word.upper()}" not in seen and f"C&#39;est {word.upper()}" not in seen
    history = (await watcher.http.get(f"/t/{table_id}")).text
    assert "zanzibar quarante" in history and f"{word.upper()} !" not in history
